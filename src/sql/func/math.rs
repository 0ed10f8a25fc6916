//! The mathematical functions: rounding (`floor`, `ceil`, `trunc`),
//! roots, exponentials and logarithms, integer division (`mod`, `div`),
//! `gcd`/`lcm`/`factorial`, trigonometry, `width_bucket`, `random`, and
//! `to_timestamp(double precision)`.
//!
//! Overloads follow PostgreSQL's: a numeric argument keeps numeric, a
//! float8 one float8, and an integer one resolves to the float8 form
//! (listed first) as PostgreSQL's preferred type makes it. Numeric values
//! are computed by [`crate::sql::numeric`] with PostgreSQL's result scales
//! (exactly, or for `sqrt`, `exp`, `ln` and `log`, correctly rounded).
//! `scale`, `min_scale` and `trim_scale` are numeric-only.

use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::datetime;
use crate::sql::numeric::{self, Toward};
use crate::sql::types::{Datum, PgType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathFunc {
    Floor,
    Ceil,
    Trunc,
    Sqrt,
    Cbrt,
    Exp,
    Ln,
    Log,
    Log10,
    Mod,
    Div,
    Sign,
    Pi,
    Degrees,
    Radians,
    /// The one-argument trigonometric functions, by name.
    Trig(Trig),
    Atan2,
    Gcd,
    Lcm,
    Factorial,
    WidthBucket,
    Random,
    Setseed,
    /// `to_timestamp(double precision)`: seconds since the Unix epoch.
    ToTimestamp,
    Scale,
    MinScale,
    TrimScale,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trig {
    Sin,
    Cos,
    Tan,
    Cot,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
}

impl MathFunc {
    /// Every name [`MathFunc::lookup`] knows (what `pg_proc` may list).
    pub const NAMES: &[&str] = &[
        "floor",
        "ceil",
        "ceiling",
        "trunc",
        "sqrt",
        "cbrt",
        "exp",
        "ln",
        "log",
        "log10",
        "mod",
        "div",
        "sign",
        "pi",
        "degrees",
        "radians",
        "sin",
        "cos",
        "tan",
        "cot",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "atan2",
        "gcd",
        "lcm",
        "factorial",
        "width_bucket",
        "random",
        "setseed",
        "to_timestamp",
        "scale",
        "min_scale",
        "trim_scale",
    ];

    pub fn lookup(name: &str) -> Option<MathFunc> {
        use MathFunc::*;
        Some(match name {
            "floor" => Floor,
            "ceil" | "ceiling" => Ceil,
            "trunc" => Trunc,
            "sqrt" => Sqrt,
            "cbrt" => Cbrt,
            "exp" => Exp,
            "ln" => Ln,
            "log" => Log,
            "log10" => Log10,
            "mod" => Mod,
            "div" => Div,
            "sign" => Sign,
            "pi" => Pi,
            "degrees" => Degrees,
            "radians" => Radians,
            "sin" => Trig(self::Trig::Sin),
            "cos" => Trig(self::Trig::Cos),
            "tan" => Trig(self::Trig::Tan),
            "cot" => Trig(self::Trig::Cot),
            "asin" => Trig(self::Trig::Asin),
            "acos" => Trig(self::Trig::Acos),
            "atan" => Trig(self::Trig::Atan),
            "sinh" => Trig(self::Trig::Sinh),
            "cosh" => Trig(self::Trig::Cosh),
            "tanh" => Trig(self::Trig::Tanh),
            "atan2" => Atan2,
            "gcd" => Gcd,
            "lcm" => Lcm,
            "factorial" => Factorial,
            "width_bucket" => WidthBucket,
            "random" => Random,
            "setseed" => Setseed,
            "to_timestamp" => ToTimestamp,
            "scale" => Scale,
            "min_scale" => MinScale,
            "trim_scale" => TrimScale,
            _ => return None,
        })
    }

    pub fn signatures(self) -> &'static [(&'static [PgType], PgType)] {
        use PgType::*;
        match self {
            MathFunc::Floor | MathFunc::Ceil | MathFunc::Sqrt | MathFunc::Exp | MathFunc::Ln | MathFunc::Sign => {
                &[(&[Float8], Float8), (&[Numeric], Numeric)]
            }
            MathFunc::Log | MathFunc::Log10 if self == MathFunc::Log10 => &[(&[Float8], Float8), (&[Numeric], Numeric)],
            MathFunc::Log | MathFunc::Log10 => {
                &[(&[Float8], Float8), (&[Numeric], Numeric), (&[Numeric, Numeric], Numeric)]
            }
            MathFunc::Trunc => &[(&[Float8], Float8), (&[Numeric], Numeric), (&[Numeric, Int4], Numeric)],
            MathFunc::Cbrt | MathFunc::Degrees | MathFunc::Radians | MathFunc::Trig(_) => &[(&[Float8], Float8)],
            MathFunc::Atan2 => &[(&[Float8, Float8], Float8)],
            MathFunc::Mod => {
                &[(&[Int2, Int2], Int2), (&[Int4, Int4], Int4), (&[Int8, Int8], Int8), (&[Numeric, Numeric], Numeric)]
            }
            MathFunc::Div => &[(&[Numeric, Numeric], Numeric)],
            MathFunc::Gcd | MathFunc::Lcm => {
                &[(&[Int4, Int4], Int4), (&[Int8, Int8], Int8), (&[Numeric, Numeric], Numeric)]
            }
            MathFunc::Factorial => &[(&[Int8], Numeric)],
            MathFunc::WidthBucket => {
                &[(&[Float8, Float8, Float8, Int4], Int4), (&[Numeric, Numeric, Numeric, Int4], Int4)]
            }
            MathFunc::Pi | MathFunc::Random => &[(&[], Float8)],
            MathFunc::Setseed => &[(&[Float8], Void)],
            MathFunc::ToTimestamp => &[(&[Float8], TimestampTz), (&[Text, Text], TimestampTz)],
            MathFunc::Scale | MathFunc::MinScale => &[(&[Numeric], Int4)],
            MathFunc::TrimScale => &[(&[Numeric], Numeric)],
        }
    }

    /// `random` and `setseed` are volatile; the rest are immutable.
    pub fn volatile(self) -> bool {
        matches!(self, MathFunc::Random | MathFunc::Setseed)
    }
}

fn out_of_range() -> Error {
    err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "input is out of range")
}

fn log_error(x: f64) -> Option<Error> {
    if x == 0.0 {
        Some(err!(SqlState::INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of zero"))
    } else if x < 0.0 {
        Some(err!(SqlState::INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of a negative number"))
    } else {
        None
    }
}

/// A float8 result checked as PostgreSQL's float overflow and underflow
/// checks do: infinite from finite input, or zero from non-zero input.
fn checked(r: f64, input: f64, zero_ok: bool) -> Result<f64> {
    if r.is_infinite() && input.is_finite() {
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow"));
    }
    if r == 0.0 && !zero_ok {
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow"));
    }
    Ok(r)
}

fn int_out_of_range(ty: PgType) -> Error {
    crate::sql::expr::out_of_range(ty)
}

pub fn call(func: MathFunc, values: &[Datum]) -> Result<Datum> {
    let f = |i: usize| values[i].as_f64().unwrap_or(0.0);
    let num = |i: usize| match &values[i] {
        Datum::Numeric(n) => n.as_str(),
        _ => "0",
    };
    let is_numeric = matches!(values.first(), Some(Datum::Numeric(_)));
    Ok(match func {
        MathFunc::Floor | MathFunc::Ceil | MathFunc::Trunc => {
            let toward = match func {
                MathFunc::Floor => Toward::Down,
                MathFunc::Ceil => Toward::Up,
                _ => Toward::Zero,
            };
            if is_numeric {
                let digits = values.get(1).and_then(Datum::as_i64).unwrap_or(0);
                Datum::Numeric(numeric::round_toward(num(0), digits, toward)?)
            } else {
                Datum::Float8(match toward {
                    Toward::Down => f(0).floor(),
                    Toward::Up => f(0).ceil(),
                    Toward::Zero => f(0).trunc(),
                })
            }
        }
        MathFunc::Sqrt if is_numeric => Datum::Numeric(numeric::sqrt(num(0))?),
        MathFunc::Sqrt => {
            if f(0) < 0.0 {
                return Err(err!(
                    SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                    "cannot take square root of a negative number"
                ));
            }
            Datum::Float8(checked(f(0).sqrt(), f(0), true)?)
        }
        MathFunc::Cbrt => Datum::Float8(f(0).cbrt()),
        MathFunc::Exp if is_numeric => Datum::Numeric(numeric::exp(num(0))?),
        MathFunc::Exp => Datum::Float8(checked(f(0).exp(), f(0), f(0).is_infinite())?),
        MathFunc::Ln if is_numeric => Datum::Numeric(numeric::ln(num(0))?),
        MathFunc::Log | MathFunc::Log10 if is_numeric && values.len() == 2 => {
            Datum::Numeric(numeric::log(num(0), num(1))?)
        }
        MathFunc::Log | MathFunc::Log10 if is_numeric => Datum::Numeric(numeric::log("10", num(0))?),
        MathFunc::Scale | MathFunc::MinScale => {
            let s = if func == MathFunc::Scale { numeric::scale(num(0))? } else { numeric::min_scale(num(0))? };
            s.map_or(Datum::Null, Datum::Int4)
        }
        MathFunc::TrimScale => Datum::Numeric(numeric::trim_scale(num(0))?),
        MathFunc::Ln | MathFunc::Log | MathFunc::Log10 => {
            if let Some(e) = log_error(f(0)) {
                return Err(e);
            }
            let r = if func == MathFunc::Ln { f(0).ln() } else { f(0).log10() };
            Datum::Float8(checked(r, f(0), true)?)
        }
        MathFunc::Mod | MathFunc::Div => match (&values[0], &values[1]) {
            (Datum::Numeric(a), Datum::Numeric(b)) if func == MathFunc::Mod => Datum::Numeric(numeric::modulo(a, b)?),
            (Datum::Numeric(a), Datum::Numeric(b)) => Datum::Numeric(numeric::div_trunc(a, b)?),
            (a, b) => {
                let (x, y) = (a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0));
                if y == 0 {
                    return Err(err!(SqlState::DIVISION_BY_ZERO, "division by zero"));
                }
                // x % -1 is 0 even where the quotient overflows.
                let r = if y == -1 { 0 } else { x % y };
                match a {
                    Datum::Int2(_) => Datum::Int2(r as i16),
                    Datum::Int4(_) => Datum::Int4(r as i32),
                    _ => Datum::Int8(r),
                }
            }
        },
        MathFunc::Sign if is_numeric => Datum::Numeric(numeric::sign(num(0))?),
        MathFunc::Sign => Datum::Float8(if f(0) > 0.0 {
            1.0
        } else if f(0) < 0.0 {
            -1.0
        } else {
            0.0
        }),
        MathFunc::Pi => Datum::Float8(std::f64::consts::PI),
        MathFunc::Degrees => Datum::Float8(checked(f(0).to_degrees(), f(0), true)?),
        MathFunc::Radians => Datum::Float8(checked(f(0).to_radians(), f(0), true)?),
        MathFunc::Trig(t) => Datum::Float8(trig(t, f(0))?),
        MathFunc::Atan2 => Datum::Float8(f(0).atan2(f(1))),
        MathFunc::Gcd | MathFunc::Lcm => {
            let lcm = func == MathFunc::Lcm;
            match (&values[0], &values[1]) {
                (Datum::Numeric(a), Datum::Numeric(b)) => Datum::Numeric(numeric::gcd(a, b, lcm)?),
                (Datum::Int4(a), Datum::Int4(b)) => {
                    let r = gcd_int(*a as i64, *b as i64, lcm).ok_or_else(|| int_out_of_range(PgType::Int4))?;
                    Datum::Int4(i32::try_from(r).map_err(|_| int_out_of_range(PgType::Int4))?)
                }
                (a, b) => {
                    let (a, b) = (a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0));
                    Datum::Int8(gcd_int(a, b, lcm).ok_or_else(|| int_out_of_range(PgType::Int8))?)
                }
            }
        }
        MathFunc::Factorial => Datum::Numeric(numeric::factorial(values[0].as_i64().unwrap_or(0))?),
        MathFunc::WidthBucket => {
            let count = values[3].as_i64().unwrap_or(0);
            if count <= 0 {
                return Err(err!(SqlState::INVALID_ARGUMENT_FOR_WIDTH_BUCKET, "count must be greater than zero"));
            }
            let r = match (&values[0], &values[1], &values[2]) {
                (Datum::Numeric(op), Datum::Numeric(lo), Datum::Numeric(hi)) => {
                    if numeric::normalized(lo) == numeric::normalized(hi) {
                        return Err(bounds_equal());
                    }
                    numeric::width_bucket(op, lo, hi, count)?
                }
                _ => width_bucket_float(f(0), f(1), f(2), count)?,
            };
            Datum::Int4(i32::try_from(r).map_err(|_| int_out_of_range(PgType::Int4))?)
        }
        MathFunc::Random => Datum::Float8(rand::random::<f64>()),
        MathFunc::Setseed => {
            let seed = f(0);
            if !(-1.0..=1.0).contains(&seed) {
                return Err(err!(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "setseed parameter {} is out of allowed range [-1,1]",
                    values[0].to_text()
                ));
            }
            return Err(Error::not_supported("setseed"));
        }
        MathFunc::ToTimestamp if values.len() == 2 => {
            return Err(Error::not_supported("to_timestamp(text, text)"));
        }
        MathFunc::ToTimestamp => Datum::TimestampTz(to_timestamp(f(0), &values[0])?),
    })
}

fn bounds_equal() -> Error {
    err!(SqlState::INVALID_ARGUMENT_FOR_WIDTH_BUCKET, "lower bound cannot equal upper bound")
}

fn trig(t: Trig, x: f64) -> Result<f64> {
    if x.is_nan() {
        return Ok(x);
    }
    let bounded = |ok: bool| if ok { Ok(()) } else { Err(out_of_range()) };
    Ok(match t {
        Trig::Sin | Trig::Cos | Trig::Tan | Trig::Cot => {
            bounded(x.is_finite())?;
            match t {
                Trig::Sin => x.sin(),
                Trig::Cos => x.cos(),
                Trig::Tan => x.tan(),
                _ => 1.0 / x.tan(),
            }
        }
        Trig::Asin => {
            bounded((-1.0..=1.0).contains(&x))?;
            x.asin()
        }
        Trig::Acos => {
            bounded((-1.0..=1.0).contains(&x))?;
            x.acos()
        }
        Trig::Atan => x.atan(),
        Trig::Sinh => x.sinh(),
        Trig::Cosh => x.cosh(),
        Trig::Tanh => x.tanh(),
    })
}

/// `gcd` or `lcm` of two integers; `None` when the result overflows.
fn gcd_int(a: i64, b: i64, lcm: bool) -> Option<i64> {
    let (mut x, mut y) = (a.unsigned_abs(), b.unsigned_abs());
    while y != 0 {
        (x, y) = (y, x % y);
    }
    if !lcm {
        return i64::try_from(x).ok();
    }
    if a == 0 || b == 0 {
        return Some(0);
    }
    (a / x as i64).checked_mul(b)?.checked_abs()
}

fn width_bucket_float(op: f64, lo: f64, hi: f64, count: i64) -> Result<i64> {
    if op.is_nan() || lo.is_nan() || hi.is_nan() {
        return Err(err!(
            SqlState::INVALID_ARGUMENT_FOR_WIDTH_BUCKET,
            "operand, lower bound, and upper bound cannot be NaN"
        ));
    }
    if !lo.is_finite() || !hi.is_finite() {
        return Err(err!(SqlState::INVALID_ARGUMENT_FOR_WIDTH_BUCKET, "lower and upper bounds must be finite"));
    }
    if lo == hi {
        return Err(bounds_equal());
    }
    let past = || count.checked_add(1).ok_or_else(|| int_out_of_range(PgType::Int4));
    Ok(if lo < hi {
        if op < lo {
            0
        } else if op >= hi {
            past()?
        } else {
            ((count as f64) * ((op - lo) / (hi - lo))) as i64 + 1
        }
    } else if op > lo {
        0
    } else if op <= hi {
        past()?
    } else {
        ((count as f64) * ((lo - op) / (lo - hi))) as i64 + 1
    })
}

/// `to_timestamp(seconds)`: the instant `seconds` after 1970-01-01 UTC,
/// to the nearest microsecond.
fn to_timestamp(seconds: f64, input: &Datum) -> Result<i64> {
    if seconds.is_nan() {
        return Err(err!(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp cannot be NaN"));
    }
    if seconds.is_infinite() {
        return Ok(if seconds > 0.0 { datetime::TS_NOEND } else { datetime::TS_NOBEGIN });
    }
    let epoch_shift = (datetime::POSTGRES_EPOCH_JDATE - datetime::UNIX_EPOCH_JDATE) as f64 * 86_400.0;
    let micros = ((seconds - epoch_shift) * datetime::USECS_PER_SEC as f64).round_ties_even();
    if !(datetime::MIN_TIMESTAMP as f64..datetime::END_TIMESTAMP as f64).contains(&micros) {
        return Err(err!(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range: \"{}\"", input.to_text()));
    }
    Ok(micros as i64)
}
