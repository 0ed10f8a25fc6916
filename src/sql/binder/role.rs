//! Binding the role statements (`CREATE | ALTER | DROP ROLE`, `GRANT` and
//! `REVOKE` of roles, `SET ROLE`, `SET SESSION AUTHORIZATION`): names and
//! literal options only; the session checks them against the catalog.

use sqlparser::ast;

use super::ident;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::Statement;
use crate::sql::role::{RoleOptions, RoleStmt};

/// A role name as written; `public` and `none` are not names a role can
/// have (PostgreSQL's grammar refuses them).
fn role_name(id: &ast::Ident) -> Result<String> {
    let name = ident(id);
    if id.quote_style.is_none() && matches!(name.as_str(), "public" | "none") {
        return Err(err!(SqlState::RESERVED_NAME, "role name \"{name}\" is reserved"));
    }
    Ok(name)
}

fn object_role_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(id)] => role_name(id),
        _ => Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \".\"")),
    }
}

/// A literal option value's text (a string, or a signed number).
fn literal(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Some(n.clone()),
            ast::Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => literal(expr).map(|n| format!("-{n}")),
        _ => None,
    }
}

fn connection_limit(e: &ast::Expr) -> Result<i64> {
    literal(e)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{e}\""))
}

fn password(p: &ast::Password) -> Result<Option<String>> {
    match p {
        ast::Password::NullPassword => Ok(None),
        ast::Password::Password(e) => {
            literal(e).map(Some).ok_or_else(|| err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{e}\""))
        }
    }
}

fn valid_until(e: &ast::Expr) -> Result<String> {
    literal(e).ok_or_else(|| err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{e}\""))
}

/// A conflicting or repeated option, as PostgreSQL reports it.
fn conflicting() -> Error {
    err!(SqlState::SYNTAX_ERROR, "conflicting or redundant options")
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<()> {
    if slot.is_some() {
        return Err(conflicting());
    }
    *slot = Some(value);
    Ok(())
}

fn role_options(options: &[ast::RoleOption]) -> Result<RoleOptions> {
    let mut o = RoleOptions::default();
    for option in options {
        match option {
            ast::RoleOption::BypassRLS(b) => set_once(&mut o.bypassrls, *b)?,
            ast::RoleOption::ConnectionLimit(e) => set_once(&mut o.connection_limit, connection_limit(e)?)?,
            ast::RoleOption::CreateDB(b) => set_once(&mut o.createdb, *b)?,
            ast::RoleOption::CreateRole(b) => set_once(&mut o.createrole, *b)?,
            ast::RoleOption::Inherit(b) => set_once(&mut o.inherit, *b)?,
            ast::RoleOption::Login(b) => set_once(&mut o.login, *b)?,
            ast::RoleOption::Password(p) => set_once(&mut o.password, password(p)?)?,
            ast::RoleOption::Replication(b) => set_once(&mut o.replication, *b)?,
            ast::RoleOption::SuperUser(b) => set_once(&mut o.superuser, *b)?,
            ast::RoleOption::ValidUntil(e) => set_once(&mut o.valid_until, valid_until(e)?)?,
        }
    }
    Ok(o)
}

/// `CREATE ROLE` (and `CREATE USER`, `user`).
pub(super) fn bind_create_role(create: &ast::CreateRole, user: bool) -> Result<Statement> {
    let [name] = create.names.as_slice() else {
        return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \",\""));
    };
    if create.if_not_exists {
        return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"NOT\""));
    }
    if create.authorization_owner.is_some() {
        return Err(Error::not_supported("CREATE ROLE … AUTHORIZATION"));
    }
    let mut options = RoleOptions::default();
    let flag = |slot: &mut Option<bool>, v: Option<bool>| -> Result<()> {
        if let Some(v) = v {
            set_once(slot, v)?;
        }
        Ok(())
    };
    flag(&mut options.login, create.login)?;
    flag(&mut options.inherit, create.inherit)?;
    flag(&mut options.bypassrls, create.bypassrls)?;
    flag(&mut options.superuser, create.superuser)?;
    flag(&mut options.createdb, create.create_db)?;
    flag(&mut options.createrole, create.create_role)?;
    flag(&mut options.replication, create.replication)?;
    if let Some(p) = &create.password {
        options.password = Some(password(p)?);
    }
    if let Some(e) = &create.connection_limit {
        options.connection_limit = Some(connection_limit(e)?);
    }
    if let Some(e) = &create.valid_until {
        options.valid_until = Some(valid_until(e)?);
    }
    let names = |ids: &[ast::Ident]| ids.iter().map(role_name).collect::<Result<Vec<_>>>();
    let mut in_role = names(&create.in_role)?;
    in_role.extend(names(&create.in_group)?);
    let mut members = names(&create.role)?;
    members.extend(names(&create.user)?);
    Ok(Statement::Role(RoleStmt::Create {
        name: object_role_name(name)?,
        user,
        options,
        in_role,
        members,
        admins: names(&create.admin)?,
    }))
}

/// `ALTER ROLE | USER`.
pub(super) fn bind_alter_role(name: &ast::Ident, operation: &ast::AlterRoleOperation) -> Result<Statement> {
    let name = role_name(name)?;
    Ok(Statement::Role(match operation {
        ast::AlterRoleOperation::RenameRole { role_name: new_name } => {
            RoleStmt::Rename { name, new_name: role_name(new_name)? }
        }
        ast::AlterRoleOperation::WithOptions { options } => RoleStmt::Alter { name, options: role_options(options)? },
        ast::AlterRoleOperation::Set { .. } | ast::AlterRoleOperation::Reset { .. } => {
            return Err(Error::not_supported("ALTER ROLE … SET (per-role settings)"));
        }
        ast::AlterRoleOperation::AddMember { .. } | ast::AlterRoleOperation::DropMember { .. } => {
            return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"MEMBER\""));
        }
    }))
}

/// `DROP ROLE | USER | GROUP [IF EXISTS] names…`.
pub(super) fn bind_drop_role(names: &[ast::ObjectName], if_exists: bool) -> Result<Statement> {
    let names = names.iter().map(object_role_name).collect::<Result<Vec<_>>>()?;
    Ok(Statement::Role(RoleStmt::Drop { names, if_exists }))
}

/// The roles a GRANT or REVOKE of roles names as grantees.
fn grantees(grantees: &[ast::Grantee]) -> Result<Vec<String>> {
    grantees
        .iter()
        .map(|g| match (&g.grantee_type, &g.name) {
            (ast::GranteesType::Public, _) => {
                Err(err!(SqlState::RESERVED_NAME, "role \"public\" cannot be a member of any role"))
            }
            (_, Some(ast::GranteeName::ObjectName(n))) => object_role_name(n),
            _ => Err(Error::not_supported(format!("grantee {g}"))),
        })
        .collect()
}

pub(super) fn bind_grant_role(grant: &ast::GrantRole) -> Result<Statement> {
    if grant.granted_by.is_some() {
        return Err(Error::not_supported("GRANT … GRANTED BY"));
    }
    let mut admin = false;
    for option in &grant.options {
        match (option.name.value.to_ascii_lowercase().as_str(), &option.value) {
            ("admin", ast::RoleGrantOptionValue::Option | ast::RoleGrantOptionValue::True) => admin = true,
            ("admin", ast::RoleGrantOptionValue::False) => admin = false,
            _ => return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{}\"", option.name.value)),
        }
    }
    let roles = grant.roles.iter().map(role_name).collect::<Result<Vec<_>>>()?;
    Ok(Statement::Role(RoleStmt::Grant { roles, members: grantees(&grant.grantees)?, admin }))
}

pub(super) fn bind_revoke_role(revoke: &ast::RevokeRole) -> Result<Statement> {
    if revoke.granted_by.is_some() {
        return Err(Error::not_supported("REVOKE … GRANTED BY"));
    }
    let admin_only = match &revoke.option_for {
        None => false,
        Some(o) if o.value.eq_ignore_ascii_case("admin") => true,
        Some(o) => return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{}\"", o.value)),
    };
    let roles = revoke.roles.iter().map(role_name).collect::<Result<Vec<_>>>()?;
    Ok(Statement::Role(RoleStmt::Revoke { roles, members: grantees(&revoke.grantees)?, admin_only }))
}

/// `SET [SESSION | LOCAL] ROLE name | NONE`.
pub(super) fn bind_set_role(modifier: Option<ast::ContextModifier>, name: Option<&ast::Ident>) -> Result<Statement> {
    let local = matches!(modifier, Some(ast::ContextModifier::Local));
    let name = name.map(ident).filter(|n| n != "none");
    Ok(Statement::Role(RoleStmt::SetRole { name, local, reset: false }))
}

/// `SET SESSION AUTHORIZATION name | DEFAULT`.
pub(super) fn bind_set_session_authorization(param: &ast::SetSessionAuthorizationParam) -> Result<Statement> {
    let name = match &param.kind {
        ast::SetSessionAuthorizationParamKind::Default => None,
        ast::SetSessionAuthorizationParamKind::User(id) => Some(ident(id)),
    };
    Ok(Statement::Role(RoleStmt::SetSessionAuthorization { name, reset: false }))
}

/// `GRANT privileges ON objects TO …` and `REVOKE … FROM …`.
pub(super) fn bind_privileges(
    revoke: bool,
    privileges: &ast::Privileges,
    objects: Option<&ast::GrantObjects>,
    grantees: &[ast::Grantee],
    grant_option: bool,
) -> Result<Statement> {
    use crate::sql::role::{PrivilegeStmt, PrivilegeTarget};
    let privileges = match privileges {
        ast::Privileges::All { .. } => None,
        ast::Privileges::Actions(actions) => Some(
            actions
                .iter()
                .map(|a| {
                    let text = a.to_string();
                    if text.contains('(') {
                        return Err(Error::not_supported("column privileges"));
                    }
                    Ok(text.to_ascii_lowercase())
                })
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    let names = |list: &[ast::ObjectName]| list.iter().map(super::ddl::public_name).collect::<Result<Vec<_>>>();
    let plain = |list: &[ast::ObjectName]| {
        list.iter()
            .map(|n| match n.0.as_slice() {
                [ast::ObjectNamePart::Identifier(id)] => Ok(ident(id)),
                _ => Err(Error::not_supported(format!("cross-database references: {n}"))),
            })
            .collect::<Result<Vec<_>>>()
    };
    let (target, names) = match objects {
        Some(ast::GrantObjects::Tables(t)) => (PrivilegeTarget::Tables, names(t)?),
        Some(ast::GrantObjects::Sequences(t)) => (PrivilegeTarget::Sequences, names(t)?),
        Some(ast::GrantObjects::AllTablesInSchema { schemas }) => (PrivilegeTarget::AllTablesInSchema, plain(schemas)?),
        Some(ast::GrantObjects::Schemas(s)) => (PrivilegeTarget::Schemas, plain(s)?),
        Some(ast::GrantObjects::Databases(d)) => (PrivilegeTarget::Databases, plain(d)?),
        Some(other) => return Err(Error::not_supported(format!("GRANT on {other}"))),
        None => return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"TO\"")),
    };
    let grantees = grantees
        .iter()
        .map(|g| match (&g.grantee_type, &g.name) {
            (ast::GranteesType::Public, _) => Ok(String::new()),
            (_, Some(ast::GranteeName::ObjectName(n))) if n.to_string().eq_ignore_ascii_case("public") => {
                Ok(String::new())
            }
            (_, Some(ast::GranteeName::ObjectName(n))) => object_role_name(n),
            _ => Err(Error::not_supported(format!("grantee {g}"))),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Statement::Role(RoleStmt::Privileges(Box::new(PrivilegeStmt {
        revoke,
        privileges,
        target,
        names,
        grantees,
        grant_option,
    }))))
}
