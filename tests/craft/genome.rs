//! Multi-level R-trees as writers build them, and genome-wide files indexed by them.

use super::*;

/// An R-tree index over `leaves` (sorted) built as writers build it: bottom up,
/// `block_size` items a node, nodes stored level by level from the root down, each
/// branch item bounding its child. `lie` makes the first branch item of the root claim
/// less than its child covers (a child outside its parent's bounds). `ucsc` pads nodes as
/// UCSC's cirTree.c does: every node to `block_size` slots of 24 bytes past its items
/// (branch nodes full size, a partly filled leaf short of full by 8 bytes an empty slot).
pub fn rtree_levels(
    leaves: &[LeafItem],
    block_size: usize,
    index_at: u64,
    lie: bool,
    ucsc: bool,
) -> Vec<u8> {
    let pad = |count: usize| {
        if ucsc {
            (block_size - count) as u64 * 24
        } else {
            0
        }
    };
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
    at += 4 + levels[root_items].len() as u64 * item(root_items) + pad(levels[root_items].len());
    for k in (0..root_items).rev() {
        for c in levels[k].chunks(block_size) {
            node_at[k].push(at);
            at += 4 + c.len() as u64 * item(k) + pad(c.len());
        }
    }
    let mut v = rtree_header(leaves.len() as u64);
    v[4..8].copy_from_slice(&(block_size as u32).to_le_bytes());
    let write_node = |v: &mut Vec<u8>, k: usize, items: std::ops::Range<usize>, first: bool| {
        v.extend_from_slice(&[(k == 0) as u8, 0]);
        u16s(v, items.len() as u16);
        let zeros = pad(items.len()) as usize;
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
        v.resize(v.len() + zeros, 0);
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
    genome_wide_and_empty(n_blocks, per_block, block_size, lie, &[], false)
}

/// [`genome_wide`] with `empty` chroms (name, length) after chr3 that hold no data (a
/// genome whose blocks sit in its first bases, or a chrom tree of many contigs), its
/// R-tree padded as UCSC's writer pads it when `ucsc` ([`rtree_levels`]).
pub fn genome_wide_and_empty(
    n_blocks: usize,
    per_block: u32,
    block_size: usize,
    lie: bool,
    empty: &[(String, u32)],
    ucsc: bool,
) -> Vec<u8> {
    let lens = [
        ("chr1", 50_000_000u32),
        ("chr2", 40_000_000),
        ("chr3", 30_000_000),
    ];
    let all: Vec<(&str, u32)> = (lens.iter().copied())
        .chain(empty.iter().map(|(n, l)| (n.as_str(), *l)))
        .collect();
    let chroms = chrom_tree(&all);
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
    // The data section starts with its count of blocks, as writers write it.
    let (blocks_data, leaves, ubs) =
        compress_blocks(data_at + 8, blocks.iter().map(|(c, r)| (*c, r.as_slice())));
    let mut data = (n_blocks as u64).to_le_bytes().to_vec();
    data.extend_from_slice(&blocks_data);
    let index_at = data_at + data.len() as u64;
    Parts {
        index: rtree_levels(&leaves, block_size, index_at, lie, ucsc),
        chroms,
        data,
        uncompress_buf_size: ubs,
    }
    .build()
}
