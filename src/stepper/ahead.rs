//! The stepper's read-ahead policy: each region's ranges are handed out once, a stalled
//! region keeps its raw bytes until it is decoded, and raw bytes behind the read-ahead
//! window go.

use super::{Decoding, Src};
use crate::error::ByteRange;
use crate::source::Source;

impl Decoding {
    /// Double buffering: once half the horizon is decoded, ask for the next `lookahead`
    /// regions in one go (few, large, coalesced reads), each region's ranges looked up once.
    pub(super) fn read_ahead(
        &mut self,
        caches: &[Src],
        budget: usize,
        lookahead: usize,
    ) -> Vec<ByteRange> {
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
        retain_raw(caches, budget, &keep);
        ahead.retain(|r| within(caches, r) && !holds(caches, r));
        ahead
    }

    /// Region `r` (at `next`) misses bytes: its raw blocks stay held until it is done, and
    /// its decoded blocks are not fetched again. Should the decoded cache drop one before
    /// its use, the next stall asks for it: the raw bytes held only grow while the region
    /// is current, so it completes.
    pub(super) fn stalled_at(
        &mut self,
        caches: &[Src],
        budget: usize,
        r: usize,
        lookahead: usize,
    ) -> Vec<ByteRange> {
        let all = self.export.region_ranges(r);
        let mut ranges = all.clone();
        ranges.retain(|b| !self.decoder.cache.contains(b.source, b.offset));
        let (near, horizon) = (self.next + 1 + lookahead, self.next + 1 + 2 * lookahead);
        let soon = self.window(self.next + 1, near);
        // Raw bytes behind the read-ahead horizon were decoded already (or are not needed
        // again): drop them.
        let mut keep = self.window(near, horizon);
        keep.extend_from_slice(&all);
        keep.extend_from_slice(&soon);
        retain_raw(caches, budget, &keep);
        ranges.extend(soon);
        self.asked = self.asked.max(near);
        ranges.sort();
        ranges.dedup();
        ranges.retain(|r| within(caches, r) && !holds(caches, r));
        ranges
    }

    /// Byte ranges of the regions at positions `[from, to)` of the decode order that are
    /// not decoded yet.
    fn window(&self, from: usize, to: usize) -> Vec<ByteRange> {
        let to = to.min(self.export.n_regions());
        let mut ranges: Vec<ByteRange> = (from.min(to)..to)
            .flat_map(|k| {
                self.export
                    .needed_ranges(self.order.region(k), &self.decoder.cache)
            })
            .collect();
        ranges.sort();
        ranges.dedup();
        ranges
    }
}

/// Drop raw chunks that overlap none of `keep`, oldest first, until those left outside it
/// fit the spare budget (a quarter of the decoded-block `budget`): small files stay whole
/// (nothing read twice), large ones do not pile up.
fn retain_raw(caches: &[Src], budget: usize, keep: &[ByteRange]) {
    let mut outside = Vec::new();
    for (i, c) in caches.iter().enumerate() {
        let keep: Vec<(u64, u64)> = keep
            .iter()
            .filter(|r| r.source == i)
            .map(|r| (r.offset, r.len))
            .collect();
        outside.extend(c.outside(&keep).into_iter().map(|(s, n, t)| (t, i, s, n)));
    }
    let mut spare: usize = outside.iter().map(|c| c.3).sum();
    // Oldest first, by arrival alone: chunks come in (source, start) order, so a stable
    // sort orders ties as sorting the whole tuples would.
    for (_, i, start, n) in crate::sort::by_u64_key(outside, |c| c.0) {
        if spare <= budget / 4 {
            break;
        }
        caches[i].remove(start);
        spare -= n;
    }
}

/// False for a range past the end of its source (a corrupt leaf): it is not worth a
/// request, and decoding its block says what is wrong, naming the source.
fn within(caches: &[Src], r: &ByteRange) -> bool {
    caches[r.source]
        .size()
        .is_none_or(|size| r.offset.checked_add(r.len).is_some_and(|end| end <= size))
}

/// True when the raw bytes of `r` are in its source's range cache.
fn holds(caches: &[Src], r: &ByteRange) -> bool {
    caches[r.source].has(r.offset, r.len)
}
