//! The one-region-at-a-time driver behind every single-threaded host (the wasm module
//! today, and native exports with URL sources): it opens the sources through the
//! missing-range protocol, plans the decode order in slices, decodes with read-ahead and
//! buffers the output. A host only moves bytes: it adds what [`Stepper::open`] and
//! [`Stepper::step`] ask for, and takes output ([`crate::drive::Drive`] runs the loop).
//!
//! Sources are [`RangeCache`]s the host fills. The read-ahead policy lives here
//! ([`ahead`]), so plain `cargo test` pins it.

mod ahead;
mod inflate;

pub use inflate::{InflateJob, Inflated};

use crate::bigwig::IndexPlan;
use crate::blocks::Decoder;
use crate::encoded::{encode_region, EncodedRegions};
use crate::error::{Bug, ByteRange, Error, Result, Stop};
use crate::export::{push_region, Export, IndexPolicy, Options, LAZY_INDEX_MIN};
use crate::input::Input;
use crate::interval::Interval;
use crate::layout::TrackWriter;
use crate::order::{genome_slices, DecodeOrder, OrderPlan};
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

/// Where the stepper stands.
enum Phase {
    /// Sources being opened (headers and chrom trees, small indexes with them); the
    /// regions, once given, wait here.
    Opening {
        regions: Option<Regions>,
        opened: Vec<Option<Input<Src>>>,
    },
    /// Regions resolved; the indexes they need being read.
    Indexing(Export<Src>),
    /// Indexes read; the decode order being planned.
    Planning(Export<Src>, OrderPlan),
    /// Decoding in the planned order.
    Decoding(Decoding),
}

/// The decoding phase: the export, its order, and how far decoding and read-ahead got.
struct Decoding {
    export: Export<Src>,
    order: DecodeOrder,
    /// Regions are decoded in genome order: reordered, or given sorted.
    sweep: bool,
    decoder: Decoder,
    /// Regions decoded so far (positions in the decode order).
    next: usize,
    /// Positions in the decode order below this had their ranges handed out already.
    asked: usize,
    /// Positions below this had their blocks handed out to inflate ahead.
    inflated: usize,
    /// Raw and decoded bytes of the blocks inflated ahead so far.
    inflated_bytes: (u64, u64),
    /// The first position of the batch of blocks out to inflate, until it is back.
    awaiting: Option<usize>,
}

pub struct Stepper {
    names: Vec<String>,
    caches: Vec<Src>,
    options: Options,
    index_policy: IndexPolicy,
    phase: Phase,
    /// Decoded-block budget: when every block the export touches fits, regions are decoded
    /// in input order (wasm linear memory never shrinks, so keep it modest).
    cache_budget: usize,
    pub writer: TrackWriter,
    recs: Vec<Interval>,
    counts: Vec<usize>,
    /// Genome order: encoded regions (see [`crate::encoded`]) not yet taken by the host.
    unordered: Vec<u8>,
    /// `[region, length, ...]` of `unordered`, recorded as it is encoded.
    unordered_spans: Vec<u32>,
    /// Genome order: regions pushed back into the writer, in input order.
    pushed: usize,
    /// Decode in genome order whatever the block cache holds ([`Stepper::force_genome_order`]).
    force_genome: bool,
    /// A slice of another export's regions ([`Stepper::keep_region_list`]): their indices
    /// there, which the encoded regions carry.
    global: Option<Vec<u32>>,
}

impl Stepper {
    /// `names` label the sources in messages (paths, URLs, `source N`).
    pub fn new(names: Vec<String>, options: Options, cache_budget: usize) -> Self {
        let n = names.len();
        Stepper {
            caches: (0..n).map(|_| Rc::new(RangeCache::new())).collect(),
            phase: Phase::Opening {
                regions: None,
                opened: (0..n).map(|_| None).collect(),
            },
            names,
            options,
            index_policy: IndexPolicy::Auto,
            cache_budget,
            writer: TrackWriter::new(options.layout, options.format),
            recs: Vec::new(),
            counts: vec![0; n],
            unordered: Vec::new(),
            unordered_spans: Vec::new(),
            pushed: 0,
            force_genome: false,
            global: None,
        }
    }

    /// The regions to export (taken when open resolves them; ignored after).
    pub fn set_regions(&mut self, given: Regions) {
        if let Phase::Opening { regions, .. } = &mut self.phase {
            *regions = Some(given);
        }
    }

    fn export(&self) -> Option<&Export<Src>> {
        match &self.phase {
            Phase::Opening { .. } => None,
            Phase::Indexing(e) | Phase::Planning(e, _) => Some(e),
            Phase::Decoding(d) => Some(&d.export),
        }
    }

    /// The regions, once given.
    pub fn regions(&self) -> Option<&Regions> {
        match &self.phase {
            Phase::Opening { regions, .. } => regions.as_ref(),
            _ => self.export().map(|e| &e.regions),
        }
    }

    /// Decode in genome order even when every block the regions touch fits the cache
    /// (regions given sorted stay in input order, the same): the order
    /// [`Stepper::genome_slices`] cuts for decoding on several threads. Call before
    /// planning.
    pub fn force_genome_order(&mut self) {
        self.force_genome = true;
    }

    /// Keep only regions `list` (indices into the regions given, each at most once), in
    /// that order, to decode a slice of an export on another thread: they are decoded in
    /// genome order and always handed out as encoded regions under their indices in
    /// `list`'s numbering ([`Stepper::take_unordered`]), never written here. BED lines
    /// stay, so messages name the user's lines. Call after the regions are set, before
    /// opening; returns the regions kept.
    pub fn keep_region_list(&mut self, list: &[u32]) -> Result<usize> {
        let Phase::Opening {
            regions: Some(all), ..
        } = &mut self.phase
        else {
            return Err(Error::input(
                "keepRegionList: regions must be set, and the export not opened",
            ));
        };
        let mut seen = vec![false; all.len()];
        for &r in list {
            match seen.get_mut(r as usize) {
                Some(s) if !*s => *s = true,
                _ => {
                    return Err(Error::input(format!(
                        "keepRegionList: region {r} is out of range (there are {}) or given twice",
                        all.len()
                    )))
                }
            }
        }
        *all = all.reordered(list, 0)?;
        self.global = Some(list.to_vec());
        self.force_genome = true;
        Ok(list.len())
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
        if let Phase::Opening { regions, opened } = &mut self.phase {
            let missing = open_heads(&self.names, &self.caches, opened, self.index_policy)?;
            if !missing.is_empty() {
                return Ok(missing);
            }
            let Some(regions) = regions.take() else {
                return Ok(Vec::new());
            };
            let inputs = opened.iter_mut().map(|o| o.take().unwrap()).collect();
            self.phase = Phase::Indexing(Export::new(inputs, regions, self.options)?);
        }
        if let Phase::Indexing(export) = &mut self.phase {
            // Index nodes are read at the sizes the walk asks for (a level per round when
            // lazy), not rounded up.
            match export.read_indexes(self.index_policy) {
                Ok(()) => {}
                Err(Stop::Missing(ranges)) => return Ok(ranges),
                Err(Stop::Failed(e)) => return Err(e),
            }
            let Phase::Indexing(export) = std::mem::replace(&mut self.phase, placeholder()) else {
                unreachable!()
            };
            let mut plan = OrderPlan::new(&export, self.cache_budget as u64);
            if self.force_genome {
                plan.force_genome(export.n_regions());
            }
            self.phase = Phase::Planning(export, plan);
        }
        // What open read is kept: a read extended past the index or header may hold the
        // first data blocks. The first step that misses drops all outside its window.
        Ok(Vec::new())
    }

    /// Plan the decode order for about `work` regions' worth; true once it is known. A
    /// single-threaded host calls it until then, yielding in between (millions of
    /// shuffled regions take seconds to sort).
    pub fn plan_order(&mut self, work: usize) -> Result<bool> {
        let order = match &mut self.phase {
            Phase::Decoding(_) => return Ok(true),
            Phase::Opening { .. } | Phase::Indexing(_) => {
                return Err(Error::input("planOrder() before open() finished"))
            }
            Phase::Planning(export, plan) => match plan.step(export, work) {
                Some(planned) => planned,
                None => return Ok(false),
            },
        };
        let Phase::Planning(export, _) = std::mem::replace(&mut self.phase, placeholder()) else {
            unreachable!()
        };
        let sweep = order.sweeps();
        let order = order.order;
        let budget = if order.is_genome() {
            GENOME_ORDER_BLOCK_CACHE.min(self.cache_budget.max(1 << 20))
        } else {
            self.cache_budget
        };
        self.phase = Phase::Decoding(Decoding {
            export,
            order,
            sweep,
            decoder: Decoder::new(budget),
            next: 0,
            asked: 0,
            inflated: 0,
            inflated_bytes: (0, 0),
            awaiting: None,
        });
        Ok(true)
    }

    /// Decode regions until at least `max_bytes` of output are buffered, all are done, or
    /// a region misses bytes. When stalled, the ranges are what the current region misses
    /// plus the raw bytes of the next `lookahead` regions; otherwise, once half the horizon
    /// is decoded, those of the next `lookahead` regions. Ranges held are left out; the
    /// host skips those it is reading already.
    pub fn step(&mut self, max_bytes: usize, lookahead: usize) -> Result<Step> {
        while !self.plan_order(usize::MAX / 2)? {}
        let Phase::Decoding(d) = &mut self.phase else {
            unreachable!("planned above")
        };
        // A slice hands out every region, in whatever order it was planned.
        let encode = d.order.is_genome() || self.global.is_some();
        while d.next < d.export.n_regions() {
            if d.awaits_inflated() {
                let ahead = d.read_ahead(&self.caches, self.cache_budget, lookahead);
                return Ok(Step::ReadAhead(ahead));
            }
            let r = d.order.region(d.next);
            match d
                .export
                .decode_region(r, &mut d.decoder, &mut self.recs, &mut self.counts)
            {
                Ok(()) => {
                    d.next += 1;
                    let full = if encode {
                        let start = self.unordered.len();
                        let index = self.global.as_ref().map_or(r as u32, |g| g[r]);
                        encode_region(
                            index as usize,
                            &self.recs,
                            &self.counts,
                            &mut self.unordered,
                        );
                        let len = self.unordered.len() - start;
                        self.unordered_spans.extend([index, len as u32]);
                        self.unordered.len() >= max_bytes
                    } else {
                        push_region(&mut self.writer, &self.recs, &self.counts);
                        self.writer.pending() >= max_bytes
                    };
                    if full {
                        let ahead = d.read_ahead(&self.caches, self.cache_budget, lookahead);
                        return Ok(Step::ReadAhead(ahead));
                    }
                }
                Err(Stop::Missing(_)) => {
                    let ranges = d.stalled_at(&self.caches, self.cache_budget, r, lookahead);
                    return Ok(Step::Stalled(ranges));
                }
                Err(Stop::Failed(e)) => return Err(e),
            }
        }
        Ok(Step::Done)
    }

    /// Raw source bytes held in the range caches (fetched, not yet dropped).
    pub fn raw_bytes_held(&self) -> usize {
        self.caches.iter().map(|c| c.held()).sum()
    }

    /// True when regions are decoded in genome order: the host takes them with
    /// [`Stepper::take_unordered`] and gives them back in input order with
    /// [`Stepper::push_encoded`] (a slice's, [`Stepper::keep_region_list`], to the export
    /// it is a slice of). False until the order is planned.
    pub fn genome_order(&self) -> bool {
        matches!(&self.phase, Phase::Decoding(d) if d.order.is_genome() || self.global.is_some())
    }

    /// The planned decode order cut into at most `count` slices of about equal work (the
    /// first `first_share` of each other's), as region indices (see [`genome_slices`]):
    /// each for [`Stepper::keep_region_list`] of a session on another thread, in genome
    /// order when the order was forced ([`Stepper::force_genome_order`]).
    pub fn genome_slices(&self, count: usize, first_share: f64) -> Result<Vec<Vec<u32>>> {
        match &self.phase {
            Phase::Decoding(d) => Ok(genome_slices(&d.export, &d.order, count, first_share)),
            _ => Err(Error::input("genomeSlices() before planOrder() finished")),
        }
    }

    /// True when regions are decoded in genome order, reordered ([`Stepper::genome_order`])
    /// or given sorted: their blocks are neighbours in the file, so the host reads ahead
    /// over the longer window. False until the order is planned.
    pub fn sweeps(&self) -> bool {
        matches!(&self.phase, Phase::Decoding(d) if d.sweep)
    }

    /// Genome order: the encoded regions decoded since the last call, and their
    /// `[region, length, ...]` spans (the host keeps the bytes opaque).
    pub fn take_unordered(&mut self) -> (Vec<u8>, Vec<u32>) {
        (
            std::mem::take(&mut self.unordered),
            std::mem::take(&mut self.unordered_spans),
        )
    }

    /// Genome order: what [`Stepper::take_unordered`] would hand out, lent; a host copying
    /// it into buffers of its own then calls [`Stepper::clear_unordered`], and the step's
    /// buffers keep their capacity.
    pub fn unordered(&self) -> (&[u8], &[u32]) {
        (&self.unordered, &self.unordered_spans)
    }

    /// Genome order: forget the encoded regions [`Stepper::unordered`] lent.
    pub fn clear_unordered(&mut self) {
        self.unordered.clear();
        self.unordered_spans.clear();
    }

    /// Genome order: encoded regions in input order, continuing where the last call ended.
    pub fn push_encoded(&mut self, bytes: &[u8]) -> Result<()> {
        for e in EncodedRegions::checked(bytes, self.names.len(), self.n_regions())? {
            if e.region != self.pushed {
                return Err(Bug::OutOfTurn {
                    got: e.region,
                    want: self.pushed,
                }
                .into());
            }
            e.push_into(&mut self.writer);
            self.pushed += 1;
        }
        Ok(())
    }

    pub fn regions_done(&self) -> usize {
        match &self.phase {
            Phase::Decoding(d) => d.next,
            _ => 0,
        }
    }

    pub fn n_regions(&self) -> usize {
        self.regions().map_or(0, Regions::len)
    }

    pub fn n_samples(&self) -> usize {
        self.names.len()
    }

    /// Source `i` once opened.
    pub fn bigwig(&self, i: usize) -> Option<&crate::bigwig::BigWig> {
        match (&self.phase, self.export()) {
            (_, Some(e)) => Some(&e.inputs[i].bigwig),
            (Phase::Opening { opened, .. }, None) => opened[i].as_ref().map(|o| &o.bigwig),
            _ => None,
        }
    }
}

/// A phase held for a moment while the real one moves on.
fn placeholder() -> Phase {
    Phase::Opening {
        regions: None,
        opened: Vec::new(),
    }
}

/// Open the heads of the sources not opened yet; returns what they miss. A small index
/// is read whole with the head, regions or not: one round, and an inspected source's
/// head then holds everything an export needs.
fn open_heads(
    names: &[String],
    caches: &[Src],
    opened: &mut [Option<Input<Src>>],
    policy: IndexPolicy,
) -> Result<Vec<ByteRange>> {
    let mut missing = Vec::new();
    for (i, slot) in opened.iter_mut().enumerate() {
        if slot.is_some() {
            continue;
        }
        match Input::open_head(i, names[i].clone(), caches[i].clone()) {
            Ok(input) => *slot = Some(input),
            Err(Stop::Missing(ranges)) => {
                for mut r in ranges {
                    let limit = caches[i]
                        .size()
                        .map_or(u64::MAX, |s| s.saturating_sub(r.offset));
                    r.len = r.len.max(MIN_OPEN_READ).min(limit.max(r.len));
                    missing.push(r);
                }
            }
            Err(Stop::Failed(e)) => return Err(e),
        }
    }
    if policy != IndexPolicy::Lazy && missing.is_empty() {
        for (i, input) in opened.iter_mut().enumerate() {
            let input = input.as_mut().expect("every head is open");
            if input.index_len().is_some_and(|len| len <= LAZY_INDEX_MIN) {
                match input.read_index(i, IndexPlan::Whole) {
                    Ok(()) => {}
                    Err(Stop::Missing(m)) => missing.extend(m),
                    Err(Stop::Failed(e)) => return Err(e),
                }
            }
        }
    }
    Ok(missing)
}
