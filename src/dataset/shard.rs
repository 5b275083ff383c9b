//! Sharded datasets: part K of N of one dataset job (`dataset --shard K/N`), by regions (a
//! contiguous range of the BED's rows in input order) or by samples (a contiguous range of
//! the sorted samples). Every part is a complete dataset GenVarLoader opens, and `concat`
//! of all N parts (ours or GenVarLoader's) gives exactly the unsharded dataset. For that,
//! a part by regions lists every contig of the whole BED in `metadata.json` (GenVarLoader's
//! concat requires equal contig lists), and `metadata.json` says which part of which job it
//! is (`shard`, a key GenVarLoader ignores), so `concat` can refuse parts of different jobs
//! and name a missing one.

use crate::error::{shown, Error, Result};
use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardBy {
    Regions,
    Samples,
}

impl ShardBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ShardBy::Regions => "regions",
            ShardBy::Samples => "samples",
        }
    }
}

/// Which part: `k` of `n`, counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
    pub by: ShardBy,
}

impl Shard {
    /// `K/N` as given on the command line.
    pub fn parse(s: &str, by: ShardBy) -> Result<Shard> {
        let bad = || {
            Error::input(format!(
                "--shard '{}': expected K/N with 1 <= K <= N (e.g. 3/8; K as Slurm's array task id)",
                shown(s)
            ))
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n, by })
    }

    /// The part's range of `len` items (rows or samples): as even as can be, in order.
    pub fn range(&self, len: usize) -> Range<usize> {
        let at = |k: u32| (u128::from(k) * len as u128 / u128::from(self.n)) as usize;
        at(self.k - 1)..at(self.k)
    }

    /// An error when `len` items cannot make `n` parts that are all datasets.
    pub fn check(&self, len: usize, what: &str) -> Result<()> {
        if (self.n as usize) > len {
            return Err(Error::input(format!(
                "--shard {}/{}: {len} {what}, so at most {len} parts by {} (every part needs one)",
                self.k,
                self.n,
                self.by.as_str()
            )));
        }
        Ok(())
    }
}

/// What `metadata.json` says of a part (`shard`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub k: u32,
    pub n: u32,
    pub by: ShardBy,
    /// The job: a fingerprint of everything that decides the whole dataset (the BED, the
    /// tracks' samples and sources, annotation tracks, jitter, format), the same in every
    /// part of it.
    pub job: String,
}

/// A job fingerprint: 64-bit FNV-1a over the parts, hex. (Not for security: it tells
/// apart parts of different runs that someone mixed up.)
#[derive(Debug, Clone)]
pub struct JobHash(u64);

impl Default for JobHash {
    fn default() -> Self {
        JobHash(0xcbf2_9ce4_8422_2325)
    }
}

impl JobHash {
    pub fn add(&mut self, bytes: &[u8]) -> &mut Self {
        // Length first: ("ab", "c") and ("a", "bc") differ.
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_everything_once_in_order() {
        for n in 1..12u32 {
            for len in n as usize..40 {
                let mut next = 0;
                for k in 1..=n {
                    let r = Shard {
                        k,
                        n,
                        by: ShardBy::Regions,
                    }
                    .range(len);
                    assert_eq!(r.start, next);
                    assert!(!r.is_empty(), "{k}/{n} of {len}");
                    next = r.end;
                }
                assert_eq!(next, len);
            }
        }
        assert_eq!(
            Shard {
                k: 2,
                n: 4,
                by: ShardBy::Samples
            }
            .range(10),
            2..5
        );
    }

    #[test]
    fn bad_shards_are_named() {
        for bad in ["0/4", "5/4", "1/0", "x/4", "4", "1/4/2", ""] {
            assert!(Shard::parse(bad, ShardBy::Regions).is_err(), "{bad}");
        }
        assert_eq!(
            Shard::parse(" 3/8", ShardBy::Samples).unwrap(),
            Shard {
                k: 3,
                n: 8,
                by: ShardBy::Samples
            }
        );
        let e = Shard::parse("9/4", ShardBy::Regions)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--shard '9/4': expected K/N with 1 <= K <= N (e.g. 3/8; K as Slurm's array task id)"
        );
        let e = Shard {
            k: 1,
            n: 5,
            by: ShardBy::Samples,
        }
        .check(3, "samples")
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "--shard 1/5: 3 samples, so at most 3 parts by samples (every part needs one)"
        );
    }

    #[test]
    fn job_hashes_differ_with_any_part() {
        let h = |parts: &[&[u8]]| {
            let mut j = JobHash::default();
            for p in parts {
                j.add(p);
            }
            j.hex()
        };
        assert_eq!(h(&[b"a", b"b"]), h(&[b"a", b"b"]));
        assert_ne!(h(&[b"ab", b"c"]), h(&[b"a", b"bc"]));
        assert_eq!(h(&[]).len(), 16);
    }
}
