//! Selectivity of conditions on one column from its ANALYZE statistics
//! (`catalog::analyze::ColumnStats`), as PostgreSQL's `selfuncs.c`
//! estimates them:
//!
//! - `col = value`: the value's frequency if it is a most common value;
//!   else the rows outside the MCVs and NULLs spread evenly over the
//!   other distinct values (never more than the least common MCV);
//! - `col < value` and the like: the MCVs that satisfy it, plus the
//!   share of the histogram below (or above) the value, interpolated
//!   linearly inside its bucket, scaled to the rows outside the MCVs;
//! - a range (`a >= x AND a <= y`, BETWEEN): `P(a <= y) + P(a >= x) - 1`
//!   (see `cost::selectivity`).
//!
//! Interpolation converts values to numbers: numbers and date/time
//! values as themselves, strings by their first bytes after the prefix
//! the bucket's bounds share (PostgreSQL's `convert_to_scalar` idea).

use std::cmp::Ordering;

use super::expr::{CmpOp, Expr, compare};
use super::types::{Datum, PgType};
use crate::catalog::analyze::ColumnStats;

/// The constant a comparison's other side is, if known at plan time.
pub fn constant(e: &Expr, column_type: PgType) -> Option<Datum> {
    let d = match e {
        Expr::Const(d, _) => d.clone(),
        Expr::Cast(inner, ty, typmod) => {
            let v = constant(inner, inner.ty())?;
            super::expr::cast(v, inner.ty(), *ty, *typmod, 0).ok()?
        }
        // Arithmetic on numbers known at plan time (`$1 + 99` of a
        // custom plan), folded as PostgreSQL folds it before estimating.
        Expr::Arith(op, a, b, ty) if [a.ty(), b.ty(), *ty].iter().all(|t| numeric(*t)) => {
            let (x, y) = (constant(a, a.ty())?, constant(b, b.ty())?);
            super::expr::arith(*op, &x, &y, *ty).ok()?
        }
        _ => return None,
    };
    if d.is_null() {
        return None;
    }
    // Comparable with the column's values as the executor compares them.
    let e_ty = e.ty();
    (e_ty == column_type || (numeric(e_ty) && numeric(column_type)) || (e_ty.is_string() && column_type.is_string()))
        .then_some(d)
}

/// A number of any kind: integer, float or numeric.
fn numeric(t: PgType) -> bool {
    t.is_numeric() || t.is_integer() || t.is_float()
}

/// The share of rows with `col = value` (`value` unknown: `None`), the
/// column having about `distinct` distinct values.
pub fn eq_sel(stats: &ColumnStats, value: Option<&Datum>, distinct: f64) -> f64 {
    let Some(v) = value else {
        // Any value (a parameter of a generic plan): an even share of the
        // non-null rows, but no more than the most common value has.
        let mut sel = 1.0 - stats.null_frac as f64;
        if distinct > 1.0 {
            sel /= distinct;
        }
        if let Some((_, most)) = stats.mcv.first() {
            sel = sel.min(*most as f64);
        }
        return sel.clamp(0.0, 1.0);
    };
    if let Some((_, f)) = stats.mcv.iter().find(|(m, _)| compare(m, v) == Ordering::Equal) {
        return *f as f64;
    }
    let common = stats.mcv_total();
    let mut sel = (1.0 - common - stats.null_frac as f64).clamp(0.0, 1.0);
    let others = distinct - stats.mcv.len() as f64;
    if others > 1.0 {
        sel /= others;
    }
    if let Some((_, least)) = stats.mcv.last() {
        sel = sel.min(*least as f64);
    }
    sel
}

/// The share of rows with `col op value` for `<`, `<=`, `>`, `>=`; `None`
/// when the statistics say nothing about it (no MCVs, no histogram).
pub fn ineq_sel(stats: &ColumnStats, op: CmpOp, value: &Datum) -> Option<f64> {
    let holds = |m: &Datum| {
        let o = compare(m, value);
        match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::LtEq => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::GtEq => o != Ordering::Less,
            _ => false,
        }
    };
    if stats.mcv.is_empty() && stats.histogram.len() < 2 {
        return None;
    }
    let mcv_sel: f64 = stats.mcv.iter().filter(|(m, _)| holds(m)).map(|(_, f)| *f as f64).sum();
    let rest = (1.0 - stats.null_frac as f64 - stats.mcv_total()).max(0.0);
    let below = histogram_below(&stats.histogram, value);
    let hist_sel = match (below, op) {
        (Some(b), CmpOp::Lt | CmpOp::LtEq) => b,
        (Some(b), _) => 1.0 - b,
        // No histogram: half of the values outside the MCVs, arbitrarily.
        (None, _) => 0.5,
    };
    Some((mcv_sel + rest * hist_sel).clamp(0.0, 1.0))
}

/// The share of the histogram's values below `value`.
fn histogram_below(bounds: &[Datum], value: &Datum) -> Option<f64> {
    let n = bounds.len();
    if n < 2 {
        return None;
    }
    if compare(value, &bounds[0]) != Ordering::Greater {
        return Some(0.0);
    }
    if compare(value, &bounds[n - 1]) != Ordering::Less {
        return Some(1.0);
    }
    // The bucket [bounds[i], bounds[i + 1]) holding the value.
    let i = bounds.partition_point(|b| compare(b, value) != Ordering::Greater) - 1;
    let frac = interpolate(&bounds[i], &bounds[i + 1], value).unwrap_or(0.5).clamp(0.0, 1.0);
    Some((i as f64 + frac) / (n - 1) as f64)
}

/// Where `value` lies between `lo` and `hi`, from 0 to 1, if the values
/// convert to numbers.
fn interpolate(lo: &Datum, hi: &Datum, value: &Datum) -> Option<f64> {
    let (l, h, v) = match (lo, hi, value) {
        (Datum::Text(l) | Datum::Bpchar(l), Datum::Text(h) | Datum::Bpchar(h), Datum::Text(v) | Datum::Bpchar(v)) => {
            let prefix = l.bytes().zip(h.bytes()).take_while(|(a, b)| a == b).count();
            let scalar = |s: &str| {
                s.as_bytes()
                    .iter()
                    .skip(prefix)
                    .take(8)
                    .enumerate()
                    .map(|(k, &b)| b as f64 / 256f64.powi(k as i32 + 1))
                    .sum::<f64>()
            };
            (scalar(l), scalar(h), scalar(v))
        }
        _ => (scalar(lo)?, scalar(hi)?, scalar(value)?),
    };
    (h > l).then(|| (v - l) / (h - l))
}

/// A value as a number, for interpolation.
fn scalar(d: &Datum) -> Option<f64> {
    match d {
        Datum::Date(v) => Some(*v as f64),
        Datum::Time(v) | Datum::Timestamp(v) | Datum::TimestampTz(v) => Some(*v as f64),
        Datum::TimeTz { micros, offset_secs } => Some(super::datetime::timetz_utc(*micros, *offset_secs) as f64),
        Datum::Numeric(s) => s.parse().ok(),
        Datum::Bool(b) => Some(*b as i32 as f64),
        Datum::PgLsn(v) | Datum::Xid8(v) => Some(*v as f64),
        other => other.as_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(mcv: &[(i32, f32)], histogram: &[i32]) -> ColumnStats {
        ColumnStats {
            null_frac: 0.0,
            width: 4,
            distinct: -1.0,
            mcv: mcv.iter().map(|&(v, f)| (Datum::Int4(v), f)).collect(),
            histogram: histogram.iter().map(|&v| Datum::Int4(v)).collect(),
            correlation: None,
        }
    }

    #[test]
    fn equality_uses_the_most_common_values() {
        let s = ColumnStats { distinct: 12.0, ..stats(&[(1, 0.5), (2, 0.3)], &[]) };
        assert_eq!(eq_sel(&s, Some(&Datum::Int4(1)), 12.0), 0.5f32 as f64);
        // 20 % of the rows over the 10 other values.
        let other = eq_sel(&s, Some(&Datum::Int4(7)), 12.0);
        assert!((other - 0.02).abs() < 1e-6, "{other}");
        // An unknown value: one of 12, whichever it is.
        let any = eq_sel(&s, None, 12.0);
        assert!((any - 1.0 / 12.0).abs() < 1e-6, "{any}");
        // A column of one value: every row, not the share of values
        // outside the most common ones (none).
        let one = ColumnStats { distinct: 1.0, ..stats(&[(1, 1.0)], &[]) };
        assert_eq!(eq_sel(&one, None, 1.0), 1.0);
    }

    #[test]
    fn ranges_interpolate_in_the_histogram() {
        let s = stats(&[], &[0, 100, 200, 300, 400]);
        let lt = ineq_sel(&s, CmpOp::Lt, &Datum::Int4(150)).unwrap();
        assert!((lt - 0.375).abs() < 1e-9, "{lt}");
        assert_eq!(ineq_sel(&s, CmpOp::Gt, &Datum::Int4(-5)), Some(1.0));
        assert_eq!(ineq_sel(&s, CmpOp::Gt, &Datum::Int4(500)), Some(0.0));
        // MCVs and histogram together.
        let s = stats(&[(1000, 0.5)], &[0, 100]);
        let gt = ineq_sel(&s, CmpOp::Gt, &Datum::Int4(50)).unwrap();
        assert!((gt - 0.75).abs() < 1e-6, "{gt}");
    }

    #[test]
    fn strings_interpolate_by_their_leading_bytes() {
        let t = |s: &str| Datum::Text(s.to_string());
        let f = interpolate(&t("aa"), &t("ac"), &t("ab")).unwrap();
        assert!((f - 0.5).abs() < 0.01, "{f}");
    }
}
