//! The fixed 64-byte header, the zoom-level headers after it and the total summary.

use super::cursor::Cursor;
use super::{read, BwError};
use crate::source::Source;

const BIGWIG_MAGIC: u32 = 0x888F_FC26;
const BIGBED_MAGIC: u32 = 0x8789_F2EB;

#[derive(Debug, Clone)]
pub struct Header {
    pub big_endian: bool,
    pub version: u16,
    pub chrom_tree_offset: u64,
    pub full_data_offset: u64,
    pub full_index_offset: u64,
    /// The largest a data block inflates to (0: blocks are not compressed).
    pub uncompress_buf_size: u32,
}

#[derive(Debug, Clone)]
pub struct ZoomLevel {
    pub reduction_level: u32,
    pub data_offset: u64,
    pub index_offset: u64,
}

/// The whole file's summary statistics, as the writer recorded them.
#[derive(Debug, Clone, Default)]
pub struct TotalSummary {
    pub bases_covered: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub sum_squares: f64,
}

/// What the start of the file says, and how many bytes that took.
pub(crate) struct Head {
    pub header: Header,
    pub zooms: Vec<ZoomLevel>,
    pub summary: Option<TotalSummary>,
    pub bytes: u64,
}

pub(crate) fn read_head<S: Source + ?Sized>(src: &S) -> Result<Head, BwError> {
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
    let mut bytes = 64u64;

    let zbuf = read(src, 64, zoom_levels as u64 * 24, "zoom headers")?;
    bytes += zbuf.len() as u64;
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
        bytes += 40;
        let mut c = Cursor::new(&b, big_endian);
        Some(TotalSummary {
            bases_covered: c.u64()?,
            min: c.f64()?,
            max: c.f64()?,
            sum: c.f64()?,
            sum_squares: c.f64()?,
        })
    } else {
        None
    };
    Ok(Head {
        header,
        zooms,
        summary,
        bytes,
    })
}
