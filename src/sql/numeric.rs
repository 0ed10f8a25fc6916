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
