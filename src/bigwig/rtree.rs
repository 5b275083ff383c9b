//! The R-tree index of the full-resolution data: every data block (a leaf) and the
//! genomic span it covers.

use super::cursor::Cursor;
use super::header::{Header, ZoomLevel};
use super::tree::{walk, Shape, TreeBytes};
use super::BwError;
use crate::source::Source;

const CIR_TREE_MAGIC: u32 = 0x2468_ACE0;
/// Read the whole R-tree in one request when it is at most this big.
const WHOLE_INDEX_LIMIT: u64 = 256 << 20;

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

/// Every leaf in tree order, and the bytes read for them. Leaves whose blocks overlap are
/// refused: a writer stores each block once, and leaves sharing bytes would make one
/// block count (and be decoded into the output) many times.
pub(crate) fn read_leaves<S: Source + ?Sized>(
    src: &S,
    h: &Header,
    zooms: &[ZoomLevel],
) -> Result<(Vec<Leaf>, u64), BwError> {
    let at = h.full_index_offset;
    // Where the index ends: the next section after it (a zoom level's data), else the file end.
    let mut end = src.size();
    for z in zooms {
        if z.data_offset > at {
            end = Some(end.map_or(z.data_offset, |e| e.min(z.data_offset)));
        }
    }
    let span = end.filter(|&e| e > at).map(|e| e - at);
    let bytes = TreeBytes::new(src, "R-tree index", at, span, WHOLE_INDEX_LIMIT)?;
    let hb = bytes.get(at, 48)?;
    let mut c = Cursor::new(&hb, h.big_endian);
    if c.u32()? != CIR_TREE_MAGIC {
        return Err(BwError::Invalid("corrupt R-tree index (bad magic)".into()));
    }
    let shape = Shape {
        leaf_item: 32,
        branch_item: 24,
    };
    let mut leaves = Vec::new();
    let budget = src.size().unwrap_or(u64::MAX);
    let visited = walk(
        &bytes,
        at.saturating_add(48),
        h.big_endian,
        &shape,
        budget,
        |item| {
            let mut c = Cursor::new(item, h.big_endian);
            leaves.push(Leaf {
                start_chrom: c.u32()?,
                start_base: c.u32()?,
                end_chrom: c.u32()?,
                end_base: c.u32()?,
                offset: c.u64()?,
                size: c.u64()?,
            });
            Ok(())
        },
    )?;
    check_disjoint(&leaves)?;
    Ok((leaves, bytes.span_len().unwrap_or(48 + visited)))
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
