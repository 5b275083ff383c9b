//! Exports with URL sources: the core's [`Stepper`] driven by the stalls it reports, as the
//! npm package drives it, with a pool of fetch threads in place of `fetch()`. Ranges are
//! coalesced into few requests, several run at once, the ranges of regions ahead are read
//! in the background while the current ones decode, and no range is asked for twice while
//! it is under way. Output goes through the same [`OutputDir`] (and, in genome order, the
//! same [`Reorder`]) as local exports, so the files are byte for byte the same.
//!
//! Local files among the sources are read by the same threads, with `pread`.

use super::http::{is_url, HttpClient, HttpOptions, HttpSource};
use super::parallel::{Progress, Summary};
use super::reorder::Reorder;
use super::{FileSource, OutputDir};
use crate::error::{ByteRange, Error, Result};
use crate::export::{open_input, Input, Options};
use crate::layout::TrackWriter;
use crate::region::Regions;
use crate::source::{RangeCache, ReadError, Source};
use crate::stepper::{Step, Stepper};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// Requests in flight at once (the npm package's too).
const CONCURRENCY: usize = 8;
/// Ranges closer than this are fetched in one request.
const COALESCE_GAP: u64 = 4096;
/// Longer reads are split, so that one big read runs on several connections.
const MAX_REQUEST: u64 = 4 << 20;
/// Output buffered in the stepper before it is written out.
const STEP_BYTES: usize = 1 << 20;
/// Regions whose blocks are fetched with a region that stalls, and half the horizon read in
/// the background while decoding; in genome order blocks are neighbours in the file, so a
/// longer window coalesces into fewer, larger requests. Four times the npm package's
/// windows (native memory is not wasm's): decoding 512 medium-corpus regions takes about
/// 20 ms, less than one request's latency on a real network, so 512 stalled on every
/// window (4.3 s at 30 ms per request; 2048: 1.9 s, 200 requests instead of 640).
const LOOKAHEAD: usize = 128;
const SWEEP_LOOKAHEAD: usize = 2048;
/// Decoded blocks and raw bytes the stepper may hold.
const CACHE_BUDGET: usize = 64 << 20;
/// `info` on a URL: bytes read at once past what a read asks (the header, chrom tree and
/// index arrive in few requests; data blocks in file order, a megabyte at a time).
const READ_THROUGH_CHUNK: u64 = 1 << 20;
/// `info` on a URL: raw bytes kept before older chunks go.
const READ_THROUGH_BUDGET: usize = 64 << 20;

/// A bigWig given on the command line or in a sample table: a file or an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Url(String),
}

impl Location {
    pub fn new(p: &Path) -> Self {
        match p.to_str() {
            Some(s) if is_url(s) => Location::Url(s.to_string()),
            _ => Location::File(p.to_path_buf()),
        }
    }

    pub fn is_url(&self) -> bool {
        matches!(self, Location::Url(_))
    }
}

/// Where a source's bytes come from: a file (pread) or a URL (range requests).
pub enum Fetcher {
    File(FileSource, String),
    Http(HttpSource),
}

impl Fetcher {
    pub fn open(at: &Location, client: &HttpClient) -> Result<Self> {
        Ok(match at {
            Location::File(p) => Fetcher::File(FileSource::open(p)?, p.display().to_string()),
            Location::Url(u) => Fetcher::Http(HttpSource::new(u, client)),
        })
    }

    pub fn name(&self) -> &str {
        match self {
            Fetcher::File(_, name) => name,
            Fetcher::Http(h) => h.name(),
        }
    }

    pub fn size(&self) -> Option<u64> {
        match self {
            Fetcher::File(f, _) => f.size(),
            Fetcher::Http(h) => h.size(),
        }
    }

    /// The bytes at `[offset, offset + len)`, fewer only at the end of the source.
    pub fn read(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        match self {
            Fetcher::File(f, _) => {
                let size = f.size().unwrap_or(0);
                if offset >= size {
                    return Ok(Vec::new()); // past the end: the core reports it
                }
                let end = offset.saturating_add(len).min(size);
                let mut buf = vec![0u8; (end - offset) as usize];
                f.read_at(offset, &mut buf).map_err(|e| match e {
                    ReadError::Failed(m) => Error::input(m),
                    _ => Error::input(format!("{}: cannot read bytes {offset}-{end}", self.name())),
                })?;
                Ok(buf)
            }
            Fetcher::Http(h) => h.read(offset, len),
        }
    }

    /// Bytes fetched and requests made (URLs only; files count nothing).
    pub fn traffic(&self) -> (u64, u64) {
        match self {
            Fetcher::File(..) => (0, 0),
            Fetcher::Http(h) => h.traffic(),
        }
    }
}

/// What the network carried for an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Body bytes received.
    pub fetched: u64,
    /// HTTP requests made (a read may take several).
    pub requests: u64,
}

/// One read for the fetch threads.
#[derive(Debug, Clone, Copy)]
struct Job {
    source: usize,
    offset: u64,
    len: u64,
}

/// The fetch threads and the reads under way. Threads are detached: when an export fails,
/// it returns at once and a request still running ends within its timeout.
struct Pool {
    fetchers: Arc<Vec<Fetcher>>,
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<(Job, Result<Vec<u8>>)>,
    inflight: Vec<Job>,
    stop: Arc<AtomicBool>,
}

impl Pool {
    fn new(fetchers: Arc<Vec<Fetcher>>) -> Result<Self> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let stop = Arc::new(AtomicBool::new(false));
        for _ in 0..CONCURRENCY {
            let (rx, tx, f, stop) = (
                job_rx.clone(),
                done_tx.clone(),
                fetchers.clone(),
                stop.clone(),
            );
            std::thread::Builder::new()
                .name("bigwig-npy-fetch".into())
                .spawn(move || loop {
                    let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    };
                    // Queued reads of a failed export are dropped, not fetched.
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    // A bug in a read must not leave the driver waiting for it forever.
                    let read = || f[job.source].read(job.offset, job.len);
                    let bytes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
                        .unwrap_or_else(|_| {
                            Err(Error::Output(
                                "internal error: a fetch thread panicked".into(),
                            ))
                        });
                    if tx.send((job, bytes)).is_err() {
                        return;
                    }
                })
                .map_err(|e| Error::Output(format!("cannot start fetch threads: {e}")))?;
        }
        Ok(Pool {
            fetchers,
            jobs,
            done,
            inflight: Vec::new(),
            stop,
        })
    }

    fn busy(&self) -> bool {
        !self.inflight.is_empty()
    }

    /// Start reading `ranges`, skipping those under way already, coalesced per source and
    /// cut at its end when known; returns how many reads started.
    fn start(&mut self, mut ranges: Vec<ByteRange>) -> usize {
        ranges.retain(|r| {
            !self.inflight.iter().any(|j| {
                j.source == r.source && j.offset <= r.offset && r.offset + r.len <= j.offset + j.len
            })
        });
        ranges.sort();
        let mut started = 0;
        for job in plan_reads(&ranges, |s| self.fetchers[s].size()) {
            if self.jobs.send(job).is_err() {
                break; // the threads are gone; the next landing reports it
            }
            self.inflight.push(job);
            started += 1;
        }
        started
    }

    /// Move finished reads into the stepper: wait for one if `wait`, then take all that are
    /// done. The first failed read fails the export.
    fn land(&mut self, stepper: &mut Stepper, wait: bool) -> Result<()> {
        let mut first = wait;
        loop {
            let got = if first {
                first = false;
                self.done.recv().map_err(|_| {
                    Error::Output("internal error: the fetch threads stopped".into())
                })?
            } else {
                match self.done.try_recv() {
                    Ok(got) => got,
                    Err(_) => return Ok(()),
                }
            };
            let (job, bytes) = got;
            if let Some(k) = self
                .inflight
                .iter()
                .position(|j| (j.source, j.offset, j.len) == (job.source, job.offset, job.len))
            {
                self.inflight.swap_remove(k);
            }
            let bytes = bytes?;
            if let Some(size) = self.fetchers[job.source].size() {
                stepper.set_size(job.source, size);
            }
            stepper.add_range(job.source, job.offset, bytes);
        }
    }

    /// Wait for every read under way.
    fn settle(&mut self, stepper: &mut Stepper) -> Result<()> {
        while self.busy() {
            self.land(stepper, true)?;
        }
        Ok(())
    }

    fn traffic(&self) -> Traffic {
        let mut t = Traffic::default();
        for f in self.fetchers.iter() {
            let (fetched, requests) = f.traffic();
            t.fetched += fetched;
            t.requests += requests;
        }
        t
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Sorted ranges grouped into reads per source: neighbours within [`COALESCE_GAP`] merged,
/// cut at the source's end when known (a range wholly past it is left for the core to
/// report), and split at [`MAX_REQUEST`].
fn plan_reads(sorted: &[ByteRange], size: impl Fn(usize) -> Option<u64>) -> Vec<Job> {
    let mut merged: Vec<Job> = Vec::new();
    for r in sorted {
        match merged.last_mut() {
            Some(j) if j.source == r.source && r.offset <= j.offset + j.len + COALESCE_GAP => {
                j.len = j.len.max(r.offset + r.len - j.offset);
            }
            _ => merged.push(Job {
                source: r.source,
                offset: r.offset,
                len: r.len,
            }),
        }
    }
    let mut jobs = Vec::new();
    for mut j in merged {
        if let Some(size) = size(j.source) {
            j.len = j.len.min(size.saturating_sub(j.offset));
        }
        let end = j.offset + j.len;
        let mut at = j.offset;
        while at < end {
            let len = (end - at).min(MAX_REQUEST);
            jobs.push(Job {
                source: j.source,
                offset: at,
                len,
            });
            at += len;
        }
    }
    jobs
}

/// An export whose sources are open and whose regions are resolved; [`RemoteExport::run`]
/// writes it.
pub struct RemoteExport {
    stepper: Stepper,
    pool: Pool,
}

impl RemoteExport {
    /// Open every source (their headers, chrom trees and indexes, fetched as the core asks
    /// for them) and resolve `regions`. An error names the first failing source in order.
    pub fn open(
        sources: &[Location],
        regions: Regions,
        options: Options,
        http: HttpOptions,
    ) -> Result<Self> {
        Self::open_with_budget(sources, regions, options, http, CACHE_BUDGET)
    }

    /// [`RemoteExport::open`] with a chosen block-cache budget (tests pass 0 to force
    /// genome order on shuffled regions).
    #[doc(hidden)]
    pub fn open_with_budget(
        sources: &[Location],
        regions: Regions,
        options: Options,
        http: HttpOptions,
        cache_budget: usize,
    ) -> Result<Self> {
        let client = HttpClient::new(http, CONCURRENCY);
        let fetchers = sources
            .iter()
            .map(|s| Fetcher::open(s, &client))
            .collect::<Result<Vec<_>>>()?;
        let names = fetchers.iter().map(|f| f.name().to_string()).collect();
        let mut stepper = Stepper::new(names, options, cache_budget);
        for (i, f) in fetchers.iter().enumerate() {
            if let Some(size) = f.size() {
                stepper.set_size(i, size);
            }
        }
        stepper.set_regions(regions);
        let mut pool = Pool::new(Arc::new(fetchers))?;
        // One round of reads per stall (headers, then chrom trees and indexes, ...).
        loop {
            let missing = stepper.open()?;
            if missing.is_empty() {
                break;
            }
            pool.start(missing);
            pool.settle(&mut stepper)?;
        }
        Ok(RemoteExport { stepper, pool })
    }

    pub fn n_regions(&self) -> usize {
        self.stepper.n_regions()
    }

    /// Decode every region and write it to `out` (which the caller commits), in region
    /// order; `staging_budget` as for the parallel driver's genome order.
    pub fn run(
        mut self,
        out: &mut OutputDir,
        progress: Option<&Progress<'_>>,
        staging_budget: usize,
    ) -> Result<(Summary, Traffic)> {
        let st = &mut self.stepper;
        let pool = &mut self.pool;
        while !st.plan_order(usize::MAX / 2)? {}
        let (n_regions, n_samples) = (st.n_regions(), st.n_samples());
        let mut reorder = if st.genome_order() {
            Some(Reorder::new(
                n_regions,
                n_samples,
                out.scratch_file()?,
                staging_budget,
            ))
        } else {
            None
        };
        let lookahead = if reorder.is_some() {
            SWEEP_LOOKAHEAD
        } else {
            LOOKAHEAD
        };
        loop {
            let (ranges, stalled, done) = match st.step(STEP_BYTES, lookahead)? {
                Step::Done => (Vec::new(), false, true),
                Step::ReadAhead(r) => (r, false, false),
                Step::Stalled(r) => (r, true, false),
            };
            let started = pool.start(ranges);
            match reorder.as_mut() {
                Some(reorder) => reorder.add(&st.take_unordered().0)?,
                None => drain_into(out, &mut st.writer)?,
            }
            if let Some(p) = progress {
                p(st.regions_done() as u64);
            }
            if done {
                break;
            }
            if stalled {
                // A stall with nothing to read and nothing under way would repeat forever.
                if started == 0 && !pool.busy() {
                    return Err(Error::Output(
                        "internal error: a region misses bytes that no read provides".into(),
                    ));
                }
                pool.land(st, true)?;
            } else {
                pool.land(st, false)?;
            }
        }
        match reorder {
            Some(reorder) => reorder.write(out)?,
            // The stepper's writer holds the counts the headers need: it becomes the output's.
            None => std::mem::swap(&mut out.writer, &mut st.writer),
        }
        out.drain()?;
        let intervals = out.writer.n_intervals();
        let summary = Summary {
            regions: n_regions,
            samples: n_samples,
            intervals,
            bytes: intervals * 12 + (n_regions * n_samples + 1) as u64 * 8,
        };
        Ok((summary, self.pool.traffic()))
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

/// The whole export with URL sources (any mix with files): open, decode, write `out`
/// atomically. Nothing is left in `out` when it fails.
pub fn export_remote(
    regions: Regions,
    sources: &[Location],
    out: &Path,
    options: Options,
    http: HttpOptions,
    staging_budget: usize,
    progress: Option<&Progress<'_>>,
) -> Result<(Summary, Traffic)> {
    let export = RemoteExport::open(sources, regions, options, http)?;
    let mut dir = OutputDir::create(out, options.layout, options.format)?;
    let done = export.run(&mut dir, progress, staging_budget)?;
    dir.commit()?;
    Ok(done)
}

/// A source read on demand for single-threaded, sequential use (`info`): a read missing
/// bytes fetches them, and a megabyte past them, then serves from the cache.
pub struct ReadThrough {
    fetcher: Fetcher,
    cache: RangeCache,
    error: RefCell<Option<Error>>,
}

impl ReadThrough {
    pub fn new(fetcher: Fetcher) -> Self {
        let cache = RangeCache::new();
        if let Some(size) = fetcher.size() {
            cache.set_size(size);
        }
        ReadThrough {
            fetcher,
            cache,
            error: RefCell::new(None),
        }
    }

    pub fn name(&self) -> &str {
        self.fetcher.name()
    }

    pub fn traffic(&self) -> Traffic {
        let (fetched, requests) = self.fetcher.traffic();
        Traffic { fetched, requests }
    }

    /// The network error behind a failed read, if one was: the core words a read failure
    /// by its own terms, this says what the server did.
    pub fn take_error(&self) -> Option<Error> {
        self.error.borrow_mut().take()
    }
}

impl Source for ReadThrough {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        match self.cache.read_at(offset, buf) {
            Err(ReadError::Missing { .. }) => {}
            other => return other,
        }
        let len = buf.len() as u64;
        if self.cache.held() > READ_THROUGH_BUDGET {
            for (start, _, _) in self.cache.outside(&[]) {
                self.cache.remove(start);
            }
        }
        let bytes = self
            .fetcher
            .read(offset, len.max(READ_THROUGH_CHUNK))
            .map_err(|e| {
                let msg = e.to_string();
                *self.error.borrow_mut() = Some(e);
                ReadError::Failed(msg)
            })?;
        if let Some(size) = self.fetcher.size() {
            self.cache.set_size(size);
        }
        let got = bytes.len() as u64;
        self.cache.insert(offset, bytes);
        match self.cache.read_at(offset, buf) {
            Err(ReadError::Missing { .. }) => Err(ReadError::PastEnd {
                offset,
                len,
                size: self.fetcher.size().unwrap_or(offset + got),
            }),
            other => other,
        }
    }

    fn size(&self) -> Option<u64> {
        self.fetcher.size()
    }
}

/// Open one source read through (`info` on a URL) and hand it to `f`. A failure the core
/// words by its own terms ("not a bigWig file: shorter than ...") is replaced by the
/// network error behind it, which says what the server did.
pub fn with_read_through<T>(
    at: &Location,
    http: HttpOptions,
    f: impl FnOnce(&Input<Rc<ReadThrough>>) -> Result<T>,
) -> Result<T> {
    let src = Rc::new(ReadThrough::new(Fetcher::open(
        at,
        &HttpClient::new(http, 1),
    )?));
    let name = src.name().to_string();
    open_input(0, name, src.clone())
        .and_then(|input| f(&input))
        .map_err(|e| src.take_error().unwrap_or(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(source: usize, offset: u64, len: u64) -> ByteRange {
        ByteRange {
            source,
            offset,
            len,
        }
    }

    #[test]
    fn reads_are_coalesced_cut_at_the_end_and_split() {
        let ranges = [r(0, 0, 100), r(0, 200, 100), r(0, 10_000, 10), r(1, 5, 5)];
        let jobs = plan_reads(&ranges, |s| (s == 1).then_some(8));
        let got: Vec<_> = jobs.iter().map(|j| (j.source, j.offset, j.len)).collect();
        assert_eq!(got, [(0, 0, 300), (0, 10_000, 10), (1, 5, 3)]);
        let big = plan_reads(&[r(0, 0, MAX_REQUEST * 2 + 1)], |_| None);
        assert_eq!(big.len(), 3);
        assert_eq!(big[2].offset, MAX_REQUEST * 2);
    }
}
