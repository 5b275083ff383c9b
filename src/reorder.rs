//! Genome-order output put back in input order: the bookkeeping every host follows, without
//! I/O. Encoded regions (see [`crate::encoded`]) wait in buckets of consecutive regions;
//! past a budget of bytes held, the largest bucket's bytes go to the host's scratch space
//! (a file, a directory); at the end every bucket is read back and its regions are written
//! in region order. The host keeps the bytes and moves them where [`Buckets`] says.

/// Regions per reorder bucket for an export of `n_regions`: about 16 regions a bucket, at
/// most 1024 buckets.
pub fn bucket_regions(n_regions: usize) -> usize {
    let n_buckets = (n_regions / 16).clamp(1, 1024);
    n_regions.div_ceil(n_buckets).max(1)
}

/// Which bucket each region waits in, the bytes each holds in memory, and which to spill
/// when.
#[derive(Debug, Clone)]
pub struct Buckets {
    per: usize,
    /// Bytes each bucket holds in memory.
    held: Vec<usize>,
    staged: usize,
    /// Bytes held in memory before a bucket spills (`None`: the host cannot spill).
    budget: Option<usize>,
}

impl Buckets {
    /// Buckets for `n_regions`; past `budget` bytes held, buckets spill.
    pub fn new(n_regions: usize, budget: Option<usize>) -> Self {
        let per = bucket_regions(n_regions);
        Buckets {
            per,
            held: vec![0; n_regions.div_ceil(per)],
            staged: 0,
            budget,
        }
    }

    /// Regions per bucket.
    pub fn per(&self) -> usize {
        self.per
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The first region of bucket `b`: a region's place in its bucket is `region - first`.
    pub fn first(&self, b: usize) -> usize {
        b * self.per
    }

    /// Region `region`'s `len` encoded bytes join its bucket, which is returned.
    pub fn add(&mut self, region: usize, len: usize) -> usize {
        let b = region / self.per;
        self.held[b] += len;
        self.staged += len;
        b
    }

    /// The bucket whose bytes held in memory go to scratch now (the largest), while the
    /// bytes held pass the budget; from then on they count as spilled.
    pub fn spill(&mut self) -> Option<usize> {
        if self.staged <= self.budget? {
            return None;
        }
        let big = (0..self.held.len()).max_by_key(|&b| self.held[b])?;
        self.staged -= self.held[big];
        self.held[big] = 0;
        Some(big)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_bucket_spills_past_the_budget() {
        assert_eq!(bucket_regions(1), 1);
        assert_eq!(bucket_regions(100), 17);
        assert_eq!(bucket_regions(1 << 20), 1024);
        let mut b = Buckets::new(64, Some(100));
        assert_eq!((b.per(), b.len(), b.first(2)), (16, 4, 32));
        assert_eq!(b.add(40, 60), 2);
        assert_eq!(b.add(3, 30), 0);
        assert_eq!(b.spill(), None);
        b.add(41, 20);
        assert_eq!(b.spill(), Some(2));
        assert_eq!(b.spill(), None);
        let mut never = Buckets::new(64, None);
        never.add(0, 1 << 30);
        assert_eq!(never.spill(), None);
    }
}
