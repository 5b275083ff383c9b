//! Where a source's bytes come from, and the threads that fetch them: files with `pread`,
//! URLs with range requests, several reads at once, as the core's [`Planner`] plans them
//! (coalesced, split, each range asked for once while it is under way). Finished reads land
//! in the core's [`Stepper`].

use super::http::{is_url, HttpClient, HttpSource};
use super::FileSource;
use crate::error::{ByteRange, Error, Result};
use crate::reads::{Planner, ReadPolicy, SourceInfo};
use crate::source::{ReadError, Source};
use crate::stepper::Stepper;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

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

/// The fetch threads and the reads under way. Threads are detached: when an export fails,
/// it returns at once and a request still running ends within its timeout.
pub(super) struct Pool {
    fetchers: Arc<Vec<Fetcher>>,
    jobs: mpsc::Sender<ByteRange>,
    done: mpsc::Receiver<(ByteRange, Result<Vec<u8>>)>,
    planner: Planner,
    stop: Arc<AtomicBool>,
}

impl Pool {
    /// `policy.concurrency` threads, reading as `policy` plans.
    pub(super) fn new(fetchers: Arc<Vec<Fetcher>>, policy: ReadPolicy) -> Result<Self> {
        let (jobs, job_rx) = mpsc::channel::<ByteRange>();
        let (done_tx, done) = mpsc::channel();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let stop = Arc::new(AtomicBool::new(false));
        for _ in 0..policy.concurrency {
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
            planner: Planner::new(policy),
            stop,
        })
    }

    pub(super) fn busy(&self) -> bool {
        self.planner.busy()
    }

    /// Start reading `ranges` as the core plans them (skipping what is under way already,
    /// coalesced per source, cut at its end when known, split); returns how many reads
    /// started.
    pub(super) fn start(&mut self, mut ranges: Vec<ByteRange>) -> usize {
        // Source after source, in file order.
        ranges.sort();
        let fetchers = &self.fetchers;
        let reads = self.planner.plan(&ranges, |s| SourceInfo {
            size: fetchers[s].size(),
            min_read: 0,
        });
        let mut started = 0;
        for read in reads {
            if self.jobs.send(read).is_err() {
                // The threads are gone; the next landing reports it.
                self.planner.done(read);
                continue;
            }
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
            self.planner.done(job);
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
