//! Read planning, with no I/O: the byte ranges the core misses ([`crate::stepper`]) turned
//! into the reads a host makes, for both hosts: neighbours coalesced into one request,
//! sources with a minimum read size read ahead, reads cut at the end of their source, and
//! no range asked for while a read covering it is under way. The [`ReadPolicy`] of each
//! host (the native fetch threads, the npm package's promises) is here too, so that every
//! number the two share is defined once and the few they differ in side by side.

use crate::error::ByteRange;

/// Ranges closer than this are fetched in one request. Measured against JBrowse's reader
/// (@gmod/bbi 11, which bridges 2000 bytes) on a file with ~1 KiB blocks and an 8 MB
/// R-tree at 10,000 loci: at 4096 we read 10% more bytes than it for 7% fewer requests;
/// at 2048 and 1024, fewer of both; at 1024 also within 5% of the bytes the loci need
/// (1.019x; 1.053x at 2048) for 4% more requests than at 2048 (docs/BENCHMARKS.md).
/// Files with larger blocks do not notice.
pub const COALESCE_GAP: u64 = 1024;
/// What one more request costs, counted in bytes, when choosing between reading a few
/// pieces or one larger span (the R-tree's levels, [`crate::bigwig::rtree`]).
pub const REQUEST_COST: u64 = 4096;
/// Reads under way at once: the native fetch threads, the npm package's requests. Remote
/// exports wait on round trips: at 30 ms a request, 100 loci from two files with an 8 MB
/// R-tree (~400 reads, most a level or a window at a time) took 1.9 s in Node with 8 and
/// 1.4 s with 16, same bytes and requests (docs/BENCHMARKS.md). Browsers cap connections
/// per host themselves (6 over HTTP/1.1), so this only matters where they do not.
pub const CONCURRENCY: usize = 16;
/// Genome order: encoded regions held in memory before their buckets spill to a scratch
/// file (native, and the npm package's Node directory output).
pub const STAGING_BUDGET: usize = 32 << 20;

/// How a host reads: the numbers its driver and [`Planner`] go by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPolicy {
    /// Reads under way at once.
    pub concurrency: usize,
    /// Regions whose blocks are fetched with a region that stalls, and half the horizon read
    /// in the background while decoding ([`crate::stepper::Stepper::step`]); in genome
    /// order (`sweep_lookahead`) blocks are neighbours in the file, so a longer window
    /// coalesces into fewer, larger requests.
    pub lookahead: usize,
    pub sweep_lookahead: usize,
    /// Longer reads are split, so that one big read runs on several connections.
    pub max_request: u64,
    /// Bytes a plan may add to reads extended to their source's minimum read size.
    pub read_ahead_budget: u64,
    /// A read partly covered by one under way asks only for the rest (in pieces).
    pub trim_under_way: bool,
    /// A stalled step waits for every read under way, not only the first to land
    /// ([`crate::drive::Drive::next`]).
    pub stall_settles: bool,
}

impl ReadPolicy {
    /// The native fetch threads. Windows four times the npm package's (native memory is not
    /// wasm's): decoding 512 medium-corpus regions takes about 20 ms, less than one
    /// request's latency on a real network, so 512 stalled on every window (4.3 s at 30 ms
    /// per request; 2048: 1.9 s, 200 requests instead of 640).
    pub const NATIVE: ReadPolicy = ReadPolicy {
        concurrency: CONCURRENCY,
        lookahead: 128,
        sweep_lookahead: 2048,
        max_request: 4 << 20,
        read_ahead_budget: 0,
        trim_under_way: true,
        stall_settles: false,
    };

    /// The npm package: wasm linear memory never shrinks, so shorter windows; a read is one
    /// fetch whatever its length; Blob/File slices are read ahead (their `minRead`) within
    /// 4 MiB a plan.
    pub const NPM: ReadPolicy = ReadPolicy {
        concurrency: CONCURRENCY,
        lookahead: 32,
        sweep_lookahead: 512,
        max_request: u64::MAX,
        read_ahead_budget: 4 << 20,
        trim_under_way: false,
        stall_settles: true,
    };

    /// The read-ahead window for [`crate::stepper::Stepper::step`].
    pub fn lookahead(&self, genome_order: bool) -> usize {
        if genome_order {
            self.sweep_lookahead
        } else {
            self.lookahead
        }
    }
}

/// What the planner needs to know of a source right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceInfo {
    /// Its size, once known: reads are cut there.
    pub size: Option<u64>,
    /// Reads are extended forward to at least this many bytes (0: no minimum).
    pub min_read: u64,
}

/// The reads of one host, planned and under way.
#[derive(Debug, Clone)]
pub struct Planner {
    policy: ReadPolicy,
    under_way: Vec<ByteRange>,
}

impl Planner {
    pub fn new(policy: ReadPolicy) -> Self {
        Planner {
            policy,
            under_way: Vec::new(),
        }
    }

    pub fn policy(&self) -> &ReadPolicy {
        &self.policy
    }

    /// Reads planned and not yet [`Planner::done`].
    pub fn busy(&self) -> bool {
        !self.under_way.is_empty()
    }

    /// The reads to make for `ranges`, now under way: ranges a read under way covers are
    /// skipped; the rest, per source in the order sources first appear, sorted, coalesced
    /// within [`COALESCE_GAP`], extended to the source's minimum read (within the budget),
    /// cut at its end when known (a range wholly past it is left for the core to report),
    /// split at the policy's `max_request`, and trimmed of what reads under way bring.
    pub fn plan(
        &mut self,
        ranges: &[ByteRange],
        source: impl Fn(usize) -> SourceInfo,
    ) -> Vec<ByteRange> {
        let mut by_source: Vec<(usize, Vec<(u64, u64)>)> = Vec::new();
        for r in ranges.iter().filter(|r| !self.covered(r)) {
            match by_source.iter_mut().find(|(s, _)| *s == r.source) {
                Some((_, list)) => list.push((r.offset, r.len)),
                None => by_source.push((r.source, vec![(r.offset, r.len)])),
            }
        }
        let mut budget = self.policy.read_ahead_budget;
        let mut reads = Vec::new();
        for (s, mut list) in by_source {
            list.sort_unstable();
            let mut merged = coalesce(&list);
            let info = source(s);
            if let (Some(size), true) = (info.size, info.min_read > 0) {
                for r in &mut merged {
                    let extra = info
                        .min_read
                        .min(size.saturating_sub(r.0))
                        .saturating_sub(r.1);
                    if extra > 0 && extra <= budget {
                        r.1 += extra;
                        budget -= extra;
                    }
                }
                merged = coalesce(&merged);
            }
            for (offset, mut len) in merged {
                if let Some(size) = info.size {
                    len = len.min(size.saturating_sub(offset));
                }
                let end = offset + len;
                let mut at = offset;
                while at < end {
                    let n = (end - at).min(self.policy.max_request);
                    let read = ByteRange {
                        source: s,
                        offset: at,
                        len: n,
                    };
                    if self.policy.trim_under_way {
                        reads.extend(uncovered(read, &self.under_way));
                    } else {
                        reads.push(read);
                    }
                    at += n;
                }
            }
        }
        self.under_way.extend_from_slice(&reads);
        reads
    }

    /// A read the plan gave has landed or failed: it is no longer under way.
    pub fn done(&mut self, read: ByteRange) {
        if let Some(k) = self.under_way.iter().position(|r| *r == read) {
            self.under_way.swap_remove(k);
        }
    }

    fn covered(&self, r: &ByteRange) -> bool {
        self.under_way.iter().any(|u| {
            u.source == r.source && u.offset <= r.offset && r.offset + r.len <= u.offset + u.len
        })
    }
}

/// Sorted `(offset, len)` pairs, those that overlap or lie within [`COALESCE_GAP`] merged.
pub fn coalesce(sorted: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &(o, n) in sorted {
        match out.last_mut() {
            Some(last) if o <= last.0 + last.1 + COALESCE_GAP => {
                last.1 = last.1.max(o + n - last.0);
            }
            _ => out.push((o, n)),
        }
    }
    out
}

/// The parts of `read` no read under way covers: a byte is never asked for while it is on
/// its way already (coalescing may have bridged a gap over one).
fn uncovered(read: ByteRange, under_way: &[ByteRange]) -> Vec<ByteRange> {
    let (mut at, end) = (read.offset, read.offset + read.len);
    let mut spans: Vec<(u64, u64)> = under_way
        .iter()
        .filter(|u| u.source == read.source)
        .map(|u| (u.offset, u.offset + u.len))
        .filter(|&(a, b)| a < end && b > at)
        .collect();
    spans.sort_unstable();
    let mut out = Vec::new();
    let piece = |offset, len| ByteRange {
        source: read.source,
        offset,
        len,
    };
    for (a, b) in spans {
        if a > at {
            out.push(piece(at, a.min(end) - at));
        }
        at = at.max(b);
        if at >= end {
            break;
        }
    }
    if at < end {
        out.push(piece(at, end - at));
    }
    out
}

#[cfg(test)]
mod tests;
