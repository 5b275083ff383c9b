//! bigWig reading: header, chromosome B+ tree and the full-data R-tree are read once at
//! [`BigWig::open`]; data blocks are located with [`BigWig::blocks`] and decoded by
//! [`block`]. Every read goes through a [`Source`], and a read the source cannot serve yet
//! surfaces as [`BwError::Missing`] so async drivers can fetch and retry.

pub mod block;
mod cursor;

use crate::source::{ReadError, Source};
use cursor::Cursor;

const BIGWIG_MAGIC: u32 = 0x888F_FC26;
const BIGBED_MAGIC: u32 = 0x8789_F2EB;
const CHROM_TREE_MAGIC: u32 = 0x78CA_8C91;
const CIR_TREE_MAGIC: u32 = 0x2468_ACE0;
/// Read the whole R-tree in one request when it is at most this big.
const WHOLE_INDEX_LIMIT: u64 = 256 << 20;

#[derive(Debug, Clone, PartialEq)]
pub enum BwError {
    Missing { offset: u64, len: u64 },
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
        ReadError::Missing { offset, len } => BwError::Missing { offset, len },
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

#[derive(Debug, Clone)]
pub struct Header {
    pub big_endian: bool,
    pub version: u16,
    pub chrom_tree_offset: u64,
    pub full_data_offset: u64,
    pub full_index_offset: u64,
    pub uncompress_buf_size: u32,
}

#[derive(Debug, Clone)]
pub struct ZoomLevel {
    pub reduction_level: u32,
    pub data_offset: u64,
    pub index_offset: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub bases_covered: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub sum_squares: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chrom {
    pub id: u32,
    pub name: String,
    pub length: u32,
}

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

/// An opened bigWig: everything needed to locate data blocks without further index reads.
#[derive(Debug, Clone)]
pub struct BigWig {
    pub header: Header,
    pub zooms: Vec<ZoomLevel>,
    pub summary: Option<Summary>,
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
        let head = read(src, 0, 64, "header").map_err(|e| match e {
            BwError::Invalid(_) => {
                BwError::Invalid("not a bigWig file: shorter than the 64-byte header".into())
            }
            m => m,
        })?;
        let le_magic = u32::from_le_bytes(head[0..4].try_into().unwrap());
        let big_endian = if le_magic == BIGWIG_MAGIC {
            false
        } else if le_magic.swap_bytes() == BIGWIG_MAGIC {
            true
        } else if le_magic == BIGBED_MAGIC || le_magic.swap_bytes() == BIGBED_MAGIC {
            return Err(BwError::Invalid(
                "this is a bigBed file, not a bigWig".into(),
            ));
        } else {
            return Err(BwError::Invalid(format!(
                "not a bigWig file (magic bytes {:02x?})",
                &head[0..4]
            )));
        };
        let mut c = Cursor::new(&head, big_endian);
        c.u32()?;
        let version = c.u16()?;
        let zoom_levels = c.u16()?;
        let chrom_tree_offset = c.u64()?;
        let full_data_offset = c.u64()?;
        let full_index_offset = c.u64()?;
        let _field_count = c.u16()?;
        let _defined_field_count = c.u16()?;
        let _auto_sql_offset = c.u64()?;
        let total_summary_offset = c.u64()?;
        let uncompress_buf_size = c.u32()?;
        let header = Header {
            big_endian,
            version,
            chrom_tree_offset,
            full_data_offset,
            full_index_offset,
            uncompress_buf_size,
        };
        let mut index_bytes = 64u64;

        let zbuf = read(src, 64, zoom_levels as u64 * 24, "zoom headers")?;
        index_bytes += zbuf.len() as u64;
        let mut c = Cursor::new(&zbuf, big_endian);
        let mut zooms = Vec::with_capacity(zoom_levels as usize);
        for _ in 0..zoom_levels {
            let reduction_level = c.u32()?;
            c.u32()?;
            zooms.push(ZoomLevel {
                reduction_level,
                data_offset: c.u64()?,
                index_offset: c.u64()?,
            });
        }
        let summary = if total_summary_offset != 0 {
            let b = read(src, total_summary_offset, 40, "total summary")?;
            index_bytes += 40;
            let mut c = Cursor::new(&b, big_endian);
            Some(Summary {
                bases_covered: c.u64()?,
                min: c.f64()?,
                max: c.f64()?,
                sum: c.f64()?,
                sum_squares: c.f64()?,
            })
        } else {
            None
        };

        let (chroms, n) = read_chroms(src, &header)?;
        index_bytes += n;
        let (leaves, n) = read_leaves(src, &header, &zooms)?;
        index_bytes += n;
        let sorted = leaves.windows(2).all(|w| {
            (w[0].start_chrom, w[0].start_base) <= (w[1].start_chrom, w[1].start_base)
                && (w[0].end_chrom, w[0].end_base) <= (w[1].end_chrom, w[1].end_base)
        });
        Ok(BigWig {
            header,
            zooms,
            summary,
            chroms,
            leaves,
            sorted,
            index_bytes,
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

fn read_chroms<S: Source + ?Sized>(src: &S, h: &Header) -> Result<(Vec<Chrom>, u64), BwError> {
    let b = read(src, h.chrom_tree_offset, 32, "chromosome tree header")?;
    let mut total = 32u64;
    let mut c = Cursor::new(&b, h.big_endian);
    if c.u32()? != CHROM_TREE_MAGIC {
        return Err(BwError::Invalid(
            "corrupt chromosome tree (bad magic)".into(),
        ));
    }
    let _block_size = c.u32()?;
    let key_size = c.u32()? as u64;
    let val_size = c.u32()?;
    let _item_count = c.u64()?;
    if val_size != 8 || key_size == 0 || key_size > 255 {
        return Err(BwError::Invalid(format!(
            "corrupt chromosome tree (key size {key_size}, value size {val_size})"
        )));
    }
    let mut chroms = Vec::new();
    let mut stack = vec![(h.chrom_tree_offset.saturating_add(32), 0u32)];
    // A tree never reaches a node twice; a corrupt one could loop or fan out forever.
    let mut seen = std::collections::HashSet::new();
    while let Some((node, depth)) = stack.pop() {
        if depth > 64 || !seen.insert(node) {
            return Err(BwError::Invalid(
                "corrupt chromosome tree (a node is reached twice)".into(),
            ));
        }
        let nh = read(src, node, 4, "chromosome tree node")?;
        let mut c = Cursor::new(&nh, h.big_endian);
        let is_leaf = c.u8()? != 0;
        c.u8()?;
        let count = c.u16()? as u64;
        let items = read(
            src,
            node.saturating_add(4),
            count * (key_size + 8),
            "chromosome tree node",
        )?;
        total += 4 + items.len() as u64;
        let mut c = Cursor::new(&items, h.big_endian);
        let mut children = Vec::new();
        for _ in 0..count {
            let key = c.bytes(key_size as usize)?;
            let name_len = key.iter().position(|&b| b == 0).unwrap_or(key.len());
            if is_leaf {
                let name = String::from_utf8_lossy(&key[..name_len]).into_owned();
                let id = c.u32()?;
                let length = c.u32()?;
                chroms.push(Chrom { id, name, length });
            } else {
                children.push((c.u64()?, depth + 1));
            }
        }
        // Depth-first, left to right.
        stack.extend(children.into_iter().rev());
    }
    chroms.sort_by_key(|c| c.id);
    Ok((chroms, total))
}

fn read_leaves<S: Source + ?Sized>(
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
    let whole = match end {
        Some(e) if e > at && e - at <= WHOLE_INDEX_LIMIT => {
            Some(read(src, at, e - at, "R-tree index")?)
        }
        _ => None,
    };
    let get = |off: u64, len: u64| -> Result<std::borrow::Cow<'_, [u8]>, BwError> {
        if let Some(w) = &whole {
            let s = off.checked_sub(at).map(|s| s as usize);
            if let Some(b) = s.and_then(|s| w.get(s..s.checked_add(len as usize)?)) {
                return Ok(std::borrow::Cow::Borrowed(b));
            }
        }
        Ok(std::borrow::Cow::Owned(read(
            src,
            off,
            len,
            "R-tree index",
        )?))
    };
    let hb = get(at, 48)?;
    let mut c = Cursor::new(&hb, h.big_endian);
    if c.u32()? != CIR_TREE_MAGIC {
        return Err(BwError::Invalid("corrupt R-tree index (bad magic)".into()));
    }
    let mut leaves = Vec::new();
    let mut read_bytes = 48u64;
    let mut stack = vec![(at.saturating_add(48), 0u32)];
    let mut seen = std::collections::HashSet::new();
    while let Some((node, depth)) = stack.pop() {
        if depth > 64 || !seen.insert(node) {
            return Err(BwError::Invalid(
                "corrupt R-tree index (a node is reached twice)".into(),
            ));
        }
        let nh = get(node, 4)?;
        let mut c = Cursor::new(&nh, h.big_endian);
        let is_leaf = c.u8()? != 0;
        c.u8()?;
        let count = c.u16()? as u64;
        let item = if is_leaf { 32 } else { 24 };
        let items = get(node.saturating_add(4), count * item)?;
        read_bytes += 4 + items.len() as u64;
        let mut c = Cursor::new(&items, h.big_endian);
        let mut children = Vec::new();
        for _ in 0..count {
            let (start_chrom, start_base, end_chrom, end_base) =
                (c.u32()?, c.u32()?, c.u32()?, c.u32()?);
            let offset = c.u64()?;
            if is_leaf {
                let size = c.u64()?;
                leaves.push(Leaf {
                    start_chrom,
                    start_base,
                    end_chrom,
                    end_base,
                    offset,
                    size,
                });
            } else {
                children.push((offset, depth + 1));
            }
        }
        stack.extend(children.into_iter().rev());
    }
    let read_bytes = whole.as_ref().map_or(read_bytes, |w| w.len() as u64);
    Ok((leaves, read_bytes))
}
