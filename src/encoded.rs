//! The encoded-region format drivers pass between decoding and writing when regions are
//! decoded out of order: per region `[region u32][count u32 x S][records x 12 bytes]`,
//! little-endian, records packed as in `intervals.npy`.

use crate::interval::Interval;
use crate::layout::{encode_aos, TrackWriter};

/// Append region `r` (its records, sample after sample, and per-sample counts).
pub fn encode_region(r: usize, recs: &[Interval], counts: &[usize], out: &mut Vec<u8>) {
    out.reserve(4 + counts.len() * 4 + recs.len() * 12);
    out.extend_from_slice(&(r as u32).to_le_bytes());
    for &c in counts {
        out.extend_from_slice(&(c as u32).to_le_bytes());
    }
    encode_aos(recs, out);
}

pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// The region index of the encoded region at `at`.
pub fn region_at(b: &[u8], at: usize) -> usize {
    u32_at(b, at) as usize
}

/// Length in bytes of the encoded region starting at `at`.
pub fn region_len(b: &[u8], at: usize, n_samples: usize) -> usize {
    let n: usize = (0..n_samples)
        .map(|s| u32_at(b, at + 4 + 4 * s) as usize)
        .sum();
    4 + 4 * n_samples + n * 12
}

/// Push the encoded region at `at` into the writer, sample after sample.
pub fn push_region_encoded(w: &mut TrackWriter, b: &[u8], at: usize, n_samples: usize) {
    let mut rec = at + 4 + 4 * n_samples;
    for s in 0..n_samples {
        let n = u32_at(b, at + 4 + 4 * s) as usize;
        w.push_group_encoded(&b[rec..rec + n * 12]);
        rec += n * 12;
    }
}

/// Regions per reorder bucket for an export of `n_regions`: about 16 regions a bucket, at
/// most 1024 buckets. Hosts put out-of-order regions back through these buckets.
pub fn bucket_regions(n_regions: usize) -> usize {
    let n_buckets = (n_regions / 16).clamp(1, 1024);
    n_regions.div_ceil(n_buckets).max(1)
}

/// `[region, length, ...]` of each encoded region in `b` (a whole sequence), so a host can
/// keep the bytes opaque.
pub fn spans(b: &[u8], n_samples: usize) -> Vec<u32> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let len = region_len(b, at, n_samples);
        out.extend([u32_at(b, at), len as u32]);
        at += len;
    }
    out
}

/// Check that `b` is a whole sequence of encoded regions; returns how many.
pub fn count_regions(b: &[u8], n_samples: usize, n_regions: usize) -> Result<usize, String> {
    let (mut at, mut n) = (0, 0);
    while at < b.len() {
        if b.len() - at < 4 + 4 * n_samples || region_at(b, at) >= n_regions {
            return Err(format!("malformed encoded regions at byte {at}"));
        }
        let len = region_len(b, at, n_samples);
        if b.len() - at < len {
            return Err(format!("malformed encoded regions at byte {at}"));
        }
        at += len;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Format, Layout};

    #[test]
    fn round_trip_through_the_writer() {
        let recs = [
            Interval {
                start: 1,
                end: 2,
                value: 3,
            },
            Interval {
                start: 4,
                end: 5,
                value: 6,
            },
        ];
        let mut b = Vec::new();
        encode_region(7, &recs, &[1, 0, 1], &mut b);
        assert_eq!((region_at(&b, 0), region_len(&b, 0, 3)), (7, b.len()));
        assert_eq!(count_regions(&b, 3, 8), Ok(1));
        assert!(count_regions(&b[..b.len() - 1], 3, 8).is_err());
        assert!(count_regions(&b, 3, 7).is_err());
        let mut w = TrackWriter::new(Layout::Aos, Format::Raw);
        push_region_encoded(&mut w, &b, 0, 3);
        assert_eq!(w.n_intervals(), 2);
    }
}
