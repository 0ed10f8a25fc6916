//! The catalog lookups behind the OID alias types (`regproc`,
//! `regprocedure`, `regoper`, `regoperator`, `regnamespace`, `regrole`,
//! `regcollation`, and `regtype` for types that are not built in): a name
//! to its OID ([`Catalog::reg_in`], with PostgreSQL's errors) and an OID
//! to the name as PostgreSQL prints it ([`Catalog::reg_out`]).
//!
//! Functions and operators are the bootstrap rows of `proc.rs` (they
//! never change, and all live in `pg_catalog`, which is always visible);
//! schemas, roles, collations and types are read from their catalogs as
//! `who` sees them. See also `sql/regtypes.rs`.

use super::describe::{format_type, quote_identifier};
use super::proc::{self, ProcInfo};
use super::system::{PG_AUTHID, PG_CATALOG_NAMESPACE, PG_COLLATION, PG_NAMESPACE, SystemCatalog};
use super::{Catalog, Reader, identifier_parts, text_of, u32_of};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::regtypes::{RegKind, parse_signature};
use crate::sql::types::{Datum, PgType, regtype_in};
use crate::storage::heap::tuple::deform;

/// The outcome of a name lookup: the OID, or the error that says why
/// there is none (which the `to_reg*` functions turn into NULL).
pub type RegLookup = std::result::Result<u32, Error>;

/// One `pg_operator` row's name and operand types.
struct OperatorInfo {
    oid: u32,
    name: String,
    left: u32,
    right: u32,
}

static OPERATORS: std::sync::LazyLock<Vec<OperatorInfo>> = std::sync::LazyLock::new(|| {
    let oid = |d: &Datum| match d {
        Datum::Oid(o) => *o,
        _ => 0,
    };
    proc::operator_rows()
        .iter()
        .map(|r| OperatorInfo {
            oid: oid(&r[0]),
            name: r[1].as_str().unwrap_or("").to_string(),
            left: oid(&r[7]),
            right: oid(&r[8]),
        })
        .collect()
});

fn operators() -> &'static [OperatorInfo] {
    &OPERATORS
}

/// A possibly schema-qualified name: the schema (which must be
/// `pg_catalog` for functions and operators) and the bare name.
fn qualified(text: &str) -> Result<(Option<String>, String)> {
    super::namespace::parse_qualified(text)
}

/// An operator name, which is not an identifier: `+`, `pg_catalog.+`.
fn operator_name(text: &str) -> (Option<&str>, &str) {
    match text.rsplit_once('.') {
        Some((schema, name)) if !name.is_empty() && schema.chars().all(|c| c.is_alphanumeric() || c == '_') => {
            (Some(schema), name)
        }
        _ => (None, text),
    }
}

fn no_function(text: &str) -> Error {
    err!(SqlState::UNDEFINED_FUNCTION, "function \"{text}\" does not exist")
}

fn no_operator(text: &str) -> Error {
    err!(SqlState::UNDEFINED_FUNCTION, "operator does not exist: {text}")
}

impl Catalog {
    /// The OID `text` names as a value of `kind`: digits are the OID itself,
    /// `-` (`0` for operators) is OID 0, anything else a name looked up as
    /// `who` sees the catalogs.
    pub fn reg_in(&self, kind: RegKind, text: &str, who: &Reader<'_>) -> Result<RegLookup> {
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return crate::sql::types::parse_oid(t).map(Ok);
        }
        if t == "-" && !matches!(kind, RegKind::Oper | RegKind::Operator) {
            return Ok(Ok(0));
        }
        match kind {
            RegKind::Proc => Ok(self.function_named(t)),
            RegKind::Procedure => self.function_with_arguments(t, who),
            RegKind::Oper => {
                let (schema, name) = operator_name(t);
                let found: Vec<&OperatorInfo> =
                    operators().iter().filter(|o| o.name == name && schema.is_none_or(|s| s == "pg_catalog")).collect();
                Ok(match found.as_slice() {
                    [one] => Ok(one.oid),
                    [] => Err(no_operator(t)),
                    _ => Err(err!(SqlState::AMBIGUOUS_FUNCTION, "more than one operator named {t}")),
                })
            }
            RegKind::Operator => self.operator_with_operands(t, who),
            RegKind::Namespace => {
                let parts = identifier_parts(t)?;
                let [name] = parts.as_slice() else {
                    return Err(err!(SqlState::INVALID_NAME, "invalid name syntax"));
                };
                let found = self.oid_names(&PG_NAMESPACE, None, who)?.into_iter().find(|r| &r.1 == name);
                Ok(found.map(|r| r.0).ok_or_else(|| super::namespace::no_schema(name)))
            }
            RegKind::Role => {
                let parts = identifier_parts(t)?;
                let [name] = parts.as_slice() else {
                    return Err(err!(SqlState::INVALID_NAME, "invalid name syntax"));
                };
                let found = self.oid_names(&PG_AUTHID, None, who)?.into_iter().find(|r| &r.1 == name);
                Ok(found.map(|r| r.0).ok_or_else(|| err!(SqlState::UNDEFINED_OBJECT, "role \"{name}\" does not exist")))
            }
            RegKind::Collation => {
                let (schema, name) = qualified(t)?;
                let path = self.lookup_path(schema.as_deref(), who)?;
                let rows = self.oid_names(&PG_COLLATION, Some("collnamespace"), who)?;
                let found = path.iter().find_map(|ns| rows.iter().find(|r| r.1 == name && r.2 == *ns));
                Ok(found.map(|r| r.0).ok_or_else(|| {
                    err!(SqlState::UNDEFINED_OBJECT, "collation \"{name}\" for encoding \"UTF8\" does not exist")
                }))
            }
            RegKind::Type => self.type_named(t, who),
        }
    }

    /// How a value of `kind` with OID `oid` prints: the object's name,
    /// quoted, qualified when it is not visible; the OID's digits when no
    /// object has it.
    pub fn reg_out(&self, kind: RegKind, oid: u32, who: &Reader<'_>) -> Result<String> {
        if oid == 0 {
            return Ok(kind.invalid_text().to_string());
        }
        let arguments = |types: &[u32]| types.iter().map(|t| format_type(*t, None)).collect::<Vec<_>>().join(",");
        let name = match kind {
            // Qualified when the name alone would not find it (it is overloaded).
            RegKind::Proc => proc::proc_info(oid).map(|p| {
                let name = quote_identifier(&p.name);
                if proc::procs().iter().filter(|q| q.name == p.name).count() > 1 {
                    format!("pg_catalog.{name}")
                } else {
                    name
                }
            }),
            RegKind::Procedure => {
                proc::proc_info(oid).map(|p| format!("{}({})", quote_identifier(&p.name), arguments(&p.argtypes)))
            }
            RegKind::Oper | RegKind::Operator => operators().iter().find(|o| o.oid == oid).map(|o| {
                if kind == RegKind::Oper {
                    let overloaded = operators().iter().filter(|p| p.name == o.name).count() > 1;
                    return if overloaded { format!("pg_catalog.{}", o.name) } else { o.name.clone() };
                }
                let side = |t: u32| if t == 0 { "NONE".to_string() } else { format_type(t, None) };
                format!("{}({},{})", o.name, side(o.left), side(o.right))
            }),
            RegKind::Namespace => self.namespace_name(oid, who)?.map(|n| quote_identifier(&n)),
            RegKind::Role => {
                self.oid_names(&PG_AUTHID, None, who)?.into_iter().find(|r| r.0 == oid).map(|r| quote_identifier(&r.1))
            }
            RegKind::Collation => {
                let rows = self.oid_names(&PG_COLLATION, Some("collnamespace"), who)?;
                match rows.iter().find(|r| r.0 == oid) {
                    Some((_, name, ns)) => {
                        let path = who.path.unwrap_or(&super::namespace::DEFAULT_PATH);
                        let first = path
                            .iter()
                            .chain([&PG_CATALOG_NAMESPACE])
                            .find_map(|p| rows.iter().find(|r| r.1 == *name && r.2 == *p).map(|r| r.0));
                        Some(if first == Some(oid) {
                            quote_identifier(name)
                        } else {
                            let schema = self.namespace_name(*ns, who)?.unwrap_or_default();
                            format!("{}.{}", quote_identifier(&schema), quote_identifier(name))
                        })
                    }
                    None => None,
                }
            }
            RegKind::Type => match PgType::from_oid(oid) {
                Some(t) => Some(t.sql_name().to_string()),
                None => self.user_type_info(oid, who)?.map(|i| i.shown),
            },
        };
        Ok(name.unwrap_or_else(|| oid.to_string()))
    }

    /// `(oid, name, namespace)` of each row of `catalog`, whose first two
    /// columns are its OID and name.
    fn oid_names(
        &self,
        catalog: &SystemCatalog,
        namespace: Option<&str>,
        who: &Reader<'_>,
    ) -> Result<Vec<(u32, String, u32)>> {
        let desc = catalog.desc();
        let ns = namespace.map(|c| catalog.attno(c));
        let mut out = Vec::new();
        self.scan(catalog, who, |_, t| {
            let v = deform(&desc, t);
            out.push((u32_of(v[0]), text_of(v[1]), ns.map_or(0, |n| u32_of(v[n]))));
        })?;
        Ok(out)
    }

    /// The schemas an unqualified (`None`) or qualified name is looked up in.
    fn lookup_path(&self, schema: Option<&str>, who: &Reader<'_>) -> Result<Vec<u32>> {
        Ok(match schema {
            Some(s) => vec![self.namespace_oid(s, who)?],
            None => {
                let mut path = vec![PG_CATALOG_NAMESPACE];
                path.extend(who.path.unwrap_or(&super::namespace::DEFAULT_PATH).iter().copied());
                path
            }
        })
    }

    /// `regprocin`: the one function named `text`.
    fn function_named(&self, text: &str) -> RegLookup {
        let (schema, name) = qualified(text)?;
        let found: Vec<&ProcInfo> = proc::procs()
            .iter()
            .filter(|p| p.name == name && schema.as_deref().is_none_or(|s| s == "pg_catalog"))
            .collect();
        match found.as_slice() {
            [one] => Ok(one.oid),
            [] => Err(no_function(text)),
            _ => Err(err!(SqlState::AMBIGUOUS_FUNCTION, "more than one function named \"{text}\"")),
        }
    }

    /// `regprocedurein`: the function `name(type, …)`.
    fn function_with_arguments(&self, text: &str, who: &Reader<'_>) -> Result<RegLookup> {
        let Some(sig) = parse_signature(text) else {
            return Ok(Err(err!(SqlState::INVALID_TEXT_REPRESENTATION, "expected a left parenthesis")));
        };
        let mut types = Vec::with_capacity(sig.args.len());
        for arg in &sig.args {
            match self.type_named(arg, who)? {
                Ok(t) => types.push(t),
                Err(e) => return Ok(Err(e)),
            }
        }
        let (schema, name) = match qualified(sig.name) {
            Ok(q) => q,
            Err(e) => return Ok(Err(e)),
        };
        let found = proc::procs()
            .iter()
            .find(|p| p.name == name && p.argtypes == types && schema.as_deref().is_none_or(|s| s == "pg_catalog"));
        Ok(found.map(|p| p.oid).ok_or_else(|| no_function(text)))
    }

    /// `regoperatorin`: the operator `name(left, right)`, `NONE` for a
    /// missing operand.
    fn operator_with_operands(&self, text: &str, who: &Reader<'_>) -> Result<RegLookup> {
        let Some(sig) = parse_signature(text) else {
            return Ok(Err(err!(SqlState::INVALID_TEXT_REPRESENTATION, "expected a left parenthesis")));
        };
        let [left, right] = sig.args.as_slice() else {
            return Ok(Err(err!(SqlState::TOO_MANY_ARGUMENTS, "expected two argument types")
                .with_hint("Provide two argument types for operator.")));
        };
        let operand = |t: &str| -> Result<RegLookup> {
            if t.eq_ignore_ascii_case("none") { Ok(Ok(0)) } else { self.type_named(t, who) }
        };
        let (left, right) = match (operand(left)?, operand(right)?) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
        };
        let (schema, name) = operator_name(sig.name);
        let found = operators()
            .iter()
            .find(|o| o.name == name && o.left == left && o.right == right && schema.is_none_or(|s| s == "pg_catalog"));
        Ok(found.map(|o| o.oid).ok_or_else(|| no_operator(text)))
    }

    /// `regtypein`: a built-in type by any of its names, or a type made
    /// by CREATE TYPE (`mood`, `s.mood`, `mood[]`) as `who` sees it.
    fn type_named(&self, text: &str, who: &Reader<'_>) -> Result<RegLookup> {
        if let Ok(t) = regtype_in(text) {
            return Ok(Ok(t.oid()));
        }
        let t = text.trim();
        let (base, array) = match t.strip_suffix("[]") {
            Some(b) => (b.trim_end(), true),
            None => (t, false),
        };
        if let Ok(t) = regtype_in(base)
            && array
        {
            return Ok(PgType::array_of(t).map(PgType::oid).ok_or_else(|| no_type(text)));
        }
        let (schema, name) = match qualified(base) {
            Ok(q) => q,
            Err(e) => return Ok(Err(e)),
        };
        let path = match self.lookup_path(schema.as_deref(), who) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        Ok(match self.type_on_path(&path, &name, who)? {
            Some(ty) if array => Ok(ty.array),
            Some(ty) => Ok(ty.oid),
            None => Err(no_type(text)),
        })
    }
}

fn no_type(text: &str) -> Error {
    err!(SqlState::UNDEFINED_OBJECT, "type \"{}\" does not exist", text.trim())
}
