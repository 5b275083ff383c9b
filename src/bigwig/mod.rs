//! bigWig reading. [`BigWig::open`] reads the [`header`], the chromosome B+ tree
//! ([`chroms`]) and the full-data R-tree ([`rtree`]), both walked by the one bounded
//! [`tree`] walk; data blocks are then located with [`BigWig::blocks`] and decoded by
//! [`block`]. Every read goes through a [`Source`], and bytes the source cannot serve yet
//! surface as [`BwError::Missing`] so async drivers can fetch them and retry.

pub mod block;
pub mod chroms;
mod cursor;
pub mod header;
pub mod rtree;
mod tree;

pub use chroms::Chrom;
pub use header::{Header, TotalSummary, ZoomLevel};
pub use rtree::Leaf;

use crate::source::{ReadError, Source};

#[derive(Debug, Clone, PartialEq)]
pub enum BwError {
    /// Byte ranges `(offset, len)` the source does not hold yet, all that one step lacks.
    Missing(Vec<(u64, u64)>),
    Invalid(String),
}

impl From<String> for BwError {
    fn from(s: String) -> Self {
        BwError::Invalid(s)
    }
}

pub(crate) fn read<S: Source + ?Sized>(
    src: &S,
    offset: u64,
    len: u64,
    what: &str,
) -> Result<Vec<u8>, BwError> {
    check_range(src, offset, len, what)?;
    let mut buf = vec![0u8; len as usize];
    read_into(src, offset, &mut buf, what)?;
    Ok(buf)
}

/// Read into `buf`; callers that allocate `buf` for the read check the range first.
pub(crate) fn read_into<S: Source + ?Sized>(
    src: &S,
    offset: u64,
    buf: &mut [u8],
    what: &str,
) -> Result<(), BwError> {
    src.read_at(offset, buf).map_err(|e| match e {
        ReadError::Missing { offset, len } => BwError::Missing(vec![(offset, len)]),
        ReadError::PastEnd { offset, len, size } => BwError::Invalid(format!(
            "truncated or corrupt file: {what} at bytes {offset}..{} lies past the end ({size} bytes)",
            offset.saturating_add(len)
        )),
        ReadError::Failed(m) => BwError::Invalid(m),
    })
}

/// Reject ranges past the end (when the size is known) before allocating for them, so a
/// corrupt offset or length is an error, not a huge allocation.
pub(crate) fn check_range<S: Source + ?Sized>(
    src: &S,
    offset: u64,
    len: u64,
    what: &str,
) -> Result<(), BwError> {
    let end = offset.checked_add(len);
    match (src.size(), end) {
        (Some(size), Some(end)) if end <= size => Ok(()),
        (Some(size), _) => Err(BwError::Invalid(format!(
            "truncated or corrupt file: {what} at bytes {offset}..{} lies past the end ({size} bytes)",
            offset.saturating_add(len)
        ))),
        (None, Some(_)) if len <= 1 << 31 => Ok(()),
        (None, _) => Err(BwError::Invalid(format!("corrupt file: {what} claims {len} bytes"))),
    }
}

/// An opened bigWig: everything needed to locate data blocks without further index reads.
#[derive(Debug, Clone)]
pub struct BigWig {
    pub header: Header,
    pub zooms: Vec<ZoomLevel>,
    pub summary: Option<TotalSummary>,
    /// In chromosome-id order.
    pub chroms: Vec<Chrom>,
    /// Leaves in R-tree order (file order), as bigtools visits them.
    pub leaves: Vec<Leaf>,
    /// Leaves sorted by start and end, so a binary search finds the first candidate.
    sorted: bool,
    /// Bytes of the header + chrom tree + index that were read to open the file.
    pub index_bytes: u64,
}

impl BigWig {
    pub fn open<S: Source + ?Sized>(src: &S) -> Result<BigWig, BwError> {
        let head = header::read_head(src)?;
        let (chroms, chrom_bytes) = chroms::read_chroms(src, &head.header)?;
        let (leaves, index_bytes) = rtree::read_leaves(src, &head.header, &head.zooms)?;
        let sorted = leaves.windows(2).all(|w| {
            (w[0].start_chrom, w[0].start_base) <= (w[1].start_chrom, w[1].start_base)
                && (w[0].end_chrom, w[0].end_base) <= (w[1].end_chrom, w[1].end_base)
        });
        Ok(BigWig {
            header: head.header,
            zooms: head.zooms,
            summary: head.summary,
            chroms,
            leaves,
            sorted,
            index_bytes: head.bytes + chrom_bytes + index_bytes,
        })
    }

    /// The data blocks that may hold records of `[start, end)` on chrom `chrom_id`, in file
    /// order. Same overlap rule as bigtools (blocks that only touch the query included).
    pub fn blocks(&self, chrom_id: u32, start: u32, end: u32) -> impl Iterator<Item = &Leaf> + '_ {
        let overlaps = move |l: &Leaf| {
            (chrom_id, start) <= (l.end_chrom, l.end_base)
                && (chrom_id, end) >= (l.start_chrom, l.start_base)
        };
        let (first, last) = if self.sorted {
            let first = self
                .leaves
                .partition_point(|l| (l.end_chrom, l.end_base) < (chrom_id, start));
            let last = self
                .leaves
                .partition_point(|l| (l.start_chrom, l.start_base) <= (chrom_id, end));
            (first, last.max(first))
        } else {
            (0, self.leaves.len())
        };
        self.leaves[first..last].iter().filter(move |l| overlaps(l))
    }

    pub fn compressed(&self) -> bool {
        self.header.uncompress_buf_size > 0
    }
}
