//! Ordered-set and hypothetical-set aggregates: the final step.
//!
//! The `Aggregate` operator collects each group's `WITHIN GROUP (ORDER
//! BY …)` values (NULLs dropped, except for the hypothetical-set ones,
//! which rank them), and here sorts them by the call's ORDER BY and reads
//! off the result, as PostgreSQL's `orderedsetaggs.c` does:
//!
//! - `percentile_cont(p)`: with n values, the value at position p·(n-1),
//!   interpolated linearly between its two neighbours (float8, interval);
//! - `percentile_disc(p)`: the value at position ⌈p·n⌉ (counting from 1,
//!   the first for p = 0);
//! - `mode()`: the most frequent value, the first in sort order on ties;
//! - `rank`, `dense_rank`, `percent_rank`, `cume_dist` of the direct
//!   arguments: where that hypothetical row would fall among the rows.

use std::cmp::Ordering;

use super::{sort_by_order_keys, sort_cmp};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::array::ArrayValue;
use crate::sql::plan::{AggCall, AggFunc, HypotheticalRank};
use crate::sql::types::{Datum, PgType};

/// One group's collected ORDER BY values (the second field is unused).
type Items = Vec<(Vec<Datum>, Datum)>;

/// The result of ordered-set aggregate `call` over `items`; `direct`:
/// its direct arguments' values.
pub(super) fn finish(mut items: Items, call: &AggCall, direct: &[Datum]) -> Result<Datum> {
    if let AggFunc::Hypothetical(kind) = call.func {
        return Ok(hypothetical(&items, call, direct, kind));
    }
    let arg = direct.first().unwrap_or(&Datum::Null);
    let array = matches!(call.func, AggFunc::PercentileCont { array: true } | AggFunc::PercentileDisc { array: true });
    // A single fraction is checked before anything else; an array's only
    // when there are rows.
    if !array && call.func != AggFunc::Mode {
        if arg.is_null() {
            return Ok(Datum::Null);
        }
        fraction(arg)?;
    }
    if items.is_empty() || arg.is_null() && call.func != AggFunc::Mode {
        return Ok(Datum::Null);
    }
    sort_by_order_keys(&mut items, call, |item| &item.0);
    let values: Vec<&Datum> = items.iter().map(|(keys, _)| &keys[0]).collect();
    if call.func == AggFunc::Mode {
        return Ok(mode(&values));
    }
    let at = |p: f64| -> Result<Datum> {
        if matches!(call.func, AggFunc::PercentileCont { .. }) {
            continuous(&values, p)
        } else {
            Ok(discrete(&values, p))
        }
    };
    let Datum::Array(fractions) = arg else { return at(fraction(arg)?) };
    let mut out = Vec::with_capacity(fractions.items.len());
    for f in &fractions.items {
        out.push(if f.is_null() { Datum::Null } else { at(fraction(f)?)? });
    }
    let elem = call.ty.elem().unwrap_or(PgType::Float8);
    Ok(ArrayValue { elem, lower: fractions.lower, items: out }.into_datum())
}

/// A percentile's fraction, checked to lie in [0, 1].
fn fraction(d: &Datum) -> Result<f64> {
    let p = d.as_f64().unwrap_or(f64::NAN);
    if !(0.0..=1.0).contains(&p) {
        return Err(err!(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "percentile value {} is not between 0 and 1",
            d.to_text()
        ));
    }
    Ok(p)
}

/// percentile_cont over sorted non-NULL `values`.
fn continuous(values: &[&Datum], p: f64) -> Result<Datum> {
    let pos = p * (values.len() - 1) as f64;
    let (first, second) = (pos.floor() as usize, pos.ceil() as usize);
    let (lo, hi) = (values[first], values[second.min(values.len() - 1)]);
    if first == second {
        return Ok(lo.clone());
    }
    let part = pos - first as f64;
    Ok(match (lo, hi) {
        (Datum::Interval(lo), Datum::Interval(hi)) => {
            Datum::Interval(lo.checked_add(&hi.checked_add(&lo.mul(-1.0)?)?.mul(part)?)?)
        }
        _ => {
            let (lo, hi) = (lo.as_f64().unwrap_or(f64::NAN), hi.as_f64().unwrap_or(f64::NAN));
            Datum::Float8(lo + part * (hi - lo))
        }
    })
}

/// percentile_disc over sorted non-NULL `values`.
fn discrete(values: &[&Datum], p: f64) -> Datum {
    let row = (p * values.len() as f64).ceil() as usize;
    values[row.clamp(1, values.len()) - 1].clone()
}

/// The most frequent of sorted `values`; the first such on a tie.
fn mode(values: &[&Datum]) -> Datum {
    let (mut best, mut best_count) = (values[0], 0usize);
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        while j < values.len() && super::compare(values[j], values[i]) == Ordering::Equal {
            j += 1;
        }
        if j - i > best_count {
            (best, best_count) = (values[i], j - i);
        }
        i = j;
    }
    best.clone()
}

/// How the row `keys` sorts against `other` by the call's ORDER BY.
fn order(keys: &[Datum], other: &[Datum], call: &AggCall) -> Ordering {
    for (k, (_, descending, nulls_first)) in call.order_by.iter().enumerate() {
        let o = sort_cmp(&keys[k], &other[k], *descending, *nulls_first);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A hypothetical-set aggregate: where the row of the direct arguments
/// would fall among `items`.
fn hypothetical(items: &Items, call: &AggCall, direct: &[Datum], kind: HypotheticalRank) -> Datum {
    let n = items.len();
    let before = items.iter().filter(|(keys, _)| order(keys, direct, call) == Ordering::Less).count();
    match kind {
        HypotheticalRank::Rank => Datum::Int8(before as i64 + 1),
        HypotheticalRank::PercentRank => Datum::Float8(if n == 0 { 0.0 } else { before as f64 / n as f64 }),
        HypotheticalRank::CumeDist => {
            let not_after = items.iter().filter(|(keys, _)| order(keys, direct, call) != Ordering::Greater).count();
            Datum::Float8((not_after + 1) as f64 / (n + 1) as f64)
        }
        HypotheticalRank::DenseRank => {
            let mut earlier: Vec<&Vec<Datum>> =
                items.iter().map(|(keys, _)| keys).filter(|keys| order(keys, direct, call) == Ordering::Less).collect();
            earlier.sort_by(|a, b| order(a, b, call));
            earlier.dedup_by(|a, b| order(a, b, call) == Ordering::Equal);
            Datum::Int8(earlier.len() as i64 + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_postgres() {
        let values: Vec<Datum> = [1.0, 2.0, 4.0].into_iter().map(Datum::Float8).collect();
        let refs: Vec<&Datum> = values.iter().collect();
        assert_eq!(continuous(&refs, 0.5).unwrap(), Datum::Float8(2.0));
        assert_eq!(continuous(&refs, 0.75).unwrap(), Datum::Float8(3.0));
        assert_eq!(discrete(&refs, 0.0), Datum::Float8(1.0));
        assert_eq!(discrete(&refs, 0.5), Datum::Float8(2.0));
        assert_eq!(discrete(&refs, 1.0), Datum::Float8(4.0));
        assert!(fraction(&Datum::Float8(2.0)).is_err());
    }
}
