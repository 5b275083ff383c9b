//! Data blocks: inflate (with one reused libdeflate decompressor) and decode the section
//! into records, then cut the records that overlap a query. Corrupt blocks are errors.

use super::{check_range, read_into, BigWig, BwError, Leaf};
use crate::interval::Interval;
use crate::source::Source;
use libdeflater::{DecompressionError, Decompressor};

/// One decoded data section: records with their full (unclamped) coordinates.
#[derive(Debug, Clone)]
pub struct DecodedBlock {
    pub chrom_id: u32,
    pub records: Vec<Interval>,
    /// Starts and ends both non-decreasing: queries can binary-search.
    sorted: bool,
}

impl DecodedBlock {
    /// Append the records overlapping `[qstart, qend)` clamped to it, in file order.
    /// The rule is bigtools' (`end > qstart && start < qend`), which GenVarLoader uses.
    #[inline]
    pub fn cut(&self, qstart: u32, qend: u32, out: &mut Vec<Interval>) {
        let recs = &self.records[..];
        let clamp = |r: &Interval| Interval {
            start: r.start.max(qstart),
            end: r.end.min(qend),
            value: r.value,
        };
        if self.sorted {
            let first = recs.partition_point(|r| r.end <= qstart);
            let last = first + recs[first..].partition_point(|r| r.start < qend);
            let hit = &recs[first..last];
            // Only records at the edges can stick out of the query; copy the rest as is.
            let inner_from = hit.partition_point(|r| r.start < qstart);
            let inner_to = inner_from + hit[inner_from..].partition_point(|r| r.end <= qend);
            out.reserve(hit.len());
            out.extend(hit[..inner_from].iter().map(clamp));
            out.extend_from_slice(&hit[inner_from..inner_to]);
            out.extend(hit[inner_to..].iter().map(clamp));
        } else {
            out.extend(
                recs.iter()
                    .filter(|r| r.end > qstart && r.start < qend)
                    .map(clamp),
            );
        }
    }

    pub fn bytes(&self) -> usize {
        self.records.len() * 12 + 64
    }

    /// A block of `n` empty records (for cache tests).
    #[cfg(test)]
    pub(crate) fn of_len(n: usize) -> Self {
        DecodedBlock {
            chrom_id: 0,
            records: vec![
                Interval {
                    start: 0,
                    end: 0,
                    value: 0
                };
                n
            ],
            sorted: true,
        }
    }
}

/// Reads and decodes blocks, reusing its buffers and decompressor across calls.
pub struct BlockReader {
    inflater: Decompressor,
    raw: Vec<u8>,
    inflated: Vec<u8>,
}

impl Default for BlockReader {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockReader {
    pub fn new() -> Self {
        BlockReader {
            inflater: Decompressor::new(),
            raw: Vec::new(),
            inflated: Vec::new(),
        }
    }

    /// Read, inflate and decode the block of `leaf`.
    pub fn read<S: Source + ?Sized>(
        &mut self,
        src: &S,
        bw: &BigWig,
        leaf: &Leaf,
    ) -> Result<DecodedBlock, BwError> {
        // Checked before the buffer grows: a corrupt index must not allocate gigabytes.
        check_range(src, leaf.offset, leaf.size, "data block")?;
        let mut raw = std::mem::take(&mut self.raw);
        raw.resize(leaf.size as usize, 0);
        let res = read_into(src, leaf.offset, &mut raw, "data block").and_then(|()| {
            self.decode(&raw, bw.block_format(), leaf.offset)
                .map_err(BwError::Invalid)
        });
        self.raw = raw;
        res
    }

    /// Inflate and decode a block's raw bytes (read at `offset`, which messages name).
    pub fn decode(
        &mut self,
        raw: &[u8],
        format: BlockFormat,
        offset: u64,
    ) -> Result<DecodedBlock, String> {
        let data: &[u8] = if format.compressed {
            // A valid block never inflates past the header's uncompressBufSize, and deflate
            // cannot expand more than 1032:1, so a zlib bomb costs no more than either bound.
            let cap = (format.uncompress_buf_size as usize)
                .min(raw.len().saturating_mul(1032).saturating_add(64));
            if self.inflated.len() < cap {
                self.inflated.resize(cap, 0);
            }
            match zlib_inflate(&mut self.inflater, raw, &mut self.inflated[..cap]) {
                Ok(n) => &self.inflated[..n],
                Err(DecompressionError::InsufficientSpace) => {
                    return Err(format!(
                        "corrupt compressed data block at offset {offset}: it inflates past the {} bytes the header allows (uncompressBufSize)",
                        format.uncompress_buf_size
                    ))
                }
                Err(_) => {
                    return Err(format!(
                        "corrupt compressed data block at offset {offset} ({} bytes)",
                        raw.len()
                    ))
                }
            }
        } else {
            raw
        };
        decode_section(data, format.big_endian)
            .map_err(|e| format!("corrupt data block at offset {offset}: {e}"))
    }
}

/// Inflate a zlib stream (RFC 1950) that fills `raw`: its header checked as libdeflate's
/// `zlib_decompress` checks it (deflate, a window of at most 32 KiB, no preset dictionary),
/// the deflate data between it and the Adler-32 of the last four bytes. Unlike libdeflate,
/// which reads the checksum where the deflate data ends, the checksum is the last four
/// bytes: a stream followed by other bytes is refused (a block is one stream), and bytes
/// between the deflate data and the checksum are ignored (the checksum still covers every
/// byte inflated). Adler-32 is computed apart: in wasm libdeflate's is scalar, a tenth of
/// the time inflating takes; simd-adler32's uses wasm SIMD.
fn zlib_inflate(
    inflater: &mut Decompressor,
    raw: &[u8],
    out: &mut [u8],
) -> Result<usize, DecompressionError> {
    let [cmf, flg] = match raw {
        [a, b, _, _, _, _, ..] => [*a, *b],
        _ => return Err(DecompressionError::BadData),
    };
    let hdr = u16::from_be_bytes([cmf, flg]);
    if hdr % 31 != 0 || cmf & 0x0f != 8 || cmf >> 4 > 7 || flg & 0x20 != 0 {
        return Err(DecompressionError::BadData);
    }
    let (body, sum) = raw[2..].split_at(raw.len() - 6);
    let n = inflater.deflate_decompress(body, out)?;
    if adler32(&out[..n]) != u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]) {
        return Err(DecompressionError::BadData);
    }
    Ok(n)
}

#[cfg(target_arch = "wasm32")]
fn adler32(b: &[u8]) -> u32 {
    simd_adler32::adler32(&b)
}

#[cfg(not(target_arch = "wasm32"))]
fn adler32(b: &[u8]) -> u32 {
    libdeflater::adler32(b)
}

/// What decoding a block needs of its file's header: a block inflated away from its
/// file (on another thread, see [`crate::stepper::InflateJob`]) carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockFormat {
    pub compressed: bool,
    pub uncompress_buf_size: u32,
    pub big_endian: bool,
}

impl BigWig {
    pub fn block_format(&self) -> BlockFormat {
        BlockFormat {
            compressed: self.compressed(),
            uncompress_buf_size: self.header.uncompress_buf_size,
            big_endian: self.header.big_endian,
        }
    }
}

/// Decode one bigWig data section (bedGraph, variableStep or fixedStep).
pub fn decode_section(data: &[u8], big_endian: bool) -> Result<DecodedBlock, String> {
    if data.len() < 24 {
        return Err(format!(
            "section header needs 24 bytes, block has {}",
            data.len()
        ));
    }
    let u32_at = |b: &[u8], o: usize| -> u32 {
        let a: [u8; 4] = b[o..o + 4].try_into().unwrap();
        if big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let chrom_id = u32_at(data, 0);
    let chrom_start = u32_at(data, 4);
    let item_step = u32_at(data, 12);
    let item_span = u32_at(data, 16);
    let kind = data[20];
    let count = if big_endian {
        u16::from_be_bytes([data[22], data[23]])
    } else {
        u16::from_le_bytes([data[22], data[23]])
    } as usize;
    let body = &data[24..];
    let item = match kind {
        1 => 12,
        2 => 8,
        3 => 4,
        k => return Err(format!("unknown section type {k}")),
    };
    if body.len() < count * item {
        return Err(format!(
            "{count} items of {item} bytes do not fit in {} bytes",
            body.len()
        ));
    }
    let mut records = Vec::with_capacity(count);
    match kind {
        1 => {
            for c in body[..count * 12].chunks_exact(12) {
                records.push(Interval {
                    start: u32_at(c, 0),
                    end: u32_at(c, 4),
                    value: u32_at(c, 8),
                });
            }
        }
        2 => {
            for c in body[..count * 8].chunks_exact(8) {
                let start = u32_at(c, 0);
                records.push(Interval {
                    start,
                    end: start.wrapping_add(item_span),
                    value: u32_at(c, 4),
                });
            }
        }
        _ => {
            let mut start = chrom_start;
            for c in body[..count * 4].chunks_exact(4) {
                records.push(Interval {
                    start,
                    end: start.wrapping_add(item_span),
                    value: u32_at(c, 0),
                });
                start = start.wrapping_add(item_step);
            }
        }
    }
    let sorted = records
        .windows(2)
        .all(|w| w[0].start <= w[1].start && w[0].end <= w[1].end);
    Ok(DecodedBlock {
        chrom_id,
        records,
        sorted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `zlib_inflate` gives what libdeflate's `zlib_decompress` gives, and refuses what it
    /// refuses, on streams flate2 wrote (0 to 70,000 bytes, levels 0 to 9) and on 30,000
    /// damaged copies (a byte changed anywhere, cut short, an output buffer too small),
    /// but where deflate data ends before the checksum (then the checksum read is the last
    /// four bytes); and refuses a block followed by other bytes. Natively and in wasm
    /// (simd-adler32's SIMD Adler-32 there).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn zlib_inflate_agrees_with_libdeflate() {
        use std::io::Write;
        let mut rng = fastrand::Rng::with_seed(19);
        let (mut ours, mut theirs) = (Decompressor::new(), Decompressor::new());
        let (mut a, mut b) = (vec![0u8; 80_000], vec![0u8; 80_000]);
        let mut check = |raw: &[u8], cap: usize| {
            let x = zlib_inflate(&mut ours, raw, &mut a[..cap]);
            let y = theirs.zlib_decompress(raw, &mut b[..cap]);
            if x.is_ok() && y.is_err() {
                // The one difference: bytes between the deflate data and the checksum
                // (libdeflate reads the checksum where the deflate data ends; here the
                // checksum is the last four bytes, and still covers every byte inflated).
                let mut d = flate2::Decompress::new(false);
                let body = &raw[2..raw.len() - 4];
                let mut sink = vec![0u8; cap + 1];
                let end = d.decompress(body, &mut sink, flate2::FlushDecompress::Finish);
                assert_eq!(end.unwrap(), flate2::Status::StreamEnd);
                assert!((d.total_in() as usize) < body.len(), "{raw:02x?}");
                return true;
            }
            assert_eq!(x, y, "{} bytes into {cap}: {raw:02x?}", raw.len());
            if let Ok(n) = x {
                assert_eq!(a[..n], b[..n]);
            }
            x.is_ok()
        };
        let mut alone = Decompressor::new();
        for k in 0..60 {
            let len = match k {
                0 => 0,
                1 => 1,
                _ => rng.usize(..70_000),
            };
            // Compressible, like a bigWig section: runs of a few values.
            let data: Vec<u8> = (0..len)
                .map(|i| ((i / 97) % 7) as u8 * rng.u8(..3))
                .collect();
            let mut e =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(k % 10));
            e.write_all(&data).unwrap();
            let z = e.finish().unwrap();
            assert!(check(&z, 80_000));
            let mut junk = z.clone();
            junk.push(0);
            let refused = zlib_inflate(&mut alone, &junk, &mut vec![0; 80_000]).is_err();
            assert!(refused, "bytes after the stream");
            for _ in 0..500 {
                let mut m = z.clone();
                match rng.u8(..3) {
                    0 => {
                        let at = rng.usize(..m.len());
                        m[at] ^= 1 << rng.u8(..8);
                    }
                    1 => m.truncate(rng.usize(..m.len())),
                    _ => {}
                }
                check(
                    &m,
                    if rng.bool() {
                        80_000
                    } else {
                        rng.usize(..=len)
                    },
                );
            }
        }
    }

    fn section(kind: u8, start: u32, step: u32, span: u32, items: &[u8], count: u16) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [7u32, start, 0, step, span] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.extend_from_slice(&[kind, 0]);
        v.extend_from_slice(&count.to_le_bytes());
        v.extend_from_slice(items);
        v
    }

    #[test]
    fn decodes_fixed_and_variable_step() {
        let vals: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|f| f.to_le_bytes()).collect();
        let b = decode_section(&section(3, 100, 10, 5, &vals, 2), false).unwrap();
        assert_eq!(b.chrom_id, 7);
        assert_eq!((b.records[1].start, b.records[1].end), (110, 115));
        let items: Vec<u8> = [(50u32, 3.0f32)]
            .iter()
            .flat_map(|(s, v)| [s.to_le_bytes(), v.to_le_bytes()].concat())
            .collect();
        let b = decode_section(&section(2, 0, 0, 25, &items, 1), false).unwrap();
        assert_eq!(
            (
                b.records[0].start,
                b.records[0].end,
                f32::from_bits(b.records[0].value)
            ),
            (50, 75, 3.0)
        );
    }

    #[test]
    fn rejects_bad_sections() {
        assert!(decode_section(&[0u8; 10], false)
            .unwrap_err()
            .contains("24 bytes"));
        assert!(decode_section(&section(9, 0, 0, 0, &[], 0), false)
            .unwrap_err()
            .contains("unknown section type 9"));
        assert!(decode_section(&section(1, 0, 0, 0, &[0; 12], 2), false)
            .unwrap_err()
            .contains("do not fit"));
    }

    #[test]
    fn cut_clamps_and_matches_linear_scan() {
        let recs: Vec<Interval> = (0..50)
            .map(|i| Interval {
                start: i * 10,
                end: i * 10 + 7,
                value: i,
            })
            .collect();
        let sorted = DecodedBlock {
            chrom_id: 0,
            records: recs.clone(),
            sorted: true,
        };
        let unsorted = DecodedBlock {
            chrom_id: 0,
            records: recs,
            sorted: false,
        };
        for (qs, qe) in [
            (0, 0),
            (3, 4),
            (7, 10),
            (5, 95),
            (0, 1000),
            (495, 2000),
            (600, 700),
            (30, 20),
        ] {
            let (mut a, mut b) = (vec![], vec![]);
            sorted.cut(qs, qe, &mut a);
            unsorted.cut(qs, qe, &mut b);
            assert_eq!(a, b, "query {qs}-{qe}");
            assert!(a.iter().all(|r| r.start >= qs && r.end <= qe.max(qs)));
        }
    }
}
