//! Domains in the catalog: a `pg_type` row of `typtype` `'d'` naming its
//! base type (`typbasetype`, `typtypmod`), whether it allows NULL
//! (`typnotnull`) and its default (`typdefault`, SQL text), an array type
//! `_name` beside it, and a `pg_constraint` row per CHECK constraint
//! (`contypid`, the expression over `VALUE` in `conbin`). All are written
//! by the DDL's transaction, like any other catalog change.
//!
//! Values of a domain are values of its base type: columns store the
//! base type, and clients are sent the base type's OID. What a domain adds
//! is checked wherever a value becomes one of it: a cast (`'x'::d`, see
//! [`crate::sql::expr::Expr::Domain`]) and a row written to a table with a
//! column of the domain (`crate::sql::exec::check_constraints`).
//! The array type's OID is always the domain's OID plus one.

use std::sync::Arc;

use super::enums::TypeRow;
use super::system::{ConstraintRow, PG_TYPE, SUPERUSER};
use super::{Catalog, Column, Reader, i32_of, text_of, u32_of};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::{EvalContext, Expr};
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::deform;

/// A domain, with its CHECK constraints bound over `VALUE`.
#[derive(Clone, Debug)]
pub struct Domain {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    pub base: PgType,
    /// `typtypmod`: as `atttypmod` (a string type's length plus 4), or -1.
    pub typmod: i32,
    pub not_null: bool,
    /// `typdefault`: the default as SQL text.
    pub default: Option<String>,
    /// Its CHECK constraints, in name order (the order they are checked in).
    pub checks: Vec<DomainCheck>,
    /// Where its `pg_type` row is.
    pub tid: Tid,
}

/// One CHECK constraint of a domain.
#[derive(Clone, Debug)]
pub struct DomainCheck {
    pub oid: u32,
    pub name: String,
    /// The stored text, over `VALUE` (`conbin`).
    pub text: String,
    /// Bound over one column, the value checked.
    pub expr: Expr,
    pub validated: bool,
}

impl PartialEq for Domain {
    fn eq(&self, other: &Domain) -> bool {
        let checks = |d: &Domain| d.checks.iter().map(|c| (c.oid, c.text.clone(), c.validated)).collect::<Vec<_>>();
        (self.oid, &self.name, self.not_null, &self.default) == (other.oid, &other.name, other.not_null, &other.default)
            && checks(self) == checks(other)
    }
}

/// The name a CHECK expression of a domain reads its value by. It is
/// bound as a column of this name; written unquoted, `VALUE` folds to it.
pub const VALUE_COLUMN: &str = "value";

impl Domain {
    /// The one column a CHECK expression of the domain is bound over.
    pub fn value_column(&self) -> Column {
        value_column(self.base, self.typmod)
    }

    /// The length or precision a cast to the domain applies (`typmod`
    /// without the 4 a string type's carries).
    pub fn length(&self) -> Option<u32> {
        if self.typmod < 0 {
            None
        } else if self.base.is_string() {
            Some((self.typmod - 4).max(0) as u32)
        } else {
            Some(self.typmod as u32)
        }
    }

    /// Error 23502 or 23514 unless `value` may be a value of the domain.
    pub fn check(&self, value: &Datum, eval: &mut dyn EvalContext) -> Result<()> {
        if value.is_null() {
            if self.not_null {
                return Err(err!(SqlState::NOT_NULL_VIOLATION, "domain {} does not allow null values", self.name)
                    .with_datatype(self.namespace, &self.name));
            }
            return Ok(());
        }
        if self.checks.is_empty() {
            return Ok(());
        }
        let row = std::slice::from_ref(value);
        let mut over = crate::sql::exec::RowOver { inner: eval, row };
        for c in &self.checks {
            if matches!(crate::sql::expr::eval(&c.expr, &mut over)?, Datum::Bool(false)) {
                return Err(violation(self, &c.name));
            }
        }
        Ok(())
    }
}

/// `value for domain d violates check constraint "c"` (23514).
pub fn violation(domain: &Domain, constraint: &str) -> Error {
    err!(SqlState::CHECK_VIOLATION, "value for domain {} violates check constraint \"{constraint}\"", domain.name)
        .with_datatype(domain.namespace, &domain.name)
        .with_constraint(constraint)
}

/// The column a domain's CHECK expression reads, for a domain over `base`.
pub fn value_column(base: PgType, typmod: i32) -> Column {
    Column::new(VALUE_COLUMN, base, typmod, false)
}

/// Bind a domain's CHECK expression (as stored) over its value.
pub fn bind_check(text: &str, domain: &str, base: PgType, typmod: i32) -> Result<Expr> {
    crate::sql::binder::bind_check_expression(text, domain, &[value_column(base, typmod)])
}

/// The stored text of a bound domain CHECK expression: `VALUE` where it
/// reads the value, as PostgreSQL prints it.
pub fn check_text(expr: &Expr, base: PgType, typmod: i32) -> String {
    let mut column = value_column(base, typmod);
    column.name = "VALUE".into();
    crate::sql::binder::predicate_text(expr, &[column])
}

/// What a new domain is made of.
pub struct NewDomain<'a> {
    pub name: &'a str,
    pub namespace: u32,
    pub base: PgType,
    pub typmod: i32,
    pub not_null: bool,
    pub default: Option<String>,
}

/// The `pg_type` row of a domain (`array_of` `None`) or of its array type.
fn domain_type_row(oid: u32, new: &NewDomain<'_>, array_of: Option<u32>) -> Result<Vec<Datum>> {
    let at = |c: &str| PG_TYPE.attno(c);
    let text = |s: &str| Datum::Text(s.to_string());
    let base_oid = new.base.oid();
    let base_row = super::bootstrap::builtin_type_row(base_oid)
        .ok_or_else(|| Error::not_supported(format!("domains over type {}", new.base.sql_name())))?;
    let mut row = base_row.clone();
    row[at("oid")] = Datum::Oid(oid);
    row[at("typnamespace")] = Datum::Oid(new.namespace);
    row[at("typowner")] = Datum::Oid(SUPERUSER);
    row[at("typispreferred")] = Datum::Bool(false);
    row[at("typrelid")] = Datum::Oid(0);
    row[at("typdefaultbin")] = Datum::Null;
    row[at("typacl")] = Datum::Null;
    match array_of {
        None => {
            row[at("typname")] = text(new.name);
            row[at("typtype")] = text("d");
            row[at("typarray")] = Datum::Oid(oid + 1);
            row[at("typinput")] = text("domain_in");
            row[at("typreceive")] = text("domain_recv");
            row[at("typmodin")] = text("-");
            row[at("typmodout")] = text("-");
            row[at("typnotnull")] = Datum::Bool(new.not_null);
            row[at("typbasetype")] = Datum::Oid(base_oid);
            row[at("typtypmod")] = Datum::Int4(new.typmod);
            row[at("typndims")] = Datum::Int4(0);
            row[at("typdefault")] = new.default.as_deref().map_or(Datum::Null, text);
        }
        Some(elem) => {
            let array_name = format!("_{}", new.name);
            row[at("typname")] = text(crate::sql::types::name_truncated(&array_name));
            super::enums::array_type_fields(&mut row, elem);
            row[at("typmodin")] = text("-");
            row[at("typmodout")] = text("-");
            row[at("typalign")] = text(if base_row[at("typalign")].as_str() == Some("d") { "d" } else { "i" });
            row[at("typnotnull")] = Datum::Bool(false);
            row[at("typbasetype")] = Datum::Oid(0);
            row[at("typtypmod")] = Datum::Int4(-1);
            row[at("typndims")] = Datum::Int4(0);
            row[at("typdefault")] = Datum::Null;
        }
    }
    Ok(row)
}

impl Catalog {
    /// CREATE DOMAIN: the domain's `pg_type` row and its array type's
    /// (no constraints yet); the domain's OID.
    pub fn create_domain(&self, new: &NewDomain<'_>, xid: u64, cid: u32) -> Result<u32> {
        let oid = self.allocate_type_oids()?;
        self.insert_catalog_row(&PG_TYPE, &domain_type_row(oid, new, None)?, xid, cid)?;
        self.insert_catalog_row(&PG_TYPE, &domain_type_row(oid + 1, new, Some(oid))?, xid, cid)?;
        Ok(oid)
    }

    /// A new version of domain `domain`'s `pg_type` row: renamed, NOT
    /// NULL or not, with another default.
    pub fn update_domain(&self, domain: &Domain, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let new = NewDomain {
            name: &domain.name,
            namespace: domain.namespace,
            base: domain.base,
            typmod: domain.typmod,
            not_null: domain.not_null,
            default: domain.default.clone(),
        };
        self.replace_catalog_row(&PG_TYPE, domain.tid, &domain_type_row(domain.oid, &new, None)?, xid, cid)?;
        if let Some(array) = self.type_by_oid(domain.oid + 1, who)? {
            self.replace_catalog_row(
                &PG_TYPE,
                array.tid,
                &domain_type_row(domain.oid + 1, &new, Some(domain.oid))?,
                xid,
                cid,
            )?;
        }
        Ok(())
    }

    /// Record CHECK constraint `check` (its OID allocated) of `domain`.
    pub fn add_domain_check(&self, domain: &Domain, check: &DomainCheck, xid: u64, cid: u32) -> Result<()> {
        let row = ConstraintRow {
            oid: check.oid,
            name: check.name.clone(),
            namespace: domain.namespace,
            kind: b'c',
            typid: domain.oid,
            check: Some(check.text.clone()),
            validated: check.validated,
            // A domain's constraints are inherited by domains over it.
            no_inherit: false,
            ..Default::default()
        };
        self.add_constraint_row(&row, xid, cid)
    }

    /// The domain whose OID is `oid`, if `oid` is a domain's.
    pub fn domain(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Arc<Domain>>> {
        let desc = PG_TYPE.desc();
        let at = |c: &str| PG_TYPE.attno(c);
        let mut found = None;
        self.scan(&PG_TYPE, who, |tid, t| {
            let v = deform(&desc, t);
            if u32_of(v[at("oid")]) == oid && v[at("typtype")] == Some(b"d") {
                found = Some((
                    tid,
                    text_of(v[at("typname")]),
                    u32_of(v[at("typnamespace")]),
                    u32_of(v[at("typbasetype")]),
                    i32_of(v[at("typtypmod")]),
                    v[at("typnotnull")] == Some(&[1]),
                    v[at("typdefault")].map(|b| text_of(Some(b))),
                ));
            }
        })?;
        let Some((tid, name, namespace, base, typmod, not_null, default)) = found else { return Ok(None) };
        let base = PgType::from_oid(base)
            .ok_or_else(|| err!(SqlState::DATA_CORRUPTED, "domain \"{name}\" has unknown base type OID {base}"))?;
        let mut checks = Vec::new();
        for (_, c) in self.constraints(who, &|c| c.typid == oid && c.kind == b'c')? {
            let text = c.check.unwrap_or_default();
            let expr = bind_check(&text, &name, base, typmod)?;
            checks.push(DomainCheck { oid: c.oid, name: c.name, text, expr, validated: c.validated });
        }
        checks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(Arc::new(Domain { oid, name, namespace, base, typmod, not_null, default, checks, tid })))
    }

    /// DROP DOMAIN: the domain's rows, its array type's and its constraints'.
    pub fn drop_domain(&self, domain: &Domain, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let mut types = vec![domain.tid];
        if let Some(array) = self.type_by_oid(domain.oid + 1, who)? {
            types.push(array.tid);
        }
        self.delete_catalog_rows(&PG_TYPE, &types, xid, cid)?;
        let rows = self.constraints(who, &|c| c.typid == domain.oid)?;
        self.delete_constraint_rows(&rows.iter().map(|r| r.0).collect::<Vec<_>>(), xid, cid)
    }

    /// The columns of live tables whose type is domain `domain`, with the
    /// tables: what ALTER DOMAIN … ADD CONSTRAINT and SET NOT NULL check.
    pub fn domain_columns(&self, domain: &TypeRow, who: &Reader<'_>) -> Result<Vec<(super::Table, usize)>> {
        let mut out = Vec::new();
        for (rel, column) in self.columns_of_type(domain.oid, 0, who)? {
            let Some(table) = self.lookup_oid(rel, who)? else { continue };
            if table.view.is_some() {
                continue;
            }
            if let Some(i) = table.columns.iter().position(|c| !c.dropped && c.name == column) {
                out.push((table, i));
            }
        }
        Ok(out)
    }

    /// The `pg_constraint` row of domain `typid` named `name`, with its address.
    pub fn domain_constraint(&self, typid: u32, name: &str, who: &Reader<'_>) -> Result<Option<(Tid, ConstraintRow)>> {
        Ok(self.constraints(who, &|c| c.typid == typid && c.name == name)?.into_iter().next())
    }
}
