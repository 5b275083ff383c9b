//! Hostile crafted bigWigs: tree bombs (R-tree and chrom tree DAGs), deep chains, leaves
//! sharing a block and zlib bombs.

use super::*;
use std::io::Write;

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
