//! Crafted bigWigs: valid files the fixtures lack and hostile ones (tree bombs, zlib bombs,
//! leaves sharing a block, deep chains). The one crafter of the project: used by the Rust
//! tests, by the fuzz harness (`examples/fuzz/`) and, through `examples/craft.rs` (which
//! writes them to files), by the JS tests (`craft` of `js-tests/helpers.mjs`).
//!
//! Layout of every file: `[header 64][chrom tree][data][R-tree index]`, little-endian,
//! no zoom levels. Here: the encoding and valid files; the hostile ones in `bombs.rs`,
//! multi-level R-trees and genome-wide files in `genome.rs`.
#![allow(dead_code)]

mod bombs;
mod genome;
// Each user (test, example) takes what it needs.
#[allow(unused_imports)]
pub use bombs::*;
#[allow(unused_imports)]
pub use genome::*;

use std::io::Write;

const BIGWIG_MAGIC: u32 = 0x888F_FC26;
const CHROM_TREE_MAGIC: u32 = 0x78CA_8C91;
const CIR_TREE_MAGIC: u32 = 0x2468_ACE0;

fn u16s(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn u32s(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn u64s(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

/// One data block: a bedGraph section of `(start, end, value)` records on `chrom`.
pub fn bedgraph_section(chrom: u32, recs: &[(u32, u32, f32)]) -> Vec<u8> {
    let mut v = Vec::new();
    let (s, e) = (
        recs.first().map_or(0, |r| r.0),
        recs.last().map_or(0, |r| r.1),
    );
    for x in [chrom, s, e, 0, 0] {
        u32s(&mut v, x);
    }
    v.extend_from_slice(&[1, 0]);
    u16s(&mut v, recs.len() as u16);
    for &(a, b, val) in recs {
        u32s(&mut v, a);
        u32s(&mut v, b);
        v.extend_from_slice(&val.to_le_bytes());
    }
    v
}

pub fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A chrom tree with one leaf node holding `chroms` (name, length), ids in order.
pub fn chrom_tree(chroms: &[(&str, u32)]) -> Vec<u8> {
    let key_size = chroms.iter().map(|c| c.0.len()).max().unwrap_or(1).max(1) as u32;
    let mut v = Vec::new();
    u32s(&mut v, CHROM_TREE_MAGIC);
    u32s(&mut v, chroms.len().max(1) as u32);
    u32s(&mut v, key_size);
    u32s(&mut v, 8);
    u64s(&mut v, chroms.len() as u64);
    u64s(&mut v, 0);
    v.extend_from_slice(&[1, 0]);
    u16s(&mut v, chroms.len() as u16);
    for (i, (name, len)) in chroms.iter().enumerate() {
        let mut key = name.as_bytes().to_vec();
        key.resize(key_size as usize, 0);
        v.extend_from_slice(&key);
        u32s(&mut v, i as u32);
        u32s(&mut v, *len);
    }
    v
}

/// An R-tree leaf item.
#[derive(Clone, Copy)]
pub struct LeafItem {
    pub chrom: u32,
    pub start: u32,
    pub end: u32,
    pub offset: u64,
    pub size: u64,
}

/// An R-tree index (48-byte header + one leaf node) over `leaves`.
pub fn rtree(leaves: &[LeafItem]) -> Vec<u8> {
    let mut v = rtree_header(leaves.len() as u64);
    v.extend_from_slice(&[1, 0]);
    u16s(&mut v, leaves.len() as u16);
    for l in leaves {
        for x in [l.chrom, l.start, l.chrom, l.end] {
            u32s(&mut v, x);
        }
        u64s(&mut v, l.offset);
        u64s(&mut v, l.size);
    }
    v
}

fn rtree_header(items: u64) -> Vec<u8> {
    let mut v = Vec::new();
    u32s(&mut v, CIR_TREE_MAGIC);
    u32s(&mut v, 256);
    u64s(&mut v, items);
    for _ in 0..4 {
        u32s(&mut v, 0);
    }
    u64s(&mut v, 0);
    u32s(&mut v, 1);
    u32s(&mut v, 0);
    v
}

/// Assemble a file; `chroms`, `data` and `index` are built for the offsets they land at
/// (`offsets()` tells them before assembly).
pub struct Parts {
    pub chroms: Vec<u8>,
    pub data: Vec<u8>,
    pub index: Vec<u8>,
    pub uncompress_buf_size: u32,
}

pub const CHROM_TREE_AT: u64 = 64;

impl Parts {
    pub fn data_at(&self) -> u64 {
        CHROM_TREE_AT + self.chroms.len() as u64
    }
    pub fn index_at(&self) -> u64 {
        self.data_at() + self.data.len() as u64
    }
    pub fn build(&self) -> Vec<u8> {
        let mut v = Vec::new();
        u32s(&mut v, BIGWIG_MAGIC);
        u16s(&mut v, 4);
        u16s(&mut v, 0);
        u64s(&mut v, CHROM_TREE_AT);
        u64s(&mut v, self.data_at());
        u64s(&mut v, self.index_at());
        u16s(&mut v, 0);
        u16s(&mut v, 0);
        u64s(&mut v, 0);
        u64s(&mut v, 0);
        u32s(&mut v, self.uncompress_buf_size);
        u64s(&mut v, 0);
        assert_eq!(v.len(), 64);
        v.extend_from_slice(&self.chroms);
        v.extend_from_slice(&self.data);
        v.extend_from_slice(&self.index);
        v
    }
}

/// Compressed bedGraph sections of `blocks` (chrom id, records), laid from `data_at`: the
/// data, their R-tree leaf items, and the largest section uncompressed.
fn compress_blocks<'a>(
    data_at: u64,
    blocks: impl IntoIterator<Item = (u32, &'a [(u32, u32, f32)])>,
) -> (Vec<u8>, Vec<LeafItem>, u32) {
    let (mut data, mut leaves, mut ubs) = (Vec::new(), Vec::new(), 0usize);
    for (chrom, recs) in blocks {
        let raw = bedgraph_section(chrom, recs);
        ubs = ubs.max(raw.len());
        let z = zlib(&raw);
        leaves.push(LeafItem {
            chrom,
            start: recs.first().map_or(0, |r| r.0),
            end: recs.last().map_or(0, |r| r.1),
            offset: data_at + data.len() as u64,
            size: z.len() as u64,
        });
        data.extend_from_slice(&z);
    }
    (data, leaves, ubs as u32)
}

/// Records (start, end, value) of one block.
type Records = Vec<(u32, u32, f32)>;

/// A valid file over `chroms` (name, length): `blocks` of (chrom id, records), indexed by
/// one R-tree leaf node, `block_size` items a node in its header.
fn blocks_file<'a>(
    chroms: &[(&str, u32)],
    blocks: impl IntoIterator<Item = (u32, &'a [(u32, u32, f32)])>,
    block_size: u32,
) -> Vec<u8> {
    let chroms = chrom_tree(chroms);
    let (data, leaves, uncompress_buf_size) =
        compress_blocks(CHROM_TREE_AT + chroms.len() as u64, blocks);
    let mut index = rtree(&leaves);
    index[4..8].copy_from_slice(&block_size.to_le_bytes());
    Parts {
        chroms,
        data,
        index,
        uncompress_buf_size,
    }
    .build()
}

/// A valid file: `blocks` of records on chrom 0 (`chr1`, 1 Mbp), each block compressed.
pub fn valid(blocks: &[Vec<(u32, u32, f32)>]) -> Vec<u8> {
    blocks_file(
        &[("chr1", 1_000_000), ("chr2", 500_000)],
        blocks.iter().map(|b| (0, b.as_slice())),
        256,
    )
}

/// A whole chromosome in one region: chr1 (5 Mbp) with 500,000 records of 7 bp every
/// 10 bp (values a slow sine plus a ramp), in blocks of 1024 records (an ENCODE-like
/// signal track, for the export page's plot).
pub fn chromosome() -> Vec<u8> {
    let recs: Vec<(u32, u32, f32)> = (0..500_000u32)
        .map(|i| {
            let v = (f64::from(i) / 5000.0).sin() * 5.0 + f64::from(i % 7) - 2.0;
            (i * 10, i * 10 + 7, v as f32)
        })
        .collect();
    blocks_file(
        &[("chr1", 5_000_000)],
        recs.chunks(1024).map(|c| (0, c)),
        1024,
    )
}

/// A small valid file: 3 blocks of 100 records of 10 bp on chr1.
pub fn small_valid() -> Vec<u8> {
    let blocks: Vec<Vec<(u32, u32, f32)>> = (0..3u32)
        .map(|b| {
            (0..100u32)
                .map(|i| {
                    let s = b * 10_000 + i * 20;
                    (s, s + 10, (b * 100 + i) as f32)
                })
                .collect()
        })
        .collect();
    valid(&blocks)
}
