//! The parallel driver, in the order the core's [`OrderPlan`] chooses.
//!
//! *Input order*, every block the export touches fitting the block budget decoded: decode
//! each once (in parallel), then cut regions in input order on all threads and write them
//! in order. Regions already in genome order but over the budget go through the
//! genome-order tasks below with the identity order.
//!
//! *Genome order*: otherwise decoding wants locality, since a block many regions touch
//! should be inflated once. Regions are decoded in genome order (sorted by contig and
//! start) in parallel tasks, and their encoded records are put back in input order
//! through the core's buckets ([`crate::reorder`], [`super::reorder`]). Output is then
//! written bucket by bucket.
//!
//! Either way memory is bounded by budgets, not by the number of regions.

use super::reorder::Reorder;
use super::{OutputDir, Parallel};
use crate::bigwig::block::{BlockReader, DecodedBlock};
use crate::bigwig::{BwError, Leaf};
use crate::encoded::{encode_region, EncodedRegions};
use crate::error::{Bug, Error, Result, Stop};
use crate::export::{BlockSource, Decoder, Export};
use crate::input::Input;
use crate::interval::Interval;
use crate::order::{DecodeOrder, OrderPlan};
use crate::source::{Complete, Source};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// Decoded blocks an export may hold by default: the parallel driver's blocks decoded up
/// front, the stepper driver's cache (URL sources).
pub const BLOCK_BUDGET: u64 = 64 << 20;
/// Encoded records held in memory before genome-order buckets spill to the scratch file.
pub use crate::reads::STAGING_BUDGET;
/// Regions per chunk a worker hands to the writer.
const CHUNK_REGIONS: usize = 128;
/// Decoded blocks a genome-order task keeps: tasks walk the genome in order, so a few do.
const TASK_CACHE: usize = 16 << 20;

/// Called with the number of regions decoded so far.
pub type Progress<'a> = dyn Fn(u64) + Sync + 'a;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub regions: usize,
    pub samples: usize,
    pub intervals: u64,
    pub bytes: u64,
}

impl Summary {
    /// What an export of `regions` x `samples` wrote through `out`.
    pub(super) fn new(regions: usize, samples: usize, out: &OutputDir) -> Self {
        let intervals = out.writer.n_intervals();
        Summary {
            regions,
            samples,
            intervals,
            bytes: intervals * 12 + (regions * samples + 1) as u64 * 8,
        }
    }
}

/// Decode every region of `export` on `pool` and write the groups, in region order, to
/// `out`'s track writer (which the caller commits).
pub fn export_parallel<S: Complete + Sync>(
    export: &Export<S>,
    pool: &rayon::ThreadPool,
    out: &mut OutputDir,
    progress: Option<&Progress<'_>>,
    parallel: &Parallel,
) -> Result<Summary> {
    let planned = OrderPlan::run(export, parallel.block_budget);
    match (planned.order, planned.touched) {
        (DecodeOrder::Input(_), Some(touched)) => {
            let map = predecode(export, pool, &touched);
            let blocks = || Predecoded {
                map: &map,
                reader: BlockReader::new(),
                reread: None,
            };
            in_input_order(export, pool, out, progress, blocks)?
        }
        (DecodeOrder::Input(n), None) => {
            // Regions in genome order already, over the block budget: the genome-order tasks
            // with the identity order (their contiguous stretches share blocks; chunks handed
            // out in turn did not, and medium sorted on 2 threads took 0.94 s, not 0.73 s).
            let order: Vec<u32> = (0..n as u32).collect();
            in_genome_order(export, &order, pool, out, progress, parallel.staging_budget)?
        }
        (DecodeOrder::Genome(order), _) => {
            in_genome_order(export, &order, pool, out, progress, parallel.staging_budget)?
        }
    }
    Ok(Summary::new(export.n_regions(), export.n_samples(), out))
}

/// A run of regions in the [`crate::encoded`] format; `index` orders chunks in direct mode.
struct EncodedRun {
    index: usize,
    regions: usize,
    bytes: Vec<u8>,
}

/// Empty buffers handed back by the writer, so workers do not fault in fresh pages.
#[derive(Default)]
struct Buffers(Mutex<Vec<Vec<u8>>>);

impl Buffers {
    fn take(&self) -> Vec<u8> {
        self.0.lock().unwrap().pop().unwrap_or_default()
    }
    fn give(&self, mut b: Vec<u8>) {
        b.clear();
        self.0.lock().unwrap().push(b);
    }
}

fn encode_regions<S: Complete>(
    export: &Export<S>,
    regions: impl Iterator<Item = usize>,
    blocks: &mut impl BlockSource,
    recs: &mut Vec<Interval>,
    counts: &mut [usize],
    bytes: &mut Vec<u8>,
) -> Result<usize> {
    let mut n = 0;
    for r in regions {
        export
            .decode_region(r, blocks, recs, counts)
            .map_err(Stop::complete)?;
        encode_region(r, recs, counts, bytes);
        n += 1;
    }
    Ok(n)
}

/// Blocks from the shared predecoded set; one that failed to decode ahead is read again
/// here, so its error carries the region that needed it.
struct Predecoded<'a> {
    map: &'a HashMap<(usize, u64), DecodedBlock>,
    reader: BlockReader,
    reread: Option<DecodedBlock>,
}

impl BlockSource for Predecoded<'_> {
    fn block<S: Source>(
        &mut self,
        sample: usize,
        input: &Input<S>,
        leaf: &Leaf,
    ) -> Result<&DecodedBlock, BwError> {
        if let Some(b) = self.map.get(&(sample, leaf.offset)) {
            return Ok(b);
        }
        Ok(self
            .reread
            .insert(self.reader.read(&input.source, &input.bigwig, leaf)?))
    }
}

/// Decode every block of `touched` once, in parallel; one that fails is left out (the
/// region needing it reads it again and names itself in the error).
fn predecode<S: Source + Sync>(
    export: &Export<S>,
    pool: &rayon::ThreadPool,
    touched: &[(usize, Leaf)],
) -> HashMap<(usize, u64), DecodedBlock> {
    pool.install(|| {
        touched
            .par_iter()
            .map_init(BlockReader::new, |reader, &(s, leaf)| {
                let input = &export.inputs[s];
                reader
                    .read(&input.source, &input.bigwig, &leaf)
                    .ok()
                    .map(|b| ((s, leaf.offset), b))
            })
            .flatten()
            .collect()
    })
}

/// Cut regions in input order on every thread, each with the blocks `blocks()` gives it,
/// and write them in order.
fn in_input_order<S: Complete + Sync, B: BlockSource>(
    export: &Export<S>,
    pool: &rayon::ThreadPool,
    out: &mut OutputDir,
    progress: Option<&Progress<'_>>,
    blocks: impl Fn() -> B + Sync,
) -> Result<()> {
    let n_regions = export.n_regions();
    let n_chunks = n_regions.div_ceil(CHUNK_REGIONS);
    let threads = pool.current_num_threads().max(1);
    // Workers take chunks in order and stay within `window` chunks of the writer.
    let window = threads * 4;
    let next = AtomicUsize::new(0);
    let gate = Gate::default();
    let buffers = Buffers::default();
    let (tx, rx) = mpsc::channel::<Result<EncodedRun>>();
    let n_samples = export.n_samples();
    std::thread::scope(|scope| -> Result<()> {
        let (next, gate, buffers, blocks) = (&next, &gate, &buffers, &blocks);
        scope.spawn(move || {
            pool.broadcast(|_| {
                let mut blocks = blocks();
                let (mut recs, mut counts) = (Vec::new(), vec![0usize; n_samples]);
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= n_chunks {
                        return;
                    }
                    if !gate.wait_for(index, window) {
                        return; // the writer gave up
                    }
                    let range = index * CHUNK_REGIONS..((index + 1) * CHUNK_REGIONS).min(n_regions);
                    let mut bytes = buffers.take();
                    let res = encode_regions(
                        export,
                        range,
                        &mut blocks,
                        &mut recs,
                        &mut counts,
                        &mut bytes,
                    )
                    .map(|regions| EncodedRun {
                        index,
                        regions,
                        bytes,
                    });
                    let failed = res.is_err();
                    if tx.send(res).is_err() || failed {
                        return;
                    }
                }
            });
            drop(tx);
        });
        let result = (|| {
            let mut pending = BTreeMap::new();
            let (mut next_out, mut done) = (0usize, 0u64);
            for chunk in &rx {
                let chunk = chunk?;
                pending.insert(chunk.index, chunk);
                while let Some(c) = pending.remove(&next_out) {
                    for e in EncodedRegions::new(&c.bytes, n_samples) {
                        e.push_into(&mut out.writer);
                    }
                    if out.writer.pending() > 4 << 20 {
                        out.drain()?;
                    }
                    done += c.regions as u64;
                    buffers.give(c.bytes);
                    next_out += 1;
                    gate.written(next_out);
                    if let Some(p) = progress {
                        p(done);
                    }
                }
            }
            if next_out != n_chunks {
                return Err(Bug::DecodeStopped.into());
            }
            out.drain()
        })();
        if result.is_err() {
            // Release workers waiting for the window and stop the rest.
            next.store(n_chunks, Ordering::Relaxed);
            gate.stop();
            drop(rx);
        }
        result
    })
}

/// Keeps direct-mode workers within a window of chunks ahead of the writer, and lets the
/// writer release them all when it stops.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    moved: Condvar,
}

#[derive(Default)]
struct GateState {
    /// Chunks written so far.
    written: usize,
    stopped: bool,
}

impl Gate {
    /// Wait until chunk `index` is within `window` of the writer; false once it stopped.
    fn wait_for(&self, index: usize, window: usize) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while !s.stopped && index >= s.written.saturating_add(window) {
            s = self.moved.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        !s.stopped
    }
    fn written(&self, n: usize) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).written = n;
        self.moved.notify_all();
    }
    fn stop(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).stopped = true;
        self.moved.notify_all();
    }
}

fn in_genome_order<S: Complete + Sync>(
    export: &Export<S>,
    order: &[u32],
    pool: &rayon::ThreadPool,
    out: &mut OutputDir,
    progress: Option<&Progress<'_>>,
    staging_budget: usize,
) -> Result<()> {
    let n_regions = export.n_regions();
    let n_samples = export.n_samples();
    let threads = pool.current_num_threads().max(1);

    // Tasks of consecutive regions, each streaming its output in small chunks so memory in
    // flight stays small. A block at a task boundary is inflated twice, but 4 tasks a
    // thread left one thread decoding alone for the last 0.15 s of a 0.8 s export of the
    // medium corpus (stretches of the genome differ in cost): 16 a thread, handed out one
    // at a time; one task on one thread.
    let per_thread = if threads == 1 { 1 } else { 16 };
    let task_len = n_regions.div_ceil(threads * per_thread).max(64);
    let tasks: Vec<&[u32]> = order.chunks(task_len).collect();

    let scratch = out.scratch_file()?;
    let mut reorder = Reorder::new(n_regions, n_samples, scratch, staging_budget, threads);
    let buffers = Buffers::default();
    let (tx, rx) = mpsc::sync_channel::<EncodedRun>(threads * 2);
    let mut done = 0u64;
    std::thread::scope(|scope| -> Result<()> {
        let buffers = &buffers;
        let producer = scope.spawn(move || {
            pool.install(|| {
                tasks.par_iter().with_max_len(1).try_for_each_init(
                    || (Vec::new(), vec![0usize; n_samples]),
                    |(recs, counts), task| {
                        let mut decoder = Decoder::new(TASK_CACHE);
                        for chunk in task.chunks(CHUNK_REGIONS) {
                            let mut bytes = buffers.take();
                            let regions = chunk.iter().map(|&r| r as usize);
                            let regions = encode_regions(
                                export,
                                regions,
                                &mut decoder,
                                recs,
                                counts,
                                &mut bytes,
                            )?;
                            tx.send(EncodedRun {
                                index: 0,
                                regions,
                                bytes,
                            })
                            .map_err(|_| Error::Cancelled)?;
                        }
                        Ok(())
                    },
                )
            })
        });
        let consumed = (|| {
            for c in rx {
                done += c.regions as u64;
                reorder.add(&c.bytes, out)?;
                buffers.give(c.bytes);
                if let Some(p) = progress {
                    p(done);
                }
            }
            Ok(())
        })();
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(Bug::DecodePanicked.into()));
        // Whichever side failed first explains it; the other only saw the hang-up.
        match (produced, consumed) {
            (Err(Error::Cancelled), Err(e)) | (Err(e), _) | (Ok(()), Err(e)) => Err(e),
            (Ok(()), Ok(())) => Ok(()),
        }
    })?;
    reorder.finish(out)
}
