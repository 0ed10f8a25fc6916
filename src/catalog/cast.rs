//! `pg_cast`: the casts between the built-in types, and in which context
//! each applies.
//!
//! Written at bootstrap and never changed (there is no `CREATE CAST`).
//! The rows are PostgreSQL 15's own (`bootstrap/pg_cast.tsv`), kept where
//! the catalog tells the truth about tusk:
//!
//! - both types are ones tusk has;
//! - the cast function, if the row names one, is in `pg_proc` (see
//!   [`super::proc`]; the length coercions `bpchar(bpchar, int4, bool)` …
//!   are not, so their rows are left out);
//! - tusk performs the cast in the row's context ([`coercion::allowed`],
//!   the rule the binder follows; checked against the binder itself by its
//!   tests).
//!
//! A cast tusk performs by I/O conversion has no row, as in PostgreSQL.

use std::sync::LazyLock;

use super::system::SystemCatalog;
use crate::sql::coercion::{self, CastContext};
use crate::sql::types::{Datum, PgType};

use PgType::{Char, Oid};

pub const PG_CAST: SystemCatalog = SystemCatalog {
    oid: 2605,
    name: "pg_cast",
    columns: &[
        ("oid", Oid),
        ("castsource", Oid),
        ("casttarget", Oid),
        ("castfunc", Oid),
        ("castcontext", Char),
        ("castmethod", Char),
    ],
};

/// One `pg_cast` row's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CastInfo {
    pub oid: u32,
    pub source: u32,
    pub target: u32,
    pub func: u32,
    pub context: CastContext,
}

impl CastInfo {
    fn of(row: &[Datum]) -> Option<CastInfo> {
        let oid = |i: usize| match row[i] {
            Datum::Oid(o) => Some(o),
            _ => None,
        };
        Some(CastInfo {
            oid: oid(0)?,
            source: oid(1)?,
            target: oid(2)?,
            func: oid(3)?,
            context: CastContext::from_code(row[4].as_str()?)?,
        })
    }

    /// The source and target types, when tusk has both.
    pub fn types(&self) -> Option<(PgType, PgType)> {
        let known = |oid: u32| PgType::from_oid(oid).filter(|t| !matches!(t, PgType::TextForm(_)));
        Some((known(self.source)?, known(self.target)?))
    }

    /// Whether tusk performs this cast (see the module doc).
    fn performed(&self) -> bool {
        self.types().is_some_and(|(from, to)| {
            (self.func == 0 || super::proc::proc_info(self.func).is_some()) && coercion::allowed(from, to, self.context)
        })
    }
}

/// The `pg_cast` rows of the casts tusk performs, in OID order.
static CAST_ROWS: LazyLock<Vec<Vec<Datum>>> = LazyLock::new(|| {
    super::proc::parse_rows(include_str!("bootstrap/pg_cast.tsv"), &PG_CAST)
        .into_iter()
        .filter(|row| CastInfo::of(row).is_some_and(|c| c.performed()))
        .collect()
});

/// The rows bootstrap writes to `pg_cast`.
pub fn cast_rows() -> Vec<Vec<Datum>> {
    CAST_ROWS.clone()
}

/// The casts `pg_cast` lists.
pub fn casts() -> Vec<CastInfo> {
    CAST_ROWS.iter().filter_map(|r| CastInfo::of(r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_postgres_casts_tusk_performs() {
        let casts = casts();
        let find = |source: u32, target: u32| casts.iter().find(|c| c.source == source && c.target == target);
        // int8(int4), implicit.
        assert_eq!(find(23, 20).map(|c| (c.oid, c.func, c.context)), Some((10010, 481, CastContext::Implicit)));
        // text(boolean), in assignment.
        assert_eq!(find(16, 25).map(|c| (c.func, c.context)), Some((2971, CastContext::Assignment)));
        // int4 -> oid, binary coercible.
        assert_eq!(find(23, 26).map(|c| c.func), Some(0));
        assert!(find(20, 790).is_none(), "money is no tusk type");
        assert!(find(1042, 1042).is_none(), "the length coercion bpchar(bpchar, int4, bool) is not in pg_proc");
        for c in &casts {
            assert!(c.func == 0 || super::super::proc::proc_info(c.func).is_some(), "{c:?}");
        }
    }
}
