//! The OID alias types beyond `regclass`: `regproc`, `regprocedure`,
//! `regoper`, `regoperator`, `regnamespace`, `regrole`, `regcollation`
//! (and `regtype` when a name is not a built-in type).
//!
//! A value is an OID that reads and prints as the name of a catalog
//! object. Like `regclass`, tusk holds it in its output form (the name as
//! PostgreSQL prints it: quoted by `quote_ident`'s rules, qualified when
//! the object is not visible through the search path, the OID's digits
//! when no object has it, `-` for OID 0), and goes through the catalog
//! when a value is cast from or to `oid`, an integer or text:
//!
//! ```text
//!  'abs(int)'::regprocedure ──reg_in──▶ 1397 ──reg_out──▶ "abs(integer)"
//!  "abs(integer)"::oid      ──reg_in──▶ 1397
//! ```
//!
//! Name lookups ([`EvalContext::reg_in`](super::expr::EvalContext::reg_in))
//! fail with PostgreSQL's errors; the `to_reg*` functions turn those
//! failures into NULL. The lookups themselves live in
//! `catalog::regtypes`.

use super::types::PgType;

/// Which catalog an OID alias type names objects of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegKind {
    /// `regproc`: a function by name alone.
    Proc,
    /// `regprocedure`: a function with its argument types.
    Procedure,
    /// `regoper`: an operator by name alone.
    Oper,
    /// `regoperator`: an operator with its operand types.
    Operator,
    Namespace,
    Role,
    Collation,
    /// `regtype` ([`PgType::RegType`]): only its catalog lookups are here.
    Type,
}

impl RegKind {
    /// The kinds that are [`PgType::Reg`] types (all but `regtype`).
    pub const TYPES: [RegKind; 7] = [
        RegKind::Proc,
        RegKind::Procedure,
        RegKind::Oper,
        RegKind::Operator,
        RegKind::Namespace,
        RegKind::Role,
        RegKind::Collation,
    ];

    /// The type's OID (PostgreSQL's).
    pub fn oid(self) -> u32 {
        match self {
            RegKind::Proc => 24,
            RegKind::Procedure => 2202,
            RegKind::Oper => 2203,
            RegKind::Operator => 2204,
            RegKind::Namespace => 4089,
            RegKind::Role => 4096,
            RegKind::Collation => 4191,
            RegKind::Type => 2206,
        }
    }

    /// The type's name (`typname`, which is also how `format_type` prints it).
    pub fn name(self) -> &'static str {
        match self {
            RegKind::Proc => "regproc",
            RegKind::Procedure => "regprocedure",
            RegKind::Oper => "regoper",
            RegKind::Operator => "regoperator",
            RegKind::Namespace => "regnamespace",
            RegKind::Role => "regrole",
            RegKind::Collation => "regcollation",
            RegKind::Type => "regtype",
        }
    }

    /// The `PgType::Reg` type named `name`.
    pub fn by_name(name: &str) -> Option<RegKind> {
        RegKind::TYPES.into_iter().find(|k| k.name() == name)
    }

    /// The kind of a type that is an OID alias looked up here.
    pub fn of(ty: PgType) -> Option<RegKind> {
        match ty {
            PgType::Reg(k) => Some(k),
            PgType::RegType => Some(RegKind::Type),
            _ => None,
        }
    }

    /// The type of this kind.
    pub fn ty(self) -> PgType {
        match self {
            RegKind::Type => PgType::RegType,
            k => PgType::Reg(k),
        }
    }

    /// How OID 0 prints: `-`, but `0` for operators (whose names may be `-`).
    pub fn invalid_text(self) -> &'static str {
        if matches!(self, RegKind::Oper | RegKind::Operator) { "0" } else { "-" }
    }

    /// The `to_reg*` function of this kind, by its name.
    pub fn by_function(name: &str) -> Option<RegKind> {
        let kind = name.strip_prefix("to_")?;
        if kind == "regtype" {
            return Some(RegKind::Type);
        }
        RegKind::by_name(kind)
    }
}

/// A function or operator name with its argument types, as
/// `regprocedure` and `regoperator` read it: `abs(int)`,
/// `pg_catalog.+(int4, int4)`, `-(NONE, integer)`.
pub struct Signature<'a> {
    pub name: &'a str,
    pub args: Vec<&'a str>,
}

/// Split `name(type, …)`; `None` when the text has no parenthesized list.
pub fn parse_signature(text: &str) -> Option<Signature<'_>> {
    let t = text.trim();
    let open = t.find('(')?;
    let inner = t[open + 1..].strip_suffix(')')?;
    let mut args = Vec::new();
    // Commas inside a type's own parentheses (`numeric(10,2)`) do not split.
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                args.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner.trim().is_empty() {
        args.push(inner[start..].trim());
    }
    Some(Signature { name: t[..open].trim(), args })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_split_at_top_level_commas() {
        let s = parse_signature("abs(int)").unwrap();
        assert_eq!((s.name, s.args), ("abs", vec!["int"]));
        let s = parse_signature(" round ( numeric(10,2) , int ) ").unwrap();
        assert_eq!((s.name, s.args), ("round", vec!["numeric(10,2)", "int"]));
        let s = parse_signature("now()").unwrap();
        assert!(s.args.is_empty());
        assert!(parse_signature("abs").is_none());
    }

    #[test]
    fn kinds_round_trip_through_names() {
        for k in RegKind::TYPES {
            assert_eq!(RegKind::by_name(k.name()), Some(k));
            assert_eq!(RegKind::of(k.ty()), Some(k));
        }
        assert_eq!(RegKind::by_function("to_regnamespace"), Some(RegKind::Namespace));
        assert_eq!(RegKind::by_function("to_regtype"), Some(RegKind::Type));
    }
}
