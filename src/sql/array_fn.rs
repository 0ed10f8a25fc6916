//! The array operators and functions: `ARRAY[…]`, subscripts and slices,
//! `op ANY/ALL (array)`, `||`, and `array_length` and its kin. The binder
//! types each call (see `binder/array.rs`); here they compute, with
//! PostgreSQL's NULL rules. None of them is strict: each says itself what
//! a NULL argument means.

use std::cmp::Ordering;

use super::array::ArrayValue;
use super::expr::{CmpOp, compare};
use super::types::{Datum, PgType, TextStyle};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// An array operation; `PgType`s are element types the result needs
/// when every argument is NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayFn {
    /// `ARRAY[a, b, …]` of elements of this type.
    Ctor(PgType),
    /// `a[i]`.
    Subscript,
    /// `a[i:j]`, `a[i:]`, `a[:j]`: whether the lower and upper bound are given.
    Slice(bool, bool),
    /// `x op ANY (a)`, or `op ALL` when `all`.
    Any {
        op: CmpOp,
        all: bool,
    },
    /// `array || array`, `array_cat`.
    Cat,
    /// `array || element`, `array_append`.
    Append(PgType),
    /// `element || array`, `array_prepend`.
    Prepend(PgType),
    /// `array_length(a, dim)`.
    Length,
    Cardinality,
    /// `array_upper(a, dim)`.
    Upper,
    /// `array_lower(a, dim)`.
    Lower,
    /// `array_dims(a)`: `[1:3]`.
    Dims,
    /// `array_to_string(a, delimiter [, null_string])`.
    ToString,
    /// `string_to_array(s, delimiter [, null_string])`.
    StringToArray,
    /// `array_position(a, x [, start])`.
    Position,
    /// `array_remove(a, x)`.
    Remove,
    /// `a @> b`: every element of `b` is in `a`.
    Contains,
    /// `a <@ b`: every element of `a` is in `b`.
    ContainedBy,
    /// `a && b`: an element in both.
    Overlap,
}

impl ArrayFn {
    /// The SQL name, for EXPLAIN.
    pub fn name(self) -> &'static str {
        match self {
            ArrayFn::Ctor(_) => "ARRAY",
            ArrayFn::Subscript | ArrayFn::Slice(..) => "subscript",
            ArrayFn::Any { .. } => "any",
            ArrayFn::Cat => "array_cat",
            ArrayFn::Append(_) => "array_append",
            ArrayFn::Prepend(_) => "array_prepend",
            ArrayFn::Length => "array_length",
            ArrayFn::Cardinality => "cardinality",
            ArrayFn::Upper => "array_upper",
            ArrayFn::Lower => "array_lower",
            ArrayFn::Dims => "array_dims",
            ArrayFn::ToString => "array_to_string",
            ArrayFn::StringToArray => "string_to_array",
            ArrayFn::Position => "array_position",
            ArrayFn::Remove => "array_remove",
            ArrayFn::Contains => "arraycontains",
            ArrayFn::ContainedBy => "arraycontained",
            ArrayFn::Overlap => "arrayoverlap",
        }
    }
}

fn array_arg(d: &Datum) -> Option<&ArrayValue> {
    match d {
        Datum::Array(a) => Some(a),
        _ => None,
    }
}

/// The dimension argument is 1 (the only dimension there is).
fn first_dim(d: Option<&Datum>) -> bool {
    d.and_then(Datum::as_i64) == Some(1)
}

/// Two values equal as `IS NOT DISTINCT FROM` has it.
fn not_distinct(a: &Datum, b: &Datum) -> bool {
    match (a.is_null(), b.is_null()) {
        (true, true) => true,
        (false, false) => compare(a, b) == Ordering::Equal,
        _ => false,
    }
}

/// Compute `f` over its evaluated arguments.
pub fn call(f: ArrayFn, mut values: Vec<Datum>, style: &TextStyle<'_>) -> Result<Datum> {
    let arg = |i: usize| values.get(i).unwrap_or(&Datum::Null);
    Ok(match f {
        ArrayFn::Ctor(elem) => ArrayValue::new(elem, values).into_datum(),
        ArrayFn::Subscript => match (array_arg(arg(0)), arg(1).as_i64()) {
            (Some(a), Some(i)) => a.get(i),
            _ => Datum::Null,
        },
        ArrayFn::Slice(has_lo, has_hi) => {
            let Some(a) = array_arg(arg(0)) else { return Ok(Datum::Null) };
            let mut next = 1;
            let mut bound = |given: bool, default: i64| -> Option<i64> {
                if !given {
                    return Some(default);
                }
                let v = values.get(next).and_then(Datum::as_i64);
                next += 1;
                v
            };
            let (Some(lo), Some(hi)) = (bound(has_lo, a.lower as i64), bound(has_hi, a.upper() as i64)) else {
                return Ok(Datum::Null);
            };
            let lo = lo.max(a.lower as i64);
            let hi = hi.min(a.upper() as i64);
            let items = if lo > hi {
                Vec::new()
            } else {
                let from = (lo - a.lower as i64) as usize;
                let to = (hi - a.lower as i64) as usize;
                a.items[from..=to].to_vec()
            };
            ArrayValue::new(a.elem, items).into_datum()
        }
        ArrayFn::Any { op, all } => {
            let Some(a) = array_arg(arg(1)) else { return Ok(Datum::Null) };
            let lhs = arg(0);
            let mut saw_null = false;
            for v in &a.items {
                if lhs.is_null() || v.is_null() {
                    saw_null = true;
                    continue;
                }
                let holds = op.holds(compare(lhs, v));
                if holds != all {
                    return Ok(Datum::Bool(holds));
                }
            }
            if saw_null { Datum::Null } else { Datum::Bool(all) }
        }
        ArrayFn::Cat => {
            let b = values.pop().unwrap_or(Datum::Null);
            let a = values.pop().unwrap_or(Datum::Null);
            match (a, b) {
                (Datum::Array(mut a), Datum::Array(b)) => {
                    if a.items.is_empty() {
                        return Ok(Datum::Array(b));
                    }
                    a.items.extend(b.items);
                    Datum::Array(a)
                }
                (a @ Datum::Array(_), _) => a,
                (_, b) => b,
            }
        }
        ArrayFn::Append(elem) => {
            let x = values.pop().unwrap_or(Datum::Null);
            match values.pop() {
                Some(Datum::Array(mut a)) => {
                    a.items.push(x);
                    Datum::Array(a)
                }
                _ => ArrayValue::new(elem, vec![x]).into_datum(),
            }
        }
        ArrayFn::Prepend(elem) => {
            let a = values.pop().unwrap_or(Datum::Null);
            let x = values.pop().unwrap_or(Datum::Null);
            match a {
                Datum::Array(mut a) => {
                    a.items.insert(0, x);
                    Datum::Array(a)
                }
                _ => ArrayValue::new(elem, vec![x]).into_datum(),
            }
        }
        ArrayFn::Length => match array_arg(arg(0)) {
            Some(a) if !a.items.is_empty() && first_dim(values.get(1)) => Datum::Int4(a.items.len() as i32),
            _ => Datum::Null,
        },
        ArrayFn::Cardinality => match array_arg(arg(0)) {
            Some(a) => Datum::Int4(a.items.len() as i32),
            None => Datum::Null,
        },
        ArrayFn::Upper | ArrayFn::Lower => match array_arg(arg(0)) {
            Some(a) if !a.items.is_empty() && first_dim(values.get(1)) => {
                Datum::Int4(if f == ArrayFn::Upper { a.upper() } else { a.lower })
            }
            _ => Datum::Null,
        },
        ArrayFn::Dims => match array_arg(arg(0)) {
            Some(a) if !a.items.is_empty() => Datum::Text(format!("[{}:{}]", a.lower, a.upper())),
            _ => Datum::Null,
        },
        ArrayFn::ToString => {
            let (Some(a), Some(sep)) = (array_arg(arg(0)), arg(1).as_str()) else { return Ok(Datum::Null) };
            let null_text = arg(2).as_str();
            let mut out = Vec::new();
            let mut first = true;
            for item in &a.items {
                let text_of_null = if item.is_null() { null_text } else { None };
                if item.is_null() && text_of_null.is_none() {
                    continue;
                }
                if !first {
                    out.extend_from_slice(sep.as_bytes());
                }
                first = false;
                match text_of_null {
                    Some(t) => out.extend_from_slice(t.as_bytes()),
                    None => item.write_text_as(&mut out, style),
                }
            }
            Datum::Text(String::from_utf8(out).map_err(|_| Error::internal("invalid UTF-8 in array_to_string"))?)
        }
        ArrayFn::StringToArray => {
            let Some(s) = arg(0).as_str() else { return Ok(Datum::Null) };
            ArrayValue::new(PgType::Text, string_parts(s, arg(1).as_str(), arg(2).as_str())).into_datum()
        }
        ArrayFn::Position => {
            let Some(a) = array_arg(arg(0)) else { return Ok(Datum::Null) };
            let start = match values.get(2) {
                None => a.lower as i64,
                Some(Datum::Null) => {
                    return Err(err!(SqlState::NULL_VALUE_NOT_ALLOWED, "initial position must not be null"));
                }
                Some(d) => d.as_i64().unwrap_or(a.lower as i64),
            };
            let x = arg(1);
            a.items
                .iter()
                .enumerate()
                .map(|(i, v)| (a.lower as i64 + i as i64, v))
                .find(|(at, v)| *at >= start && not_distinct(v, x))
                .map_or(Datum::Null, |(at, _)| Datum::Int4(at as i32))
        }
        ArrayFn::Contains | ArrayFn::ContainedBy | ArrayFn::Overlap => {
            let (Some(mut a), Some(mut b)) = (array_arg(arg(0)), array_arg(arg(1))) else { return Ok(Datum::Null) };
            if f == ArrayFn::ContainedBy {
                (a, b) = (b, a);
            }
            // NULL elements equal nothing, as in PostgreSQL.
            let found =
                |x: &Datum| !x.is_null() && a.items.iter().any(|y| !y.is_null() && compare(x, y) == Ordering::Equal);
            Datum::Bool(match f {
                ArrayFn::Overlap => b.items.iter().any(found),
                _ => b.items.iter().all(found),
            })
        }
        ArrayFn::Remove => {
            let x = values.pop().unwrap_or(Datum::Null);
            match values.pop() {
                Some(Datum::Array(mut a)) => {
                    a.items.retain(|v| !not_distinct(v, &x));
                    Datum::Array(a)
                }
                _ => Datum::Null,
            }
        }
    })
}

/// The parts of `s` split at `sep` (each character when `sep` is NULL,
/// the whole text when it is empty), a part equal to `null_text` NULL:
/// `string_to_array` and `string_to_table`.
pub fn string_parts(s: &str, sep: Option<&str>, null_text: Option<&str>) -> Vec<Datum> {
    let item = |part: &str| if null_text == Some(part) { Datum::Null } else { Datum::Text(part.to_string()) };
    if s.is_empty() {
        return Vec::new();
    }
    match sep {
        None => s.char_indices().map(|(i, c)| item(&s[i..i + c.len_utf8()])).collect(),
        Some("") => vec![item(s)],
        Some(sep) => s.split(sep).map(item).collect(),
    }
}
