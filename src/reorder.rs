//! Genome-order output put back in input order: the bookkeeping every host follows, without
//! I/O. Encoded regions (see [`crate::encoded`]) wait in buckets of consecutive regions;
//! past a budget of bytes held, the largest bucket's bytes go to the host's scratch space
//! (a file, a directory); a bucket whose regions have all come, and all before it, is read
//! back and its regions are written in region order ([`Buckets::ready`]): as they come
//! when regions are decoded nearly in order (sorted regions on several threads), at the
//! end when shuffled. The host keeps the bytes and moves them where [`Buckets`] says.

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
    n_regions: usize,
    /// Bytes each bucket holds in memory.
    held: Vec<usize>,
    /// Regions that have come, per bucket.
    came: Vec<usize>,
    /// Buckets written out, all before the others.
    written: usize,
    staged: usize,
    /// Bytes held in memory before a bucket spills (`None`: the host cannot spill).
    budget: Option<usize>,
}

impl Buckets {
    /// Buckets for `n_regions`; past `budget` bytes held, buckets spill.
    pub fn new(n_regions: usize, budget: Option<usize>) -> Self {
        let per = bucket_regions(n_regions);
        let n = n_regions.div_ceil(per);
        Buckets {
            per,
            n_regions,
            held: vec![0; n],
            came: vec![0; n],
            written: 0,
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

    /// The number of regions in bucket `b` (the last may have fewer).
    pub fn regions_in(&self, b: usize) -> usize {
        self.n_regions.min(self.first(b) + self.per) - self.first(b)
    }

    /// Region `region`'s `len` encoded bytes join its bucket, which is returned.
    pub fn add(&mut self, region: usize, len: usize) -> usize {
        let b = region / self.per;
        self.held[b] += len;
        self.came[b] += 1;
        self.staged += len;
        b
    }

    /// The next bucket to write out, if all its regions have come (and every bucket before
    /// it is written): its bytes, in memory and spilled, go to the writer now, in region
    /// order; from then on they count as gone.
    pub fn ready(&mut self) -> Option<usize> {
        let b = self.written;
        if b >= self.held.len() || self.came[b] < self.regions_in(b) {
            return None;
        }
        self.staged -= self.held[b];
        self.held[b] = 0;
        self.written += 1;
        Some(b)
    }

    /// True once every bucket was written out.
    pub fn all_written(&self) -> bool {
        self.written == self.held.len()
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

    #[test]
    fn a_bucket_is_ready_once_its_regions_and_all_before_it_came() {
        // 100 regions, 17 a bucket: the last bucket has 15.
        let mut b = Buckets::new(100, Some(1 << 20));
        assert_eq!((b.per(), b.len()), (17, 6));
        assert_eq!((b.regions_in(0), b.regions_in(5)), (17, 15));
        // The second bucket comes whole first: not ready, the first is missing.
        for r in 17..34 {
            b.add(r, 10);
        }
        assert_eq!(b.ready(), None);
        for r in 0..16 {
            b.add(r, 1);
        }
        assert_eq!(b.ready(), None, "one region of the first bucket missing");
        b.add(16, 1);
        assert_eq!((b.ready(), b.ready(), b.ready()), (Some(0), Some(1), None));
        assert!(!b.all_written());
        // What was written out no longer counts against the budget.
        let mut tight = Buckets::new(100, Some(5));
        for r in 0..17 {
            tight.add(r, 1);
        }
        assert_eq!((tight.ready(), tight.spill()), (Some(0), None));
        // The rest, the short last bucket included.
        for r in 34..100 {
            b.add(r, 1);
        }
        assert_eq!(
            std::iter::from_fn(|| b.ready()).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
        assert!(b.all_written());
    }
}
