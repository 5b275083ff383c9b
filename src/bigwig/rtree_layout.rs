//! Where the known writers put every R-tree node, worked out from the index's size and
//! the data's block count, so a lazy walk can ask for the node under a locus one round
//! before its parent says where it is.
//!
//! Both writers in use build the tree bottom up with `block` items a node and write it
//! top down, a level after another, every node but a level's last one full, so node `j`
//! of a level starts at the level's start plus `j` full nodes:
//! - compact (bigtools): each node is its header and its items;
//! - UCSC (`cirTree.c`, the kent tools every ENCODE file comes from): branch nodes are
//!   padded to `block` items, and the last leaf is padded with `block - count` slots of a
//!   branch item's 24 bytes (not a leaf's 32: that is what the writer does).
//!
//! libBigWig (pyBigWig, deepTools) splits its tree top down, 64 items a node: its files
//! fit neither formula and get no guess. An index whose size neither formula gives exactly
//! is not guessed at. A guess is only a read ahead of time: the walk still takes every
//! node from where its parent points, so a guess that misses costs the bytes of the nodes
//! it named, never a wrong result or a round (and a layout fitting by chance, at most a
//! round for the root).

use super::chroms::Chrom;
use super::rtree::{BRANCH_ITEM, HEADER, LEAF_ITEM};
/// Nodes as deep as this are guessed at from genome position: a depth-1 branch node
/// covers `block^2` data blocks or more (65,536 at 256), a quarter of a genome or so in
/// an ENCODE-size file, where uneven signal barely moves a locus across a boundary.
/// Leaves (256 blocks each) are not: there a guess by position would mostly miss.
const GUESS_DEPTH: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    Compact,
    Ucsc,
}

/// One level of the tree: where its first node starts, its nodes and their items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Level {
    at: u64,
    nodes: u64,
    items: u64,
    item: u64,
}

/// The node layout of an index of `block` items a node holding `blocks` leaf items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RtreeLayout {
    writer: Writer,
    block: u64,
    blocks: u64,
    /// From the root down.
    levels: Vec<Level>,
}

/// `(items, nodes, bytes)` of each level as `writer` writes it, leaves first.
fn sizes(writer: Writer, blocks: u64, block: u64) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    let mut items = blocks;
    loop {
        let nodes = items.div_ceil(block);
        let leaves = out.is_empty();
        let bytes = match writer {
            Writer::Compact if leaves => nodes * 4 + items * LEAF_ITEM,
            Writer::Compact => nodes * 4 + items * BRANCH_ITEM,
            Writer::Ucsc if leaves => {
                let last = items - (nodes - 1) * block;
                (nodes - 1) * (4 + block * LEAF_ITEM)
                    + 4
                    + last * LEAF_ITEM
                    + (block - last) * BRANCH_ITEM
            }
            Writer::Ucsc => nodes * (4 + block * BRANCH_ITEM),
        };
        out.push((items, nodes, bytes));
        if nodes <= 1 || out.len() >= super::tree::MAX_DEPTH {
            return out;
        }
        items = nodes;
    }
}

/// Depth of the leaf level (the root's is 0) of a tree over `blocks` leaf items, `block`
/// (at least 2) a node, as both writers build it. Counts past 2^40 blocks (no real file)
/// are taken as 2^40, which keeps the level sizes from overflowing.
pub(super) fn leaf_depth(blocks: u64, block: u64) -> usize {
    sizes(Writer::Compact, blocks.clamp(1, 1 << 40), block).len() - 1
}

fn index_len(writer: Writer, blocks: u64, block: u64) -> u64 {
    HEADER
        + sizes(writer, blocks, block)
            .iter()
            .map(|l| l.2)
            .sum::<u64>()
}

impl RtreeLayout {
    /// The layout of an index of `span` bytes from `at` over `blocks` data blocks (the
    /// count writers put at the start of the data) with `block` items a node, if a known
    /// writer makes an index of exactly that size (or 4 bytes less: a file without zoom
    /// levels ends with a copy of its magic after the index).
    pub fn infer(at: u64, span: u64, block: u64, blocks: u64) -> Option<RtreeLayout> {
        // 2^40 blocks is past any real file; the bound keeps the sums below from overflowing.
        if !(2..=u64::from(u16::MAX)).contains(&block) || !(1..1 << 40).contains(&blocks) {
            return None;
        }
        [Writer::Compact, Writer::Ucsc]
            .into_iter()
            .find(|&w| {
                let len = index_len(w, blocks, block);
                len == span || len + 4 == span
            })
            .map(|w| RtreeLayout::new(w, at, blocks, block))
    }

    fn new(writer: Writer, at: u64, blocks: u64, block: u64) -> RtreeLayout {
        let sizes = sizes(writer, blocks, block);
        let mut levels = Vec::with_capacity(sizes.len());
        let mut next = at + HEADER;
        for (k, &(items, nodes, bytes)) in sizes.iter().enumerate().rev() {
            let item = if k == 0 { LEAF_ITEM } else { BRANCH_ITEM };
            levels.push(Level {
                at: next,
                nodes,
                items,
                item,
            });
            next += bytes;
        }
        RtreeLayout {
            writer,
            block,
            blocks,
            levels,
        }
    }

    /// The R-tree header and the root's used bytes.
    pub fn head(&self) -> (u64, u64) {
        let root = self.levels[0];
        (root.at - HEADER, HEADER + 4 + root.items * root.item)
    }

    /// The nodes at [`GUESS_DEPTH`] that hold the blocks of `spans` (genome fractions
    /// `[lo, hi]` in 0..=1, in R-tree order, sorted by `lo`) if blocks spread evenly over
    /// the genome, an eighth of a node either side; none when that level holds leaves.
    pub fn guess(&self, spans: impl IntoIterator<Item = (f64, f64)>) -> Vec<(u64, u64)> {
        let Some(level) = self.levels.get(GUESS_DEPTH) else {
            return Vec::new();
        };
        if level.item != BRANCH_ITEM {
            return Vec::new();
        }
        // Data blocks under one node of this level.
        let depth_below = (self.levels.len() - 1 - GUESS_DEPTH) as u32;
        let per_node = self.block.saturating_pow(depth_below + 1);
        let margin = (per_node / 8) as f64;
        let last = self.blocks.saturating_sub(1) as f64;
        // Spans come by start, so the nodes they name are listed in order, each once.
        let mut nodes: Vec<u64> = Vec::new();
        for (lo, hi) in spans {
            let at = |f: f64, d: f64| (f * self.blocks as f64 + d).clamp(0.0, last) as u64;
            let first = at(lo, -margin) / per_node;
            let end = (at(hi, margin) / per_node).min(level.nodes - 1);
            let mut j = nodes.last().map_or(first, |&n| first.max(n + 1));
            while j <= end {
                nodes.push(j);
                j += 1;
            }
        }
        let full = 4 + self.block * level.item;
        nodes
            .into_iter()
            .map(|j| {
                let count = (level.items - j * self.block).min(self.block);
                (level.at + j * full, 4 + count * level.item)
            })
            .collect()
    }
}

/// Where `(chrom id, base)` keys lie in the genome as fractions of its length, chroms in
/// id order (the R-tree's order); `None` for an id the file does not name.
pub(crate) struct GenomeScale {
    /// `(id, bases before it, length)`, sorted by id.
    chroms: Vec<(u32, u64, u64)>,
    total: u64,
}

impl GenomeScale {
    /// `chroms` in id order (as [`super::BigWig`] holds them), else `None`.
    pub fn new(chroms: &[Chrom]) -> Option<GenomeScale> {
        if !chroms.is_sorted_by_key(|c| c.id) {
            return None;
        }
        let mut before = 0;
        let chroms: Vec<(u32, u64, u64)> = chroms
            .iter()
            .map(|c| {
                let len = u64::from(c.length);
                before += len;
                (c.id, before - len, len)
            })
            .collect();
        (before > 0).then_some(GenomeScale {
            chroms,
            total: before,
        })
    }

    pub fn fraction(&self, (chrom, base): (u32, u32)) -> Option<f64> {
        let i = self.chroms.binary_search_by_key(&chrom, |c| c.0).ok()?;
        let (_, before, len) = self.chroms[i];
        Some((before + u64::from(base).min(len)) as f64 / self.total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two ENCODE-size files of the remote benchmark (bigtools 0.5.8, 256 a node) and
    /// UCSC-written fixtures (data/bigwig: fixedStep.bw, volvox.bw), their sizes as read.
    #[test]
    fn layouts_of_both_writers_come_from_the_index_size() {
        let l = RtreeLayout::infer(1000, 8_286_240, 256, 258_057).unwrap();
        assert_eq!(l.writer, Writer::Compact);
        assert_eq!(l.levels.len(), 3);
        assert_eq!(l.head(), (1000, 48 + 4 + 4 * 24));
        assert_eq!(
            l.levels[1],
            Level {
                at: 1000 + 48 + 100,
                nodes: 4,
                items: 1009,
                item: 24
            }
        );
        assert_eq!(l.levels[2].at, 1000 + 48 + 100 + 3 * 6148 + 4 + 241 * 24);
        // UCSC: root padded to 256 slots, last leaf padded with 24-byte slots.
        let l = RtreeLayout::infer(483_136, 71_004, 256, 1953).unwrap();
        assert_eq!(l.writer, Writer::Ucsc);
        assert_eq!(l.levels[1].at, 483_136 + 6196);
        assert_eq!(l.head(), (483_136, 48 + 4 + 8 * 24));
        let l = RtreeLayout::infer(0, 6588, 256, 49).unwrap();
        assert_eq!((l.writer, l.levels.len()), (Writer::Ucsc, 1));
        // Without zoom levels the file's closing magic follows the index.
        assert!(RtreeLayout::infer(0, 276 + 4, 64, 7).is_some());
        // Sizes no writer makes for the count, and nonsense counts and block sizes.
        for (span, block, blocks) in [
            (8_286_241, 256, 258_057),
            (8_286_240, 256, 258_056),
            (8_286_240, 0, 258_057),
            (8_286_240, 256, 0),
            (u64::MAX, 256, u64::MAX),
            (47, 256, 1),
        ] {
            assert_eq!(RtreeLayout::infer(0, span, block, blocks), None);
        }
    }

    #[test]
    fn every_size_a_writer_makes_gives_back_its_layout() {
        for block in [2, 3, 16, 256] {
            for blocks in (1..3000).chain([65_535, 65_536, 65_537, 258_057]) {
                for writer in [Writer::Compact, Writer::Ucsc] {
                    let span = index_len(writer, blocks, block);
                    let l = RtreeLayout::infer(7, span, block, blocks).unwrap();
                    // Where both writers make the same size (nothing padded: padding comes
                    // in 24-byte slots), they lay out the same nodes.
                    assert_eq!(l.levels, RtreeLayout::new(writer, 7, blocks, block).levels);
                    let leaves = sizes(writer, blocks, block)[0].2;
                    assert_eq!(l.levels.last().unwrap().at + leaves, 7 + span);
                    assert_eq!(l.levels.last().unwrap().items, blocks);
                }
            }
        }
    }

    #[test]
    fn guesses_name_the_depth_1_nodes_under_a_span_with_a_margin() {
        let l = RtreeLayout::infer(0, 8_286_240, 256, 258_057).unwrap();
        let first = 148;
        let full = 6148;
        // 258,057 blocks: 65,536 a node, nodes 0-2 full, node 3 with 241 items.
        assert_eq!(l.guess([(0.1, 0.1)]), vec![(first, full)]);
        assert_eq!(l.guess([(0.6, 0.6)]), vec![(first + 2 * full, full)]);
        assert_eq!(
            l.guess([(1.0, 1.0)]),
            vec![(first + 3 * full, 4 + 241 * 24)]
        );
        // Near a boundary (65,536 / 258,057 = 0.254): both sides.
        assert_eq!(
            l.guess([(0.25, 0.25)]),
            vec![(first, full), (first + full, full)]
        );
        // Spans and several loci: each node once, in order.
        assert_eq!(l.guess([(0.1, 0.1), (0.6, 0.6), (0.62, 0.63)]).len(), 2);
        let nodes = l.guess([(0.0, 0.6), (0.1, 0.1), (0.9, 0.9)]);
        let starts: Vec<u64> = nodes.iter().map(|n| (n.0 - first) / full).collect();
        assert_eq!(starts, [0, 1, 2, 3]);
        assert_eq!(l.guess([(0.0, 1.0)]).len(), 4);
        // Two levels: the depth-1 nodes are leaves, not guessed at.
        let l = RtreeLayout::infer(0, 1_036_312, 256, 32_272).unwrap();
        assert_eq!(l.levels.len(), 2);
        assert!(l.guess([(0.5, 0.5)]).is_empty());
    }

    #[test]
    fn genome_scale_places_keys_by_chrom_id() {
        let c = |id, length| Chrom {
            id,
            name: format!("c{id}"),
            length,
        };
        assert!(GenomeScale::new(&[c(1, 300), c(0, 100)]).is_none());
        let g = GenomeScale::new(&[c(0, 100), c(1, 300)]).unwrap();
        assert_eq!(g.fraction((0, 50)), Some(0.125));
        assert_eq!(g.fraction((1, 0)), Some(0.25));
        assert_eq!(g.fraction((1, 1000)), Some(1.0));
        assert_eq!(g.fraction((2, 0)), None);
        assert!(GenomeScale::new(&[c(0, 0)]).is_none());
    }
}
