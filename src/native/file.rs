use super::io_reason;
use crate::error::{Error, Result};
use crate::source::{Complete, ReadError, Source};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A bigWig file read with positioned reads (`pread`), safe to share across threads.
pub struct FileSource {
    file: File,
    size: u64,
    name: String,
}

impl FileSource {
    pub fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let fail =
            |e: std::io::Error| Error::of_source(&name, format!("cannot open: {}", io_reason(&e)));
        let file = File::open(path).map_err(fail)?;
        let meta = file.metadata().map_err(fail)?;
        if meta.is_dir() {
            return Err(Error::of_source(name, "is a directory, not a bigWig file"));
        }
        Ok(FileSource {
            file,
            size: meta.len(),
            name,
        })
    }
}

impl Complete for FileSource {}

impl Source for FileSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let len = buf.len() as u64;
        if offset.checked_add(len).is_none_or(|end| end > self.size) {
            return Err(ReadError::PastEnd {
                offset,
                len,
                size: self.size,
            });
        }
        self.file.read_exact_at(buf, offset).map_err(|e| {
            ReadError::Failed(format!(
                "read error at byte {offset} of {}: {}",
                self.name,
                io_reason(&e)
            ))
        })
    }
    fn size(&self) -> Option<u64> {
        Some(self.size)
    }
}
