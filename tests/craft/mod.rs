//! Crafted bigWigs: valid files the fixtures lack and hostile ones (tree bombs, zlib bombs,
//! leaves sharing a block, deep chains). The one crafter of the project: used by the Rust
//! tests, by the fuzz harness (`examples/fuzz.rs`) and, through `examples/craft.rs` (which
//! writes them to files), by the JS tests (`craft` of `js-tests/helpers.mjs`).
//!
//! Layout of every file: `[header 64][chrom tree][data][R-tree index]`, little-endian,
//! no zoom levels.
#![allow(dead_code)]

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

/// R-tree DAG bomb: a root with 65,535 children at consecutive byte offsets inside a zone
/// of 0x01 bytes, where every offset parses as a leaf node of 257 items. 1.6 MB that a
/// walk without a byte budget turns into 16.8 M leaves (540 MB of nodes).
pub fn rtree_bomb() -> Vec<u8> {
    let chroms = chrom_tree(&[("chr1", 1_000_000)]);
    let index_at = CHROM_TREE_AT + chroms.len() as u64;
    let n = 65_535u64;
    let root_at = index_at + 48;
    let zone_at = root_at + 4 + n * 24;
    let mut index = rtree_header(n * 257);
    index.extend_from_slice(&[0, 0]);
    u16s(&mut index, n as u16);
    for i in 0..n {
        for x in [0u32, 0, 0, 1_000_000] {
            u32s(&mut index, x);
        }
        u64s(&mut index, zone_at + i);
    }
    index.resize(index.len() + (n as usize + 4 + 257 * 32), 1);
    Parts {
        chroms,
        data: Vec::new(),
        index,
        uncompress_buf_size: 0,
    }
    .build()
}

/// Chrom-tree DAG bomb: a root with 65,535 children inside a zone of 0x01 bytes where
/// every offset parses as a leaf of 257 one-byte-key items: 16.8 M junk contigs.
pub fn chrom_tree_bomb() -> Vec<u8> {
    let n = 65_535u64;
    let key_size = 1u64;
    let root_at = CHROM_TREE_AT + 32;
    let zone_at = root_at + 4 + n * (key_size + 8);
    let mut chroms = Vec::new();
    u32s(&mut chroms, CHROM_TREE_MAGIC);
    u32s(&mut chroms, 256);
    u32s(&mut chroms, key_size as u32);
    u32s(&mut chroms, 8);
    u64s(&mut chroms, u64::MAX);
    u64s(&mut chroms, 0);
    chroms.extend_from_slice(&[0, 0]);
    u16s(&mut chroms, n as u16);
    for i in 0..n {
        chroms.push(b'x');
        u64s(&mut chroms, zone_at + i);
    }
    chroms.resize(chroms.len() + (n as usize + 4 + 257 * 9), 1);
    Parts {
        chroms,
        data: Vec::new(),
        index: rtree(&[]),
        uncompress_buf_size: 0,
    }
    .build()
}

/// A chain of single-child branch nodes `depth` levels deep (no cycle, no shared node).
pub fn deep_rtree(depth: usize) -> Vec<u8> {
    let chroms = chrom_tree(&[("chr1", 1_000_000)]);
    let index_at = CHROM_TREE_AT + chroms.len() as u64;
    let mut index = rtree_header(0);
    for d in 0..depth as u64 {
        let child = index_at + 48 + (d + 1) * 28;
        index.extend_from_slice(&[0, 0]);
        u16s(&mut index, 1);
        for x in [0u32, 0, 0, 1_000_000] {
            u32s(&mut index, x);
        }
        u64s(&mut index, child);
    }
    index.extend_from_slice(&[1, 0]);
    u16s(&mut index, 0);
    Parts {
        chroms,
        data: Vec::new(),
        index,
        uncompress_buf_size: 0,
    }
    .build()
}

/// One real block indexed by `copies` leaves: a decoder without an overlap check emits
/// its records `copies` times for a region over it.
pub fn shared_block(copies: usize) -> Vec<u8> {
    let chroms = chrom_tree(&[("chr1", 1_000_000)]);
    let data_at = CHROM_TREE_AT + chroms.len() as u64;
    let recs: Vec<(u32, u32, f32)> = (0..500u32).map(|i| (i * 10, i * 10 + 5, 1.0)).collect();
    let raw = bedgraph_section(0, &recs);
    let data = zlib(&raw);
    let leaf = LeafItem {
        chrom: 0,
        start: 0,
        end: 5000,
        offset: data_at,
        size: data.len() as u64,
    };
    Parts {
        uncompress_buf_size: raw.len() as u32,
        chroms,
        index: rtree(&vec![leaf; copies.min(65_535)]),
        data,
    }
    .build()
}

/// A block that inflates to `inflated` bytes (a valid section header followed by zeros)
/// while the header promises `uncompress_buf_size`.
pub fn zlib_bomb(inflated: usize, uncompress_buf_size: u32) -> Vec<u8> {
    let chroms = chrom_tree(&[("chr1", 1_000_000)]);
    let data_at = CHROM_TREE_AT + chroms.len() as u64;
    let mut raw = bedgraph_section(0, &[(0, 10, 1.0)]);
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&raw).unwrap();
    raw = vec![0u8; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(raw.len());
        e.write_all(&raw[..n]).unwrap();
        left -= n;
    }
    let data = e.finish().unwrap();
    let leaf = LeafItem {
        chrom: 0,
        start: 0,
        end: 10,
        offset: data_at,
        size: data.len() as u64,
    };
    Parts {
        chroms,
        index: rtree(&[leaf]),
        data,
        uncompress_buf_size,
    }
    .build()
}

/// An R-tree index over `leaves` (sorted) built as writers build it: bottom up,
/// `block_size` items a node, nodes stored level by level from the root down, each
/// branch item bounding its child. `lie` makes the first branch item of the root claim
/// less than its child covers (a child outside its parent's bounds).
pub fn rtree_levels(leaves: &[LeafItem], block_size: usize, index_at: u64, lie: bool) -> Vec<u8> {
    // Bounds of every item of each level, bottom (leaf items) first.
    type B = ((u32, u32), (u32, u32));
    let mut levels: Vec<Vec<B>> = vec![leaves
        .iter()
        .map(|l| ((l.chrom, l.start), (l.chrom, l.end)))
        .collect()];
    // levels[k + 1][j] bounds the j-th node holding block_size items of levels[k]; the
    // top level is one node, the root, which holds the items of the level below it.
    loop {
        let up: Vec<B> = levels
            .last()
            .unwrap()
            .chunks(block_size)
            .map(|c| (c[0].0, c.iter().map(|b| b.1).max().unwrap()))
            .collect();
        let done = up.len() <= 1;
        levels.push(up);
        if done {
            break;
        }
    }
    let item = |k: usize| if k == 0 { 32u64 } else { 24 };
    let root_items = levels.len() - 2;
    let mut node_at: Vec<Vec<u64>> = vec![Vec::new(); levels.len()];
    let mut at = index_at + 48;
    // Root node.
    let root_at = at;
    at += 4 + levels[root_items].len() as u64 * item(root_items);
    for k in (0..root_items).rev() {
        for c in levels[k].chunks(block_size) {
            node_at[k].push(at);
            at += 4 + c.len() as u64 * item(k);
        }
    }
    let mut v = rtree_header(leaves.len() as u64);
    v[4..8].copy_from_slice(&(block_size as u32).to_le_bytes());
    let write_node = |v: &mut Vec<u8>, k: usize, items: std::ops::Range<usize>, first: bool| {
        v.extend_from_slice(&[(k == 0) as u8, 0]);
        u16s(v, items.len() as u16);
        for i in items {
            let (lo, mut hi) = levels[k][i];
            if k == 0 {
                let l = &leaves[i];
                for x in [lo.0, lo.1, hi.0, hi.1] {
                    u32s(v, x);
                }
                u64s(v, l.offset);
                u64s(v, l.size);
            } else {
                if lie && first && i == 0 && k == root_items {
                    hi.1 = lo.1 + 1;
                }
                for x in [lo.0, lo.1, hi.0, hi.1] {
                    u32s(v, x);
                }
                u64s(v, node_at[k - 1][i]);
            }
        }
    };
    assert_eq!(v.len() as u64 + index_at, root_at);
    write_node(&mut v, root_items, 0..levels[root_items].len(), true);
    for k in (0..root_items).rev() {
        let n = levels[k].len();
        for (j, start) in (0..n).step_by(block_size).enumerate() {
            write_node(&mut v, k, start..(start + block_size).min(n), j == 0);
        }
    }
    assert_eq!(v.len() as u64 + index_at, at);
    v
}

/// A genome-wide file: `n_blocks` compressed blocks of `per_block` records over chr1,
/// chr2, chr3 (in that order, blocks split evenly), indexed by a multi-level R-tree of
/// `block_size` items a node. Record values are deterministic in their position.
pub fn genome_wide(n_blocks: usize, per_block: u32, block_size: usize, lie: bool) -> Vec<u8> {
    let lens = [
        ("chr1", 50_000_000u32),
        ("chr2", 40_000_000),
        ("chr3", 30_000_000),
    ];
    let chroms = chrom_tree(&lens);
    let data_at = CHROM_TREE_AT + chroms.len() as u64;
    let per_chrom = n_blocks.div_ceil(3);
    let blocks: Vec<(u32, Records)> = (0..n_blocks)
        .map(|b| {
            let chrom = (b / per_chrom) as u32;
            let k = (b % per_chrom) as u32;
            let span = lens[chrom as usize].1 / per_chrom as u32;
            let step = span / per_block;
            let recs = (0..per_block)
                .map(|i| {
                    let s = k * span + i * step;
                    (s, s + step / 2 + 1, (b as u32 * 31 + i) as f32 * 0.5)
                })
                .collect();
            (chrom, recs)
        })
        .collect();
    let (data, leaves, ubs) =
        compress_blocks(data_at, blocks.iter().map(|(c, r)| (*c, r.as_slice())));
    let index_at = data_at + data.len() as u64;
    Parts {
        index: rtree_levels(&leaves, block_size, index_at, lie),
        chroms,
        data,
        uncompress_buf_size: ubs,
    }
    .build()
}
