//! Set-returning functions in the select list: what a call is
//! ([`SrfCall`], bound by the binder) and the rows one call gives for one
//! input row ([`SrfRows`], driven by the `ProjectSet` operator).
//!
//! PostgreSQL 10 and later evaluate such calls in a ProjectSet node: for
//! each input row every call of the node is started with its arguments,
//! and the calls then give their values in lock-step, one output row per
//! step, the calls that have run out giving NULL, until all have run out.
//! A call nested in another call's arguments is evaluated by a ProjectSet
//! below the other's (see `binder::srf`).
//!
//! The values are the ones the same functions give in FROM
//! (`Plan::Series`, `Plan::Unnest`): the json functions share
//! [`JsonSrf::rows`], an array's elements are its items.

use super::batch::ColumnBuilder;
use super::exec::RowOver;
use super::expr::{ArithOp, EvalContext, Expr, compare, eval};
use super::json_fn::JsonSrf;
use super::types::{Datum, PgType};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// Which set-returning function a select-list call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrfFunc {
    /// `generate_series(start, stop [, step])`; its type is the call's.
    Series,
    /// `unnest(array)`.
    Unnest,
    /// `generate_subscripts(array, dim [, reverse])`.
    Subscripts,
    /// A json function of one result column (`jsonb_array_elements`, …).
    Json(JsonSrf),
    /// `pg_partition_ancestors(regclass)`: a partition's ancestors and
    /// itself; no rows for any other relation (every relation, as tusk
    /// has no partitioning).
    PartitionAncestors,
    /// `pg_snapshot_xip(pg_snapshot)`, or (`legacy`)
    /// `txid_snapshot_xip(txid_snapshot)` as bigint: the running ids.
    SnapshotXip { legacy: bool },
    /// `string_to_table(text, delimiter [, null_string])`.
    StringToTable,
    /// `regexp_split_to_table(text, pattern [, flags])`.
    RegexpSplit,
    /// `regexp_matches(text, pattern [, flags])`: a text[] of the groups
    /// of each match.
    RegexpMatches,
}

/// One set-returning call of a `ProjectSet`: its arguments are
/// expressions over the node's input row.
#[derive(Clone, Debug)]
pub struct SrfCall {
    pub func: SrfFunc,
    pub args: Vec<Expr>,
    pub ty: PgType,
}

impl SrfCall {
    /// The name PostgreSQL's EXPLAIN prints for it.
    pub fn name(&self) -> &'static str {
        match self.func {
            SrfFunc::Series => "generate_series",
            SrfFunc::Unnest => "unnest",
            SrfFunc::Subscripts => "generate_subscripts",
            SrfFunc::Json(f) => f.name(),
            SrfFunc::PartitionAncestors => "pg_partition_ancestors",
            SrfFunc::SnapshotXip { legacy: false } => "pg_snapshot_xip",
            SrfFunc::SnapshotXip { legacy: true } => "txid_snapshot_xip",
            SrfFunc::StringToTable => "string_to_table",
            SrfFunc::RegexpSplit => "regexp_split_to_table",
            SrfFunc::RegexpMatches => "regexp_matches",
        }
    }
}

/// The name of a set-returning function the select list can call, if
/// `name` is one (whether its arguments fit is the binder's business).
pub fn lookup(name: &str) -> Option<SrfFunc> {
    match name {
        "generate_series" => Some(SrfFunc::Series),
        "unnest" => Some(SrfFunc::Unnest),
        "generate_subscripts" => Some(SrfFunc::Subscripts),
        "pg_partition_ancestors" => Some(SrfFunc::PartitionAncestors),
        "pg_snapshot_xip" => Some(SrfFunc::SnapshotXip { legacy: false }),
        "txid_snapshot_xip" => Some(SrfFunc::SnapshotXip { legacy: true }),
        "string_to_table" => Some(SrfFunc::StringToTable),
        "regexp_split_to_table" => Some(SrfFunc::RegexpSplit),
        "regexp_matches" => Some(SrfFunc::RegexpMatches),
        _ => JsonSrf::lookup(name).map(SrfFunc::Json),
    }
}

/// The values still to come of one call for one input row.
#[derive(Debug, Default)]
pub enum SrfRows {
    /// Run out (or never started: NULL arguments).
    #[default]
    Done,
    /// An integer series (`generate_series` of integers, subscripts).
    Ints { next: i64, stop: i64, step: i64 },
    /// A series of numerics or timestamps: the next value, the last and
    /// the step, stepped by adding with the same arithmetic as `+`.
    Stepped { next: Datum, stop: Datum, step: Datum, ascending: bool },
    /// Values computed at once (array elements, json items), handed out in order.
    Items { items: std::vec::IntoIter<Datum> },
}

impl SrfRows {
    /// Start `call` for one input row, its arguments evaluated to `args`
    /// (which it may take from).
    pub fn start(call: &SrfCall, args: &mut Vec<Datum>) -> Result<SrfRows> {
        match call.func {
            SrfFunc::Series if matches!(call.ty, PgType::Int4 | PgType::Int8) => {
                let step = args.get(2).map_or(Some(1), Datum::as_i64);
                let (Some(next), Some(stop), Some(step)) = (args[0].as_i64(), args[1].as_i64(), step) else {
                    return Ok(SrfRows::Done);
                };
                if step == 0 {
                    return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
                }
                Ok(SrfRows::Ints { next, stop, step })
            }
            SrfFunc::Series => {
                if args.iter().any(Datum::is_null) {
                    return Ok(SrfRows::Done);
                }
                let step = args.pop().ok_or_else(|| Error::internal("generate_series without a step"))?;
                let stop = args.pop().ok_or_else(|| Error::internal("generate_series without a stop"))?;
                let next = args.pop().ok_or_else(|| Error::internal("generate_series without a start"))?;
                let zero = match &step {
                    Datum::Interval(_) => Datum::Interval(Default::default()),
                    _ => Datum::Numeric("0".into()),
                };
                if is_nan(&next) || is_nan(&stop) || is_nan(&step) {
                    let which = if is_nan(&step) {
                        "step size"
                    } else if is_nan(&next) {
                        "start value"
                    } else {
                        "stop value"
                    };
                    return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "{which} cannot be NaN"));
                }
                let ascending = match compare(&step, &zero) {
                    std::cmp::Ordering::Equal => {
                        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
                    }
                    o => o == std::cmp::Ordering::Greater,
                };
                Ok(SrfRows::Stepped { next, stop, step, ascending })
            }
            SrfFunc::Unnest => match args.pop() {
                Some(Datum::Array(a)) => Ok(SrfRows::Items { items: a.items.into_iter() }),
                _ => Ok(SrfRows::Done),
            },
            SrfFunc::Subscripts => {
                let reverse = matches!(args.get(2), Some(Datum::Bool(true)));
                let (Some(Datum::Array(a)), Some(dim)) = (args.first(), args.get(1).and_then(Datum::as_i64)) else {
                    return Ok(SrfRows::Done);
                };
                // Arrays here have one dimension; an empty one has none.
                if dim != 1 || a.items.is_empty() {
                    return Ok(SrfRows::Done);
                }
                let (lower, upper) = (a.lower as i64, a.lower as i64 + a.items.len() as i64 - 1);
                Ok(if reverse {
                    SrfRows::Ints { next: upper, stop: lower, step: -1 }
                } else {
                    SrfRows::Ints { next: lower, stop: upper, step: 1 }
                })
            }
            SrfFunc::PartitionAncestors => Ok(SrfRows::Done),
            SrfFunc::SnapshotXip { legacy } => match args.pop() {
                Some(Datum::Snapshot(s)) => {
                    let ids = s.xip.iter().map(|&x| if legacy { Datum::Int8(x as i64) } else { Datum::Xid8(x) });
                    Ok(SrfRows::Items { items: ids.collect::<Vec<_>>().into_iter() })
                }
                _ => Ok(SrfRows::Done),
            },
            SrfFunc::StringToTable => {
                let Some(s) = args.first().and_then(Datum::as_str) else { return Ok(SrfRows::Done) };
                let sep = args.get(1).and_then(Datum::as_str);
                let null_text = args.get(2).and_then(Datum::as_str);
                let items = super::array_fn::string_parts(s, sep, null_text);
                Ok(SrfRows::Items { items: items.into_iter() })
            }
            SrfFunc::RegexpSplit | SrfFunc::RegexpMatches => {
                let text = |i: usize| args.get(i).and_then(Datum::as_str);
                let (Some(s), Some(pattern)) = (text(0), text(1)) else { return Ok(SrfRows::Done) };
                let flags = match args.get(2) {
                    None => "",
                    Some(d) => match d.as_str() {
                        Some(f) => f,
                        None => return Ok(SrfRows::Done),
                    },
                };
                let items: Vec<Datum> = if call.func == SrfFunc::RegexpSplit {
                    let parts = super::regex::split(s, pattern, flags, "regexp_split_to_table")?;
                    parts.into_iter().map(Datum::Text).collect()
                } else {
                    super::regex::matches(s, pattern, flags)?
                        .into_iter()
                        .map(|groups| {
                            let items = groups.into_iter().map(|g| g.map_or(Datum::Null, Datum::Text)).collect();
                            super::array::ArrayValue::new(PgType::Text, items).into_datum()
                        })
                        .collect()
                };
                Ok(SrfRows::Items { items: items.into_iter() })
            }
            SrfFunc::Json(f) => {
                let arg = args.pop().unwrap_or(Datum::Null);
                let mut columns = f.rows(&arg)?;
                let items = if columns.is_empty() { Vec::new() } else { columns.swap_remove(0) };
                Ok(SrfRows::Items { items: items.into_iter() })
            }
        }
    }

    /// Append up to `room` of the next values (of type `ty`) to `out`;
    /// how many it appended (0 once it has run out).
    pub fn fill(
        &mut self,
        out: &mut ColumnBuilder,
        room: usize,
        ty: PgType,
        ctx: &mut dyn EvalContext,
    ) -> Result<usize> {
        let mut n = 0;
        match self {
            SrfRows::Done => return Ok(0),
            SrfRows::Ints { next, stop, step } => {
                while n < room {
                    let v = *next;
                    if (*step > 0 && v > *stop) || (*step < 0 && v < *stop) {
                        *self = SrfRows::Done;
                        return Ok(n);
                    }
                    out.push(&if ty == PgType::Int8 { Datum::Int8(v) } else { Datum::Int4(v as i32) })?;
                    n += 1;
                    match v.checked_add(*step) {
                        Some(x) => *next = x,
                        None => {
                            // The series ends at the type's edge, as in PostgreSQL.
                            *self = SrfRows::Done;
                            return Ok(n);
                        }
                    }
                }
            }
            SrfRows::Stepped { next, stop, step, ascending } => {
                let add = Expr::Arith(
                    ArithOp::Add,
                    Box::new(Expr::Column(0, ty)),
                    Box::new(Expr::Column(1, step_type(ty))),
                    ty,
                );
                while n < room {
                    let order = compare(next, stop);
                    let past = if *ascending { order.is_gt() } else { order.is_lt() };
                    if past {
                        *self = SrfRows::Done;
                        return Ok(n);
                    }
                    out.push(next)?;
                    n += 1;
                    let row = [std::mem::replace(next, Datum::Null), step.clone()];
                    *next = eval(&add, &mut RowOver { inner: &mut *ctx, row: &row })?;
                    let [_, s] = row;
                    *step = s;
                }
            }
            SrfRows::Items { items } => {
                for d in items.by_ref().take(room) {
                    out.push(&d)?;
                    n += 1;
                }
                if n == 0 {
                    *self = SrfRows::Done;
                }
            }
        }
        Ok(n)
    }
}

/// The type of a series' step: an interval for timestamps, else the series' own.
pub fn step_type(ty: PgType) -> PgType {
    match ty {
        PgType::Timestamp | PgType::TimestampTz => PgType::Interval,
        other => other,
    }
}

fn is_nan(d: &Datum) -> bool {
    matches!(d, Datum::Numeric(s) if s == "NaN")
}
