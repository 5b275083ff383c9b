//! Decoded blocks: where [`crate::Export::decode_region`] gets them ([`BlockSource`]), the
//! on-demand [`Decoder`], and the least-recently-used [`BlockCache`] that makes a block
//! several nearby regions touch inflate once.

use crate::bigwig::block::{BlockReader, DecodedBlock};
use crate::bigwig::{BwError, Leaf};
use crate::input::Input;
use crate::source::Source;
use std::collections::HashMap;

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
}

impl BlockCache {
    pub fn new(budget_bytes: usize) -> Self {
        BlockCache {
            budget: budget_bytes,
            used: 0,
            tick: 0,
            map: HashMap::new(),
        }
    }

    pub fn contains(&self, sample: usize, offset: u64) -> bool {
        self.map.contains_key(&(sample, offset))
    }

    pub fn insert(&mut self, sample: usize, offset: u64, block: DecodedBlock) {
        self.tick += 1;
        self.used += block.bytes();
        if let Some((old, _)) = self.map.insert((sample, offset), (block, self.tick)) {
            self.used -= old.bytes();
        }
        self.evict((sample, offset));
    }

    fn get_or_read(
        &mut self,
        sample: usize,
        leaf: &Leaf,
        read: impl FnOnce() -> Result<DecodedBlock, BwError>,
    ) -> Result<&DecodedBlock, BwError> {
        let key = (sample, leaf.offset);
        if !self.map.contains_key(&key) {
            let b = read()?;
            self.insert(sample, leaf.offset, b);
        } else {
            self.tick += 1;
            self.map.get_mut(&key).unwrap().1 = self.tick;
        }
        Ok(&self.map[&key].0)
    }

    /// Drop least recently used blocks until within budget; `keep` (just used) stays.
    fn evict(&mut self, keep: (usize, u64)) {
        while self.used > self.budget && self.map.len() > 1 {
            let oldest = *self
                .map
                .iter()
                .filter(|(k, _)| **k != keep)
                .min_by_key(|(_, v)| v.1)
                .unwrap()
                .0;
            let (b, _) = self.map.remove(&oldest).unwrap();
            self.used -= b.bytes();
        }
    }
}
