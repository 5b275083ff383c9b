//! bigWig reading. [`BigWig::open`] reads the [`header`], the chromosome B+ tree
//! ([`chroms`]) and the full-data R-tree ([`rtree`]), both walked by the one bounded
//! [`tree`] walk ([`BigWig::open_head`] and [`BigWig::read_index`] do it in two steps, so
//! remote sources can read only the index nodes their regions need); data blocks are then located with [`BigWig::blocks`] and decoded by
//! [`block`]. Every read goes through a [`Source`], and bytes the source cannot serve yet
//! surface as [`BwError::Missing`] so async drivers can fetch them and retry.

pub mod block;
pub mod chroms;
mod cursor;
pub mod header;
pub mod rtree;
mod rtree_layout;
mod tree;

pub use chroms::Chrom;
pub use header::{Header, TotalSummary, ZoomLevel};
pub use rtree::{IndexPlan, Leaf, QuerySet};

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

/// An opened bigWig: once its index is read, everything needed to locate data blocks.
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
    /// Whether [`BigWig::read_index`] ran: until then no leaf is known.
    index_read: bool,
}

impl BigWig {
    /// Open the file and read its whole index.
    pub fn open<S: Source + ?Sized>(src: &S) -> Result<BigWig, BwError> {
        let mut bw = BigWig::open_head(src)?;
        bw.read_index(src, IndexPlan::Whole)?;
        Ok(bw)
    }

    /// Read the header and chrom tree only; [`BigWig::read_index`] reads the leaves.
    pub fn open_head<S: Source + ?Sized>(src: &S) -> Result<BigWig, BwError> {
        let head = header::read_head(src)?;
        let (chroms, chrom_bytes) = chroms::read_chroms(src, &head.header)?;
        Ok(BigWig {
            header: head.header,
            zooms: head.zooms,
            summary: head.summary,
            chroms,
            leaves: Vec::new(),
            sorted: true,
            index_bytes: head.bytes + chrom_bytes,
            index_read: false,
        })
    }

    /// Read the leaves `plan` asks for (every call starts over: an async source fails
    /// with [`BwError::Missing`] for a level it lacks, and the retry walks what it holds).
    pub fn read_index<S: Source + ?Sized>(
        &mut self,
        src: &S,
        plan: IndexPlan<'_>,
    ) -> Result<(), BwError> {
        if self.index_read {
            return Ok(());
        }
        let (leaves, index_bytes) =
            rtree::read_leaves(src, &self.header, &self.zooms, &self.chroms, plan)?;
        self.sorted = leaves.windows(2).all(|w| {
            (w[0].start_chrom, w[0].start_base) <= (w[1].start_chrom, w[1].start_base)
                && (w[0].end_chrom, w[0].end_base) <= (w[1].end_chrom, w[1].end_base)
        });
        self.leaves = leaves;
        self.index_bytes += index_bytes;
        self.index_read = true;
        Ok(())
    }

    /// True once [`BigWig::read_index`] read the leaves (all, or those of the queries).
    pub fn index_read(&self) -> bool {
        self.index_read
    }

    /// Bytes of the R-tree index, when its end is known (a source of `size` bytes).
    pub fn index_len(&self, size: Option<u64>) -> Option<u64> {
        rtree::index_end(&self.header, &self.zooms, size).map(|e| e - self.header.full_index_offset)
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
