//! Square root, exponential, logarithms and powers of finite numerics.
//! Each picks its result scale as PostgreSQL's numeric.c does (at least
//! 16 significant digits, no fewer decimals than the inputs show, at most
//! 1000), computes with guard digits beyond it and rounds once at the end.

use super::big::Big;
use super::dec::{Dec, MAX_DISPLAY_SCALE, MIN_SIG_DIGITS, overflow};
use crate::err;
use crate::error::{Result, SqlState};

/// Guard digits carried beyond a result's scale.
const GUARD: i64 = 12;
/// exp(x) overflows numeric beyond this (NUMERIC_MAX_RESULT_SCALE × 3).
const EXP_LIMIT: f64 = 6000.0;

fn clamp_scale(s: i64) -> i64 {
    s.clamp(0, MAX_DISPLAY_SCALE)
}

fn one() -> Dec {
    Dec::from_i128(1)
}

/// `sqrt(x)` at PostgreSQL's scale.
pub fn sqrt(x: &Dec) -> Result<Dec> {
    if x.neg {
        return Err(err!(
            SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "cannot take square root of a negative number"
        ));
    }
    let (weight, _) = x.first_group();
    let sweight = (weight + 1) * 4 / 2 - 1;
    let rscale = clamp_scale((MIN_SIG_DIGITS - sweight).max(x.scale as i64));
    Ok(sqrt_at(x, rscale + 1).round(rscale))
}

/// `sqrt(x)` rounded to `rscale` digits (x ≥ 0).
pub fn sqrt_scaled(x: &Dec, rscale: i64) -> Dec {
    sqrt_at(x, rscale.max(0) + 1).round(rscale)
}

/// `sqrt(x)` truncated to `scale` digits (`scale` ≥ 0).
fn sqrt_at(x: &Dec, scale: i64) -> Dec {
    // isqrt(mant × 10^(2k − x.scale)) = sqrt(x) × 10^k; k ≥ scale, and
    // 2k ≥ x.scale so the radicand is an integer.
    let k = scale.max((x.scale as i64 + 1) / 2);
    let radicand = x.mant.shl10((2 * k - x.scale as i64) as usize);
    let root = Dec { neg: false, mant: radicand.isqrt(), scale: k as u32 };
    root.trunc(scale)
}

/// PostgreSQL's `estimate_ln_dweight`: roughly `floor(log10(|ln(x)|))`.
pub fn estimate_ln_dweight(x: &Dec) -> i64 {
    if x.neg || x.is_zero() {
        return 0;
    }
    let near_one = x.compare(&Dec::parse_text("0.9").unwrap_or_else(one)).is_ge()
        && x.compare(&Dec::parse_text("1.1").unwrap_or_else(one)).is_le();
    if near_one {
        let d = x.sub(&one());
        return if d.is_zero() { 0 } else { d.dweight() };
    }
    // The first two base-10000 digits and their weight.
    let (weight, first) = x.first_group();
    let shift = x.scale as i64 + 4 * (weight - 1);
    let two = if shift >= 0 { x.mant.shr10(shift as usize) } else { x.mant.shl10((-shift) as usize) };
    let digits = two.to_u128().unwrap_or(first as u128) as f64;
    let ln = digits.ln() + ((weight - 1) * 4) as f64 * std::f64::consts::LN_10;
    ln.abs().log10() as i64
}

/// `ln(x)` at PostgreSQL's scale.
pub fn ln(x: &Dec) -> Result<Dec> {
    check_log_arg(x)?;
    let rscale = clamp_scale((MIN_SIG_DIGITS - estimate_ln_dweight(x)).max(x.scale as i64));
    Ok(ln_at(x, rscale + GUARD).round(rscale))
}

fn check_log_arg(x: &Dec) -> Result<()> {
    if x.is_zero() {
        return Err(err!(SqlState::INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of zero"));
    }
    if x.neg {
        return Err(err!(SqlState::INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of a negative number"));
    }
    Ok(())
}

/// `ln(x)` for x > 0, accurate to about `scale` digits after the point.
fn ln_at(x: &Dec, scale: i64) -> Dec {
    // Take square roots until x is within 0.9 .. 1.1 (ln(x) = 2^n ln(x^(1/2^n))),
    // then sum 2 atanh(z) = 2 (z + z³/3 + z⁵/5 …) with z = (x − 1)/(x + 1).
    let lo = Dec::parse_text("0.9").unwrap_or_else(one);
    let hi = Dec::parse_text("1.1").unwrap_or_else(one);
    // The roots lose relative precision; carry digits for them and for the factor 2^n.
    let ws = scale + GUARD + (x.dweight().abs() as f64).log10().max(0.0) as i64 + 8;
    // ln(m × 10^k) = ln(m) + k ln(10): bring x near 1 first, keeping only
    // the significant digits the result needs.
    let k = x.dweight();
    if k.abs() > 1 {
        let kd = (k.unsigned_abs() as f64).log10().ceil() as i64 + 1;
        // dweight = digits − 1 − scale, so scale + k is the digit count less one.
        let m = Dec { neg: false, mant: x.mant.clone(), scale: (x.scale as i64 + k) as u32 }.round(ws + 2);
        let ln10 = ln_at(&Dec::from_i128(10), scale + kd);
        return ln_at(&m, scale).add(&ln10.mul(&Dec::from_i128(k as i128))).round(ws);
    }
    let mut v = x.clone();
    let mut fac: u32 = 1;
    while v.compare(&lo).is_lt() || v.compare(&hi).is_gt() {
        let sig = ws + v.dweight().max(0);
        v = sqrt_at(&v, sig);
        fac = fac.saturating_mul(2);
    }
    let z = match v.sub(&one()).div_scaled(&v.add(&one()), ws, true) {
        Ok(z) => z,
        Err(_) => return Dec::zero(),
    };
    let z2 = z.mul(&z).round(ws);
    let mut term = z.clone();
    let mut sum = z;
    let mut k: i128 = 1;
    loop {
        term = term.mul(&z2).round(ws);
        k += 2;
        let t = match term.div_scaled(&Dec::from_i128(k), ws, true) {
            Ok(t) => t,
            Err(_) => break,
        };
        if t.is_zero() {
            break;
        }
        sum = sum.add(&t);
    }
    sum.mul(&Dec::from_i128(2 * fac as i128)).round(ws)
}

/// `exp(x)` at PostgreSQL's scale.
pub fn exp(x: &Dec) -> Result<Dec> {
    let val = x.to_f64() * std::f64::consts::LOG10_E;
    let val = val.clamp(-2000.0, 2000.0);
    let rscale = clamp_scale((MIN_SIG_DIGITS - val as i64).max(x.scale as i64));
    exp_rounded(x, rscale)
}

fn exp_rounded(x: &Dec, rscale: i64) -> Result<Dec> {
    let xf = x.to_f64();
    if xf >= EXP_LIMIT {
        return Err(overflow());
    }
    if xf <= -EXP_LIMIT {
        return Ok(Dec::zero().round(rscale));
    }
    // Relative precision for a result of weight w needs scale rscale + w.
    let w = (xf * std::f64::consts::LOG10_E).ceil().max(0.0) as i64;
    Ok(exp_at(x, rscale + w + GUARD).round(rscale))
}

/// `exp(x)`, accurate to about `scale` digits after the point.
fn exp_at(x: &Dec, scale: i64) -> Dec {
    // Halve x until |x| < 0.01, sum the Taylor series, square back.
    let small = Dec::parse_text("0.01").unwrap_or_else(one);
    let mut n = 0u32;
    let mut r = x.clone();
    let ws = scale + 2 * GUARD;
    while r.abs().compare(&small).is_gt() {
        r = r.div_scaled(&Dec::from_i128(2), ws + n as i64, true).unwrap_or_else(|_| Dec::zero());
        n += 1;
    }
    let ws = ws + n as i64;
    let mut sum = one().add(&r);
    let mut term = r.clone();
    let mut k: i128 = 1;
    loop {
        k += 1;
        term = term.mul(&r).div_scaled(&Dec::from_i128(k), ws, true).unwrap_or_else(|_| Dec::zero());
        if term.is_zero() {
            break;
        }
        sum = sum.add(&term);
    }
    for _ in 0..n {
        sum = sum.mul(&sum).round(ws);
    }
    sum
}

/// `log(b, x)`: the logarithm of `x` to base `b`, at PostgreSQL's scale.
pub fn log(b: &Dec, x: &Dec) -> Result<Dec> {
    check_log_arg(b)?;
    check_log_arg(x)?;
    let (bd, xd) = (estimate_ln_dweight(b), estimate_ln_dweight(x));
    let rscale = clamp_scale((MIN_SIG_DIGITS - (xd - bd)).max(b.scale as i64).max(x.scale as i64));
    let ws = rscale + GUARD + (-bd).max(xd - 2 * bd).max(0);
    let lb = ln_at(b, ws);
    let lx = ln_at(x, ws);
    let lb = lb.round(ws - 2);
    if lb.is_zero() {
        return Err(super::dec::division_by_zero());
    }
    lx.div_scaled(&lb, rscale, true)
}

/// `x ^ y` for finite values (special values are handled by the caller).
pub fn power(x: &Dec, y: &Dec) -> Result<Dec> {
    if x.is_zero() && y.neg {
        return Err(err!(
            SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "zero raised to a negative power is undefined"
        ));
    }
    let int_exp = y.to_i128_exact().filter(|e| i32::try_from(*e).is_ok());
    if x.neg && int_exp.is_none() {
        return Err(err!(
            SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "a negative number raised to a non-integer power yields a complex result"
        ));
    }
    if let Some(e) = int_exp {
        let rscale = clamp_scale(MIN_SIG_DIGITS.max(x.scale as i64));
        return power_int(x, e as i64, rscale);
    }
    if x.is_zero() {
        return Ok(Dec::zero().round(MIN_SIG_DIGITS));
    }
    // Result weight from a low-precision exp × ln(base).
    let ln_dweight = estimate_ln_dweight(x);
    let rough = ln_at(x, (8 - ln_dweight).max(0)).mul(y);
    let val = rough.to_f64();
    if val.abs() > EXP_LIMIT * 1.003 {
        if val > 0.0 {
            return Err(overflow());
        }
        return Ok(Dec::zero().round(MAX_DISPLAY_SCALE));
    }
    let val = val * std::f64::consts::LOG10_E;
    let rscale = clamp_scale((MIN_SIG_DIGITS - val as i64).max(x.scale as i64).max(y.scale as i64));
    // exp's argument needs absolute precision rscale + weight(result) + guard.
    let w = val.ceil().max(0.0) as i64;
    let ydigits = y.int_digits();
    let lnx = ln_at(x, rscale + w + GUARD + ydigits + 2);
    let arg = lnx.mul(y).round(rscale + w + GUARD + 2);
    exp_rounded(&arg, rscale)
}

/// `x ^ e` for an integer exponent, at scale `rscale`.
fn power_int(x: &Dec, e: i64, rscale: i64) -> Result<Dec> {
    if e == 0 {
        return Ok(one().round(rscale));
    }
    let digits = x.mant.digit_count().max(1) as f64;
    // log10 of the result, roughly.
    let est = approx_log10(x) * e as f64;
    if est > 131072.0 + 1.0 {
        return Err(overflow());
    }
    if est < -(MAX_DISPLAY_SCALE as f64) - 20.0 && e > 0 {
        return Ok(Dec::zero().round(rscale));
    }
    if digits * (e.unsigned_abs() as f64) <= 60_000.0 {
        let p = pow_exact(x, e.unsigned_abs());
        return if e > 0 { Ok(p.round(rscale)) } else { one().div_scaled(&p, rscale, true) };
    }
    // Too many exact digits: go through logarithms.
    let w = (est.max(0.0)) as i64;
    let edigits = (e.unsigned_abs() as f64).log10().ceil() as i64 + 1;
    let lnx = ln_at(&x.abs(), rscale + w + GUARD + 2 + edigits);
    let arg = lnx.mul(&Dec::from_i128(e as i128)).round(rscale + w + GUARD + 2);
    let r = exp_rounded(&arg, rscale)?;
    Ok(if x.neg && e % 2 != 0 { r.negate() } else { r })
}

/// `log10(|x|)` from the leading digits and the decimal weight (x ≠ 0).
fn approx_log10(x: &Dec) -> f64 {
    let digits = x.mant.digit_count();
    let lead = x.mant.shr10(digits.saturating_sub(17)).to_u128().unwrap_or(1) as f64;
    lead.log10() + (digits.saturating_sub(17) as f64) - x.scale as f64
}

fn pow_exact(x: &Dec, mut e: u64) -> Dec {
    let mut base = x.clone();
    let mut acc = Dec { neg: false, mant: Big::from_u128(1), scale: 0 };
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.mul(&base);
        }
        e >>= 1;
        if e > 0 {
            base = base.mul(&base);
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse_text(s).unwrap()
    }

    #[test]
    fn match_postgres_digits() {
        assert_eq!(sqrt(&d("2")).unwrap().to_string(), "1.414213562373095");
        assert_eq!(ln(&d("10")).unwrap().to_string(), "2.3025850929940457");
        assert_eq!(ln(&d("2.0")).unwrap().to_string(), "0.6931471805599453");
        assert_eq!(exp(&d("1")).unwrap().to_string(), "2.7182818284590452");
        assert_eq!(exp(&d("100")).unwrap().to_string(), "26881171418161354484126255515800135873611119");
        assert_eq!(ln(&d("1.000001")).unwrap().to_string(), "0.0000009999995000003333");
        assert_eq!(log(&d("2"), &d("1024")).unwrap().to_string(), "10.0000000000000000");
        assert_eq!(power(&d("2"), &d("0.5")).unwrap().to_string(), "1.4142135623730950");
        assert_eq!(power(&d("1.5"), &d("2.5")).unwrap().to_string(), "2.7556759606310754");
        assert_eq!(power(&d("2"), &d("-3")).unwrap().to_string(), "0.1250000000000000");
        assert_eq!(
            exp(&d("-100")).unwrap().to_string(),
            "0.00000000000000000000000000000000000000000003720075976020836"
        );
    }
}
