//! Where a source's bytes come from, and the threads that fetch them: files with `pread`,
//! URLs with range requests, several reads at once, coalesced, each range asked for once
//! while it is under way. Finished reads land in the core's [`Stepper`].

use super::http::{is_url, HttpClient, HttpSource};
use super::FileSource;
use crate::error::{ByteRange, Error, Result};
use crate::source::{ReadError, Source};
use crate::stepper::Stepper;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// Requests in flight at once (the npm package's too).
pub(super) const CONCURRENCY: usize = 8;
/// Ranges closer than this are fetched in one request.
const COALESCE_GAP: u64 = 4096;
/// Longer reads are split, so that one big read runs on several connections.
const MAX_REQUEST: u64 = 4 << 20;
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
pub(super) struct Pool {
    fetchers: Arc<Vec<Fetcher>>,
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<(Job, Result<Vec<u8>>)>,
    inflight: Vec<Job>,
    stop: Arc<AtomicBool>,
}

impl Pool {
    pub(super) fn new(fetchers: Arc<Vec<Fetcher>>) -> Result<Self> {
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

    pub(super) fn busy(&self) -> bool {
        !self.inflight.is_empty()
    }

    /// Start reading `ranges`, skipping those under way already, coalesced per source and
    /// cut at its end when known; returns how many reads started.
    pub(super) fn start(&mut self, mut ranges: Vec<ByteRange>) -> usize {
        ranges.retain(|r| {
            !self.inflight.iter().any(|j| {
                j.source == r.source && j.offset <= r.offset && r.offset + r.len <= j.offset + j.len
            })
        });
        ranges.sort();
        let jobs: Vec<Job> = plan_reads(&ranges, |s| self.fetchers[s].size())
            .into_iter()
            .flat_map(|j| uncovered(j, &self.inflight))
            .collect();
        let mut started = 0;
        for job in jobs {
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
    pub(super) fn land(&mut self, stepper: &mut Stepper, wait: bool) -> Result<()> {
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
    pub(super) fn settle(&mut self, stepper: &mut Stepper) -> Result<()> {
        while self.busy() {
            self.land(stepper, true)?;
        }
        Ok(())
    }

    pub(super) fn traffic(&self) -> Traffic {
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

/// The parts of `job` no read under way covers: a byte is never asked for while it is on
/// its way already (coalescing may have bridged a gap over one).
fn uncovered(job: Job, inflight: &[Job]) -> Vec<Job> {
    let mut under_way: Vec<(u64, u64)> = inflight
        .iter()
        .filter(|j| j.source == job.source)
        .map(|j| (j.offset, j.offset + j.len))
        .filter(|&(a, b)| a < job.offset + job.len && b > job.offset)
        .collect();
    under_way.sort_unstable();
    let mut out = Vec::new();
    let (mut at, end) = (job.offset, job.offset + job.len);
    for (a, b) in under_way {
        if a > at {
            out.push(Job {
                source: job.source,
                offset: at,
                len: a.min(end) - at,
            });
        }
        at = at.max(b);
        if at >= end {
            break;
        }
    }
    if at < end {
        out.push(Job {
            source: job.source,
            offset: at,
            len: end - at,
        });
    }
    out
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
        let j = |source, offset, len| Job {
            source,
            offset,
            len,
        };
        let under_way = [j(0, 100, 50), j(0, 180, 20), j(1, 0, 1000)];
        let parts: Vec<_> = uncovered(j(0, 0, 300), &under_way)
            .iter()
            .map(|j| (j.offset, j.len))
            .collect();
        assert_eq!(parts, [(0, 100), (150, 30), (200, 100)]);
        assert!(uncovered(j(1, 10, 20), &under_way).is_empty());
        let big = plan_reads(&[r(0, 0, MAX_REQUEST * 2 + 1)], |_| None);
        assert_eq!(big.len(), 3);
        assert_eq!(big[2].offset, MAX_REQUEST * 2);
    }
}
