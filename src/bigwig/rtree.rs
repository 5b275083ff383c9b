//! The R-tree index of the full-resolution data: every data block (a leaf) and the
//! genomic span it covers.
//!
//! Local files read it whole. Remote ones with a large index and few regions read it
//! lazily ([`IndexPlan::Queries`]): one round per tree level, descending only into the
//! branches whose bounds overlap some query, so a locus in a 1-3 GB file costs a few
//! nodes, not a 5-10 MB index. Either way a child must lie within its parent's bounds,
//! so both ways find the same leaves for a query.

use super::chroms::Chrom;
use super::cursor::Cursor;
use super::header::{Header, ZoomLevel};
use super::rtree_layout::{self, GenomeScale, RtreeLayout};
use super::tree::{walk, Shape, TreeBytes, Visit};
use super::BwError;
use crate::reads::{coalesce, REQUEST_COST};
use crate::source::Source;

const CIR_TREE_MAGIC: u32 = 0x2468_ACE0;
/// Read the whole R-tree in one request when it is at most this big.
const WHOLE_INDEX_LIMIT: u64 = 256 << 20;
pub(super) const HEADER: u64 = 48;
pub(super) const LEAF_ITEM: u64 = 32;
pub(super) const BRANCH_ITEM: u64 = 24;
/// The block size UCSC's and bigtools' writers use (libBigWig: 64), for guesses before the
/// header.
const USUAL_BLOCK_SIZE: u64 = 256;

/// One R-tree leaf: a data block and the genomic span it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    pub start_chrom: u32,
    pub start_base: u32,
    pub end_chrom: u32,
    pub end_base: u32,
    pub offset: u64,
    pub size: u64,
}

/// A position in the genome as the R-tree orders it: (chrom id, base).
type Key = (u32, u32);

/// Which leaves to read.
#[derive(Clone, Copy)]
pub enum IndexPlan<'q> {
    /// Every leaf, in as few reads as the source allows.
    Whole,
    /// The leaves under branches that overlap some query, a level per round. When a
    /// level would read more than half the index, the rest is read whole instead, unless
    /// `strict` (tests pin the lazy walk itself with it).
    Queries { queries: &'q QuerySet, strict: bool },
}

/// Queries `(chrom, start, end)` answering "does any overlap these bounds" in O(log n),
/// with the overlap rule of [`super::BigWig::blocks`] (blocks that only touch included).
#[derive(Debug, Default, Clone)]
pub struct QuerySet {
    /// Query starts, sorted.
    starts: Vec<Key>,
    /// `ends_max[i]`: the largest end among the queries of `starts[..=i]`.
    ends_max: Vec<Key>,
}

impl QuerySet {
    pub fn new(queries: impl IntoIterator<Item = (u32, u32, u32)>) -> Self {
        // (start, end) keys as u64 (chrom in the high half: the same order), so that they
        // sort as the pairs of crate::sort.
        let key = |c: u32, p: u32| u64::from(c) << 32 | u64::from(p);
        let mut q: Vec<(u64, u64)> = queries
            .into_iter()
            .map(|(c, s, e)| (key(c, s), key(c, e)))
            .collect();
        q.sort_unstable();
        let unkey = |k: u64| ((k >> 32) as u32, k as u32);
        let mut ends_max = Vec::with_capacity(q.len());
        let mut most = 0;
        for &(_, e) in &q {
            most = most.max(e);
            ends_max.push(unkey(most));
        }
        QuerySet {
            starts: q.into_iter().map(|(s, _)| unkey(s)).collect(),
            ends_max,
        }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Every query's start with the largest end of the queries up to it (its own end or
    /// further: enough for guesses), by start.
    pub fn spans(&self) -> impl Iterator<Item = (Key, Key)> + '_ {
        self.starts
            .iter()
            .copied()
            .zip(self.ends_max.iter().copied())
    }

    /// True when some query `q` has `q.start <= hi` and `q.end >= lo`.
    pub fn overlaps(&self, lo: Key, hi: Key) -> bool {
        let n = self.starts.partition_point(|&s| s <= hi);
        n > 0 && self.ends_max[n - 1] >= lo
    }
}

/// Where the index ends: the next section after it (a zoom level's data), else the file
/// end. `None` when neither is known.
pub(crate) fn index_end(h: &Header, zooms: &[ZoomLevel], size: Option<u64>) -> Option<u64> {
    let at = h.full_index_offset;
    let mut end = size;
    for z in zooms {
        if z.data_offset > at {
            end = Some(end.map_or(z.data_offset, |e| e.min(z.data_offset)));
        }
    }
    end.filter(|&e| e > at)
}

/// The leaves `plan` asks for, in tree order, and the bytes read for them. Leaves whose
/// blocks overlap are refused: a writer stores each block once, and leaves sharing bytes
/// would make one block count (and be decoded into the output) many times. `chroms` (in
/// id order) place the queries in the genome for the first round's guesses.
pub(crate) fn read_leaves<S: Source + ?Sized>(
    src: &S,
    h: &Header,
    zooms: &[ZoomLevel],
    chroms: &[Chrom],
    plan: IndexPlan<'_>,
) -> Result<(Vec<Leaf>, u64), BwError> {
    let at = h.full_index_offset;
    let end = index_end(h, zooms, src.size());
    let span = end.map(|e| e - at);
    let lazy = match plan {
        IndexPlan::Whole => None,
        IndexPlan::Queries { queries, strict } => Some((queries, strict)),
    };
    // Whole: one read of the span when it is known. Lazy: node by node, as the walk asks.
    let whole_span = if lazy.is_some() { None } else { span };
    let bytes = TreeBytes::new(src, "R-tree index", at, whole_span, WHOLE_INDEX_LIMIT)?;
    let hb = match bytes.get(at, HEADER) {
        Ok(hb) => hb,
        Err(BwError::Missing(_)) if lazy.is_some() => {
            let queries = lazy.map(|(q, _)| q);
            let blocks = block_count(src, h);
            return Err(BwError::Missing(first_round(
                at, end, blocks, chroms, queries,
            )));
        }
        Err(e) => return Err(e),
    };
    let mut c = Cursor::new(&hb, h.big_endian);
    if c.u32()? != CIR_TREE_MAGIC {
        return Err(BwError::Invalid("corrupt R-tree index (bad magic)".into()));
    }
    let block_size = c.u32()? as u64;
    let item_count = c.u64()?;
    let shape = Shape {
        leaf_item: LEAF_ITEM,
        branch_item: BRANCH_ITEM,
    };
    let mut visit = Leaves {
        leaves: Vec::new(),
        queries: lazy.map(|(q, _)| q),
        big_endian: h.big_endian,
        guess: NodeGuess::new(block_size, item_count),
        end,
    };
    let budget = src.size().unwrap_or(u64::MAX);
    let walked = walk(
        &bytes,
        at.saturating_add(HEADER),
        None,
        h.big_endian,
        &shape,
        budget,
        &mut visit,
    );
    let visited = match (walked, lazy, span) {
        (Ok(v), _, _) => v,
        // The next level is read as its nodes or as the whole index, whichever costs less
        // by what is known now (this level's nodes, the index's size): bytes fetched (gaps
        // the read planner bridges included) plus each request counted as REQUEST_COST
        // bytes.
        (Err(BwError::Missing(m)), Some((_, false)), Some(span)) if span <= WHOLE_INDEX_LIMIT => {
            let whole = span + REQUEST_COST;
            return Err(BwError::Missing(if level_cost(&m) >= whole {
                vec![(at, span)]
            } else {
                m
            }));
        }
        (Err(e), _, _) => return Err(e),
    };
    let leaves = visit.leaves;
    check_disjoint(&leaves)?;
    Ok((leaves, bytes.span_len().unwrap_or(HEADER + visited)))
}

/// What a lazy walk asks for first: the header and the root in one round (a guess at the
/// root's size). When the index's size and the data's block count give its layout away
/// ([`RtreeLayout`]), the root exactly and, in the same round, the depth-1 branch nodes
/// the queries likely fall under, by their place in the genome: a locus in an ENCODE-size
/// file then takes one round fewer whenever the guess holds, and a wrong guess costs a
/// node's bytes, not a round. (A file of another layout whose size and count fit one of
/// the formulas by chance would cost a round for its root, no wrong byte.)
fn first_round(
    at: u64,
    end: Option<u64>,
    blocks: Option<u64>,
    chroms: &[Chrom],
    queries: Option<&QuerySet>,
) -> Vec<(u64, u64)> {
    let layout = end
        .zip(blocks)
        .and_then(|(e, n)| RtreeLayout::infer(at, e - at, USUAL_BLOCK_SIZE, n));
    let Some(layout) = layout else {
        let len = HEADER + 4 + USUAL_BLOCK_SIZE * BRANCH_ITEM;
        return vec![(at, within_index(end, at, len).max(HEADER))];
    };
    let mut ranges = vec![layout.head()];
    if let (Some(scale), Some(queries)) = (GenomeScale::new(chroms), queries) {
        let spans = queries
            .spans()
            .filter_map(|(lo, hi)| Some((scale.fraction(lo)?, scale.fraction(hi)?)));
        ranges.extend(layout.guess(spans));
    }
    ranges
}

/// The count of data blocks writers put at the start of the data section (64 bits, UCSC
/// and bigtools alike), when the source holds it already (the head's read holds it for
/// files with few contigs, the chrom tree's own read for the others).
fn block_count<S: Source + ?Sized>(src: &S, h: &Header) -> Option<u64> {
    let b = super::read(src, h.full_data_offset, 8, "data").ok()?;
    Cursor::new(&b, h.big_endian).u64().ok()
}

/// What reading `nodes` costs: their bytes as the read planner would fetch them (ranges
/// within [`crate::reads::COALESCE_GAP`] merged) plus [`REQUEST_COST`] per request.
fn level_cost(nodes: &[(u64, u64)]) -> u64 {
    let mut sorted = nodes.to_vec();
    sorted.sort_unstable();
    let runs = coalesce(&sorted);
    runs.iter().map(|r| r.1).sum::<u64>() + runs.len() as u64 * REQUEST_COST
}

/// `len` bytes from `from`, cut at the index's `end` when known: a guess never asks for
/// bytes of the next section.
fn within_index(end: Option<u64>, from: u64, len: u64) -> u64 {
    end.map_or(len, |e| len.min(e.saturating_sub(from)))
}

/// Guesses a node's size from the header, so a level is one round, not two: writers
/// build the tree bottom up with `block_size` items per node, so leaves sit at the
/// bottom level (depth known from the item count) and nodes are mostly full. A wrong
/// guess costs one more round, never a wrong result.
struct NodeGuess {
    block_size: u64,
    /// Depth of the leaf level.
    leaf_depth: usize,
}

impl NodeGuess {
    fn new(block_size: u64, items: u64) -> Self {
        let block_size = if (2..=u16::MAX as u64).contains(&block_size) {
            block_size
        } else {
            USUAL_BLOCK_SIZE
        };
        NodeGuess {
            block_size,
            leaf_depth: rtree_layout::leaf_depth(items, block_size),
        }
    }

    fn len(&self, depth: usize) -> u64 {
        let item = if depth >= self.leaf_depth {
            LEAF_ITEM
        } else {
            BRANCH_ITEM
        };
        4 + self.block_size * item
    }
}

/// Collects leaves, descending into the branches the queries overlap (all without
/// queries), and checks that every item lies within its parent's bounds.
struct Leaves<'q> {
    leaves: Vec<Leaf>,
    queries: Option<&'q QuerySet>,
    big_endian: bool,
    guess: NodeGuess,
    end: Option<u64>,
}

/// The bounds a node's items must lie within (`None` for the root).
type Bounds = Option<(Key, Key)>;

fn within(parent: Bounds, lo: Key, hi: Key) -> Result<(), BwError> {
    match parent {
        Some((plo, phi)) if lo < plo || hi > phi => Err(BwError::Invalid(format!(
            "corrupt R-tree index (an item spanning chrom {}:{} to {}:{} lies outside its node's bounds {}:{} to {}:{})",
            lo.0, lo.1, hi.0, hi.1, plo.0, plo.1, phi.0, phi.1
        ))),
        _ => Ok(()),
    }
}

impl Visit for Leaves<'_> {
    type Ctx = Bounds;

    fn branch(&mut self, item: &[u8], parent: Bounds) -> Result<Option<Bounds>, BwError> {
        let mut c = Cursor::new(item, self.big_endian);
        let lo = (c.u32()?, c.u32()?);
        let hi = (c.u32()?, c.u32()?);
        within(parent, lo, hi)?;
        let wanted = self.queries.is_none_or(|q| q.overlaps(lo, hi));
        Ok(wanted.then_some(Some((lo, hi))))
    }

    fn leaf(&mut self, item: &[u8], parent: Bounds) -> Result<(), BwError> {
        let mut c = Cursor::new(item, self.big_endian);
        let leaf = Leaf {
            start_chrom: c.u32()?,
            start_base: c.u32()?,
            end_chrom: c.u32()?,
            end_base: c.u32()?,
            offset: c.u64()?,
            size: c.u64()?,
        };
        within(
            parent,
            (leaf.start_chrom, leaf.start_base),
            (leaf.end_chrom, leaf.end_base),
        )?;
        self.leaves.push(leaf);
        Ok(())
    }

    fn read_len(&self, depth: usize, offset: u64) -> u64 {
        let len = self.guess.len(depth);
        self.end.map_or(len, |e| len.min(e.saturating_sub(offset)))
    }
}

fn check_disjoint(leaves: &[Leaf]) -> Result<(), BwError> {
    let mut spans: Vec<(u64, u64)> = leaves.iter().map(|l| (l.offset, l.size)).collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        let ((a, n), (b, _)) = (w[0], w[1]);
        if a.saturating_add(n) > b || a == b {
            return Err(BwError::Invalid(format!(
                "corrupt R-tree index (the data blocks at bytes {a} and {b} overlap)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A level costs its bytes as fetched (gaps within 4 KiB bridged) plus 4 KiB a request:
    /// 1000 leaf nodes of 8 KiB, one in four, cost more than an 8 MiB index read whole;
    /// a run of neighbours, or a few scattered nodes, less.
    #[test]
    fn a_level_costs_its_bytes_and_requests() {
        assert_eq!(level_cost(&[(100, 50), (0, 50)]), 150 + REQUEST_COST);
        assert_eq!(level_cost(&[(0, 50), (10_000, 50)]), 100 + 2 * REQUEST_COST);
        let node = 4 + 256 * 32;
        let whole = (8 << 20) + REQUEST_COST;
        let scattered: Vec<(u64, u64)> = (0..1000).map(|k| (k * 4 * node, node)).collect();
        assert!(level_cost(&scattered) >= whole);
        let run: Vec<(u64, u64)> = (0..1000).map(|k| (k * node, node)).collect();
        assert!(level_cost(&run) < whole);
        assert!(level_cost(&scattered[..100]) < whole);
    }

    #[test]
    fn query_set_finds_overlaps_by_the_blocks_rule() {
        let q = QuerySet::new([(1, 100, 200), (1, 500, 600), (3, 0, 10)]);
        assert!(q.overlaps((1, 150), (1, 160)));
        assert!(q.overlaps((1, 200), (1, 300))); // touching counts
        assert!(!q.overlaps((1, 201), (1, 499)));
        assert!(q.overlaps((0, 5), (2, 0))); // spans chroms
        assert!(!q.overlaps((2, 0), (2, 1 << 30)));
        assert!(q.overlaps((2, 5), (3, 0)));
        assert!(!q.overlaps((3, 11), (9, 0)));
        assert!(!QuerySet::new([]).overlaps((0, 0), (u32::MAX, u32::MAX)));
        // An empty query (start past a chrom's end) still follows the rule.
        let q = QuerySet::new([(1, 900, 800)]);
        assert!(q.overlaps((1, 700), (1, 950)));
        assert!(!q.overlaps((1, 850), (1, 950)));
        assert!(!q.overlaps((1, 700), (1, 899)));
    }

    #[test]
    fn node_guess_follows_bottom_up_trees() {
        // 32,768 leaves, 256 a node: 128 leaf nodes under one root.
        let g = NodeGuess::new(256, 32_768);
        assert_eq!(g.leaf_depth, 1);
        assert_eq!(g.len(0), 4 + 256 * 24);
        assert_eq!(g.len(1), 4 + 256 * 32);
        assert_eq!(NodeGuess::new(256, 200).leaf_depth, 0);
        assert_eq!(NodeGuess::new(256, 300_000).leaf_depth, 2);
        assert_eq!(NodeGuess::new(0, 300_000).block_size, 256); // nonsense header
        assert_eq!(NodeGuess::new(1, u64::MAX).block_size, 256);
    }
}
