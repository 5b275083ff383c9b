//! Where bigWig bytes come from. The core reads only through [`Source::read_at`]; files,
//! in-memory buffers and the wasm range cache implement it.

use std::sync::Arc;

/// Why a read did not return bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    /// The source does not hold these bytes yet; an async driver can fetch them and retry.
    Missing { offset: u64, len: u64 },
    /// The range lies (partly) past the end of the source.
    PastEnd { offset: u64, len: u64, size: u64 },
    /// Any other failure, already worded for the user.
    Failed(String),
}

/// Random access to the bytes of one bigWig.
pub trait Source {
    /// Fill `buf` with the bytes at `[offset, offset + buf.len())`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError>;
    /// Total size in bytes, when known (lets the reader fetch the whole index at once).
    fn size(&self) -> Option<u64>;
}

impl<T: Source + ?Sized> Source for &T {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        (**self).read_at(offset, buf)
    }
    fn size(&self) -> Option<u64> {
        (**self).size()
    }
}

impl<T: Source + ?Sized> Source for Box<T> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        (**self).read_at(offset, buf)
    }
    fn size(&self) -> Option<u64> {
        (**self).size()
    }
}

/// A whole bigWig held in memory.
#[derive(Clone)]
pub struct MemSource(pub Arc<[u8]>);

impl MemSource {
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        MemSource(bytes.into())
    }
}

/// Copy `[offset, offset+buf.len())` out of `bytes`, or say it lies past the end.
pub fn read_slice(bytes: &[u8], offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
    let size = bytes.len() as u64;
    let end = offset.checked_add(buf.len() as u64);
    match end {
        Some(end) if end <= size => {
            buf.copy_from_slice(&bytes[offset as usize..end as usize]);
            Ok(())
        }
        _ => Err(ReadError::PastEnd {
            offset,
            len: buf.len() as u64,
            size,
        }),
    }
}

impl Source for MemSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        read_slice(&self.0, offset, buf)
    }
    fn size(&self) -> Option<u64> {
        Some(self.0.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_source_reads_and_reports_past_end() {
        let s = MemSource::new(vec![1u8, 2, 3, 4]);
        let mut b = [0u8; 2];
        s.read_at(1, &mut b).unwrap();
        assert_eq!(b, [2, 3]);
        assert_eq!(
            s.read_at(3, &mut b),
            Err(ReadError::PastEnd {
                offset: 3,
                len: 2,
                size: 4
            })
        );
        assert!(s.read_at(u64::MAX, &mut b).is_err());
    }
}
