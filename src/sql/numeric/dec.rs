//! `Dec`: a finite decimal `±mant × 10^-scale` of any size, where `scale`
//! is PostgreSQL's display scale (`dscale`): the number of digits after
//! the point that the value prints with. `1.50` is mant 150, scale 2.
//! Every operation here picks its result scale as PostgreSQL's numeric.c
//! does, and rounds half away from zero.

use std::cmp::Ordering;

use super::big::Big;
use crate::err;
use crate::error::{Error, Result, SqlState};

/// PostgreSQL's NUMERIC_MIN_SIG_DIGITS: a quotient has at least this many significant digits.
pub const MIN_SIG_DIGITS: i64 = 16;
/// NUMERIC_MAX_DISPLAY_SCALE: the largest scale a computed result is given.
pub const MAX_DISPLAY_SCALE: i64 = 1000;
/// NUMERIC_DSCALE_MAX: the largest scale a value can have.
pub const MAX_SCALE: i64 = 16383;
/// The most digits before the decimal point (NUMERIC_WEIGHT_MAX + 1 groups of 4).
pub const MAX_INT_DIGITS: i64 = 131072;

pub fn overflow() -> Error {
    err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format")
}

pub fn division_by_zero() -> Error {
    err!(SqlState::DIVISION_BY_ZERO, "division by zero")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dec {
    pub neg: bool,
    pub mant: Big,
    pub scale: u32,
}

impl Dec {
    pub fn zero() -> Dec {
        Dec { neg: false, mant: Big::zero(), scale: 0 }
    }

    pub fn from_i128(v: i128) -> Dec {
        Dec { neg: v < 0, mant: Big::from_u128(v.unsigned_abs()), scale: 0 }
    }

    pub fn is_zero(&self) -> bool {
        self.mant.is_zero()
    }

    /// Parse canonical or user text of a finite value: digits with an
    /// optional sign, point and exponent (`-1.5e3`).
    pub fn parse_text(text: &str) -> Option<Dec> {
        let t = text.trim();
        let (neg, body) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
            None => (body, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int_part.is_empty() && frac_part.is_empty()
            || !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        // Exponents far outside the range only fail later, as overflow.
        let exp = exp.clamp(-(MAX_SCALE + 10), MAX_INT_DIGITS + 10);
        let mut digits = Vec::with_capacity(int_part.len() + frac_part.len());
        digits.extend_from_slice(int_part.as_bytes());
        digits.extend_from_slice(frac_part.as_bytes());
        let scale = frac_part.len() as i64 - exp;
        let mant = Big::from_digits(&digits);
        let d = if scale >= 0 {
            Dec { neg, mant, scale: scale as u32 }
        } else {
            Dec { neg, mant: mant.shl10((-scale) as usize), scale: 0 }
        };
        Some(d.normalize_sign())
    }

    fn normalize_sign(mut self) -> Dec {
        if self.mant.is_zero() {
            self.neg = false;
        }
        self
    }

    /// Check PostgreSQL's limits: 131072 digits before the point, 16383 after.
    pub fn checked(self) -> Result<Dec> {
        if self.scale as i64 > MAX_SCALE || self.int_digits() > MAX_INT_DIGITS {
            return Err(overflow());
        }
        Ok(self)
    }

    /// Digits before the decimal point (0 for |x| < 1).
    pub fn int_digits(&self) -> i64 {
        (self.mant.digit_count() as i64 - self.scale as i64).max(0)
    }

    /// The position of the first significant digit: `floor(log10(|x|))`
    /// (0 for zero).
    pub fn dweight(&self) -> i64 {
        if self.is_zero() { 0 } else { self.mant.digit_count() as i64 - 1 - self.scale as i64 }
    }

    /// PostgreSQL's base-10000 weight and the value of the first base-10000
    /// digit (as its `NumericVar` stores them).
    pub fn first_group(&self) -> (i64, u32) {
        if self.is_zero() {
            return (0, 0);
        }
        let dw = self.dweight();
        let weight = dw.div_euclid(4);
        // The group holding digit positions 4w .. 4w+3.
        let shift = self.scale as i64 + 4 * weight;
        let g = if shift >= 0 { self.mant.shr10(shift as usize) } else { self.mant.shl10((-shift) as usize) };
        (weight, g.to_u128().unwrap_or(0) as u32)
    }

    /// The mantissa at a larger scale.
    fn mant_at(&self, scale: u32) -> Big {
        self.mant.shl10((scale - self.scale) as usize)
    }

    pub fn negate(&self) -> Dec {
        Dec { neg: !self.neg, ..self.clone() }.normalize_sign()
    }

    pub fn abs(&self) -> Dec {
        Dec { neg: false, ..self.clone() }
    }

    pub fn add(&self, o: &Dec) -> Dec {
        let scale = self.scale.max(o.scale);
        let (a, b) = (self.mant_at(scale), o.mant_at(scale));
        let (neg, mant) = if self.neg == o.neg {
            (self.neg, a.add(&b))
        } else {
            match a.cmp_big(&b) {
                Ordering::Less => (o.neg, b.sub(&a)),
                _ => (self.neg, a.sub(&b)),
            }
        };
        Dec { neg, mant, scale }.normalize_sign()
    }

    pub fn sub(&self, o: &Dec) -> Dec {
        self.add(&o.negate())
    }

    pub fn mul(&self, o: &Dec) -> Dec {
        Dec { neg: self.neg != o.neg, mant: self.mant.mul(&o.mant), scale: self.scale + o.scale }.normalize_sign()
    }

    /// The quotient at scale `rscale`, rounded half away from zero (or
    /// truncated toward zero when `round` is false).
    pub fn div_scaled(&self, o: &Dec, rscale: i64, round: bool) -> Result<Dec> {
        if o.is_zero() {
            return Err(division_by_zero());
        }
        // q × 10^(rscale+1) = self.mant × 10^(rscale + 1 + o.scale − self.scale) / o.mant
        let extra = if round { 1 } else { 0 };
        let exp = rscale + extra + o.scale as i64 - self.scale as i64;
        let (num, den) = if exp >= 0 {
            (self.mant.shl10(exp as usize), o.mant.clone())
        } else {
            (self.mant.clone(), o.mant.shl10((-exp) as usize))
        };
        let (q, _) = num.div_rem(&den);
        let q = if round {
            let up = q.digit_at(0) >= 5;
            let q = q.shr10(1);
            if up { q.add_small(1) } else { q }
        } else {
            q
        };
        Ok(Dec { neg: self.neg != o.neg, mant: q, scale: rscale.max(0) as u32 }.normalize_sign().scaled_down(rscale))
    }

    /// A value computed at a negative scale is stored with its zeros.
    fn scaled_down(self, rscale: i64) -> Dec {
        if rscale >= 0 { self } else { Dec { mant: self.mant.shl10((-rscale) as usize), ..self } }
    }

    /// PostgreSQL's `select_div_scale`: enough digits for at least 16
    /// significant ones, no fewer than either input shows, at most 1000.
    pub fn div_scale(&self, o: &Dec) -> i64 {
        let (w1, f1) = self.first_group();
        let (w2, f2) = o.first_group();
        let mut qweight = w1 - w2;
        if f1 <= f2 {
            qweight -= 1;
        }
        (MIN_SIG_DIGITS - qweight * 4).max(self.scale as i64).max(o.scale as i64).clamp(0, MAX_DISPLAY_SCALE)
    }

    /// `/` with PostgreSQL's result scale.
    pub fn div(&self, o: &Dec) -> Result<Dec> {
        self.div_scaled(o, self.div_scale(o), true)
    }

    /// `%`: the remainder of the quotient truncated toward zero, with the
    /// sign of the dividend and the larger scale.
    pub fn rem(&self, o: &Dec) -> Result<Dec> {
        let q = self.div_scaled(o, 0, false)?;
        Ok(self.sub(&q.mul(o)).with_scale_exact(self.scale.max(o.scale)))
    }

    /// Same value, shown with `scale` digits (only adds or drops zeros).
    fn with_scale_exact(self, scale: u32) -> Dec {
        match scale.cmp(&self.scale) {
            Ordering::Equal => self,
            Ordering::Greater => Dec { mant: self.mant_at(scale), scale, neg: self.neg },
            Ordering::Less => Dec { mant: self.mant.shr10((self.scale - scale) as usize), scale, neg: self.neg },
        }
    }

    /// Round half away from zero to `digits` places after the point
    /// (negative: before it); the result shows `max(digits, 0)` places.
    pub fn round(&self, digits: i64) -> Dec {
        self.round_with(digits, |d, _| d >= 5)
    }

    /// Truncate toward zero to `digits` places.
    pub fn trunc(&self, digits: i64) -> Dec {
        self.round_with(digits, |_, _| false)
    }

    /// Round toward +infinity (`ceil`) or -infinity (`floor`) to `digits` places.
    pub fn round_toward(&self, digits: i64, up: bool) -> Dec {
        let away = up != self.neg;
        self.round_with(digits, |d, rest_zero| away && !(d == 0 && rest_zero))
    }

    /// Drop the digits past `digits` places; `bump(first dropped digit,
    /// whether the rest are zero)` says whether to add one unit (away from zero).
    fn round_with(&self, digits: i64, bump: impl Fn(u32, bool) -> bool) -> Dec {
        let digits = digits.clamp(-(MAX_INT_DIGITS + 1), MAX_SCALE);
        let target = digits.max(0) as u32;
        let drop = self.scale as i64 - digits;
        if drop <= 0 {
            return self.clone().with_scale_exact(target);
        }
        let drop = drop as usize;
        let first = self.mant.digit_at(drop - 1);
        let rest_zero = drop < 2 || self.mant.low_digits_zero(drop - 1);
        let mut q = self.mant.shr10(drop);
        if bump(first, rest_zero) {
            q = q.add_small(1);
        }
        // Back to scale `target`: for negative `digits`, restore the zeros.
        let q = if digits < 0 { q.shl10((-digits) as usize) } else { q };
        Dec { neg: self.neg, mant: q, scale: target }.normalize_sign()
    }

    pub fn compare(&self, o: &Dec) -> Ordering {
        match (self.neg, o.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (neg, _) => {
                let scale = self.scale.max(o.scale);
                let c = self.mant_at(scale).cmp_big(&o.mant_at(scale));
                if neg { c.reverse() } else { c }
            }
        }
    }

    /// The integer value, if it is one and fits.
    pub fn to_i128_exact(&self) -> Option<i128> {
        if !self.mant.low_digits_zero(self.scale as usize) {
            return None;
        }
        let v = self.mant.shr10(self.scale as usize).to_u128()?;
        let v = i128::try_from(v).ok()?;
        Some(if self.neg { -v } else { v })
    }

    /// Rounded (half away from zero) to an integer, if it fits.
    pub fn to_i128_rounded(&self) -> Option<i128> {
        self.round(0).to_i128_exact()
    }

    /// Trailing fractional zeros removed (`trim_scale`).
    pub fn trimmed(&self) -> Dec {
        let mut scale = self.scale;
        while scale > 0 && self.mant.digit_at((self.scale - scale) as usize) == 0 {
            scale -= 1;
        }
        if self.is_zero() {
            scale = 0;
        }
        self.clone().with_scale_exact(scale)
    }

    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }
}

impl std::fmt::Display for Dec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.mant.to_digits();
        let scale = self.scale as usize;
        let sign = if self.neg { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{}", if digits.is_empty() { "0" } else { &digits });
        }
        let padded =
            if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
        let (i, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{i}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse_text(s).unwrap()
    }

    #[test]
    fn division_takes_postgres_scale() {
        assert_eq!(d("10").div(&d("4")).unwrap().to_string(), "2.5000000000000000");
        assert_eq!(d("1").div(&d("3")).unwrap().to_string(), "0.33333333333333333333");
        assert_eq!(d("2").div(&d("3")).unwrap().to_string(), "0.66666666666666666667");
        assert_eq!(d("-7").div(&d("2")).unwrap().to_string(), "-3.5000000000000000");
        assert_eq!(d("100000").div(&d("3")).unwrap().to_string(), "33333.333333333333");
        assert_eq!(d("1.5").add(&d("2.25")).to_string(), "3.75");
        assert_eq!(d("1.5").mul(&d("-2.25")).to_string(), "-3.375");
        assert_eq!(d("0.001").sub(&d("1")).to_string(), "-0.999");
        assert_eq!(d("5.5").rem(&d("-2")).unwrap().to_string(), "1.5");
    }

    #[test]
    fn rounding() {
        assert_eq!(d("2.5").round(0).to_string(), "3");
        assert_eq!(d("-2.5").round(0).to_string(), "-3");
        assert_eq!(d("1234.5678").round(-2).to_string(), "1200");
        assert_eq!(d("0.004").round(2).to_string(), "0.00");
        assert_eq!(d("1.567").trunc(2).to_string(), "1.56");
        assert_eq!(d("-1.5").round_toward(0, false).to_string(), "-2");
        assert_eq!(d("-0.5").round_toward(0, true).to_string(), "0");
        assert_eq!(d("1.001").round_toward(0, true).to_string(), "2");
        assert_eq!(d("1.2300").trimmed().to_string(), "1.23");
    }
}
