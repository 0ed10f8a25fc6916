//! `Big`: an unsigned integer of any size in base 10^9 limbs, least
//! significant first. Decimal limbs make the operations numeric needs most
//! — scaling by powers of ten, dropping digits when rounding, printing —
//! cheap; multiplication and division are schoolbook (Knuth's algorithm D),
//! which is what values of up to a few thousand digits call for.

use std::cmp::Ordering;

const BASE: u64 = 1_000_000_000;
const POW10: [u32; 10] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/// An unsigned integer; no leading (most significant) zero limbs, zero is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Big(Vec<u32>);

impl Big {
    pub fn zero() -> Big {
        Big(Vec::new())
    }

    pub fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push((v % BASE as u128) as u32);
            v /= BASE as u128;
        }
        Big(limbs)
    }

    /// From a string of ASCII decimal digits (the caller checked them).
    pub fn from_digits(digits: &[u8]) -> Big {
        let mut limbs = Vec::with_capacity(digits.len() / 9 + 1);
        let mut end = digits.len();
        while end > 0 {
            let start = end.saturating_sub(9);
            let mut limb = 0u32;
            for d in &digits[start..end] {
                limb = limb * 10 + (d - b'0') as u32;
            }
            limbs.push(limb);
            end = start;
        }
        let mut b = Big(limbs);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_u128(&self) -> Option<u128> {
        let mut v: u128 = 0;
        for &l in self.0.iter().rev() {
            v = v.checked_mul(BASE as u128)?.checked_add(l as u128)?;
        }
        Some(v)
    }

    /// The number of decimal digits (0 for zero).
    pub fn digit_count(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() - 1) * 9 + top.ilog10() as usize + 1,
        }
    }

    /// Decimal digits, most significant first, no leading zeros ("" for zero).
    pub fn to_digits(&self) -> String {
        let mut s = String::with_capacity(self.0.len() * 9);
        if let Some(top) = self.0.last() {
            s.push_str(&top.to_string());
            for l in self.0.iter().rev().skip(1) {
                s.push_str(&format!("{l:09}"));
            }
        }
        s
    }

    pub fn cmp_big(&self, o: &Big) -> Ordering {
        self.0.len().cmp(&o.0.len()).then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    pub fn add(&self, o: &Big) -> Big {
        let (long, short) = if self.0.len() >= o.0.len() { (self, o) } else { (o, self) };
        let mut out = Vec::with_capacity(long.0.len() + 1);
        let mut carry = 0u32;
        for (i, &l) in long.0.iter().enumerate() {
            let s = l + short.0.get(i).copied().unwrap_or(0) + carry;
            carry = (s >= BASE as u32) as u32;
            out.push(if carry == 1 { s - BASE as u32 } else { s });
        }
        if carry > 0 {
            out.push(carry);
        }
        Big(out)
    }

    /// `self - o`; the caller ensures `self >= o`.
    pub fn sub(&self, o: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for (i, &l) in self.0.iter().enumerate() {
            let mut d = l as i64 - o.0.get(i).copied().unwrap_or(0) as i64 - borrow;
            borrow = (d < 0) as i64;
            if d < 0 {
                d += BASE as i64;
            }
            out.push(d as u32);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    pub fn mul_small(&self, m: u32) -> Big {
        if m == 0 || self.is_zero() {
            return Big::zero();
        }
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut carry = 0u64;
        for &l in &self.0 {
            let p = l as u64 * m as u64 + carry;
            out.push((p % BASE) as u32);
            carry = p / BASE;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Big(out)
    }

    pub fn add_small(&self, a: u32) -> Big {
        self.add(&Big::from_u128(a as u128))
    }

    pub fn mul(&self, o: &Big) -> Big {
        if self.is_zero() || o.is_zero() {
            return Big::zero();
        }
        let mut acc = vec![0u64; self.0.len() + o.0.len() + 1];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in o.0.iter().enumerate() {
                let t = acc[i + j] + a as u64 * b as u64 + carry;
                acc[i + j] = t % BASE;
                carry = t / BASE;
            }
            let mut k = i + o.0.len();
            while carry > 0 {
                let t = acc[k] + carry;
                acc[k] = t % BASE;
                carry = t / BASE;
                k += 1;
            }
        }
        let mut b = Big(acc.into_iter().map(|v| v as u32).collect());
        b.trim();
        b
    }

    /// `self × 10^k`.
    pub fn shl10(&self, k: usize) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let mut limbs = vec![0u32; k / 9];
        limbs.extend_from_slice(&self.mul_small(POW10[k % 9]).0);
        Big(limbs)
    }

    /// `self / 10^k`, truncated.
    pub fn shr10(&self, k: usize) -> Big {
        let skip = k / 9;
        if skip >= self.0.len() {
            return Big::zero();
        }
        Big(self.0[skip..].to_vec()).div_small(POW10[k % 9]).0
    }

    /// The decimal digit `k` places from the right (0: the units digit).
    pub fn digit_at(&self, k: usize) -> u32 {
        self.0.get(k / 9).map_or(0, |l| l / POW10[k % 9] % 10)
    }

    /// Whether the lowest `k` decimal digits are all zero.
    pub fn low_digits_zero(&self, k: usize) -> bool {
        let full = k / 9;
        self.0.iter().take(full).all(|&l| l == 0)
            && (k % 9 == 0 || self.0.get(full).is_none_or(|l| l % POW10[k % 9] == 0))
    }

    pub fn div_small(&self, d: u32) -> (Big, u32) {
        let mut out = vec![0u32; self.0.len()];
        let mut rem = 0u64;
        for (i, &l) in self.0.iter().enumerate().rev() {
            let cur = rem * BASE + l as u64;
            out[i] = (cur / d as u64) as u32;
            rem = cur % d as u64;
        }
        let mut b = Big(out);
        b.trim();
        (b, rem as u32)
    }

    /// Quotient and remainder; `d` must not be zero.
    pub fn div_rem(&self, d: &Big) -> (Big, Big) {
        if self.cmp_big(d) == Ordering::Less {
            return (Big::zero(), self.clone());
        }
        if d.0.len() == 1 {
            let (q, r) = self.div_small(d.0[0]);
            return (q, Big::from_u128(r as u128));
        }
        // Knuth, TAOCP vol. 2, 4.3.1, algorithm D, in base 10^9: normalize
        // so that the divisor's top limb is at least BASE / 2.
        let norm = (BASE / (d.0[d.0.len() - 1] as u64 + 1)) as u32;
        let u = self.mul_small(norm);
        let v = d.mul_small(norm);
        let n = v.0.len();
        let mut u = u.0;
        u.push(0);
        let m = u.len() - n - 1;
        let mut q = vec![0u32; m + 1];
        let (vt, vs) = (v.0[n - 1] as u64, v.0[n - 2] as u64);
        for j in (0..=m).rev() {
            let top = u[j + n] as u64 * BASE + u[j + n - 1] as u64;
            let mut qhat = top / vt;
            let mut rhat = top % vt;
            while qhat >= BASE || qhat * vs > rhat * BASE + u[j + n - 2] as u64 {
                qhat -= 1;
                rhat += vt;
                if rhat >= BASE {
                    break;
                }
            }
            // u[j..j+n+1] -= qhat × v
            let mut borrow = 0i64;
            let mut carry = 0u64;
            for i in 0..n {
                let p = qhat * v.0[i] as u64 + carry;
                carry = p / BASE;
                let mut t = u[i + j] as i64 - (p % BASE) as i64 - borrow;
                borrow = (t < 0) as i64;
                if t < 0 {
                    t += BASE as i64;
                }
                u[i + j] = t as u32;
            }
            let mut t = u[j + n] as i64 - carry as i64 - borrow;
            if t < 0 {
                // qhat was one too large: add v back.
                t += BASE as i64;
                u[j + n] = t as u32;
                qhat -= 1;
                let mut c = 0u32;
                for i in 0..n {
                    let s = u[i + j] + v.0[i] + c;
                    c = (s >= BASE as u32) as u32;
                    u[i + j] = if c == 1 { s - BASE as u32 } else { s };
                }
                u[j + n] = ((u[j + n] as u64 + c as u64) % BASE) as u32;
            } else {
                u[j + n] = t as u32;
            }
            q[j] = qhat as u32;
        }
        let mut q = Big(q);
        q.trim();
        u.truncate(n);
        let mut r = Big(u);
        r.trim();
        (q, r.div_small(norm).0)
    }

    /// The integer square root (floor).
    pub fn isqrt(&self) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        // Newton's iteration from an over-estimate converges downward;
        // start from the float root of the leading digits (plus a margin).
        let digits = self.digit_count();
        let drop = digits.saturating_sub(30) & !1;
        let lead = self.shr10(drop).to_u128().unwrap_or(u128::MAX) as f64;
        let mut x = Big::from_u128(lead.sqrt() as u128 + 2).shl10(drop / 2);
        loop {
            let (q, _) = self.div_rem(&x);
            let y = x.add(&q).div_small(2).0;
            if y.cmp_big(&x) != Ordering::Less {
                return x;
            }
            x = y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Big {
        Big::from_digits(s.as_bytes())
    }

    #[test]
    fn arithmetic_matches_u128() {
        let vals: [u128; 8] =
            [0, 1, 999_999_999, 1_000_000_000, 123_456_789_012_345_678, u64::MAX as u128, 7, 10u128.pow(30) + 12345];
        for &x in &vals {
            for &y in &vals {
                let (bx, by) = (Big::from_u128(x), Big::from_u128(y));
                assert_eq!(bx.add(&by).to_u128(), x.checked_add(y));
                if x >= y {
                    assert_eq!(bx.sub(&by).to_u128(), Some(x - y));
                }
                if let Some(p) = x.checked_mul(y) {
                    assert_eq!(bx.mul(&by).to_u128(), Some(p));
                }
                if let (Some(q0), Some(r0)) = (x.checked_div(y), x.checked_rem(y)) {
                    let (q, r) = bx.div_rem(&by);
                    assert_eq!((q.to_u128(), r.to_u128()), (Some(q0), Some(r0)), "{x} / {y}");
                }
                assert_eq!(bx.cmp_big(&by), x.cmp(&y));
            }
        }
    }

    #[test]
    fn long_division_and_roots() {
        let x = b("123456789012345678901234567890123456789012345678901234567890");
        let y = b("987654321098765432109876543");
        let (q, r) = x.div_rem(&y);
        assert_eq!(q.mul(&y).add(&r), x);
        assert_eq!(r.cmp_big(&y), Ordering::Less);
        assert_eq!(b("1000000000000000000000000000000000000").isqrt().to_digits(), "1000000000000000000");
        assert_eq!(b("99").isqrt().to_digits(), "9");
        assert_eq!(x.shl10(13).shr10(13), x);
        assert_eq!(b("12345").digit_at(1), 4);
        assert!(b("1200000000000").low_digits_zero(11));
    }
}
