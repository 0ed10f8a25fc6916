//! Running CREATE, ALTER and DROP DOMAIN in a session: rows of `pg_type`
//! and `pg_constraint` written by the session's transaction (see
//! [`crate::catalog::domains`]). A constraint added to a domain, or NOT
//! NULL, must hold for the values that columns of the domain hold.

use std::sync::Arc;

use crate::catalog::Reader;
use crate::catalog::domains::{self, Domain, DomainCheck, NewDomain};
use crate::catalog::enums::TypeRow;
use crate::catalog::system::ConstraintRow;
use crate::err;
use crate::error::{Notice, Result, SqlState};
use crate::sql::domain::{AlterDomain, DomainStmt};
use crate::sql::expr::EvalContext;

use super::{Eval, Session};

impl Session {
    pub(super) fn domain_statement(&mut self, stmt: &DomainStmt) -> Result<()> {
        let xid = self.ensure_xid(stmt.command())?;
        match stmt {
            DomainStmt::Create { schema, name, base, typmod, not_null, default, checks } => {
                let namespace = match self.schema_of(schema.as_deref(), xid)? {
                    Some(n) => n,
                    None => *self.explicit_path.first().ok_or_else(|| {
                        err!(SqlState::INVALID_SCHEMA_NAME, "no schema has been selected to create in")
                    })?,
                };
                if self.find_type(Some(namespace), name, xid)?.is_some() {
                    return Err(err!(SqlState::DUPLICATE_OBJECT, "type \"{name}\" already exists"));
                }
                let new = NewDomain {
                    name,
                    namespace,
                    base: *base,
                    typmod: *typmod,
                    not_null: *not_null,
                    default: default.clone(),
                };
                let oid = self.shared.catalog.create_domain(&new, xid, self.cid)?;
                self.cid += 1;
                let domain = self.domain_by_oid(oid, xid)?;
                for (constraint, expr) in checks {
                    self.add_domain_check(&domain, constraint.as_deref(), expr, false, xid)?;
                }
            }
            DomainStmt::Drop { names, if_exists, cascade } => {
                let mut doomed = Vec::new();
                for (schema, name) in names {
                    match self.domain_named(schema.as_deref(), name, xid, *if_exists)? {
                        Some(t) => doomed.push(t),
                        None => self.notices.push(Notice::info(
                            SqlState::SUCCESSFUL_COMPLETION,
                            format!("type \"{name}\" does not exist, skipping"),
                        )),
                    }
                }
                for ty in &doomed {
                    self.drop_domain(ty, *cascade, xid)?;
                }
            }
            DomainStmt::Alter { schema, name, action } => {
                let ty = self.domain_named(schema.as_deref(), name, xid, false)?.expect("not missing_ok");
                let domain = self.domain_by_oid(ty.oid, xid)?;
                self.alter_domain(&ty, &domain, action, xid)?;
            }
        }
        self.cid += 1;
        self.catalog_changed = true;
        self.simple_cache.clear();
        Ok(())
    }

    /// The domain a name denotes: 42704 if there is none (`None` with
    /// `missing_ok`), 42809 if the type is not a domain.
    fn domain_named(
        &mut self,
        schema: Option<&str>,
        name: &str,
        xid: u64,
        missing_ok: bool,
    ) -> Result<Option<TypeRow>> {
        let namespace = match self.schema_of(schema, xid) {
            Err(e) if missing_ok && e.code() == SqlState::INVALID_SCHEMA_NAME => return Ok(None),
            other => other?,
        };
        match self.find_type(namespace, name, xid)? {
            Some(t) if t.kind == b'd' => Ok(Some(t)),
            Some(t) => Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{}\" is not a domain", t.name)),
            None if missing_ok => Ok(None),
            None => Err(err!(SqlState::UNDEFINED_OBJECT, "type \"{name}\" does not exist")),
        }
    }

    fn domain_by_oid(&mut self, oid: u32, xid: u64) -> Result<Arc<Domain>> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared
            .catalog
            .domain(oid, &who)?
            .ok_or_else(|| crate::error::Error::internal(format!("domain {oid} vanished")))
    }

    /// DROP DOMAIN or DROP TYPE of a domain: 2BP01 while columns use it,
    /// or with CASCADE those columns dropped first.
    pub(super) fn drop_domain(&mut self, ty: &TypeRow, cascade: bool, xid: u64) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let columns = catalog.columns_of_type(ty.oid, ty.array, &who)?;
        if columns.is_empty() {
            let domain =
                catalog.domain(ty.oid, &who)?.ok_or_else(|| crate::error::Error::internal("domain vanished"))?;
            return catalog.drop_domain(&domain, xid, self.cid, &who);
        }
        if cascade {
            return self.drop_domain_columns(ty, &columns, xid);
        }
        let mut detail = Vec::new();
        for (rel, column) in &columns {
            let table = catalog.regclass_text(*rel, &who)?.unwrap_or_default();
            detail.push(format!("column {column} of table {table} depends on type {}", ty.name));
        }
        Err(err!(
            SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
            "cannot drop type {} because other objects depend on it",
            ty.name
        )
        .with_detail(detail.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."))
    }

    /// DROP DOMAIN … CASCADE: the table columns of the domain's type go
    /// (as ALTER TABLE … DROP COLUMN … CASCADE drops them), then the domain.
    fn drop_domain_columns(&mut self, ty: &TypeRow, columns: &[(u32, String)], xid: u64) -> Result<()> {
        let catalog = self.shared.catalog.clone();
        let mut lines = Vec::with_capacity(columns.len());
        {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            for (rel, column) in columns {
                if catalog.relation_by_oid(*rel, &who)?.is_some_and(|(_, r)| r.kind != crate::catalog::RelKind::Table) {
                    return Err(crate::error::Error::not_supported(
                        "DROP DOMAIN … CASCADE of a domain that a view's columns use",
                    ));
                }
                let table = catalog.regclass_text(*rel, &who)?.unwrap_or_default();
                lines.push(format!("column {column} of table {table}"));
            }
        }
        self.cascade_notice(&lines);
        // The tables are read as this transaction changes them from here on.
        self.catalog_changed = true;
        for (rel, column) in columns {
            self.locker().relation(*rel, crate::txn::lock::LockMode::AccessExclusive)?;
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            let table =
                catalog.lookup_oid(*rel, &who)?.ok_or_else(|| crate::error::Error::internal("table vanished"))?;
            self.drop_column(&table, column, false, true, xid)?;
            self.cid += 1;
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let domain = catalog.domain(ty.oid, &who)?.ok_or_else(|| crate::error::Error::internal("domain vanished"))?;
        catalog.drop_domain(&domain, xid, self.cid, &who)
    }

    fn alter_domain(&mut self, ty: &TypeRow, domain: &Domain, action: &AlterDomain, xid: u64) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let constraint = |name: &str| catalog.domain_constraint(domain.oid, name, &who);
        let no_constraint = |name: &str| {
            err!(SqlState::UNDEFINED_OBJECT, "constraint \"{name}\" of domain \"{}\" does not exist", domain.name)
        };
        match action {
            AlterDomain::Default(default) => {
                let changed = Domain { default: default.clone(), ..domain.clone() };
                catalog.update_domain(&changed, xid, self.cid, &who)
            }
            AlterDomain::NotNull(not_null) => {
                if *not_null && !domain.not_null {
                    self.check_domain_columns(ty, xid, |_, v| {
                        v.is_null().then_some((SqlState::NOT_NULL_VIOLATION, "contains null values"))
                    })?;
                }
                let changed = Domain { not_null: *not_null, ..domain.clone() };
                catalog.update_domain(&changed, xid, self.cid, &who)
            }
            AlterDomain::AddCheck { name, expr, not_valid } => {
                if let Some(n) = name
                    && constraint(n)?.is_some()
                {
                    return Err(err!(
                        SqlState::DUPLICATE_OBJECT,
                        "constraint \"{n}\" for domain \"{}\" already exists",
                        domain.name
                    ));
                }
                let check = self.add_domain_check(domain, name.as_deref(), expr, *not_valid, xid)?;
                if !*not_valid {
                    self.validate_domain_check(ty, domain, &check, xid)?;
                }
                Ok(())
            }
            AlterDomain::DropConstraint { name, if_exists } => match constraint(name)? {
                Some((tid, _)) => catalog.delete_constraint_rows(&[tid], xid, self.cid),
                None if *if_exists => {
                    self.notices.push(Notice::info(
                        SqlState::SUCCESSFUL_COMPLETION,
                        format!("constraint \"{name}\" of domain \"{}\" does not exist, skipping", domain.name),
                    ));
                    Ok(())
                }
                None => Err(no_constraint(name)),
            },
            AlterDomain::ValidateConstraint(name) => {
                let Some((tid, row)) = constraint(name)? else { return Err(no_constraint(name)) };
                if row.validated {
                    return Ok(());
                }
                if let Some(check) = domain.checks.iter().find(|c| c.oid == row.oid) {
                    self.validate_domain_check(ty, domain, check, xid)?;
                }
                catalog.replace_constraint_row(tid, &ConstraintRow { validated: true, ..row }, xid, self.cid)
            }
            AlterDomain::RenameConstraint { from, to } => {
                let Some((tid, row)) = constraint(from)? else {
                    return Err(err!(
                        SqlState::UNDEFINED_OBJECT,
                        "constraint \"{from}\" for domain {} does not exist",
                        domain.name
                    ));
                };
                if constraint(to)?.is_some() {
                    return Err(err!(
                        SqlState::DUPLICATE_OBJECT,
                        "constraint \"{to}\" for domain {} already exists",
                        domain.name
                    ));
                }
                let row = ConstraintRow { name: to.clone(), ..row };
                catalog.replace_constraint_row(tid, &row, xid, self.cid)
            }
            AlterDomain::RenameTo(to) => {
                if self.find_type(Some(domain.namespace), to, xid)?.is_some() {
                    return Err(err!(SqlState::DUPLICATE_OBJECT, "type \"{to}\" already exists"));
                }
                let changed = Domain { name: to.clone(), ..domain.clone() };
                catalog.update_domain(&changed, xid, self.cid, &who)
            }
        }
    }

    /// Bind CHECK expression `expr` over the domain's value and record it
    /// (named `name`, or `<domain>_check` numbered until free).
    fn add_domain_check(
        &mut self,
        domain: &Domain,
        name: Option<&str>,
        expr: &str,
        not_valid: bool,
        xid: u64,
    ) -> Result<DomainCheck> {
        let bound = domains::bind_check(expr, &domain.name, domain.base, domain.typmod)?;
        let text = domains::check_text(&bound, domain.base, domain.typmod);
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let base = format!("{}_check", domain.name);
                let mut n = 0;
                loop {
                    let candidate = if n == 0 { base.clone() } else { format!("{base}{n}") };
                    if catalog
                        .constraints(&who, &|c| c.name == candidate && c.namespace == domain.namespace)?
                        .is_empty()
                    {
                        break candidate;
                    }
                    n += 1;
                }
            }
        };
        let check = DomainCheck { oid: catalog.allocate_oid()?, name, text, expr: bound, validated: !not_valid };
        catalog.add_domain_check(domain, &check, xid, self.cid)?;
        self.cid += 1;
        Ok(check)
    }

    /// Every value of a column of the domain must pass `check` (23514).
    fn validate_domain_check(&mut self, ty: &TypeRow, domain: &Domain, check: &DomainCheck, xid: u64) -> Result<()> {
        let with_check = Domain { not_null: false, checks: vec![check.clone()], ..domain.clone() };
        let mut failed = None;
        self.check_domain_columns(ty, xid, |eval, v| {
            if failed.is_none()
                && let Err(e) = with_check.check(v, eval)
            {
                failed = Some(e);
            }
            failed.as_ref().map(|_| (SqlState::CHECK_VIOLATION, "contains values that violate the new constraint"))
        })
    }

    /// Apply `test` to each value of each column of domain `ty`; the first
    /// it finds wrong is reported as `column "c" of table "t" <what>`.
    fn check_domain_columns(
        &mut self,
        ty: &TypeRow,
        xid: u64,
        mut test: impl FnMut(&mut dyn EvalContext, &crate::sql::types::Datum) -> Option<(SqlState, &'static str)>,
    ) -> Result<()> {
        let catalog = self.shared.catalog.clone();
        let snapshot = self.statement_snapshot();
        let time_zone = self.time_zone();
        let cid = self.cid;
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid };
        let columns = catalog.domain_columns(ty, &who)?;
        let mut eval: Eval<'_> = eval_context!(self, &[], time_zone);
        for (table, index) in columns {
            let mut found = None;
            catalog.scan_columns(&table, &[index], &who, &mut |values| {
                eval.check_interrupts()?;
                if found.is_none() {
                    found = test(&mut eval as &mut dyn EvalContext, &values[0]);
                }
                Ok(())
            })?;
            if let Some((code, what)) = found {
                let column = &table.columns[index].name;
                return Err(err!(code, "column \"{column}\" of table \"{}\" {what}", table.name)
                    .with_table(table.namespace, &table.name)
                    .with_column(column));
            }
        }
        Ok(())
    }
}
