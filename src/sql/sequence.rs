//! Sequence options as CREATE SEQUENCE, ALTER SEQUENCE and identity
//! columns write them, and how they combine with a sequence's current
//! parameters into new ones, with PostgreSQL's checks and messages
//! (its `init_params`).

use crate::catalog::sequence::SequenceDef;
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::types::PgType;

/// The options given (each `None` when not written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqOptions {
    /// `AS smallint | integer | bigint`.
    pub ty: Option<PgType>,
    pub increment: Option<i64>,
    /// `MINVALUE n` (`Some(Some(n))`) or `NO MINVALUE` (`Some(None)`).
    pub min: Option<Option<i64>>,
    pub max: Option<Option<i64>>,
    pub start: Option<i64>,
    /// `RESTART` (`Some(None)`: at the start value) or `RESTART WITH n`.
    pub restart: Option<Option<i64>>,
    pub cache: Option<i64>,
    pub cycle: Option<bool>,
    /// `OWNED BY table.column` (`Some(Some(..))`) or `OWNED BY NONE`.
    pub owned_by: Option<Option<(String, String)>>,
}

/// A type's range of values.
fn type_range(ty: PgType) -> (i64, i64) {
    match ty {
        PgType::Int2 => (i16::MIN.into(), i16::MAX.into()),
        PgType::Int4 => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    }
}

impl SeqOptions {
    /// The parameters of a new sequence (`old` is `None`) or of one
    /// altered, and whether (and where) its state restarts.
    pub fn resolve(&self, old: Option<&SequenceDef>) -> Result<(SequenceDef, Option<i64>)> {
        let invalid = |m: String| err!(SqlState::INVALID_PARAMETER_VALUE, "{m}");
        let ty = self.ty.or(old.map(|o| o.ty)).unwrap_or(PgType::Int8);
        let (type_min, type_max) = type_range(ty);
        let increment = self.increment.or(old.map(|o| o.increment)).unwrap_or(1);
        if increment == 0 {
            return Err(invalid("INCREMENT must not be zero".into()));
        }
        let ascending = increment > 0;
        // A limit left at its old type's bound follows a change of type.
        let type_changed = old.is_some_and(|o| self.ty.is_some_and(|t| t != o.ty));
        let max = match self.max {
            Some(Some(v)) => v,
            Some(None) => {
                if ascending {
                    type_max
                } else {
                    -1
                }
            }
            None => match old {
                Some(o) if !type_changed || o.max != type_range(o.ty).1 => o.max,
                _ if ascending => type_max,
                _ => -1,
            },
        };
        let min = match self.min {
            Some(Some(v)) => v,
            Some(None) => {
                if ascending {
                    1
                } else {
                    type_min
                }
            }
            None => match old {
                Some(o) if !type_changed || o.min != type_range(o.ty).0 => o.min,
                _ if ascending => 1,
                _ => type_min,
            },
        };
        let type_name = ty.sql_name();
        if max < type_min || max > type_max {
            return Err(invalid(format!("MAXVALUE ({max}) is out of range for sequence data type {type_name}")));
        }
        if min < type_min || min > type_max {
            return Err(invalid(format!("MINVALUE ({min}) is out of range for sequence data type {type_name}")));
        }
        if min >= max {
            return Err(invalid(format!("MINVALUE ({min}) must be less than MAXVALUE ({max})")));
        }
        let start = match (self.start, old) {
            (Some(s), _) => s,
            (None, Some(o)) => o.start,
            (None, None) => {
                if ascending {
                    min
                } else {
                    max
                }
            }
        };
        if start < min {
            return Err(invalid(format!("START value ({start}) cannot be less than MINVALUE ({min})")));
        }
        if start > max {
            return Err(invalid(format!("START value ({start}) cannot be greater than MAXVALUE ({max})")));
        }
        let restart = self.restart.map(|r| r.unwrap_or(start));
        if let Some(r) = restart {
            if r < min {
                return Err(invalid(format!("RESTART value ({r}) cannot be less than MINVALUE ({min})")));
            }
            if r > max {
                return Err(invalid(format!("RESTART value ({r}) cannot be greater than MAXVALUE ({max})")));
            }
        }
        let cache = self.cache.or(old.map(|o| o.cache)).unwrap_or(1);
        if cache <= 0 {
            return Err(invalid(format!("CACHE ({cache}) must be greater than zero")));
        }
        let cycle = self.cycle.or(old.map(|o| o.cycle)).unwrap_or(false);
        Ok((SequenceDef { ty, start, increment, min, max, cache, cycle }, restart))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_direction_and_type() {
        let (d, _) = SeqOptions::default().resolve(None).unwrap();
        assert_eq!((d.start, d.min, d.max), (1, 1, i64::MAX));
        let down = SeqOptions { increment: Some(-1), ty: Some(PgType::Int2), ..Default::default() };
        let (d, _) = down.resolve(None).unwrap();
        assert_eq!((d.start, d.min, d.max), (-1, -32768, -1));
        let widened = SeqOptions { ty: Some(PgType::Int4), ..Default::default() };
        let (w, _) = widened.resolve(Some(&d)).unwrap();
        assert_eq!((w.min, w.max), (i32::MIN.into(), -1));
    }

    #[test]
    fn bad_options_are_refused() {
        let zero = SeqOptions { increment: Some(0), ..Default::default() };
        assert!(zero.resolve(None).is_err());
        let small = SeqOptions { ty: Some(PgType::Int2), max: Some(Some(40000)), ..Default::default() };
        assert!(small.resolve(None).is_err());
        let start = SeqOptions { start: Some(0), ..Default::default() };
        assert!(start.resolve(None).is_err());
    }
}
