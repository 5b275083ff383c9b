//! Moving a track's bytes for `concat`: one output file gathered from its inputs' files,
//! each read front to back, in runs of any size. Small runs are read through a buffer per
//! input (1 MiB, less with many inputs: [`buffer_size`]) and written straight from those buffers, many runs a system call
//! (`writev`); a large run is handed to the kernel whole (`std::io::copy` between files
//! uses `copy_file_range` on Linux, as `cp` does). Each byte is copied twice at most, so
//! merging costs about what copying the same bytes does.

use std::fs::File;
use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

const BUF: usize = 1 << 20;
/// What the read buffers of all inputs of a concat may take together.
const BUFFERS: usize = 256 << 20;

/// Read buffer per input file when `files` input files are read at once: 1 MiB, down to
/// 128 KiB so that a concat of hundreds of parts stays near [`BUFFERS`]. Not below: the
/// allocator maps buffers this big lazily, so a small part's buffer costs only the pages
/// its bytes fill (smaller ones come zeroed from the heap, every page touched).
pub(super) fn buffer_size(files: usize) -> usize {
    (BUFFERS / files.max(1)).clamp(128 << 10, BUF)
}
/// Runs at least this long skip the buffers.
const BIG: u64 = 128 << 10;
/// Slices a `writev` takes (Linux's IOV_MAX).
const IOV: usize = 1024;

/// An input file read front to back.
struct Src {
    file: File,
    /// The next byte to take.
    pos: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`, and how many bytes of `buf` hold data.
    start: u64,
    len: usize,
}

/// One output file and its inputs.
pub(super) struct Gather {
    srcs: Vec<Src>,
    out: File,
    buf: usize,
    /// Runs taken but not written yet: (input, start in its buffer, length).
    pending: Vec<(usize, usize, usize)>,
}

impl Gather {
    /// `buf`: read buffer per input ([`buffer_size`]).
    pub fn new(srcs: Vec<File>, out: File, buf: usize) -> Self {
        Gather {
            srcs: srcs
                .into_iter()
                .map(|file| Src {
                    file,
                    pos: 0,
                    buf: Vec::new(),
                    start: 0,
                    len: 0,
                })
                .collect(),
            out,
            buf,
            pending: Vec::new(),
        }
    }

    /// The next `n` bytes of input `src` to the output; an error if that input ends first.
    pub fn take(&mut self, src: usize, mut n: u64) -> io::Result<()> {
        while n > 0 {
            let s = &mut self.srcs[src];
            if s.pos >= s.start && s.pos < s.start + s.len as u64 {
                let at = (s.pos - s.start) as usize;
                let take = n.min((s.len - at) as u64) as usize;
                s.pos += take as u64;
                n -= take as u64;
                match self.pending.last_mut() {
                    Some((i, from, len)) if *i == src && *from + *len == at => *len += take,
                    _ => self.pending.push((src, at, take)),
                }
                if self.pending.len() == IOV {
                    self.flush()?;
                }
                continue;
            }
            // What is pending may point into the buffer about to be refilled.
            self.flush()?;
            let s = &mut self.srcs[src];
            if n >= BIG {
                (&s.file).seek(SeekFrom::Start(s.pos))?;
                let got = io::copy(&mut (&s.file).take(n), &mut &self.out)?;
                s.pos += got;
                if got != n {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                return Ok(());
            }
            if s.buf.is_empty() {
                s.buf = vec![0; self.buf];
            }
            let got = s.file.read_at(&mut s.buf, s.pos)?;
            if got == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            (s.start, s.len) = (s.pos, got);
        }
        Ok(())
    }

    /// Write what is pending.
    pub fn flush(&mut self) -> io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = self
            .pending
            .iter()
            .map(|&(i, at, len)| IoSlice::new(&self.srcs[i].buf[at..at + len]))
            .collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match (&self.out).write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.pending.clear();
        Ok(())
    }

    /// The inputs in `used` with bytes past what was taken.
    pub fn leftover(&self, used: &[bool]) -> Option<usize> {
        self.srcs
            .iter()
            .zip(used)
            .position(|(s, &u)| u && s.file.metadata().map_or(true, |m| m.len() > s.pos))
    }
}
