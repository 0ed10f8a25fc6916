//! Values of enum types (`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`).
//!
//! A value is its label and its `pg_enum.enumsortorder`: [`Datum::Enum`].
//! The sort order decides comparisons, sorting and B-tree keys; the label
//! is what prints. Both are kept with the value (in memory, in Arrow
//! `Binary` arrays and in heap tuples) in one form:
//!
//! ```text
//! [ sort order as 4 order-preserving big-endian bytes ][ label, UTF-8 ]
//! ```
//!
//! so that comparing two stored values byte by byte orders them as the
//! type's sort order does, and no catalog lookup is needed to compare or
//! print them. A value's sort order never changes once its label is made:
//! `ALTER TYPE … ADD VALUE … BEFORE` takes a float between its neighbours
//! (see [`sort_order_between`]) instead of renumbering, so keys already in
//! indexes stay in order. Text input needs the type's labels, which the
//! catalog gives as an [`EnumLabels`].

use crate::err;
use crate::error::{Error, Result, SqlState};

use super::expr::{EvalContext, Expr, eval};
use super::types::{Datum, PgType};

/// The functions of enum types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnumFunc {
    /// `enum_first(anyenum)`: the first label of the argument's type.
    First,
    /// `enum_last(anyenum)`.
    Last,
    /// `enum_range(anyenum [, anyenum])`: the labels, or those between
    /// two values (a NULL bound: that end), as an array.
    Range,
}

impl EnumFunc {
    pub fn lookup(name: &str) -> Option<EnumFunc> {
        match name {
            "enum_first" => Some(EnumFunc::First),
            "enum_last" => Some(EnumFunc::Last),
            "enum_range" => Some(EnumFunc::Range),
            _ => None,
        }
    }
}

/// Run an enum function; only the arguments' type matters, besides the
/// bounds of a two-argument `enum_range`.
pub fn call(f: EnumFunc, args: &[Expr], ctx: &mut dyn EvalContext) -> Result<Datum> {
    let Some(PgType::Enum(oid)) = args.first().map(Expr::ty) else {
        return Err(Error::internal("enum function without an enum argument"));
    };
    let labels = ctx.enum_labels(oid)?;
    let value = |(sort, label): &(f32, String)| Datum::Enum(*sort, label.clone());
    let empty = || err!(SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, "enum {} contains no values", labels.type_name);
    Ok(match f {
        EnumFunc::First => labels.labels.first().map(value).ok_or_else(empty)?,
        EnumFunc::Last => labels.labels.last().map(value).ok_or_else(empty)?,
        EnumFunc::Range => {
            let bound = |d: Datum| match d {
                Datum::Enum(sort, _) => Some(sort),
                _ => None,
            };
            let (low, high) = match args {
                [a, b] => (bound(eval(a, ctx)?), bound(eval(b, ctx)?)),
                _ => (None, None),
            };
            let items = labels
                .labels
                .iter()
                .filter(|(s, _)| low.is_none_or(|l| *s >= l) && high.is_none_or(|h| *s <= h))
                .map(value)
                .collect();
            super::array::ArrayValue::new(PgType::Enum(oid), items).into_datum()
        }
    })
}

/// The labels of one enum type, in sort order, as a statement sees them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnumLabels {
    /// The type's name, for messages.
    pub type_name: String,
    /// `(enumsortorder, enumlabel)`, ascending.
    pub labels: Vec<(f32, String)>,
}

impl EnumLabels {
    /// The text input of a value of `ty`: this type, or an array of it.
    pub fn input_as(&self, ty: PgType, text: &str) -> Result<Datum> {
        if !ty.is_array() {
            return self.input(text);
        }
        let (lower, items) = super::array::parse_literal(text)?;
        let items = items.into_iter().map(|i| i.map_or(Ok(Datum::Null), |t| self.input(&t))).collect::<Result<_>>()?;
        Ok(super::array::ArrayValue { elem: ty.elem().unwrap_or(ty), lower, items }.into_datum())
    }

    /// `enum_in`: the value labelled `text` (22P02 when there is none).
    pub fn input(&self, text: &str) -> Result<Datum> {
        match self.labels.iter().find(|(_, l)| l == text) {
            Some((sort, label)) => Ok(Datum::Enum(*sort, label.clone())),
            None => Err(err!(
                SqlState::INVALID_TEXT_REPRESENTATION,
                "invalid input value for enum {}: \"{text}\"",
                self.type_name
            )),
        }
    }
}

/// The stored form of a value (see the module doc).
pub fn storage(sort: f32, label: &str) -> Vec<u8> {
    let bits = sort.to_bits();
    let key = if bits & 0x8000_0000 != 0 { !bits } else { bits | 0x8000_0000 };
    let mut out = Vec::with_capacity(4 + label.len());
    out.extend_from_slice(&key.to_be_bytes());
    out.extend_from_slice(label.as_bytes());
    out
}

/// A value from its stored form.
pub fn from_storage(bytes: &[u8]) -> Result<Datum> {
    let bad = || Error::new(SqlState::DATA_CORRUPTED, "invalid stored value of an enum type");
    let (key, label) = bytes.split_first_chunk::<4>().ok_or_else(bad)?;
    let key = u32::from_be_bytes(*key);
    let bits = if key & 0x8000_0000 != 0 { key & 0x7fff_ffff } else { !key };
    let label = std::str::from_utf8(label).map_err(|_| bad())?;
    Ok(Datum::Enum(f32::from_bits(bits), label.to_string()))
}

/// The sort order of a label placed between two neighbours (`None`: at
/// that end), or `None` when float4 has no value strictly between them.
pub fn sort_order_between(before: Option<f32>, after: Option<f32>) -> Option<f32> {
    let v = match (before, after) {
        (None, None) => 1.0,
        (Some(b), None) => b.floor() + 1.0,
        (None, Some(a)) => a.floor() - 1.0,
        (Some(b), Some(a)) => b + (a - b) / 2.0,
    };
    let fits = before.is_none_or(|b| v > b) && after.is_none_or(|a| v < a) && v.is_finite();
    fits.then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_orders_by_sort_order() {
        let orders = [-3.5f32, -1.0, 0.0, 0.25, 1.0, 2.0, 1e9];
        let keys: Vec<Vec<u8>> = orders.iter().map(|s| storage(*s, "zz")).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for s in orders {
            assert_eq!(from_storage(&storage(s, "x")).unwrap(), Datum::Enum(s, "x".into()));
        }
    }

    #[test]
    fn between_neighbours() {
        assert_eq!(sort_order_between(None, None), Some(1.0));
        assert_eq!(sort_order_between(Some(2.0), None), Some(3.0));
        assert_eq!(sort_order_between(None, Some(1.0)), Some(0.0));
        assert_eq!(sort_order_between(Some(1.0), Some(2.0)), Some(1.5));
        let tiny = f32::from_bits(1.0f32.to_bits() + 1);
        assert_eq!(sort_order_between(Some(1.0), Some(tiny)), None);
    }
}
