//! The region x sample loop, free of threads, files and JS. [`Export`] holds the opened
//! sources and the regions with every contig resolved up front; [`Export::decode_region`]
//! decodes one region for all samples. Native code runs it in parallel; wasm runs it one
//! region at a time, fetching what [`Stop::Missing`] asks for and retrying.

use crate::bigwig::{BwError, IndexPlan, Leaf, QuerySet};
pub use crate::blocks::{BlockCache, BlockSource, Decoder};
use crate::contig::ContigMap;
use crate::error::{shown, Bug, ByteRange, Error, MaxMem, Result, Stop};
use crate::input::Input;
use crate::interval::{Interval, RECORD_BYTES};
use crate::layout::{Format, Layout};
use crate::region::Regions;
use crate::source::{Complete, Source};

/// Default `max_mem`: 4 GiB of records for one region over all samples.
pub const DEFAULT_MAX_MEM: u64 = 4 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    pub layout: Layout,
    /// Most bytes (12 per record) one region may need over all samples.
    pub max_mem: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::Npy,
            layout: Layout::Aos,
            max_mem: DEFAULT_MAX_MEM,
        }
    }
}

/// How [`Export::read_indexes`] reads each source's R-tree index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexPolicy {
    /// Lazily ([`IndexPlan::Queries`]) when the index is large, level by level, each level
    /// read as the nodes it needs or, when those would cost more, the whole index (by
    /// bytes and requests: [`crate::bigwig::rtree`]); whole when small.
    #[default]
    Auto,
    /// Every leaf.
    Whole,
    /// Only the nodes the regions need, however few or many (tests pin the walk with it).
    Lazy,
}

/// An index at most this big is read whole: one round costs less than a round per level.
pub const LAZY_INDEX_MIN: u64 = 64 << 10;

/// What one (region, sample) reads: the chrom id and the clamped query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub chrom: u32,
    pub start: u32,
    pub end: u32,
}

pub struct Export<S> {
    pub inputs: Vec<Input<S>>,
    pub regions: Regions,
    pub options: Options,
    /// `(chrom id, length)` of each region contig (by index) in each source: a query is
    /// computed from it, so nothing is stored per (region, sample).
    resolved: Vec<Vec<(u32, u32)>>,
}

impl<S: Source> Export<S> {
    /// Resolve every region's contig in every source; fail on the first region (then
    /// source) whose contig does not match exactly one chrom (see [`ContigMap`]).
    pub fn new(inputs: Vec<Input<S>>, regions: Regions, options: Options) -> Result<Self> {
        if inputs.is_empty() {
            return Err(Error::input("no sources given: pass at least one bigWig"));
        }
        let maps: Vec<ContigMap> = inputs
            .iter()
            .map(|i| ContigMap::new(&i.bigwig.chroms))
            .collect();
        let n_contigs = regions.contigs().len();
        let mut resolved = vec![Vec::with_capacity(n_contigs); inputs.len()];
        // Contigs resolve in order of first appearance, so the first failing region is named.
        for (ri, r) in regions.iter().enumerate() {
            if (r.contig as usize) < resolved[0].len() {
                continue;
            }
            let contig = regions.contig(ri);
            for (si, input) in inputs.iter().enumerate() {
                let c = maps[si].resolve(contig).map_err(|why| {
                    Error::Input(format!(
                        "{}: contig '{}' {} in source {si} ({}){}",
                        regions.describe(ri),
                        shown(contig),
                        why.0,
                        shown(&input.name),
                        why.1
                    ))
                })?;
                resolved[si].push((c.id, c.length));
            }
        }
        drop(maps);
        Ok(Export {
            inputs,
            regions,
            options,
            resolved,
        })
    }

    /// Read the R-tree index of every source whose index is not read yet, as `policy`
    /// says. Every missing byte of this round comes back at once as [`Stop::Missing`];
    /// call again once they are held (a round per tree level when lazy).
    pub fn read_indexes(&mut self, policy: IndexPolicy) -> Result<(), Stop> {
        let mut missing = Vec::new();
        for s in 0..self.inputs.len() {
            if self.inputs[s].bigwig.index_read() {
                continue;
            }
            let input = &self.inputs[s];
            let lazy = match policy {
                IndexPolicy::Whole => false,
                IndexPolicy::Lazy => true,
                IndexPolicy::Auto => input.index_len().is_some_and(|len| len > LAZY_INDEX_MIN),
            };
            let queries = lazy.then(|| {
                QuerySet::new((0..self.n_regions()).map(|r| {
                    let q = self.query(r, s);
                    (q.chrom, q.start, q.end)
                }))
            });
            let plan = match &queries {
                Some(queries) => IndexPlan::Queries {
                    queries,
                    strict: policy == IndexPolicy::Lazy,
                },
                None => IndexPlan::Whole,
            };
            match self.inputs[s].read_index(s, plan) {
                Ok(()) => {}
                Err(Stop::Missing(m)) => missing.extend(m),
                Err(e) => return Err(e),
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Stop::Missing(missing))
        }
    }

    pub fn n_regions(&self) -> usize {
        self.regions.len()
    }
    pub fn n_samples(&self) -> usize {
        self.inputs.len()
    }
    pub fn query(&self, region: usize, sample: usize) -> Query {
        let r = self.regions.get(region);
        let (chrom, length) = self.resolved[sample][r.contig as usize];
        // GenVarLoader: query [max(start, 0), min(end, chrom length)).
        Query {
            chrom,
            start: r.start.max(0) as u32,
            end: (r.end.max(0) as u32).min(length),
        }
    }

    /// The R-tree leaves (data blocks) region `r` reads in sample `s`.
    pub fn leaves(&self, r: usize, s: usize) -> impl Iterator<Item = &Leaf> + '_ {
        let q = self.query(r, s);
        self.inputs[s].bigwig.blocks(q.chrom, q.start, q.end)
    }

    /// Each region contig's rank by name ([`Export::genome_key`] compares numbers, not names).
    pub fn contig_ranks(&self) -> Vec<u32> {
        let names = self.regions.contigs();
        let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
        by_name.sort_by_key(|&c| names[c as usize].as_str());
        let mut rank = vec![0u32; names.len()];
        for (k, &c) in by_name.iter().enumerate() {
            rank[c as usize] = k as u32;
        }
        rank
    }

    /// Where region `r` sorts in genome order: (contig rank, query start, query end) in
    /// the first source. A contig's rank fixes its chrom, so the chrom needs no place.
    pub fn genome_key(&self, ranks: &[u32], r: usize) -> (u32, u32, u32) {
        let q = self.query(r, 0);
        (ranks[self.regions.get(r).contig as usize], q.start, q.end)
    }

    /// An upper bound on the decoded size of a block of source `s` (decoded records take at
    /// most 3x the inflated bytes: fixedStep 4 -> 12), what [`crate::order::OrderPlan`]
    /// weighs against its budget.
    pub fn decoded_bound(&self, s: usize, leaf: &Leaf) -> u64 {
        let bw = &self.inputs[s].bigwig;
        let inflated = if bw.compressed() {
            bw.header.uncompress_buf_size as u64
        } else {
            leaf.size
        };
        inflated * 3 + 64
    }

    /// Every data block region `r` reads, over all samples, decoded or not.
    pub fn region_ranges(&self, r: usize) -> Vec<ByteRange> {
        let mut out: Vec<ByteRange> = (0..self.n_samples())
            .flat_map(|s| {
                self.leaves(r, s).map(move |l| ByteRange {
                    source: s,
                    offset: l.offset,
                    len: l.size,
                })
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Byte ranges region `r` needs over all samples that `cache` does not hold decoded
    /// (what an async driver should fetch before calling [`Export::decode_region`]).
    pub fn needed_ranges(&self, r: usize, cache: &BlockCache) -> Vec<ByteRange> {
        let mut out = self.region_ranges(r);
        out.retain(|b| !cache.contains(b.source, b.offset));
        out
    }

    /// Decode region `r` for all samples into `out` (cleared first), sample after sample;
    /// `counts[s]` gets sample `s`'s record count. If any block is not available yet it
    /// stops with [`Stop::Missing`], listing every missing block of the region at once.
    pub fn decode_region(
        &self,
        r: usize,
        blocks: &mut impl BlockSource,
        out: &mut Vec<Interval>,
        counts: &mut [usize],
    ) -> Result<(), Stop> {
        out.clear();
        let mut missing = Vec::new();
        for (s, input) in self.inputs.iter().enumerate() {
            if !input.bigwig.index_read() {
                // Leaves unknown would read as "no data": never a silent empty region.
                return Err(Bug::IndexNotRead {
                    source: input.name.clone(),
                }
                .into());
            }
            let before = out.len();
            let q = self.query(r, s);
            for leaf in input.bigwig.blocks(q.chrom, q.start, q.end) {
                let block = match blocks.block(s, input, leaf) {
                    Ok(b) => b,
                    Err(BwError::Missing(ranges)) => {
                        missing.extend(ranges.into_iter().map(|(offset, len)| ByteRange {
                            source: s,
                            offset,
                            len,
                        }));
                        continue;
                    }
                    Err(e) => {
                        let region = Some(self.regions.describe(r));
                        return Err(crate::input::stop(s, &input.name, e, region));
                    }
                };
                // bigtools skips sections of another chrom that share a leaf's span.
                if block.chrom_id == q.chrom {
                    block.cut(q.start, q.end, out);
                }
            }
            counts[s] = out.len() - before;
            let bytes = out.len() as u64 * RECORD_BYTES;
            if bytes > self.options.max_mem {
                return Err(MaxMem {
                    region: self.regions.describe(r),
                    bytes,
                    intervals: out.len(),
                    samples: s + 1,
                    n_samples: self.n_samples(),
                    limit: self.options.max_mem,
                }
                .into());
            }
        }
        if !missing.is_empty() {
            missing.sort();
            missing.dedup();
            return Err(Stop::Missing(missing));
        }
        Ok(())
    }
}

/// Decoded-block budget for the one-region-at-a-time driver.
pub const SEQUENTIAL_CACHE: usize = 32 << 20;

impl<S: Complete> Export<S> {
    /// Export every region in input order, one at a time, into `writer`. After each region
    /// `after_region(r, writer)` runs: drain the writer there, report progress, or return
    /// an error (e.g. [`Error::Cancelled`]) to stop.
    pub fn run_sequential(
        &self,
        writer: &mut crate::layout::TrackWriter,
        mut after_region: impl FnMut(usize, &mut crate::layout::TrackWriter) -> Result<()>,
    ) -> Result<()> {
        let mut decoder = Decoder::new(SEQUENTIAL_CACHE);
        let mut recs = Vec::new();
        let mut counts = vec![0usize; self.n_samples()];
        for r in 0..self.n_regions() {
            self.decode_region(r, &mut decoder, &mut recs, &mut counts)
                .map_err(Stop::complete)?;
            push_region(writer, &recs, &counts);
            after_region(r, writer)?;
        }
        Ok(())
    }
}

/// Push one decoded region's groups (sample after sample) into `writer`.
pub fn push_region(writer: &mut crate::layout::TrackWriter, recs: &[Interval], counts: &[usize]) {
    let mut at = 0;
    for &n in counts {
        writer.push_group(&recs[at..at + n]);
        at += n;
    }
}
