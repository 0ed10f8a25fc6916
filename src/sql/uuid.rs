//! The `uuid` type: 16 bytes, read in the forms PostgreSQL's `uuid_in`
//! accepts and printed in lower case with hyphens (8-4-4-4-12). Values
//! compare, sort and hash as their bytes; `gen_random_uuid()` makes a
//! version 4 (random) one.

use crate::err;
use crate::error::{Result, SqlState};

/// `uuid_in`: 32 hex digits in either case, optionally in braces, with an
/// optional hyphen after any group of four digits but the last.
pub fn parse(text: &str) -> Result<[u8; 16]> {
    let bad = || err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type uuid: \"{text}\"");
    let mut s = text.as_bytes();
    let braces = s.first() == Some(&b'{');
    if braces {
        s = &s[1..];
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        let (Some(hi), Some(lo)) = (s.first().and_then(hex), s.get(1).and_then(hex)) else {
            return Err(bad());
        };
        *byte = hi << 4 | lo;
        s = &s[2..];
        if s.first() == Some(&b'-') && i % 2 == 1 && i < 15 {
            s = &s[1..];
        }
    }
    if braces {
        s = s.strip_prefix(b"}").ok_or_else(bad)?;
    }
    if !s.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

fn hex(c: &u8) -> Option<u8> {
    (*c as char).to_digit(16).map(|d| d as u8)
}

/// `uuid_out`: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lower case.
pub fn format(u: &[u8; 16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `gen_random_uuid()`: a version 4 UUID from the operating system's
/// random source, its version and variant bits set as RFC 4122 has them.
pub fn random() -> [u8; 16] {
    let mut u: [u8; 16] = rand::random();
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_forms() {
        let canon = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        for form in [
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(format(&parse(form).unwrap()), canon, "{form}");
        }
        for bad in [
            "",
            "a0eebc99",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0e-ebc999c0b4ef8bb6d6bb9bd380a11",
            " a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11-",
            "g0eebc999c0b4ef8bb6d6bb9bd380a11",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn random_is_version_4() {
        let u = random();
        assert_eq!(u[6] >> 4, 4);
        assert_eq!(u[8] >> 6, 2);
    }
}
