//! Statements about roles, as the binder leaves them for the session
//! (`session/roles.rs`), which checks them against `pg_authid` and
//! `pg_auth_members` when it runs them.

/// The attributes a `CREATE ROLE` or `ALTER ROLE` names; `None`: not named.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleOptions {
    pub superuser: Option<bool>,
    pub createdb: Option<bool>,
    pub createrole: Option<bool>,
    pub login: Option<bool>,
    pub inherit: Option<bool>,
    pub replication: Option<bool>,
    pub bypassrls: Option<bool>,
    pub connection_limit: Option<i64>,
    /// `PASSWORD 'p'` (`Some(Some)`) or `PASSWORD NULL` (`Some(None)`).
    pub password: Option<Option<String>>,
    /// `VALID UNTIL 'timestamp'`, as written.
    pub valid_until: Option<String>,
}

/// What a GRANT or REVOKE of privileges is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrivilegeTarget {
    /// `[TABLE] names` (tables, views, sequences).
    Tables,
    /// `ALL TABLES IN SCHEMA names`.
    AllTablesInSchema,
    Sequences,
    Schemas,
    Databases,
}

/// `GRANT privileges ON objects TO roles [WITH GRANT OPTION]` or
/// `REVOKE [GRANT OPTION FOR] privileges ON objects FROM roles`.
#[derive(Clone, Debug)]
pub struct PrivilegeStmt {
    pub revoke: bool,
    /// The privileges' key words (`None`: ALL).
    pub privileges: Option<Vec<String>>,
    pub target: PrivilegeTarget,
    /// Relation name strings, or schema or database names.
    pub names: Vec<String>,
    /// Role names; empty for PUBLIC.
    pub grantees: Vec<String>,
    /// WITH GRANT OPTION, or GRANT OPTION FOR.
    pub grant_option: bool,
}

/// A role statement.
#[derive(Clone, Debug)]
pub enum RoleStmt {
    /// `CREATE ROLE | USER name [WITH] options… [IN ROLE r…] [ROLE r…] [ADMIN r…]`
    /// (`user`: CREATE USER, which can log in unless told otherwise).
    Create {
        name: String,
        user: bool,
        options: RoleOptions,
        in_role: Vec<String>,
        members: Vec<String>,
        admins: Vec<String>,
    },
    /// `ALTER ROLE name [WITH] options…`.
    Alter { name: String, options: RoleOptions },
    /// `ALTER ROLE name RENAME TO new_name`.
    Rename { name: String, new_name: String },
    /// `DROP ROLE [IF EXISTS] names…`.
    Drop { names: Vec<String>, if_exists: bool },
    /// `GRANT roles… TO members… [WITH ADMIN OPTION]`.
    Grant { roles: Vec<String>, members: Vec<String>, admin: bool },
    /// `REVOKE [ADMIN OPTION FOR] roles… FROM members…`.
    Revoke { roles: Vec<String>, members: Vec<String>, admin_only: bool },
    /// GRANT or REVOKE of privileges on objects.
    Privileges(Box<PrivilegeStmt>),
    /// `SET [LOCAL] ROLE name | NONE` and `RESET ROLE` (`None`: back to
    /// the session user).
    SetRole { name: Option<String>, local: bool, reset: bool },
    /// `SET SESSION AUTHORIZATION name | DEFAULT` and `RESET SESSION
    /// AUTHORIZATION` (`None`: the role that logged in).
    SetSessionAuthorization { name: Option<String>, reset: bool },
    /// `ALTER ROLE | DATABASE … SET | RESET …`: a `pg_db_role_setting` row.
    Setting(Box<super::db_role_setting::AlterSetting>),
}

impl RoleStmt {
    /// The CommandComplete tag.
    pub fn command(&self) -> &'static str {
        match self {
            RoleStmt::Create { .. } => "CREATE ROLE",
            RoleStmt::Alter { .. } | RoleStmt::Rename { .. } => "ALTER ROLE",
            RoleStmt::Drop { .. } => "DROP ROLE",
            RoleStmt::Grant { .. } => "GRANT ROLE",
            RoleStmt::Revoke { .. } => "REVOKE ROLE",
            RoleStmt::Privileges(p) if p.revoke => "REVOKE",
            RoleStmt::Privileges(_) => "GRANT",
            RoleStmt::SetRole { reset: true, .. } | RoleStmt::SetSessionAuthorization { reset: true, .. } => "RESET",
            RoleStmt::SetRole { .. } | RoleStmt::SetSessionAuthorization { .. } => "SET",
            RoleStmt::Setting(s) => match s.scope {
                super::db_role_setting::SettingScope::Database(_) => "ALTER DATABASE",
                super::db_role_setting::SettingScope::Role { .. } => "ALTER ROLE",
            },
        }
    }
}
