//! Binding the pg_lsn arithmetic operators: `pg_lsn - pg_lsn` (numeric),
//! `pg_lsn + numeric`, `numeric + pg_lsn` and `pg_lsn - numeric` (pg_lsn),
//! as PostgreSQL's `pg_lsn_mi`, `pg_lsn_pli`, `numeric_pl_pg_lsn` and
//! `pg_lsn_mii` resolve. They compute in [`crate::sql::lsn`].

use sqlparser::ast;

use super::Binder;
use crate::error::Result;
use crate::sql::expr::{ArithOp, Expr};
use crate::sql::func::Func;
use crate::sql::lsn::LsnFunc;
use crate::sql::types::PgType;

/// A byte count an LSN moves by: numeric, or a type that casts to it implicitly.
fn is_byte_count(t: PgType) -> bool {
    t.is_integer() || matches!(t, PgType::Numeric | PgType::Unknown)
}

impl Binder<'_> {
    /// The operator, one operand being a pg_lsn.
    pub(super) fn bind_lsn_arith(
        &mut self,
        op: ArithOp,
        l: Expr,
        r: Expr,
        (left, right): (&ast::Expr, &ast::Expr),
        node: &ast::Expr,
    ) -> Result<Expr> {
        let (lt, rt) = (l.ty(), r.ty());
        let lsn = PgType::PgLsn;
        let (f, a, b) = match op {
            // An unknown right operand is taken as the left one's type.
            ArithOp::Sub if lt == lsn && matches!(rt, PgType::PgLsn | PgType::Unknown) => {
                let r = self.coerce(r, lsn, right)?;
                return Ok(Expr::Call(Func::Lsn(LsnFunc::Diff), vec![l, r], PgType::Numeric));
            }
            ArithOp::Sub if lt == lsn && is_byte_count(rt) => (LsnFunc::Sub, (l, left), (r, right)),
            ArithOp::Add if lt == lsn && is_byte_count(rt) => (LsnFunc::Add, (l, left), (r, right)),
            ArithOp::Add if rt == lsn && is_byte_count(lt) => (LsnFunc::Add, (r, right), (l, left)),
            _ => return Err(self.no_operator(op.symbol(), lt, rt, node)),
        };
        let a = self.coerce(a.0, lsn, a.1)?;
        let b = self.coerce(b.0, PgType::Numeric, b.1)?;
        Ok(Expr::Call(Func::Lsn(f), vec![a, b], lsn))
    }
}
