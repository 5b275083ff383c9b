//! `info` on a URL: a source read on demand, one read after another on one thread.

use super::fetch::{Fetcher, Location, Traffic};
use super::http::{HttpClient, HttpOptions};
use crate::error::{Error, Result};
use crate::export::{open_input, open_input_head, Input};
use crate::source::{RangeCache, ReadError, Source};
use std::cell::RefCell;
use std::rc::Rc;

/// `info` on a URL: bytes read at once past what a read asks (the header, chrom tree and
/// index arrive in few requests; data blocks in file order, a megabyte at a time).
const READ_THROUGH_CHUNK: u64 = 1 << 20;
/// `info` on a URL: raw bytes kept before older chunks go.
const READ_THROUGH_BUDGET: usize = 64 << 20;

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
    read_through(at, http, open_input, |input| f(&input))
}

/// [`with_read_through`] reading only the header and chrom tree at open: `f` reads the
/// index it needs (for the regions) through the same source.
pub fn with_read_through_head<T>(
    at: &Location,
    http: HttpOptions,
    f: impl FnOnce(Input<Rc<ReadThrough>>) -> Result<T>,
) -> Result<T> {
    read_through(at, http, open_input_head, f)
}

/// How an input is opened: whole, or head only.
type Opener = fn(usize, String, Rc<ReadThrough>) -> Result<Input<Rc<ReadThrough>>>;

/// Open `at` through a [`ReadThrough`] with `open` and hand the input to `f`; an error that
/// a failed read caused is the network's, not the parser's.
fn read_through<T>(
    at: &Location,
    http: HttpOptions,
    open: Opener,
    f: impl FnOnce(Input<Rc<ReadThrough>>) -> Result<T>,
) -> Result<T> {
    let src = Rc::new(ReadThrough::new(Fetcher::open(
        at,
        &HttpClient::new(http, 1),
    )?));
    let name = src.name().to_string();
    open(0, name, src.clone())
        .and_then(f)
        .map_err(|e| src.take_error().unwrap_or(e))
}
