//! The encoded-region format drivers pass between decoding and writing when regions are
//! decoded out of order: per region `[region u32][count u32 x S][records x 12 bytes]`,
//! little-endian, records packed as in `intervals.npy`. [`EncodedRegions`] walks a
//! sequence of them; nothing else reads the format.

use crate::error::Bug;
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

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// One encoded region of a sequence.
#[derive(Debug, Clone, Copy)]
pub struct Encoded<'a> {
    /// Its region index.
    pub region: usize,
    /// Where it starts in the sequence.
    pub at: usize,
    /// Its bytes, counts and records.
    pub bytes: &'a [u8],
    n_samples: usize,
}

impl Encoded<'_> {
    /// Its records, over all samples.
    pub fn n_records(&self) -> usize {
        (self.bytes.len() - 4 - 4 * self.n_samples) / 12
    }

    /// Push its groups into the writer, sample after sample.
    pub fn push_into(&self, w: &mut TrackWriter) {
        let mut rec = 4 + 4 * self.n_samples;
        for s in 0..self.n_samples {
            let n = u32_at(self.bytes, 4 + 4 * s) as usize;
            w.push_group_encoded(&self.bytes[rec..rec + n * 12]);
            rec += n * 12;
        }
    }
}

/// The encoded regions of a whole sequence, in order. Bytes this crate encoded are walked
/// as they are; bytes from elsewhere (a host handing them back) are checked first with
/// [`EncodedRegions::checked`].
#[derive(Debug, Clone)]
pub struct EncodedRegions<'a> {
    bytes: &'a [u8],
    n_samples: usize,
    at: usize,
}

impl<'a> EncodedRegions<'a> {
    pub fn new(bytes: &'a [u8], n_samples: usize) -> Self {
        EncodedRegions {
            bytes,
            n_samples,
            at: 0,
        }
    }

    /// [`EncodedRegions::new`] once `bytes` is known to be a whole sequence of regions
    /// below `n_regions`.
    pub fn checked(bytes: &'a [u8], n_samples: usize, n_regions: usize) -> Result<Self, Bug> {
        let mut at = 0;
        while at < bytes.len() {
            let head = 4 + 4 * n_samples;
            if bytes.len() - at < head || u32_at(bytes, at) as usize >= n_regions {
                return Err(Bug::Malformed { at });
            }
            let n: usize = (0..n_samples)
                .map(|s| u32_at(bytes, at + 4 + 4 * s) as usize)
                .sum();
            match n.checked_mul(12).and_then(|r| r.checked_add(head)) {
                Some(len) if bytes.len() - at >= len => at += len,
                _ => return Err(Bug::Malformed { at }),
            }
        }
        Ok(Self::new(bytes, n_samples))
    }
}

impl<'a> Iterator for EncodedRegions<'a> {
    type Item = Encoded<'a>;

    fn next(&mut self) -> Option<Encoded<'a>> {
        let (b, at, s) = (self.bytes, self.at, self.n_samples);
        if at >= b.len() {
            return None;
        }
        let n: usize = (0..s).map(|k| u32_at(b, at + 4 + 4 * k) as usize).sum();
        let len = 4 + 4 * s + n * 12;
        self.at += len;
        Some(Encoded {
            region: u32_at(b, at) as usize,
            at,
            bytes: &b[at..at + len],
            n_samples: s,
        })
    }
}

/// `[region, length, ...]` of each encoded region in `b` (a whole sequence), so a host can
/// keep the bytes opaque.
pub fn spans(b: &[u8], n_samples: usize) -> Vec<u32> {
    EncodedRegions::new(b, n_samples)
        .flat_map(|e| [e.region as u32, e.bytes.len() as u32])
        .collect()
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
        let e = EncodedRegions::new(&b, 3).next().unwrap();
        assert_eq!((e.region, e.bytes.len(), e.n_records()), (7, b.len(), 2));
        assert_eq!(EncodedRegions::checked(&b, 3, 8).unwrap().count(), 1);
        assert_eq!(
            EncodedRegions::checked(&b[..b.len() - 1], 3, 8).unwrap_err(),
            Bug::Malformed { at: 0 }
        );
        assert!(EncodedRegions::checked(&b, 3, 7).is_err());
        let mut w = TrackWriter::new(Layout::Aos, Format::Raw);
        e.push_into(&mut w);
        assert_eq!(w.n_intervals(), 2);
        assert_eq!(spans(&[b.clone(), b].concat(), 3), [7, 40, 7, 40]);
    }
}
