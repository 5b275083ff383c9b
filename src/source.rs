//! Where bigWig bytes come from. The core reads only through [`Source::read_at`]; files,
//! in-memory buffers and the wasm range cache implement it.

use std::sync::Arc;

/// Why a read did not return bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    /// The source does not hold these bytes yet; an async driver can fetch them and retry.
    Missing { offset: u64, len: u64 },
    /// The range lies (partly) past the end of the source.
    PastEnd { offset: u64, len: u64, size: u64 },
    /// Any other failure, already worded for the user.
    Failed(String),
}

/// Random access to the bytes of one bigWig.
pub trait Source {
    /// Fill `buf` with the bytes at `[offset, offset + buf.len())`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError>;
    /// Total size in bytes, when known (lets the reader fetch the whole index at once).
    fn size(&self) -> Option<u64>;
}

/// Pointers to a source are sources.
macro_rules! forward_source {
    ($($ptr:ty),*) => {$(
        impl<T: Source + ?Sized> Source for $ptr {
            fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
                (**self).read_at(offset, buf)
            }
            fn size(&self) -> Option<u64> {
                (**self).size()
            }
        }
    )*};
}

forward_source!(&T, Box<T>, std::rc::Rc<T>, Arc<T>);

/// A source that holds every byte (a file, a buffer, a reader that fetches on demand): its
/// reads never fail with [`ReadError::Missing`], so operations over it never stop on
/// missing bytes ([`crate::error::Stop::complete`]).
pub trait Complete: Source {}

impl<T: Complete + ?Sized> Complete for &T {}
impl<T: Complete + ?Sized> Complete for Box<T> {}
impl<T: Complete + ?Sized> Complete for std::rc::Rc<T> {}
impl<T: Complete + ?Sized> Complete for Arc<T> {}

/// The byte ranges of a remote or sliced source fetched so far. A read it cannot serve
/// yet is [`ReadError::Missing`]; the async driver fetches the range and retries.
///
/// Chunks are kept as fetched, never merged: merging neighbours would grow one chunk (and
/// recopy it) for as long as a sorted scan reads adjacent blocks, so it could never be
/// let go of. A read may span several chunks.
#[derive(Default)]
pub struct RangeCache {
    size: std::cell::Cell<Option<u64>>,
    /// Disjoint chunks keyed by start offset.
    chunks: std::cell::RefCell<std::collections::BTreeMap<u64, Fetched>>,
}

struct Fetched {
    bytes: Vec<u8>,
    /// When it arrived, on a clock shared by every cache (so the oldest can go first).
    arrived: u64,
}

static ARRIVALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl RangeCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_size(&self, size: u64) {
        self.size.set(Some(size));
    }

    /// Add fetched bytes at `offset`; the parts already held are skipped. Bytes that
    /// overlap nothing held are kept as given, without a copy.
    pub fn insert(&self, offset: u64, bytes: Vec<u8>) {
        let mut chunks = self.chunks.borrow_mut();
        let end = offset + bytes.len() as u64;
        let mut gaps = Vec::new();
        let mut at = offset;
        for (s, c) in chunks.range(..end) {
            let e = *s + c.bytes.len() as u64;
            if e <= at {
                continue;
            }
            if *s > at {
                gaps.push((at, *s));
            }
            at = at.max(e);
        }
        if at < end {
            gaps.push((at, end));
        }
        let arrived = ARRIVALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if gaps == [(offset, end)] {
            chunks.insert(offset, Fetched { bytes, arrived });
            return;
        }
        for (a, b) in gaps {
            let from = (a - offset) as usize;
            let bytes = bytes[from..from + (b - a) as usize].to_vec();
            chunks.insert(a, Fetched { bytes, arrived });
        }
    }

    /// The chunks that overlap none of `ranges` (offset, len), as (start, length, arrival).
    pub fn outside(&self, ranges: &[(u64, u64)]) -> Vec<(u64, usize, u64)> {
        self.chunks
            .borrow()
            .iter()
            .filter(|(s, c)| {
                let e = **s + c.bytes.len() as u64;
                !ranges.iter().any(|&(o, l)| o < e && o + l > **s)
            })
            .map(|(s, c)| (*s, c.bytes.len(), c.arrived))
            .collect()
    }

    /// Drop the chunk starting at `start`.
    pub fn remove(&self, start: u64) {
        self.chunks.borrow_mut().remove(&start);
    }

    /// Walk the held chunks over `[offset, offset+len)`, handing each piece to `f` as
    /// (position in the range, bytes); false when some byte is not held.
    fn cover(&self, offset: u64, len: u64, mut f: impl FnMut(usize, &[u8])) -> bool {
        let Some(end) = offset.checked_add(len) else {
            return false;
        };
        let chunks = self.chunks.borrow();
        let mut at = offset;
        let first = chunks
            .range(..=offset)
            .next_back()
            .map_or(offset, |(s, _)| *s);
        for (s, c) in chunks.range(first..end) {
            let c = &c.bytes;
            let e = *s + c.len() as u64;
            if e <= at {
                continue;
            }
            if *s > at {
                return false;
            }
            let stop = e.min(end);
            f(
                (at - offset) as usize,
                &c[(at - s) as usize..(stop - s) as usize],
            );
            at = stop;
            if at == end {
                break;
            }
        }
        at >= end
    }

    /// True when `[offset, offset+len)` is held.
    pub fn has(&self, offset: u64, len: u64) -> bool {
        self.cover(offset, len, |_, _| {})
    }

    /// Bytes held.
    pub fn held(&self) -> usize {
        self.chunks.borrow().values().map(|c| c.bytes.len()).sum()
    }
}

impl Source for RangeCache {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let len = buf.len() as u64;
        if let Some(size) = self.size.get() {
            if offset.checked_add(len).is_none_or(|e| e > size) {
                return Err(ReadError::PastEnd { offset, len, size });
            }
        }
        if len == 0 {
            return Ok(());
        }
        if self.cover(offset, len, |at, piece| {
            buf[at..at + piece.len()].copy_from_slice(piece)
        }) {
            Ok(())
        } else {
            Err(ReadError::Missing { offset, len })
        }
    }
    fn size(&self) -> Option<u64> {
        self.size.get()
    }
}

/// A whole bigWig held in memory.
#[derive(Clone)]
pub struct MemSource(pub Arc<[u8]>);

impl MemSource {
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        MemSource(bytes.into())
    }
}

/// Copy `[offset, offset+buf.len())` out of `bytes`, or say it lies past the end.
pub fn read_slice(bytes: &[u8], offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
    let size = bytes.len() as u64;
    let end = offset.checked_add(buf.len() as u64);
    match end {
        Some(end) if end <= size => {
            buf.copy_from_slice(&bytes[offset as usize..end as usize]);
            Ok(())
        }
        _ => Err(ReadError::PastEnd {
            offset,
            len: buf.len() as u64,
            size,
        }),
    }
}

impl Complete for MemSource {}

impl Source for MemSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        read_slice(&self.0, offset, buf)
    }
    fn size(&self) -> Option<u64> {
        Some(self.0.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drop every chunk that overlaps none of `ranges`.
    fn keep_only(c: &RangeCache, ranges: &[(u64, u64)]) {
        for (start, _, _) in c.outside(ranges) {
            c.remove(start);
        }
    }

    #[test]
    fn range_cache_serves_across_chunks_and_evicts_each() {
        let c = RangeCache::new();
        let mut b = [0u8; 4];
        assert_eq!(
            c.read_at(10, &mut b),
            Err(ReadError::Missing { offset: 10, len: 4 })
        );
        c.insert(10, vec![1, 2, 3]);
        c.insert(13, vec![4, 5]);
        c.insert(0, vec![9; 2]);
        assert!(c.has(10, 5) && !c.has(9, 2) && !c.has(14, 2));
        c.read_at(11, &mut b).unwrap(); // spans two chunks
        assert_eq!(b, [2, 3, 4, 5]);
        c.insert(8, vec![7, 7, 7]); // overlaps the start of 10..13: only 8..10 is new
        c.read_at(8, &mut b).unwrap();
        assert_eq!(b, [7, 7, 1, 2]);
        c.insert(1, vec![6; 14]); // only the gap 2..8 is new
        assert_eq!(c.held(), 15);
        c.insert(20, vec![5; 3]); // overlaps nothing: kept as given
        c.insert(30, Vec::new());
        assert_eq!(c.held(), 18);
        assert!(c.has(20, 3) && !c.has(30, 1));
        keep_only(&c, &[(0, 16)]);
        c.read_at(0, &mut b).unwrap();
        assert_eq!(b, [9, 9, 6, 6]);
        // Chunks go one by one: a scan never pins everything it read.
        keep_only(&c, &[(12, 1)]);
        assert_eq!(c.held(), 3);
        assert!(c.has(10, 3) && !c.has(13, 1));
        c.set_size(12);
        assert!(matches!(
            c.read_at(10, &mut b),
            Err(ReadError::PastEnd { .. })
        ));
    }

    #[test]
    fn range_cache_stays_small_over_a_sorted_scan() {
        // Adjacent blocks read in file order, each window keeping the last two: merging
        // neighbours into one chunk would have pinned all 1000.
        let c = RangeCache::new();
        for k in 0..1000u64 {
            c.insert(k * 100, vec![k as u8; 100]);
            keep_only(&c, &[((k.saturating_sub(1)) * 100, 200)]);
            assert!(c.held() <= 200, "{} bytes held at block {k}", c.held());
        }
        let mut b = [0u8; 100];
        c.read_at(999 * 100, &mut b).unwrap();
        assert_eq!(b, [999u64 as u8; 100]);
    }

    #[test]
    fn mem_source_reads_and_reports_past_end() {
        let s = MemSource::new(vec![1u8, 2, 3, 4]);
        let mut b = [0u8; 2];
        s.read_at(1, &mut b).unwrap();
        assert_eq!(b, [2, 3]);
        assert_eq!(
            s.read_at(3, &mut b),
            Err(ReadError::PastEnd {
                offset: 3,
                len: 2,
                size: 4
            })
        );
        assert!(s.read_at(u64::MAX, &mut b).is_err());
    }
}
