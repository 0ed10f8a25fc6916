//! A fast hash for keys no client chooses freely: buffer tags, catalog
//! cache names. The standard hasher's resistance to chosen collisions costs
//! more than the rest of a buffer lookup.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate mixing per word, with a finaliser that spreads the state
/// over all 64 bits (hash tables index by the low bits, `dashmap` picks its
/// shard by the high ones).
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

pub type FastBuild = BuildHasherDefault<FastHasher>;

const MIX: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.write_u64(u64::from_le_bytes(w.try_into().expect("eight bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(v as u64);
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(MIX);
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(v: T) -> u64 {
        FastBuild::default().hash_one(v)
    }

    #[test]
    fn neighbouring_keys_differ_in_low_and_high_bits() {
        let mut low = std::collections::HashSet::new();
        let mut high = std::collections::HashSet::new();
        for block in 0u32..4096 {
            let h = hash((7u32, 16384u32, 0u8, block));
            low.insert(h & 0xfff);
            high.insert(h >> 52);
        }
        // 4096 keys into 4096 buckets: a good hash fills about 63 % of them.
        assert!(low.len() > 2400, "low bits fill {} of 4096", low.len());
        assert!(high.len() > 2400, "high bits fill {} of 4096", high.len());
    }

    #[test]
    fn strings_differing_only_in_length_or_tail_differ() {
        assert_ne!(hash("pgbench_accounts"), hash("pgbench_accounts\0"));
        assert_ne!(hash("abcdefgh1"), hash("abcdefgh2"));
        assert_ne!(hash(""), hash("\0"));
    }
}
