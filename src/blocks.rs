//! Decoded blocks: where [`crate::Export::decode_region`] gets them ([`BlockSource`]), the
//! on-demand [`Decoder`], and the least-recently-used [`BlockCache`] that makes a block
//! several nearby regions touch inflate once.

use crate::bigwig::block::{BlockReader, DecodedBlock};
use crate::bigwig::{BwError, Leaf};
use crate::input::Input;
use crate::source::Source;
use std::collections::{BTreeMap, HashMap};

/// Where [`Export::decode_region`] gets decoded blocks.
pub trait BlockSource {
    fn block<S: Source>(
        &mut self,
        sample: usize,
        input: &Input<S>,
        leaf: &Leaf,
    ) -> Result<&DecodedBlock, BwError>;
}

/// Reads blocks from the sources on demand, keeping recent ones decoded.
pub struct Decoder {
    pub reader: BlockReader,
    pub cache: BlockCache,
}

impl Decoder {
    pub fn new(cache_budget: usize) -> Self {
        Decoder {
            reader: BlockReader::new(),
            cache: BlockCache::new(cache_budget),
        }
    }
}

impl BlockSource for Decoder {
    fn block<S: Source>(
        &mut self,
        sample: usize,
        input: &Input<S>,
        leaf: &Leaf,
    ) -> Result<&DecodedBlock, BwError> {
        let reader = &mut self.reader;
        self.cache.get_or_read(sample, leaf, || {
            reader.read(&input.source, &input.bigwig, leaf)
        })
    }
}

/// Decoded blocks keyed by (sample, file offset), least recently used evicted past a byte
/// budget, so a block that several nearby regions touch is inflated once.
pub struct BlockCache {
    budget: usize,
    used: usize,
    tick: u64,
    map: HashMap<(usize, u64), (DecodedBlock, u64)>,
    /// Keys by last use, oldest first: eviction takes the first instead of scanning the
    /// map (a cache of 40k small blocks made every insert past the budget O(n)).
    by_use: BTreeMap<u64, (usize, u64)>,
}

impl BlockCache {
    pub fn new(budget_bytes: usize) -> Self {
        BlockCache {
            budget: budget_bytes,
            used: 0,
            tick: 0,
            map: HashMap::new(),
            by_use: BTreeMap::new(),
        }
    }

    pub fn contains(&self, sample: usize, offset: u64) -> bool {
        self.map.contains_key(&(sample, offset))
    }

    /// The byte budget decoded blocks are kept within.
    pub fn budget(&self) -> usize {
        self.budget
    }

    pub fn insert(&mut self, sample: usize, offset: u64, block: DecodedBlock) {
        self.tick += 1;
        self.used += block.bytes();
        let key = (sample, offset);
        if let Some((old, used)) = self.map.insert(key, (block, self.tick)) {
            self.used -= old.bytes();
            self.by_use.remove(&used);
        }
        self.by_use.insert(self.tick, key);
        self.evict(key);
    }

    fn get_or_read(
        &mut self,
        sample: usize,
        leaf: &Leaf,
        read: impl FnOnce() -> Result<DecodedBlock, BwError>,
    ) -> Result<&DecodedBlock, BwError> {
        let key = (sample, leaf.offset);
        match self.map.get_mut(&key) {
            Some(entry) => {
                self.tick += 1;
                self.by_use.remove(&entry.1);
                self.by_use.insert(self.tick, key);
                entry.1 = self.tick;
            }
            None => {
                let b = read()?;
                self.insert(sample, leaf.offset, b);
            }
        }
        Ok(&self.map[&key].0)
    }

    /// Drop least recently used blocks until within budget; `keep` (just used, so the
    /// newest) stays.
    fn evict(&mut self, keep: (usize, u64)) {
        while self.used > self.budget && self.map.len() > 1 {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if oldest == keep {
                // Only `keep` is left in the books: put it back and stop.
                self.by_use.insert(self.tick, keep);
                break;
            }
            if let Some((b, _)) = self.map.remove(&oldest) {
                self.used -= b.bytes();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache keeps exactly what a plain least-recently-used list within the budget
    /// keeps, over a long random mix of inserts and hits.
    #[test]
    fn evicts_least_recently_used_like_a_plain_list() {
        let mut cache = BlockCache::new(20_000);
        // (key, bytes), most recent last.
        let mut model: Vec<((usize, u64), usize)> = Vec::new();
        let mut x = 0x9e37_79b9_u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = ((x % 3) as usize, (x >> 8) % 64);
            let n = ((x >> 20) % 300) as usize;
            let leaf = Leaf {
                start_chrom: 0,
                start_base: 0,
                end_chrom: 0,
                end_base: 1,
                offset: key.1,
                size: 1,
            };
            cache
                .get_or_read(key.0, &leaf, || Ok(DecodedBlock::of_len(n)))
                .unwrap();
            let bytes = match model.iter().position(|e| e.0 == key) {
                Some(i) => model.remove(i).1,
                None => DecodedBlock::of_len(n).bytes(),
            };
            model.push((key, bytes));
            let mut used: usize = model.iter().map(|e| e.1).sum();
            while used > 20_000 && model.len() > 1 {
                used -= model.remove(0).1;
            }
            assert_eq!(cache.map.len(), model.len());
            assert_eq!(cache.by_use.len(), model.len());
            assert_eq!(cache.used, used);
            assert!(model.iter().all(|(k, _)| cache.contains(k.0, k.1)));
        }
    }
}
