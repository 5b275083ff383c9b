//! The chromosome B+ tree: contig names, ids and lengths.

use super::cursor::Cursor;
use super::header::Header;
use super::tree::{walk, Shape, TreeBytes, Visit};
use super::BwError;
use crate::source::Source;

const CHROM_TREE_MAGIC: u32 = 0x78CA_8C91;
/// The chrom tree is read in one request when its extent is known and at most this big.
const WHOLE_TREE_LIMIT: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chrom {
    pub id: u32,
    pub name: String,
    pub length: u32,
}

/// Every chromosome in id order, and the bytes read for them.
pub(crate) fn read_chroms<S: Source + ?Sized>(
    src: &S,
    h: &Header,
) -> Result<(Vec<Chrom>, u64), BwError> {
    let at = h.chrom_tree_offset;
    // Writers put the chrom tree right before the data: read that span whole when it is
    // known, so an async source needs one round, not one per node. When that takes a
    // round of its own, the data's 8-byte block count comes along, for the R-tree's first
    // lazy round (rtree_layout.rs).
    let size = src.size();
    let span = size
        .filter(|&s| h.full_data_offset > at && h.full_data_offset <= s)
        .map(|_| h.full_data_offset - at);
    let bytes = match (
        TreeBytes::new(src, "chromosome tree", at, span, WHOLE_TREE_LIMIT),
        span.zip(size),
    ) {
        // `span` is known only when the data starts within the file.
        (Err(BwError::Missing(_)), Some((span, size))) if size - h.full_data_offset >= 8 => {
            return Err(BwError::Missing(vec![(at, span + 8)]));
        }
        (r, _) => r?,
    };
    let b = bytes.get(at, 32)?;
    let mut c = Cursor::new(&b, h.big_endian);
    if c.u32()? != CHROM_TREE_MAGIC {
        return Err(BwError::Invalid(
            "corrupt chromosome tree (bad magic)".into(),
        ));
    }
    let _block_size = c.u32()?;
    let key_size = c.u32()? as u64;
    let val_size = c.u32()?;
    let item_count = c.u64()?;
    if val_size != 8 || key_size == 0 || key_size > 255 {
        return Err(BwError::Invalid(format!(
            "corrupt chromosome tree (key size {key_size}, value size {val_size})"
        )));
    }
    let shape = Shape {
        leaf_item: key_size + 8,
        branch_item: key_size + 8,
    };
    let mut visit = ChromItems {
        chroms: Vec::new(),
        item_count,
        key_size: key_size as usize,
        big_endian: h.big_endian,
    };
    let budget = src.size().unwrap_or(u64::MAX);
    let visited = walk(
        &bytes,
        at.saturating_add(32),
        (),
        h.big_endian,
        &shape,
        budget,
        &mut visit,
    )?;
    let chroms = crate::sort::by_u64_key(visit.chroms, |c| c.id.into());
    Ok((chroms, bytes.span_len().unwrap_or(32 + visited)))
}

/// Every leaf item is a chromosome; every branch is descended.
struct ChromItems {
    chroms: Vec<Chrom>,
    item_count: u64,
    key_size: usize,
    big_endian: bool,
}

impl Visit for ChromItems {
    type Ctx = ();

    fn branch(&mut self, _item: &[u8], _ctx: ()) -> Result<Option<()>, BwError> {
        Ok(Some(()))
    }

    fn leaf(&mut self, item: &[u8], _ctx: ()) -> Result<(), BwError> {
        if self.chroms.len() as u64 >= self.item_count {
            return Err(BwError::Invalid(format!(
                "corrupt chromosome tree (more than the {} chromosomes its header declares)",
                self.item_count
            )));
        }
        let key = &item[..self.key_size];
        let name_len = key.iter().position(|&b| b == 0).unwrap_or(key.len());
        let mut c = Cursor::new(&item[self.key_size..], self.big_endian);
        self.chroms.push(Chrom {
            id: c.u32()?,
            name: String::from_utf8_lossy(&key[..name_len]).into_owned(),
            length: c.u32()?,
        });
        Ok(())
    }
}
