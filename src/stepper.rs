//! The one-region-at-a-time driver behind every single-threaded host (the wasm module
//! today): it opens the sources through the missing-range protocol, plans the decode
//! order in slices, decodes with read-ahead and buffers the output. A host only moves
//! bytes: it adds what [`Stepper::open`] and [`Stepper::step`] ask for, and takes output.
//!
//! Sources are [`RangeCache`]s the host fills. The read-ahead policy lives here, so plain
//! `cargo test` pins it: each region's ranges are handed out once, a stalled region keeps
//! its raw bytes until it is decoded, and raw bytes behind the read-ahead window go.

use crate::bigwig::IndexPlan;
use crate::encoded::{
    bucket_regions, count_regions, encode_region, push_region_encoded, region_at, region_len,
};
use crate::error::{ByteRange, Error, Result};
use crate::export::{
    open_input_head, push_region, Decoder, Export, IndexPolicy, Input, Options, LAZY_INDEX_MIN,
};
use crate::interval::Interval;
use crate::layout::TrackWriter;
use crate::order::{DecodeOrder, OrderPlan};
use crate::region::Regions;
use crate::source::{RangeCache, Source};
use std::rc::Rc;

/// In genome order a block is needed by consecutive regions only.
const GENOME_ORDER_BLOCK_CACHE: usize = 4 << 20;
/// The first read of a source is rounded up so one fetch covers the header and, for
/// most files, the chrom tree (a larger chrom tree is read whole in a second round).
const MIN_OPEN_READ: u64 = 4 << 10;

pub type Src = Rc<RangeCache>;

/// What a [`Stepper::step`] ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Every region is decoded.
    Done,
    /// Output is buffered (take it); the ranges are for the host to read ahead in the
    /// background while decoding goes on.
    ReadAhead(Vec<ByteRange>),
    /// The current region misses bytes: read these (and wait for reads under way), then
    /// step again.
    Stalled(Vec<ByteRange>),
}

pub struct Stepper {
    names: Vec<String>,
    caches: Vec<Src>,
    options: Options,
    index_policy: IndexPolicy,
    /// The export's indexes are read (open is done).
    indexed: bool,
    regions: Option<Regions>,
    opened: Vec<Option<Input<Src>>>,
    export: Option<Export<Src>>,
    plan: Option<OrderPlan>,
    order: Option<DecodeOrder>,
    decoder: Decoder,
    /// Decoded-block budget: when every block the export touches fits, regions are decoded
    /// in input order (wasm linear memory never shrinks, so keep it modest).
    cache_budget: usize,
    pub writer: TrackWriter,
    recs: Vec<Interval>,
    counts: Vec<usize>,
    /// Regions decoded so far (positions in the decode order).
    next: usize,
    /// Positions in the decode order below this had their ranges handed out already.
    asked: usize,
    /// Genome order: encoded regions (see [`crate::encoded`]) not yet taken by the host.
    unordered: Vec<u8>,
    /// `[region, length, ...]` of `unordered`, recorded as it is encoded.
    unordered_spans: Vec<u32>,
    /// Genome order: regions pushed back into the writer, in input order.
    pushed: usize,
}

impl Stepper {
    /// `names` label the sources in messages (paths, URLs, `source N`).
    pub fn new(names: Vec<String>, options: Options, cache_budget: usize) -> Self {
        let n = names.len();
        Stepper {
            caches: (0..n).map(|_| Rc::new(RangeCache::new())).collect(),
            opened: (0..n).map(|_| None).collect(),
            names,
            options,
            index_policy: IndexPolicy::Auto,
            indexed: false,
            regions: None,
            export: None,
            plan: None,
            order: None,
            decoder: Decoder::new(cache_budget),
            cache_budget,
            writer: TrackWriter::new(options.layout, options.format),
            recs: Vec::new(),
            counts: vec![0; n],
            next: 0,
            asked: 0,
            unordered: Vec::new(),
            unordered_spans: Vec::new(),
            pushed: 0,
        }
    }

    pub fn set_regions(&mut self, regions: Regions) {
        self.regions = Some(regions);
    }

    /// The regions, once given (until the export takes them at open).
    pub fn regions(&self) -> Option<&Regions> {
        self.regions
            .as_ref()
            .or_else(|| self.export.as_ref().map(|e| &e.regions))
    }

    /// How open reads the R-tree indexes (default [`IndexPolicy::Auto`]: lazily for few
    /// regions in large files).
    pub fn set_index_policy(&mut self, policy: IndexPolicy) {
        self.index_policy = policy;
    }

    /// The total size of source `i`, once known (lets the index be read in one request).
    pub fn set_size(&mut self, i: usize, size: u64) {
        self.caches[i].set_size(size);
    }

    /// Bytes of source `i` at `offset`.
    pub fn add_range(&mut self, i: usize, offset: u64, bytes: Vec<u8>) {
        self.caches[i].insert(offset, bytes);
    }

    /// Open every source and resolve the regions, then read the indexes the regions
    /// need. Returns the ranges still missing; empty when the export is ready (or,
    /// without regions, when the sources' headers and chrom trees are read).
    pub fn open(&mut self) -> Result<Vec<ByteRange>> {
        if self.indexed {
            return Ok(Vec::new());
        }
        if self.export.is_none() {
            let mut missing = Vec::new();
            for i in 0..self.caches.len() {
                if self.opened[i].is_some() {
                    continue;
                }
                match open_input_head(i, self.names[i].clone(), self.caches[i].clone()) {
                    Ok(input) => self.opened[i] = Some(input),
                    Err(Error::Missing(ranges)) => {
                        for mut r in ranges {
                            let limit = self.caches[i]
                                .size()
                                .map_or(u64::MAX, |s| s.saturating_sub(r.offset));
                            r.len = r.len.max(MIN_OPEN_READ).min(limit.max(r.len));
                            missing.push(r);
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            // A small index is read whole with the head, regions or not: one round, and
            // an inspected source's head then holds everything an export needs.
            if self.index_policy != IndexPolicy::Lazy && missing.is_empty() {
                for (i, input) in self.opened.iter_mut().enumerate() {
                    let input = input.as_mut().expect("opened");
                    if input.index_len().is_some_and(|len| len <= LAZY_INDEX_MIN) {
                        match input.read_index(i, IndexPlan::Whole) {
                            Ok(()) => {}
                            Err(Error::Missing(m)) => missing.extend(m),
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            if !missing.is_empty() {
                return Ok(missing);
            }
            let Some(regions) = self.regions.take() else {
                return Ok(Vec::new());
            };
            let inputs = self.opened.iter_mut().map(|o| o.take().unwrap()).collect();
            self.export = Some(Export::new(inputs, regions, self.options)?);
        }
        let export = self.export.as_mut().expect("resolved");
        // Index nodes are read at the sizes the walk asks for (a level per round when
        // lazy), not rounded up.
        match export.read_indexes(self.index_policy) {
            Ok(()) => {}
            Err(Error::Missing(ranges)) => return Ok(ranges),
            Err(e) => return Err(e),
        }
        self.indexed = true;
        self.plan = Some(OrderPlan::new(export, self.cache_budget as u64));
        // What open read is kept: a read extended past the index or header may hold the
        // first data blocks. The first step that misses drops all outside its window.
        Ok(Vec::new())
    }

    /// Plan the decode order for about `work` regions' worth; true once it is known. A
    /// single-threaded host calls it until then, yielding in between (millions of
    /// shuffled regions take seconds to sort).
    pub fn plan_order(&mut self, work: usize) -> Result<bool> {
        if self.order.is_some() {
            return Ok(true);
        }
        let (Some(export), Some(plan)) = (self.export.as_ref(), self.plan.as_mut()) else {
            return Err(Error::input("planOrder() before open() finished"));
        };
        let Some(order) = plan.step(export, work) else {
            return Ok(false);
        };
        if order.is_genome() {
            self.decoder =
                Decoder::new(GENOME_ORDER_BLOCK_CACHE.min(self.cache_budget.max(1 << 20)));
        }
        self.order = Some(order);
        self.plan = None;
        Ok(true)
    }

    /// Decode regions until at least `max_bytes` of output are buffered, all are done, or
    /// a region misses bytes. When stalled, the ranges are what the current region misses
    /// plus the raw bytes of the next `lookahead` regions; otherwise, once half the horizon
    /// is decoded, those of the next `lookahead` regions. Ranges held are left out; the
    /// host skips those it is reading already.
    pub fn step(&mut self, max_bytes: usize, lookahead: usize) -> Result<Step> {
        while !self.plan_order(usize::MAX / 2)? {}
        let export = self.export.as_ref().expect("planned");
        let order = self.order.as_ref().expect("planned");
        let genome = order.is_genome();
        while self.next < export.n_regions() {
            let r = order.region(self.next);
            match export.decode_region(r, &mut self.decoder, &mut self.recs, &mut self.counts) {
                Ok(()) => {
                    self.next += 1;
                    let full = if genome {
                        let start = self.unordered.len();
                        encode_region(r, &self.recs, &self.counts, &mut self.unordered);
                        let len = self.unordered.len() - start;
                        self.unordered_spans.extend([r as u32, len as u32]);
                        self.unordered.len() >= max_bytes
                    } else {
                        push_region(&mut self.writer, &self.recs, &self.counts);
                        self.writer.pending() >= max_bytes
                    };
                    if full {
                        return Ok(Step::ReadAhead(self.read_ahead(lookahead)));
                    }
                }
                Err(Error::Missing(_)) => return Ok(Step::Stalled(self.stalled_at(r, lookahead))),
                Err(e) => return Err(e),
            }
        }
        Ok(Step::Done)
    }

    /// Double buffering: once half the horizon is decoded, ask for the next `lookahead`
    /// regions in one go (few, large, coalesced reads), each region's ranges looked up once.
    fn read_ahead(&mut self, lookahead: usize) -> Vec<ByteRange> {
        if self.asked >= self.next + lookahead {
            return Vec::new();
        }
        let from = self.next.max(self.asked);
        let to = self.next + 2 * lookahead;
        self.asked = to;
        let mut ahead = self.window(from, to);
        // Reads land without stalls, so this is where raw bytes behind the window go:
        // nothing else would drop them.
        let mut keep = self.window(self.next, from);
        keep.extend_from_slice(&ahead);
        self.retain_raw(&keep);
        ahead.retain(|r| self.within(r) && !self.holds(r));
        ahead
    }

    /// Region `r` (at `next`) misses bytes: its raw blocks stay held until it is done, and
    /// its decoded blocks are not fetched again. Should the decoded cache drop one before
    /// its use, the next stall asks for it: the raw bytes held only grow while the region
    /// is current, so it completes.
    fn stalled_at(&mut self, r: usize, lookahead: usize) -> Vec<ByteRange> {
        let export = self.export.as_ref().expect("open");
        let all = export.region_ranges(r);
        let mut ranges = all.clone();
        ranges.retain(|b| !self.decoder.cache.contains(b.source, b.offset));
        let (near, horizon) = (self.next + 1 + lookahead, self.next + 1 + 2 * lookahead);
        let soon = self.window(self.next + 1, near);
        // Raw bytes behind the read-ahead horizon were decoded already (or are not needed
        // again): drop them.
        let mut keep = self.window(near, horizon);
        keep.extend_from_slice(&all);
        keep.extend_from_slice(&soon);
        self.retain_raw(&keep);
        ranges.extend(soon);
        self.asked = self.asked.max(near);
        ranges.sort();
        ranges.dedup();
        ranges.retain(|r| self.within(r) && !self.holds(r));
        ranges
    }

    /// Drop raw chunks that overlap none of `keep`, oldest first, until those left
    /// outside it fit the spare budget (a quarter of the decoded-block budget): small
    /// files stay whole (nothing read twice), large ones do not pile up.
    fn retain_raw(&self, keep: &[ByteRange]) {
        let mut outside = Vec::new();
        for (i, c) in self.caches.iter().enumerate() {
            let keep: Vec<(u64, u64)> = keep
                .iter()
                .filter(|r| r.source == i)
                .map(|r| (r.offset, r.len))
                .collect();
            outside.extend(c.outside(&keep).into_iter().map(|(s, n, t)| (t, i, s, n)));
        }
        let mut spare: usize = outside.iter().map(|c| c.3).sum();
        outside.sort_unstable();
        for (_, i, start, n) in outside {
            if spare <= self.cache_budget / 4 {
                break;
            }
            self.caches[i].remove(start);
            spare -= n;
        }
    }

    /// Byte ranges of the regions at positions `[from, to)` of the decode order that are
    /// not decoded yet.
    fn window(&self, from: usize, to: usize) -> Vec<ByteRange> {
        let (Some(export), Some(order)) = (self.export.as_ref(), self.order.as_ref()) else {
            return Vec::new();
        };
        let to = to.min(export.n_regions());
        let mut ranges: Vec<ByteRange> = (from.min(to)..to)
            .flat_map(|k| export.needed_ranges(order.region(k), &self.decoder.cache))
            .collect();
        ranges.sort();
        ranges.dedup();
        ranges
    }

    /// False for a range past the end of its source (a corrupt leaf): it is not worth a
    /// request, and decoding its block says what is wrong, naming the source.
    fn within(&self, r: &ByteRange) -> bool {
        self.caches[r.source]
            .size()
            .is_none_or(|size| r.offset.checked_add(r.len).is_some_and(|end| end <= size))
    }

    /// True when the raw bytes of `r` are in its source's range cache.
    fn holds(&self, r: &ByteRange) -> bool {
        self.caches[r.source].has(r.offset, r.len)
    }

    /// Raw source bytes held in the range caches (fetched, not yet dropped).
    pub fn raw_bytes_held(&self) -> usize {
        self.caches.iter().map(|c| c.held()).sum()
    }

    /// True when regions are decoded in genome order: the host takes them with
    /// [`Stepper::take_unordered`] and gives them back in input order with
    /// [`Stepper::push_encoded`]. False until the order is planned.
    pub fn genome_order(&self) -> bool {
        self.order.as_ref().is_some_and(DecodeOrder::is_genome)
    }

    /// Genome order: the encoded regions decoded since the last call, and their
    /// `[region, length, ...]` spans (the host keeps the bytes opaque).
    pub fn take_unordered(&mut self) -> (Vec<u8>, Vec<u32>) {
        (
            std::mem::take(&mut self.unordered),
            std::mem::take(&mut self.unordered_spans),
        )
    }

    /// Regions per bucket the host reorders genome-order output through.
    pub fn bucket_regions(&self) -> usize {
        bucket_regions(self.n_regions())
    }

    /// Genome order: encoded regions in input order, continuing where the last call ended.
    pub fn push_encoded(&mut self, bytes: &[u8]) -> Result<()> {
        let s = self.names.len();
        count_regions(bytes, s, self.n_regions())
            .map_err(|m| Error::Output(format!("internal error: {m}")))?;
        let mut at = 0;
        while at < bytes.len() {
            if region_at(bytes, at) != self.pushed {
                return Err(Error::Output(format!(
                    "internal error: region {} pushed where region {} belongs",
                    region_at(bytes, at),
                    self.pushed
                )));
            }
            push_region_encoded(&mut self.writer, bytes, at, s);
            self.pushed += 1;
            at += region_len(bytes, at, s);
        }
        Ok(())
    }

    pub fn regions_done(&self) -> usize {
        self.next
    }

    pub fn n_regions(&self) -> usize {
        self.export.as_ref().map_or_else(
            || self.regions.as_ref().map_or(0, Regions::len),
            Export::n_regions,
        )
    }

    pub fn n_samples(&self) -> usize {
        self.names.len()
    }

    /// Source `i` once opened.
    pub fn bigwig(&self, i: usize) -> Option<&crate::bigwig::BigWig> {
        match (&self.export, &self.opened[i]) {
            (Some(e), _) => Some(&e.inputs[i].bigwig),
            (None, Some(input)) => Some(&input.bigwig),
            _ => None,
        }
    }
}
