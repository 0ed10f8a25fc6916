//! `numeric` values, as far as tusk computes with them yet: literals, input
//! and output (text and binary), and casts to and from the other numeric
//! types. A value is kept as its canonical decimal text (`-12.340`), which is
//! exactly what PostgreSQL prints, scale included. Arithmetic on numeric
//! comes with the arbitrary-precision implementation.

use bytes::BufMut;

use crate::err;
use crate::error::{Error, Result, SqlState};

/// Canonicalize a numeric literal or text input: `1e3` → `1000`,
/// `1.50e1` → `15.0`, `-0.0` → `0.0`, `nan` → `NaN`.
pub fn canonical(text: &str) -> Result<String> {
    let invalid = || err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type numeric: \"{text}\"");
    let t = text.trim();
    if t.eq_ignore_ascii_case("nan") {
        return Ok("NaN".into());
    }
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => {
            let e: i64 = body[i + 1..].parse().map_err(|_| invalid())?;
            (&body[..i], e)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    if exp.abs() > 1000 {
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format"));
    }
    // digits × 10^(point) where point = position of the decimal point from the left.
    let digits: String = format!("{int_part}{frac_part}");
    let point = int_part.len() as i64 + exp;
    let scale = (frac_part.len() as i64 - exp).max(0) as usize;
    let mut int_digits = String::new();
    let mut frac_digits = String::new();
    for (i, c) in digits.chars().enumerate() {
        if (i as i64) < point {
            int_digits.push(c);
        } else {
            frac_digits.push(c);
        }
    }
    if point > digits.len() as i64 {
        int_digits.extend(std::iter::repeat_n('0', (point - digits.len() as i64) as usize));
    }
    if point < 0 {
        frac_digits = format!("{}{frac_digits}", "0".repeat((-point) as usize));
    }
    let int_digits = int_digits.trim_start_matches('0');
    frac_digits.truncate(scale.min(frac_digits.len()));
    while frac_digits.len() < scale {
        frac_digits.push('0');
    }
    let zero = int_digits.is_empty() && frac_digits.bytes().all(|b| b == b'0');
    let mut out = String::with_capacity(int_digits.len() + frac_digits.len() + 3);
    if neg && !zero {
        out.push('-');
    }
    out.push_str(if int_digits.is_empty() { "0" } else { int_digits });
    if scale > 0 {
        out.push('.');
        out.push_str(&frac_digits);
    }
    Ok(out)
}

/// Round to an integer, half away from zero, as numeric-to-integer casts do.
pub fn to_i64(canon: &str) -> Option<i64> {
    if canon == "NaN" {
        return None;
    }
    let (neg, body) = canon.strip_prefix('-').map_or((false, canon), |b| (true, b));
    let (int_part, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut v: i128 = int_part.parse().ok()?;
    if frac.as_bytes().first().is_some_and(|d| *d >= b'5') {
        v += 1;
    }
    i64::try_from(if neg { -v } else { v }).ok()
}

pub fn to_f64(canon: &str) -> f64 {
    if canon == "NaN" { f64::NAN } else { canon.parse().unwrap_or(f64::NAN) }
}

/// PostgreSQL's float-to-numeric conversion keeps the float's significant
/// digits (15 for float8, 6 for float4).
pub fn from_f64(v: f64, digits: usize) -> Result<String> {
    if v.is_nan() {
        return Ok("NaN".into());
    }
    if v.is_infinite() {
        return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot convert infinity to numeric"));
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

/// The binary (`numeric_send`) form: base-10000 digits with weight, sign and scale.
pub fn write_binary(canon: &str, out: &mut impl BufMut) -> Result<()> {
    if canon == "NaN" {
        out.put_i16(0);
        out.put_i16(0);
        out.put_u16(0xC000);
        out.put_i16(0);
        return Ok(());
    }
    let (neg, body) = canon.strip_prefix('-').map_or((false, canon), |b| (true, b));
    let (int_part, frac) = body.split_once('.').unwrap_or((body, ""));
    let dscale = frac.len();
    let int_part = int_part.trim_start_matches('0');
    // Pad the integer part on the left and the fraction on the right to groups of 4.
    let int_pad = (4 - int_part.len() % 4) % 4;
    let frac_pad = (4 - frac.len() % 4) % 4;
    let all = format!("{}{int_part}{frac}{}", "0".repeat(int_pad), "0".repeat(frac_pad));
    let mut groups: Vec<i16> = all
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).ok().and_then(|s| s.parse().ok()).unwrap_or(0))
        .collect();
    let mut weight = ((int_part.len() + int_pad) / 4) as i16 - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let n = i16::try_from(groups.len()).map_err(|_| Error::internal("numeric too long for binary format"))?;
    out.put_i16(n);
    out.put_i16(weight);
    out.put_u16(if neg { 0x4000 } else { 0 });
    out.put_i16(dscale as i16);
    for g in groups {
        out.put_i16(g);
    }
    Ok(())
}

/// Parse the binary form back to canonical text.
pub fn read_binary(bytes: &[u8]) -> Result<String> {
    let bad = || err!(SqlState::INVALID_BINARY_REPRESENTATION, "invalid numeric binary format");
    let get = |i: usize| -> Result<i16> {
        bytes.get(i * 2..i * 2 + 2).map(|b| i16::from_be_bytes([b[0], b[1]])).ok_or_else(bad)
    };
    let (n, weight, sign, dscale) = (get(0)?, get(1)?, get(2)? as u16, get(3)?);
    if sign == 0xC000 {
        return Ok("NaN".into());
    }
    if n < 0 || dscale < 0 || bytes.len() != 8 + 2 * n as usize || !(sign == 0 || sign == 0x4000) {
        return Err(bad());
    }
    let mut int_part = String::new();
    let mut frac = String::new();
    for i in 0..n as i32 {
        let g = get(4 + i as usize)?;
        if !(0..10000).contains(&g) {
            return Err(bad());
        }
        let pos = weight as i32 - i;
        if pos >= 0 {
            int_part.push_str(&format!("{g:04}"));
        } else {
            while frac.len() < ((-pos - 1) * 4) as usize {
                frac.push('0');
            }
            frac.push_str(&format!("{g:04}"));
        }
    }
    for _ in 0..(weight as i32 + 1 - n as i32).max(0) {
        int_part.push_str("0000");
    }
    let text = format!(
        "{}{}.{frac}",
        if sign == 0x4000 { "-" } else { "" },
        if int_part.is_empty() { "0" } else { &int_part }
    );
    let mut c = canonical(&text)?;
    // Apply the declared display scale.
    let (head, f) =
        c.split_once('.').map(|(h, f)| (h.to_string(), f.to_string())).unwrap_or((c.clone(), String::new()));
    let mut f = f;
    f.truncate(dscale as usize);
    while f.len() < dscale as usize {
        f.push('0');
    }
    c = if dscale > 0 { format!("{head}.{f}") } else { head };
    Ok(c)
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
        assert!(canonical("1.2.3").is_err());
    }

    #[test]
    fn binary_round_trip() {
        for v in ["0", "1.5", "-12345.6789", "100000000", "0.0001", "123.450", "NaN", "0.00"] {
            let mut buf = Vec::new();
            write_binary(v, &mut buf).unwrap();
            assert_eq!(read_binary(&buf).unwrap(), v, "{v}");
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(to_i64("2.5"), Some(3));
        assert_eq!(to_i64("-2.5"), Some(-3));
        assert_eq!(from_f64(0.1 + 0.2, 15).unwrap(), "0.3");
        assert_eq!(from_f64(1e20, 15).unwrap(), "100000000000000000000");
    }
}

/// The canonical text with trailing fractional zeros removed, so that
/// numerically equal values (`1.0`, `1.00`) give equal keys.
pub fn normalized(canon: &str) -> String {
    match canon.split_once('.') {
        Some((i, f)) => {
            let f = f.trim_end_matches('0');
            let i = if i == "-0" { "0" } else { i };
            if f.is_empty() { if i == "-0" { "0".to_string() } else { i.to_string() } } else { format!("{i}.{f}") }
        }
        None => canon.to_string(),
    }
}

/// A decimal value for arithmetic: `mant × 10^-scale`, exact within 38
/// digits. Results that do not fit are an error (22003) rather than
/// rounded; wider values come with the arbitrary-precision implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec {
    mant: i128,
    scale: u32,
}

/// PostgreSQL's NUMERIC_MIN_SIG_DIGITS: a quotient has at least this many significant digits.
const MIN_SIG_DIGITS: i64 = 16;

fn overflow() -> Error {
    err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format")
}

fn pow10(n: u32) -> Result<i128> {
    10i128.checked_pow(n).ok_or_else(overflow)
}

impl Dec {
    pub const ZERO: Dec = Dec { mant: 0, scale: 0 };

    pub fn from_i128(v: i128) -> Result<Dec> {
        Ok(Dec { mant: v, scale: 0 })
    }

    /// From canonical text (see [`canonical`]).
    pub fn parse(canon: &str) -> Result<Dec> {
        if canon == "NaN" {
            return Err(Error::not_supported("arithmetic on numeric NaN"));
        }
        let (neg, body) = match canon.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, canon),
        };
        let (i, f) = body.split_once('.').unwrap_or((body, ""));
        let mut mant: i128 = 0;
        for b in i.bytes().chain(f.bytes()) {
            if !b.is_ascii_digit() {
                return Err(err!(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    "invalid input syntax for type numeric: \"{canon}\""
                ));
            }
            mant = mant.checked_mul(10).and_then(|m| m.checked_add((b - b'0') as i128)).ok_or_else(overflow)?;
        }
        Ok(Dec { mant: if neg { -mant } else { mant }, scale: f.len() as u32 })
    }

    fn rescale(self, scale: u32) -> Result<i128> {
        self.mant.checked_mul(pow10(scale - self.scale)?).ok_or_else(overflow)
    }

    pub fn add(&self, o: &Dec) -> Result<Dec> {
        let scale = self.scale.max(o.scale);
        let mant = self.rescale(scale)?.checked_add(o.rescale(scale)?).ok_or_else(overflow)?;
        Ok(Dec { mant, scale })
    }

    pub fn sub(&self, o: &Dec) -> Result<Dec> {
        self.add(&Dec { mant: -o.mant, scale: o.scale })
    }

    pub fn mul(&self, o: &Dec) -> Result<Dec> {
        Ok(Dec { mant: self.mant.checked_mul(o.mant).ok_or_else(overflow)?, scale: self.scale + o.scale })
    }

    /// The weight (power of 10000) and value of the first non-zero base-10000
    /// digit, as PostgreSQL's numeric stores it.
    fn first_digit(&self) -> (i64, i128) {
        let abs = self.mant.unsigned_abs();
        if abs == 0 {
            return (0, 0);
        }
        let digits = abs.ilog10() as i64 + 1;
        let exp = digits - 1 - self.scale as i64;
        let weight = exp.div_euclid(4);
        let shift = self.scale as i64 + 4 * weight;
        let first = if shift >= 0 { abs / 10u128.pow(shift as u32) } else { abs * 10u128.pow((-shift) as u32) };
        (weight, first as i128)
    }

    /// Division with PostgreSQL's result scale (select_div_scale), rounded half away from zero.
    pub fn div(&self, o: &Dec) -> Result<Dec> {
        if o.mant == 0 {
            return Err(err!(SqlState::DIVISION_BY_ZERO, "division by zero"));
        }
        let (w1, f1) = self.first_digit();
        let (w2, f2) = o.first_digit();
        let mut qweight = w1 - w2;
        if f1 <= f2 {
            qweight -= 1;
        }
        let rscale = (MIN_SIG_DIGITS - qweight * 4).max(self.scale as i64).max(o.scale as i64).clamp(0, 1000) as u32;
        // q = self / o × 10^rscale = self.mant × 10^(rscale + o.scale - self.scale) / o.mant
        let exp = rscale as i64 + o.scale as i64 - self.scale as i64;
        let (num, den) = if exp >= 0 {
            (self.mant.checked_mul(pow10(exp as u32)?).ok_or_else(overflow)?, o.mant)
        } else {
            (self.mant, o.mant.checked_mul(pow10((-exp) as u32)?).ok_or_else(overflow)?)
        };
        let (q, r) = (num / den, num % den);
        let round_up = r.unsigned_abs() * 2 >= den.unsigned_abs();
        let q = if round_up { if (num < 0) != (den < 0) { q - 1 } else { q + 1 } } else { q };
        Ok(Dec { mant: q, scale: rscale })
    }

    pub fn compare(&self, o: &Dec) -> std::cmp::Ordering {
        let scale = self.scale.max(o.scale);
        match (self.rescale(scale), o.rescale(scale)) {
            (Ok(a), Ok(b)) => a.cmp(&b),
            // Too wide for exact alignment: the value with more integer digits is larger in magnitude.
            _ => (self.mant as f64 / 10f64.powi(self.scale as i32))
                .partial_cmp(&(o.mant as f64 / 10f64.powi(o.scale as i32)))
                .unwrap_or(std::cmp::Ordering::Equal),
        }
    }
}

impl std::fmt::Display for Dec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let abs = self.mant.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let sign = if self.mant < 0 { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{abs}");
        }
        let padded = if abs.len() <= scale { format!("{}{abs}", "0".repeat(scale + 1 - abs.len())) } else { abs };
        let (i, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{i}.{frac}")
    }
}

#[cfg(test)]
mod dec_tests {
    use super::*;

    #[test]
    fn division_takes_postgres_scale() {
        let d = |s: &str| Dec::parse(s).unwrap();
        assert_eq!(d("10").div(&d("4")).unwrap().to_string(), "2.5000000000000000");
        assert_eq!(d("1").div(&d("3")).unwrap().to_string(), "0.33333333333333333333");
        assert_eq!(d("2").div(&d("3")).unwrap().to_string(), "0.66666666666666666667");
        assert_eq!(d("-7").div(&d("2")).unwrap().to_string(), "-3.5000000000000000");
        assert_eq!(d("100000").div(&d("3")).unwrap().to_string(), "33333.333333333333");
        assert_eq!(d("1.5").add(&d("2.25")).unwrap().to_string(), "3.75");
        assert_eq!(d("1.5").mul(&d("-2.25")).unwrap().to_string(), "-3.375");
        assert_eq!(d("0.001").sub(&d("1")).unwrap().to_string(), "-0.999");
        assert_eq!(normalized("1.500"), "1.5");
        assert_eq!(normalized("2.000"), "2");
    }
}

/// Round to `digits` decimal places (negative: to the left of the point),
/// half away from zero; the result's scale is `max(digits, 0)`.
pub fn round(canon: &str, digits: i64) -> Result<String> {
    if canon == "NaN" {
        return Ok(canon.to_string());
    }
    let d = Dec::parse(canon)?;
    let digits = digits.clamp(-1000, 1000);
    let target = digits.max(0) as u32;
    // Work at scale `digits` (may be negative: scale up the divisor).
    let drop = d.scale as i64 - digits;
    let mant = if drop <= 0 {
        d.mant.checked_mul(pow10((-drop) as u32)?).ok_or_else(overflow)?
    } else {
        let p = pow10(drop.min(38) as u32)?;
        let (q, r) = (d.mant / p, d.mant % p);
        let q = if r.unsigned_abs() * 2 >= p.unsigned_abs() { q + d.mant.signum() } else { q };
        if digits < 0 { q.checked_mul(pow10((-digits) as u32)?).ok_or_else(overflow)? } else { q }
    };
    Ok(Dec { mant, scale: target }.to_string())
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
    if canon == "NaN" {
        return Ok(canon.to_string());
    }
    let d = Dec::parse(canon)?;
    let digits = digits.clamp(-1000, 1000);
    let drop = d.scale as i64 - digits;
    let mant = if drop <= 0 {
        d.mant.checked_mul(pow10((-drop) as u32)?).ok_or_else(overflow)?
    } else {
        let q = if drop > 38 {
            0
        } else {
            let p = pow10(drop as u32)?;
            let (q, r) = (d.mant / p, d.mant % p);
            match toward {
                Toward::Down if r < 0 => q - 1,
                Toward::Up if r > 0 => q + 1,
                _ => q,
            }
        };
        let q = if drop > 38 {
            match toward {
                Toward::Down if d.mant < 0 => -1,
                Toward::Up if d.mant > 0 => 1,
                _ => 0,
            }
        } else {
            q
        };
        if digits < 0 { q.checked_mul(pow10((-digits) as u32)?).ok_or_else(overflow)? } else { q }
    };
    Ok(Dec { mant, scale: digits.max(0) as u32 }.to_string())
}

/// `sign(numeric)`: -1, 0 or 1.
pub fn sign(canon: &str) -> Result<String> {
    if canon == "NaN" {
        return Ok(canon.to_string());
    }
    Ok(Dec::parse(canon)?.mant.signum().to_string())
}

/// `mod(a, b)`: the remainder of the quotient truncated toward zero, with
/// the sign of `a` and the larger of the two scales.
pub fn modulo(a: &str, b: &str) -> Result<String> {
    let (x, y, scale) = aligned_divisor(a, b)?;
    Ok(Dec { mant: x % y, scale }.to_string())
}

/// Dividend and non-zero divisor as mantissas at their common scale.
fn aligned_divisor(a: &str, b: &str) -> Result<(i128, i128, u32)> {
    let (a, b) = (Dec::parse(a)?, Dec::parse(b)?);
    if b.mant == 0 {
        return Err(err!(SqlState::DIVISION_BY_ZERO, "division by zero"));
    }
    let scale = a.scale.max(b.scale);
    Ok((a.rescale(scale)?, b.rescale(scale)?, scale))
}

/// `div(a, b)`: the quotient truncated toward zero, scale 0.
pub fn div_trunc(a: &str, b: &str) -> Result<String> {
    let (x, y, _) = aligned_divisor(a, b)?;
    Ok((x / y).to_string())
}

/// `gcd` (`lcm` when `least_multiple`) of two numerics, with the larger scale.
pub fn gcd(a: &str, b: &str, least_multiple: bool) -> Result<String> {
    let (a, b) = (Dec::parse(a)?, Dec::parse(b)?);
    let scale = a.scale.max(b.scale);
    let (x, y) = (a.rescale(scale)?, b.rescale(scale)?);
    let g = gcd_i128(x, y);
    let mant = if !least_multiple {
        g
    } else if x == 0 || y == 0 {
        0
    } else {
        (x / g).checked_mul(y).ok_or_else(overflow)?.abs()
    };
    Ok(Dec { mant, scale }.to_string())
}

fn gcd_i128(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a as i128
}

/// `factorial(n)`.
pub fn factorial(n: i64) -> Result<String> {
    if n < 0 {
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "factorial of a negative number is undefined"));
    }
    let mut f: i128 = 1;
    for k in 2..=n as i128 {
        f = f.checked_mul(k).ok_or_else(overflow)?;
    }
    Ok(f.to_string())
}

/// `sqrt(numeric)`, with PostgreSQL's result scale: at least 16
/// significant digits and no fewer decimals than the input, correctly
/// rounded (half away from zero).
pub fn sqrt(canon: &str) -> Result<String> {
    if canon == "NaN" {
        return Ok(canon.to_string());
    }
    let d = Dec::parse(canon)?;
    if d.mant < 0 {
        return Err(err!(
            SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "cannot take square root of a negative number"
        ));
    }
    let (weight, _) = d.first_digit();
    let sweight = (weight + 1) * 4 / 2 - 1;
    let rscale = (MIN_SIG_DIGITS - sweight).max(d.scale as i64).clamp(0, 1000) as u32;
    // isqrt(mant × 10^(2k − scale)) = sqrt(value) × 10^k, truncated; one
    // digit more than the result keeps, to round from.
    let k = (rscale + 1).max(d.scale.div_ceil(2));
    let radicand = d.mant.checked_mul(pow10(2 * k - d.scale)?).ok_or_else(overflow)?;
    let root = radicand.unsigned_abs().isqrt();
    let p = 10u128.pow(k - rscale);
    let (q, r) = (root / p, root % p);
    let q = if r * 2 >= p { q + 1 } else { q };
    Ok(Dec { mant: q as i128, scale: rscale }.to_string())
}

/// `width_bucket(operand, low, high, count)` over numerics.
pub fn width_bucket(operand: &str, low: &str, high: &str, count: i64) -> Result<i64> {
    let (op, lo, hi) = (Dec::parse(operand)?, Dec::parse(low)?, Dec::parse(high)?);
    let scale = op.scale.max(lo.scale).max(hi.scale);
    let (op, lo, hi) = (op.rescale(scale)?, lo.rescale(scale)?, hi.rescale(scale)?);
    let bucket = |num: i128, den: i128| -> Result<i64> {
        let q = num.checked_mul(count as i128).ok_or_else(overflow)? / den;
        Ok(q as i64 + 1)
    };
    Ok(if lo < hi {
        if op < lo {
            0
        } else if op >= hi {
            count.checked_add(1).ok_or_else(|| err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range"))?
        } else {
            bucket(op - lo, hi - lo)?
        }
    } else if op > lo {
        0
    } else if op <= hi {
        count.checked_add(1).ok_or_else(|| err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range"))?
    } else {
        bucket(lo - op, lo - hi)?
    })
}

#[cfg(test)]
mod function_tests {
    use super::*;

    #[test]
    fn numeric_functions_keep_postgres_scale() {
        assert_eq!(round_toward("1.567", 2, Toward::Zero).unwrap(), "1.56");
        assert_eq!(round_toward("-1.5", 0, Toward::Down).unwrap(), "-2");
        assert_eq!(round_toward("-0.5", 0, Toward::Up).unwrap(), "0");
        assert_eq!(round_toward("123.456", -1, Toward::Zero).unwrap(), "120");
        assert_eq!(sqrt("2.0").unwrap(), "1.414213562373095");
        assert_eq!(sqrt("100000000000000000000").unwrap(), "10000000000.00000");
        assert_eq!(sqrt("0.0001").unwrap(), "0.01000000000000000");
        assert_eq!(sqrt("123456789.123").unwrap(), "11111.11106609056");
        assert_eq!(sqrt("0.0").unwrap(), "0.000000000000000");
        assert_eq!(modulo("5.5", "-2").unwrap(), "1.5");
        assert_eq!(div_trunc("-7", "2").unwrap(), "-3");
        assert_eq!(gcd("12.5", "5", false).unwrap(), "2.5");
        assert_eq!(width_bucket("5.35", "0.024", "10.06", 5).unwrap(), 3);
    }
}
