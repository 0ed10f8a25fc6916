//! `numeric`: PostgreSQL's arbitrary-precision decimal.
//!
//! A value moves through tusk in three forms:
//! - **in memory and in batches**, `Datum::Numeric` holds its canonical
//!   text (`-12.340`, `NaN`, `Infinity`) — exactly what PostgreSQL prints,
//!   display scale included — and an Arrow batch carries the same text in a
//!   Utf8 column. Most numeric values only pass through a query (scanned,
//!   compared, sent to the client), and text is what the client gets, so
//!   text is decoded into a [`Num`] only where an expression computes.
//! - **on disk**, [`to_storage`] packs it as PostgreSQL does: a header with
//!   sign and display scale, a base-10000 weight, then base-10000 digits
//!   (two bytes per four decimal digits); see [`to_storage`].
//! - **in arithmetic**, [`Num`] is NaN, ±Infinity or a finite [`Dec`]:
//!   a sign, a mantissa of any size ([`big::Big`], base 10^9 limbs) and a
//!   scale. Every operation picks its result's scale as PostgreSQL's
//!   numeric.c does (division's `select_div_scale`, the 16 significant
//!   digits of `sqrt`/`ln`/`exp`/`power`) and rounds half away from zero.
//!
//! Limits are PostgreSQL's: 131072 digits before the point, 16383 after
//! (22003 `value overflows numeric format`). A column's `numeric(p,s)`
//! typmod is applied by [`apply_typmod`].
//!
//! See also: `transcend.rs` (sqrt, exp, ln, log, power), `keycode.rs` in
//! the catalog (the byte-comparable index key of a numeric).

mod big;
mod dec;
mod transcend;

use std::cmp::Ordering;

use bytes::BufMut;

pub use dec::Dec;
use dec::{division_by_zero, overflow};

use crate::err;
use crate::error::{Error, Result, SqlState};

/// A numeric value for computation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Num {
    NaN,
    /// `Infinity` (`false`) or `-Infinity` (`true`).
    Inf(bool),
    Fin(Dec),
}

fn invalid_input(text: &str) -> Error {
    err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type numeric: \"{text}\"")
}

impl Num {
    /// Parse input text: digits with sign, point and exponent, or
    /// `NaN`, `Infinity`, `inf` (any case, optionally signed).
    pub fn parse(text: &str) -> Result<Num> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        match lower.as_str() {
            "nan" => return Ok(Num::NaN),
            "inf" | "infinity" | "+inf" | "+infinity" => return Ok(Num::Inf(false)),
            "-inf" | "-infinity" => return Ok(Num::Inf(true)),
            _ => {}
        }
        Dec::parse_text(t).ok_or_else(|| invalid_input(text))?.checked().map(Num::Fin)
    }

    pub fn from_i128(v: i128) -> Num {
        Num::Fin(Dec::from_i128(v))
    }

    pub fn zero() -> Num {
        Num::Fin(Dec::zero())
    }

    /// -1, 0 or 1 (NaN: 0).
    fn signum(&self) -> i32 {
        match self {
            Num::NaN => 0,
            Num::Inf(neg) => {
                if *neg {
                    -1
                } else {
                    1
                }
            }
            Num::Fin(d) if d.is_zero() => 0,
            Num::Fin(d) => {
                if d.neg {
                    -1
                } else {
                    1
                }
            }
        }
    }

    pub fn negate(&self) -> Num {
        match self {
            Num::NaN => Num::NaN,
            Num::Inf(neg) => Num::Inf(!neg),
            Num::Fin(d) => Num::Fin(d.negate()),
        }
    }

    pub fn abs(&self) -> Num {
        match self {
            Num::NaN => Num::NaN,
            Num::Inf(_) => Num::Inf(false),
            Num::Fin(d) => Num::Fin(d.abs()),
        }
    }

    pub fn add(&self, o: &Num) -> Result<Num> {
        Ok(match (self, o) {
            (Num::NaN, _) | (_, Num::NaN) => Num::NaN,
            (Num::Inf(a), Num::Inf(b)) => {
                if a == b {
                    Num::Inf(*a)
                } else {
                    Num::NaN
                }
            }
            (Num::Inf(a), _) | (_, Num::Inf(a)) => Num::Inf(*a),
            (Num::Fin(a), Num::Fin(b)) => Num::Fin(a.add(b).checked()?),
        })
    }

    pub fn sub(&self, o: &Num) -> Result<Num> {
        self.add(&o.negate())
    }

    pub fn mul(&self, o: &Num) -> Result<Num> {
        Ok(match (self, o) {
            (Num::NaN, _) | (_, Num::NaN) => Num::NaN,
            (Num::Inf(_), _) | (_, Num::Inf(_)) => match self.signum() * o.signum() {
                0 => Num::NaN,
                s => Num::Inf(s < 0),
            },
            (Num::Fin(a), Num::Fin(b)) => {
                let p = a.mul(b);
                // The exact product may carry more decimals than a value can.
                let p = if p.scale as i64 > dec::MAX_SCALE { p.round(dec::MAX_SCALE) } else { p };
                Num::Fin(p.checked()?)
            }
        })
    }

    pub fn div(&self, o: &Num) -> Result<Num> {
        Ok(match (self, o) {
            (Num::NaN, _) | (_, Num::NaN) => Num::NaN,
            (Num::Inf(_), Num::Inf(_)) => Num::NaN,
            (Num::Inf(_), _) => match o.signum() {
                0 => return Err(division_by_zero()),
                s => Num::Inf((self.signum() * s) < 0),
            },
            (Num::Fin(_), Num::Inf(_)) => Num::zero(),
            (Num::Fin(a), Num::Fin(b)) => Num::Fin(a.div(b)?.checked()?),
        })
    }

    /// `%` and `mod()`.
    pub fn rem(&self, o: &Num) -> Result<Num> {
        Ok(match (self, o) {
            (Num::NaN, _) | (_, Num::NaN) => Num::NaN,
            (Num::Inf(_), _) => {
                if o.signum() == 0 {
                    return Err(division_by_zero());
                }
                Num::NaN
            }
            (Num::Fin(_), Num::Inf(_)) => self.clone(),
            (Num::Fin(a), Num::Fin(b)) => Num::Fin(a.rem(b)?),
        })
    }

    /// PostgreSQL's total order: -Infinity < finite < Infinity < NaN, and
    /// NaN equals itself.
    pub fn compare(&self, o: &Num) -> Ordering {
        fn rank(n: &Num) -> i8 {
            match n {
                Num::Inf(true) => 0,
                Num::Fin(_) => 1,
                Num::Inf(false) => 2,
                Num::NaN => 3,
            }
        }
        match (self, o) {
            (Num::Fin(a), Num::Fin(b)) => a.compare(b),
            _ => rank(self).cmp(&rank(o)),
        }
    }

    /// The finite value, or the error PostgreSQL gives for `what` of a special one.
    fn finite(&self, what: &str) -> Result<&Dec> {
        match self {
            Num::Fin(d) => Ok(d),
            Num::NaN => Err(Error::not_supported(format!("cannot convert NaN to {what}"))),
            Num::Inf(_) => Err(Error::not_supported(format!("cannot convert infinity to {what}"))),
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::NaN => f.write_str("NaN"),
            Num::Inf(false) => f.write_str("Infinity"),
            Num::Inf(true) => f.write_str("-Infinity"),
            Num::Fin(d) => d.fmt(f),
        }
    }
}

/// Canonicalize a numeric literal or text input: `1e3` → `1000`,
/// `1.50e1` → `15.0`, `-0.0` → `0.0`, `nan` → `NaN`, `inf` → `Infinity`.
pub fn canonical(text: &str) -> Result<String> {
    Num::parse(text).map(|n| n.to_string())
}

/// The value of canonical text (as a `Datum::Numeric` holds it).
pub fn num(canon: &str) -> Result<Num> {
    Num::parse(canon)
}

/// Round to an integer, half away from zero, as numeric-to-integer casts
/// do; `None` when it does not fit in an i64.
pub fn to_i64(canon: &str) -> Option<i64> {
    match Num::parse(canon).ok()? {
        Num::Fin(d) => i64::try_from(d.to_i128_rounded()?).ok(),
        _ => None,
    }
}

/// numeric → int2/4/8: NaN and infinity cannot convert (0A000), too large
/// is `None` (the caller's 22003 `… out of range`).
pub fn to_integer(canon: &str, type_name: &str) -> Result<Option<i64>> {
    let n = Num::parse(canon)?;
    let d = n.finite(type_name)?;
    Ok(d.to_i128_rounded().and_then(|v| i64::try_from(v).ok()))
}

pub fn to_f64(canon: &str) -> f64 {
    match canon {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ => canon.parse().unwrap_or(f64::NAN),
    }
}

/// PostgreSQL's float-to-numeric conversion keeps the float's significant
/// digits (15 for float8, 6 for float4).
pub fn from_f64(v: f64, digits: usize) -> Result<String> {
    if v.is_nan() {
        return Ok("NaN".into());
    }
    if v.is_infinite() {
        return Ok(if v > 0.0 { "Infinity" } else { "-Infinity" }.into());
    }
    canonical(&format!("{:.*e}", digits - 1, v)).map(|s| trim_float_zeros(&s))
}

/// `%g` drops trailing fractional zeros; numeric from float keeps none either.
fn trim_float_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A finite value's base-10000 digits (most significant first, no leading
/// or trailing zero groups) and the weight of the first.
fn base10000(d: &Dec) -> (i16, Vec<u16>) {
    if d.is_zero() {
        return (0, Vec::new());
    }
    let digits = d.mant.to_digits();
    let scale = d.scale as i64;
    // Pad so that the point falls on a group boundary.
    let int_len = digits.len() as i64 - scale;
    let left_pad = (4 - int_len.rem_euclid(4)) % 4;
    let frac_pad = (4 - scale.rem_euclid(4)) % 4;
    let mut all = "0".repeat(left_pad as usize);
    all.push_str(&digits);
    all.push_str(&"0".repeat(frac_pad as usize));
    let mut groups: Vec<u16> =
        all.as_bytes().chunks(4).map(|c| c.iter().fold(0u16, |acc, b| acc * 10 + (b - b'0') as u16)).collect();
    let mut weight = ((int_len + left_pad) / 4 - 1) as i16;
    let lead = groups.iter().take_while(|g| **g == 0).count();
    groups.drain(..lead);
    weight -= lead as i16;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    (weight, groups)
}

/// A finite value from base-10000 digits, weight, sign and display scale.
fn from_base10000(neg: bool, weight: i16, groups: &[u16], dscale: u32) -> Dec {
    let mut digits = String::with_capacity(groups.len() * 4);
    for g in groups {
        digits.push_str(&format!("{g:04}"));
    }
    // digits × 10^(4 (weight + 1 − n))
    let exp = 4 * (weight as i64 + 1 - groups.len() as i64);
    let text = format!("{}{}e{exp}", if neg { "-" } else { "" }, if digits.is_empty() { "0" } else { &digits });
    let d = Dec::parse_text(&text).unwrap_or_else(Dec::zero);
    // Apply the display scale: the digits past it are zeros.
    if d.scale > dscale { d.trunc(dscale as i64) } else { d.round(dscale as i64) }
}

const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;

/// The binary (`numeric_send`) form: ndigits, weight, sign, dscale, then
/// base-10000 digits, all big-endian 16-bit.
pub fn write_binary(canon: &str, out: &mut impl BufMut) -> Result<()> {
    let (sign, weight, dscale, groups) = match Num::parse(canon)? {
        Num::NaN => (NUMERIC_NAN, 0, 0, Vec::new()),
        // PostgreSQL sends its header's scale bits for an infinity: 32.
        Num::Inf(false) => (NUMERIC_PINF, 0, 32, Vec::new()),
        Num::Inf(true) => (NUMERIC_NINF, 0, 32, Vec::new()),
        Num::Fin(d) => {
            let (w, g) = base10000(&d);
            (if d.neg { NUMERIC_NEG } else { 0 }, w, d.scale as u16, g)
        }
    };
    out.put_u16(groups.len() as u16);
    out.put_i16(weight);
    out.put_u16(sign);
    out.put_u16(dscale);
    for g in groups {
        out.put_u16(g);
    }
    Ok(())
}

/// Parse the binary form back to canonical text.
pub fn read_binary(bytes: &[u8]) -> Result<String> {
    let bad = || err!(SqlState::INVALID_BINARY_REPRESENTATION, "invalid numeric binary format");
    let get = |i: usize| -> Result<u16> {
        bytes.get(i * 2..i * 2 + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(bad)
    };
    let (n, weight, sign, dscale) = (get(0)? as usize, get(1)? as i16, get(2)?, get(3)?);
    match sign {
        NUMERIC_NAN => return Ok("NaN".into()),
        NUMERIC_PINF => return Ok("Infinity".into()),
        NUMERIC_NINF => return Ok("-Infinity".into()),
        0 | NUMERIC_NEG => {}
        _ => return Err(err!(SqlState::INVALID_BINARY_REPRESENTATION, "invalid sign in external \"numeric\" value")),
    }
    if bytes.len() != 8 + 2 * n {
        return Err(bad());
    }
    if dscale as i64 > dec::MAX_SCALE {
        return Err(err!(SqlState::INVALID_BINARY_REPRESENTATION, "invalid scale in external \"numeric\" value"));
    }
    let groups = (0..n).map(|i| get(4 + i)).collect::<Result<Vec<u16>>>()?;
    if groups.iter().any(|g| *g >= 10000) {
        return Err(err!(SqlState::INVALID_BINARY_REPRESENTATION, "invalid digit in external \"numeric\" value"));
    }
    Ok(Num::Fin(from_base10000(sign == NUMERIC_NEG, weight, &groups, dscale as u32).checked()?).to_string())
}

/// The stored form inside a heap tuple (little-endian, PostgreSQL's
/// layout in spirit): a 16-bit header — bits 0..13 the display scale,
/// bits 14..15 the sign (0 positive, 1 negative, 2 special: scale 0 NaN,
/// 1 Infinity, 2 -Infinity) — then for finite values a 16-bit weight and
/// the base-10000 digits, two bytes each. `12345.67` takes 10 bytes.
pub fn to_storage(canon: &str) -> Vec<u8> {
    let n = Num::parse(canon).unwrap_or(Num::NaN);
    let special = |k: u16| (0x8000u16 | k).to_le_bytes().to_vec();
    match n {
        Num::NaN => special(0),
        Num::Inf(false) => special(1),
        Num::Inf(true) => special(2),
        Num::Fin(d) => {
            let (weight, groups) = base10000(&d);
            let mut out = Vec::with_capacity(4 + 2 * groups.len());
            out.extend_from_slice(&((d.scale as u16 & 0x3FFF) | if d.neg { 0x4000 } else { 0 }).to_le_bytes());
            out.extend_from_slice(&weight.to_le_bytes());
            for g in groups {
                out.extend_from_slice(&g.to_le_bytes());
            }
            out
        }
    }
}

/// Canonical text from the stored form (see [`to_storage`]).
pub fn from_storage(b: &[u8]) -> Option<String> {
    let header = u16::from_le_bytes(b.get(..2)?.try_into().ok()?);
    if header & 0x8000 != 0 {
        return Some(
            match header & 0x3FFF {
                0 => "NaN",
                1 => "Infinity",
                _ => "-Infinity",
            }
            .to_string(),
        );
    }
    let weight = i16::from_le_bytes(b.get(2..4)?.try_into().ok()?);
    let groups: Vec<u16> = b[4..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    Some(from_base10000(header & 0x4000 != 0, weight, &groups, (header & 0x3FFF) as u32).to_string())
}

/// The canonical text with trailing fractional zeros removed, so that
/// numerically equal values (`1.0`, `1.00`) give equal keys.
pub fn normalized(canon: &str) -> String {
    match Num::parse(canon) {
        Ok(Num::Fin(d)) => d.trimmed().to_string(),
        Ok(n) => n.to_string(),
        Err(_) => canon.to_string(),
    }
}

/// A `numeric(p,s)` typmod as PostgreSQL encodes it: `((p << 16) | s) + 4`,
/// the scale in the low 11 bits as a signed value (PostgreSQL 15 allows
/// scales from -1000 to 1000).
pub fn typmod(precision: i64, scale: i64) -> Result<i32> {
    if !(1..=1000).contains(&precision) {
        return Err(err!(
            SqlState::INVALID_PARAMETER_VALUE,
            "NUMERIC precision {precision} must be between 1 and 1000"
        ));
    }
    if !(-1000..=1000).contains(&scale) {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "NUMERIC scale {scale} must be between -1000 and 1000"));
    }
    Ok((((precision as i32) << 16) | (scale as i32 & 0x7ff)) + 4)
}

/// Precision and scale of a typmod made by [`typmod`].
pub fn typmod_parts(typmod: i32) -> (i64, i64) {
    let t = typmod - 4;
    (((t >> 16) & 0xffff) as i64, (((t & 0x7ff) ^ 1024) - 1024) as i64)
}

/// Apply a column's `numeric(p,s)`: round to scale `s`, then refuse values
/// with more than `p - s` digits before the point (22003).
pub fn apply_typmod(canon: &str, typmod: i32) -> Result<String> {
    if typmod < 4 {
        return Ok(canon.to_string());
    }
    let (precision, scale) = typmod_parts(typmod);
    let d = match Num::parse(canon)? {
        Num::NaN => return Ok("NaN".into()),
        Num::Inf(_) => {
            return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow").with_detail(format!(
                "A field with precision {precision}, scale {scale} cannot hold an infinite value."
            )));
        }
        Num::Fin(d) => d,
    };
    let r = d.round(scale);
    let max_int = precision - scale;
    if !r.is_zero() && r.dweight() + 1 > max_int {
        let bound = if max_int == 0 { "1".to_string() } else { format!("10^{max_int}") };
        let detail = format!(
            "A field with precision {precision}, scale {scale} must round to an absolute value less than {bound}."
        );
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow").with_detail(detail));
    }
    Ok(r.to_string())
}

/// Round to `digits` decimal places (negative: to the left of the point),
/// half away from zero; the result's scale is `max(digits, 0)`.
pub fn round(canon: &str, digits: i64) -> Result<String> {
    Ok(match Num::parse(canon)? {
        Num::Fin(d) => d.round(digits).checked()?.to_string(),
        special => special.to_string(),
    })
}

/// Which way [`round_toward`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toward {
    /// `floor`.
    Down,
    /// `ceil`.
    Up,
    /// `trunc`.
    Zero,
}

/// `floor`, `ceil`, `trunc` to `digits` decimal places (negative: to the
/// left of the point); the result's scale is `max(digits, 0)`.
pub fn round_toward(canon: &str, digits: i64, toward: Toward) -> Result<String> {
    Ok(match Num::parse(canon)? {
        Num::Fin(d) => match toward {
            Toward::Zero => d.trunc(digits),
            Toward::Up => d.round_toward(digits, true),
            Toward::Down => d.round_toward(digits, false),
        }
        .checked()?
        .to_string(),
        special => special.to_string(),
    })
}

/// `sign(numeric)`: -1, 0 or 1 (NaN stays NaN).
pub fn sign(canon: &str) -> Result<String> {
    let n = Num::parse(canon)?;
    Ok(if n == Num::NaN { n.to_string() } else { n.signum().to_string() })
}

/// `abs(numeric)`.
pub fn abs(canon: &str) -> Result<String> {
    Ok(Num::parse(canon)?.abs().to_string())
}

/// `mod(a, b)`: the remainder of the quotient truncated toward zero, with
/// the sign of `a` and the larger of the two scales.
pub fn modulo(a: &str, b: &str) -> Result<String> {
    Ok(Num::parse(a)?.rem(&Num::parse(b)?)?.to_string())
}

/// `div(a, b)`: the quotient truncated toward zero, scale 0.
pub fn div_trunc(a: &str, b: &str) -> Result<String> {
    Ok(match (Num::parse(a)?, Num::parse(b)?) {
        (Num::NaN, _) | (_, Num::NaN) => Num::NaN,
        (Num::Inf(_), Num::Inf(_)) => Num::NaN,
        (Num::Inf(neg), d) => match d.signum() {
            0 => return Err(division_by_zero()),
            s => Num::Inf(neg != (s < 0)),
        },
        (Num::Fin(_), Num::Inf(_)) => Num::zero(),
        (Num::Fin(x), Num::Fin(y)) => Num::Fin(x.div_scaled(&y, 0, false)?),
    }
    .to_string())
}

/// `gcd` (`lcm` when `least_multiple`) of two numerics, with the larger scale.
pub fn gcd(a: &str, b: &str, least_multiple: bool) -> Result<String> {
    let (x, y) = match (Num::parse(a)?, Num::parse(b)?) {
        (Num::Fin(x), Num::Fin(y)) => (x, y),
        _ => return Ok("NaN".into()),
    };
    let (mut p, mut q) = (x.abs(), y.abs());
    while !q.is_zero() {
        let r = p.rem(&q)?;
        p = q;
        q = r;
    }
    let scale = x.scale.max(y.scale) as i64;
    let r = if !least_multiple {
        p
    } else if x.is_zero() || y.is_zero() {
        Dec::zero()
    } else {
        x.div_scaled(&p, 0, false)?.mul(&y).abs()
    };
    Ok(r.round(scale).checked()?.to_string())
}

/// `factorial(n)`.
pub fn factorial(n: i64) -> Result<String> {
    if n < 0 {
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "factorial of a negative number is undefined"));
    }
    // 32177! is the first with more than 131072 digits.
    if n > 32177 {
        return Err(overflow());
    }
    let mut f = Dec::from_i128(1);
    for k in 2..=n as i128 {
        f = f.mul(&Dec::from_i128(k));
    }
    Ok(f.checked()?.to_string())
}

/// `sqrt(numeric)`.
pub fn sqrt(canon: &str) -> Result<String> {
    Ok(match Num::parse(canon)? {
        Num::NaN => Num::NaN,
        Num::Inf(false) => Num::Inf(false),
        Num::Inf(true) => {
            return Err(err!(
                SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                "cannot take square root of a negative number"
            ));
        }
        Num::Fin(d) => Num::Fin(transcend::sqrt(&d)?),
    }
    .to_string())
}

/// `exp(numeric)`.
pub fn exp(canon: &str) -> Result<String> {
    Ok(match Num::parse(canon)? {
        Num::NaN => Num::NaN,
        Num::Inf(false) => Num::Inf(false),
        Num::Inf(true) => Num::zero(),
        Num::Fin(d) => Num::Fin(transcend::exp(&d)?),
    }
    .to_string())
}

fn log_special(n: &Num) -> Result<Option<Num>> {
    Ok(match n {
        Num::NaN => Some(Num::NaN),
        Num::Inf(false) => Some(Num::Inf(false)),
        Num::Inf(true) => {
            return Err(err!(SqlState::INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of a negative number"));
        }
        Num::Fin(_) => None,
    })
}

/// `ln(numeric)`.
pub fn ln(canon: &str) -> Result<String> {
    let n = Num::parse(canon)?;
    if let Some(s) = log_special(&n)? {
        return Ok(s.to_string());
    }
    let d = n.finite("ln")?;
    Ok(transcend::ln(d)?.to_string())
}

/// `log(b, x)` (and `log(x)` = `log(10, x)`).
pub fn log(base: &str, x: &str) -> Result<String> {
    let (b, n) = (Num::parse(base)?, Num::parse(x)?);
    if b == Num::NaN || n == Num::NaN {
        return Ok("NaN".into());
    }
    if let (Num::Fin(b), Num::Fin(n)) = (&b, &n) {
        return Ok(transcend::log(b, n)?.to_string());
    }
    log_special(&b)?;
    log_special(&n)?;
    // log(inf, inf) is NaN; log(finite, inf) is ±inf by the base; log(inf, finite) is 0.
    Ok(match (&b, &n) {
        (Num::Inf(_), Num::Inf(_)) => Num::NaN,
        (Num::Fin(b), _) => {
            let one = Dec::from_i128(1);
            match b.compare(&one) {
                Ordering::Equal => return Err(division_by_zero()),
                Ordering::Less => Num::Inf(true),
                Ordering::Greater => Num::Inf(false),
            }
        }
        _ => Num::zero(),
    }
    .to_string())
}

/// `power(x, y)` and `x ^ y`.
pub fn power(x: &str, y: &str) -> Result<String> {
    let (x, y) = (Num::parse(x)?, Num::parse(y)?);
    match (&x, &y) {
        (Num::Fin(a), Num::Fin(b)) => Ok(transcend::power(a, b)?.to_string()),
        _ => Ok(power_special(&x, &y)?.to_string()),
    }
}

/// `x ^ y` where either is NaN or infinite, by PostgreSQL's rules.
fn power_special(x: &Num, y: &Num) -> Result<Num> {
    let one = Num::from_i128(1);
    let is_one = |n: &Num| *n != Num::NaN && n.compare(&one) == Ordering::Equal;
    if *x == Num::NaN {
        return Ok(if *y != Num::NaN && y.signum() == 0 { one } else { Num::NaN });
    }
    if *y == Num::NaN {
        return Ok(if is_one(x) { one } else { Num::NaN });
    }
    // PostgreSQL counts an infinity as integral.
    let integral = match y {
        Num::Fin(d) => d.to_i128_exact().is_some(),
        _ => true,
    };
    if x.signum() == 0 && y.signum() < 0 {
        return Err(err!(
            SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "zero raised to a negative power is undefined"
        ));
    }
    if x.signum() < 0 && !integral {
        return Err(err!(
            SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "a negative number raised to a non-integer power yields a complex result"
        ));
    }
    if is_one(x) || y.signum() == 0 {
        return Ok(one);
    }
    Ok(match (x, y) {
        (Num::Fin(b), Num::Inf(yneg)) => match b.abs().compare(&Dec::from_i128(1)) {
            Ordering::Equal => one,
            Ordering::Greater => {
                if *yneg {
                    Num::zero()
                } else {
                    Num::Inf(false)
                }
            }
            Ordering::Less => {
                if *yneg {
                    Num::Inf(false)
                } else {
                    Num::zero()
                }
            }
        },
        (Num::Inf(xneg), _) => {
            if y.signum() < 0 {
                return Ok(Num::zero());
            }
            let odd = match y {
                Num::Fin(d) => d.to_i128_exact().is_some_and(|v| v % 2 != 0),
                _ => false,
            };
            Num::Inf(*xneg && odd)
        }
        _ => Num::NaN,
    })
}

/// `scale(numeric)`: the display scale (NULL for NaN and infinities).
/// PostgreSQL's numeric `variance`/`stddev` (of a sample, or of the
/// population) from the count of values, Σx and Σx²: `(NΣx² − (Σx)²) /
/// (N(N−1))` (or `/ N²`) at the division's scale, its square root at the
/// same scale for `root`. `None` where it is undefined (a sample of one).
pub fn variance(n: i64, sum: &Dec, sum2: &Dec, sample: bool, root: bool) -> Result<Option<Dec>> {
    if n == 0 || (sample && n <= 1) {
        return Ok(None);
    }
    let count = Dec::from_i128(n as i128);
    let numerator = count.mul(sum2).sub(&sum.mul(sum));
    if numerator.neg || numerator.is_zero() {
        return Ok(Some(Dec::zero()));
    }
    let n = n as i128;
    let denominator = Dec::from_i128(if sample { n * (n - 1) } else { n * n });
    let rscale = numerator.div_scale(&denominator);
    let quotient = numerator.div_scaled(&denominator, rscale, true)?;
    Ok(Some(if root { transcend::sqrt_scaled(&quotient, rscale) } else { quotient }))
}

pub fn scale(canon: &str) -> Result<Option<i32>> {
    Ok(match Num::parse(canon)? {
        Num::Fin(d) => Some(d.scale as i32),
        _ => None,
    })
}

/// `min_scale(numeric)`: the fewest decimals that represent the value exactly.
pub fn min_scale(canon: &str) -> Result<Option<i32>> {
    Ok(match Num::parse(canon)? {
        Num::Fin(d) => Some(d.trimmed().scale as i32),
        _ => None,
    })
}

/// `trim_scale(numeric)`: the value without trailing fractional zeros.
pub fn trim_scale(canon: &str) -> Result<String> {
    Ok(match Num::parse(canon)? {
        Num::Fin(d) => d.trimmed().to_string(),
        special => special.to_string(),
    })
}

/// `width_bucket(operand, low, high, count)` over numerics.
pub fn width_bucket(operand: &str, low: &str, high: &str, count: i64) -> Result<i64> {
    let fin = |s: &str| -> Result<Dec> {
        match Num::parse(s)? {
            Num::Fin(d) => Ok(d),
            Num::NaN => Err(err!(
                SqlState::INVALID_ARGUMENT_FOR_WIDTH_BUCKET,
                "operand, lower bound, and upper bound cannot be NaN"
            )),
            Num::Inf(_) => {
                Err(err!(SqlState::INVALID_ARGUMENT_FOR_WIDTH_BUCKET, "lower and upper bounds must be finite"))
            }
        }
    };
    let (op, lo, hi) = (fin(operand)?, fin(low)?, fin(high)?);
    let past_end =
        || count.checked_add(1).ok_or_else(|| err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range"));
    let bucket = |num: Dec, den: Dec| -> Result<i64> {
        let q = num.mul(&Dec::from_i128(count as i128)).div_scaled(&den, 0, false)?;
        Ok(q.to_i128_exact().unwrap_or(0) as i64 + 1)
    };
    Ok(if lo.compare(&hi).is_lt() {
        if op.compare(&lo).is_lt() {
            0
        } else if op.compare(&hi).is_ge() {
            past_end()?
        } else {
            bucket(op.sub(&lo), hi.sub(&lo))?
        }
    } else if op.compare(&lo).is_gt() {
        0
    } else if op.compare(&hi).is_le() {
        past_end()?
    } else {
        bucket(lo.sub(&op), lo.sub(&hi))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_match_postgres() {
        assert_eq!(canonical("1.5").unwrap(), "1.5");
        assert_eq!(canonical("1.50").unwrap(), "1.50");
        assert_eq!(canonical("1e3").unwrap(), "1000");
        assert_eq!(canonical("1.50e1").unwrap(), "15.0");
        assert_eq!(canonical("1.5e-3").unwrap(), "0.0015");
        assert_eq!(canonical(".5").unwrap(), "0.5");
        assert_eq!(canonical("-0.0").unwrap(), "0.0");
        assert_eq!(canonical("007.10").unwrap(), "7.10");
        assert_eq!(canonical("-inf").unwrap(), "-Infinity");
        assert!(canonical("1.2.3").is_err());
    }

    #[test]
    fn binary_and_storage_round_trip() {
        for v in [
            "0",
            "1.5",
            "-12345.6789",
            "100000000",
            "0.0001",
            "123.450",
            "NaN",
            "0.00",
            "Infinity",
            "-Infinity",
            "123456789012345678901234567890.123456789",
            "-0.000000001",
        ] {
            let mut buf = Vec::new();
            write_binary(v, &mut buf).unwrap();
            assert_eq!(read_binary(&buf).unwrap(), v, "{v}");
            assert_eq!(from_storage(&to_storage(v)).unwrap(), v, "{v}");
        }
        assert_eq!(to_storage("12345.67").len(), 10);
    }

    #[test]
    fn conversions_and_typmods() {
        assert_eq!(to_i64("2.5"), Some(3));
        assert_eq!(to_i64("-2.5"), Some(-3));
        assert_eq!(from_f64(0.1 + 0.2, 15).unwrap(), "0.3");
        assert_eq!(from_f64(1e20, 15).unwrap(), "100000000000000000000");
        let t = typmod(5, 2).unwrap();
        assert_eq!(typmod_parts(t), (5, 2));
        assert_eq!(typmod_parts(typmod(3, -2).unwrap()), (3, -2));
        assert_eq!(apply_typmod("12.345", t).unwrap(), "12.35");
        assert!(apply_typmod("999.995", t).is_err());
        assert_eq!(apply_typmod("12345", typmod(3, -2).unwrap()).unwrap(), "12300");
    }

    #[test]
    fn functions_keep_postgres_scale() {
        assert_eq!(round_toward("1.567", 2, Toward::Zero).unwrap(), "1.56");
        assert_eq!(round_toward("123.456", -1, Toward::Zero).unwrap(), "120");
        assert_eq!(sqrt("100000000000000000000").unwrap(), "10000000000.00000");
        assert_eq!(sqrt("0.0001").unwrap(), "0.01000000000000000");
        assert_eq!(sqrt("123456789.123").unwrap(), "11111.11106609056");
        assert_eq!(sqrt("0.0").unwrap(), "0.000000000000000");
        assert_eq!(modulo("5.5", "-2").unwrap(), "1.5");
        assert_eq!(div_trunc("-7", "2").unwrap(), "-3");
        assert_eq!(gcd("12.5", "5", false).unwrap(), "2.5");
        assert_eq!(width_bucket("5.35", "0.024", "10.06", 5).unwrap(), 3);
        assert_eq!(factorial(30).unwrap(), "265252859812191058636308480000000");
        assert_eq!(power("2", "3").unwrap(), "8.0000000000000000");
    }
}
