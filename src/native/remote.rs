//! Exports with URL sources: the core's [`Drive`] (a [`Stepper`] and its step loop) with a
//! pool of fetch threads ([`super::fetch`]) in place of `fetch()`, as the npm package
//! drives it. The ranges of regions ahead are read in the background while the current
//! ones decode. Output goes through the same [`OutputDir`] (and, in genome order, the same
//! [`Reorder`]) as local exports, so the files are byte for byte the same.
//!
//! Local files among the sources are read by the same threads, with `pread`.

use super::fetch::{Fetcher, Location, Pool, Traffic};
use super::http::{HttpClient, HttpOptions};
use super::parallel::{Progress, Summary};
use super::reorder::Reorder;
use super::{OutputDir, Parallel};
use crate::bigwig::block::BlockReader;
use crate::drive::{Drive, Next};
use crate::error::Result;
use crate::export::Options;
use crate::layout::TrackWriter;
use crate::reads::ReadPolicy;
use crate::region::Regions;
use crate::stepper::{Inflated, Stepper};
use rayon::prelude::*;
use std::sync::{mpsc, Arc};

/// Output buffered in the stepper before it is written out.
const STEP_BYTES: usize = 1 << 20;
/// Raw bytes of blocks inflated ahead at a time, on every thread, before the stepper cuts
/// their regions on this one: enough per batch that starting the threads is noise.
const INFLATE_BATCH: usize = 4 << 20;
/// How the fetch threads read (their number, read-ahead windows, request sizes).
const POLICY: ReadPolicy = ReadPolicy::NATIVE;

/// An export whose sources are open and whose regions are resolved; [`RemoteExport::run`]
/// writes it.
pub struct RemoteExport {
    drive: Drive,
    pool: Pool,
    staging_budget: usize,
}

impl RemoteExport {
    /// Open every source (their headers, chrom trees and indexes, fetched as the core asks
    /// for them) and resolve `regions`. `parallel` gives the decoded-block and staging
    /// budgets. An error names the first failing source in order.
    pub fn open(
        sources: &[Location],
        regions: Regions,
        options: Options,
        http: HttpOptions,
        parallel: &Parallel,
    ) -> Result<Self> {
        let client = HttpClient::new(http, POLICY.concurrency);
        let fetchers = sources
            .iter()
            .enumerate()
            .map(|(i, s)| Fetcher::open(s, &client).map_err(|e| e.at_source(i)))
            .collect::<Result<Vec<_>>>()?;
        let names = fetchers.iter().map(|f| f.name().to_string()).collect();
        let cache_budget = usize::try_from(parallel.block_budget).unwrap_or(usize::MAX);
        let mut stepper = Stepper::new(names, options, cache_budget);
        for (i, f) in fetchers.iter().enumerate() {
            if let Some(size) = f.size() {
                stepper.set_size(i, size);
            }
        }
        stepper.set_regions(regions);
        let mut drive = Drive::new(stepper, POLICY);
        let mut pool = Pool::new(Arc::new(fetchers), POLICY.concurrency)?;
        loop {
            match drive.open(|s| pool.info(s))? {
                Next::Done => break,
                Next::Read(reads) => pool.start(reads, &mut drive),
                next => pool.land(&mut drive, next == Next::Wait)?,
            }
        }
        Ok(RemoteExport {
            drive,
            pool,
            staging_budget: parallel.staging_budget,
        })
    }

    pub fn n_regions(&self) -> usize {
        self.drive.stepper.n_regions()
    }

    /// Decode every region and write it to `out` (which the caller commits), in region
    /// order. With more than one thread in `threads`, blocks are inflated ahead on all of
    /// them ([`Stepper::inflate_ahead`]) and the regions cut on this one.
    pub fn run(
        mut self,
        out: &mut OutputDir,
        threads: &rayon::ThreadPool,
        progress: Option<&Progress<'_>>,
    ) -> Result<(Summary, Traffic)> {
        let (drive, pool) = (&mut self.drive, &mut self.pool);
        while !drive.stepper.plan_order(usize::MAX / 2)? {}
        let (n_regions, n_samples) = (drive.stepper.n_regions(), drive.stepper.n_samples());
        let mut reorder = if drive.stepper.genome_order() {
            let scratch = out.scratch_file()?;
            Some(Reorder::new(
                n_regions,
                n_samples,
                scratch,
                self.staging_budget,
                threads.current_num_threads(),
            ))
        } else {
            None
        };
        let mut inflating = Inflating::new(threads);
        loop {
            inflating.turn(&mut drive.stepper);
            match drive.next(STEP_BYTES, |s| pool.info(s))? {
                Next::Read(reads) => pool.start(reads, drive),
                Next::Output => {
                    let st = &mut drive.stepper;
                    match reorder.as_mut() {
                        Some(reorder) => {
                            reorder.add(st.unordered().0, out)?;
                            st.clear_unordered();
                        }
                        None => drain_into(out, &mut st.writer)?,
                    }
                    if let Some(p) = progress {
                        p(st.regions_done() as u64);
                    }
                }
                Next::Wait => pool.land(drive, true)?,
                Next::Poll => pool.land(drive, false)?,
                Next::Done => break,
            }
        }
        match reorder {
            Some(reorder) => reorder.finish(out)?,
            // The stepper's writer holds the counts the headers need: it becomes the output's.
            None => std::mem::swap(&mut out.writer, &mut drive.stepper.writer),
        }
        out.drain()?;
        let summary = Summary::new(n_regions, n_samples, out);
        Ok((summary, self.pool.traffic()))
    }
}

/// Blocks inflated ahead on the rayon threads while this one cuts regions: one batch
/// out at a time, waited for only when the stepper reaches it. Off with one thread.
struct Inflating<'p> {
    threads: Option<&'p rayon::ThreadPool>,
    out: Option<mpsc::Receiver<Vec<Inflated>>>,
}

impl<'p> Inflating<'p> {
    fn new(threads: &'p rayon::ThreadPool) -> Self {
        let threads = (threads.current_num_threads() > 1).then_some(threads);
        Inflating { threads, out: None }
    }

    /// Take back a finished batch (waiting when the stepper needs it), then start the next.
    fn turn(&mut self, stepper: &mut Stepper) {
        let Some(threads) = self.threads else { return };
        if let Some(rx) = &self.out {
            let done = if stepper.awaits_inflated() {
                // A batch whose thread died (it cannot: decoding returns errors) comes back
                // empty, and its regions inflate their own blocks.
                Some(rx.recv().unwrap_or_default())
            } else {
                rx.try_recv().ok()
            };
            if let Some(done) = done {
                stepper.add_inflated(done);
                self.out = None;
            }
        }
        if self.out.is_none() {
            let jobs = stepper.inflate_ahead(INFLATE_BATCH);
            if !jobs.is_empty() {
                let (tx, rx) = mpsc::channel();
                threads.spawn(move || {
                    let done = jobs
                        .into_par_iter()
                        .map_init(BlockReader::new, |reader, job| job.run(reader))
                        .collect();
                    let _ = tx.send(done);
                });
                self.out = Some(rx);
            }
        }
    }
}

/// Write out what `writer` buffered through `out`'s files. The records stay counted in
/// `writer`, which becomes `out`'s at the end.
fn drain_into(out: &mut OutputDir, writer: &mut TrackWriter) -> Result<()> {
    if writer.pending() == 0 {
        return Ok(());
    }
    std::mem::swap(&mut out.writer, writer);
    let res = out.drain();
    std::mem::swap(&mut out.writer, writer);
    res
}
