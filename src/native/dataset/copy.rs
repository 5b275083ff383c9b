//! Moving a track's bytes for `concat`: each input file is read front to back and the
//! output written front to back, in runs of any size. Small runs go through buffers (a
//! read of 1 MiB serves many of them); a large run is handed to the kernel whole
//! (`std::io::copy` between files uses `copy_file_range` on Linux, as `cp` does), so
//! merging costs about what copying the same bytes does.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

const BUF: usize = 1 << 20;
/// Runs at least this long skip the buffers.
const BIG: u64 = 128 << 10;

/// An input file read front to back.
pub(super) struct Src {
    file: File,
    /// The next byte to take.
    pos: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`, and how many bytes of `buf` hold data.
    start: u64,
    len: usize,
}

impl Src {
    pub fn new(file: File) -> Self {
        Src {
            file,
            pos: 0,
            buf: vec![0; BUF],
            start: 0,
            len: 0,
        }
    }

    /// The next `n` bytes into `out`; an error if the file ends first.
    pub fn copy_to(&mut self, mut n: u64, out: &mut Dst) -> io::Result<()> {
        while n > 0 {
            if self.pos >= self.start && self.pos < self.start + self.len as u64 {
                let at = (self.pos - self.start) as usize;
                let take = n.min((self.len - at) as u64) as usize;
                out.write(&self.buf[at..at + take])?;
                self.pos += take as u64;
                n -= take as u64;
                continue;
            }
            if n >= BIG {
                out.flush()?;
                (&self.file).seek(SeekFrom::Start(self.pos))?;
                let got = io::copy(&mut (&self.file).take(n), &mut &out.file)?;
                self.pos += got;
                if got != n {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                return Ok(());
            }
            let got = self.file.read_at(&mut self.buf, self.pos)?;
            if got == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            (self.start, self.len) = (self.pos, got);
        }
        Ok(())
    }

    /// Whether bytes remain past what was taken.
    pub fn has_more(&self) -> io::Result<bool> {
        Ok(self.file.metadata()?.len() > self.pos)
    }
}

/// An output file written front to back.
pub(super) struct Dst {
    file: File,
    buf: Vec<u8>,
}

impl Dst {
    pub fn new(file: File) -> Self {
        Dst {
            file,
            buf: Vec::with_capacity(BUF),
        }
    }

    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if self.buf.len() + data.len() > BUF {
            self.flush()?;
        }
        if data.len() >= BUF {
            return (&self.file).write_all(data);
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        (&self.file).write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}
