use super::io_reason;
use crate::error::{Error, Result};
use crate::layout::{Format, Layout, TrackWriter};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An export's files under temporary names in the output directory, renamed into place by
/// [`OutputDir::commit`] only when everything was written. Dropped uncommitted, it removes
/// them, so a failed export never leaves files that look complete.
pub struct OutputDir {
    pub dir: PathBuf,
    pub writer: TrackWriter,
    files: Vec<(PathBuf, PathBuf, BufWriter<File>)>,
    /// Directories this export created, deepest first: removed again if it fails.
    created: Vec<PathBuf>,
    committed: bool,
}

impl OutputDir {
    pub fn create(dir: &Path, layout: Layout, format: Format) -> Result<Self> {
        let fail = |what: &Path, e: std::io::Error| {
            Error::Output(format!(
                "{}: cannot write output: {}",
                what.display(),
                io_reason(&e)
            ))
        };
        let created: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        let writer = TrackWriter::new(layout, format);
        let mut me = OutputDir {
            dir: dir.to_path_buf(),
            writer,
            files: Vec::new(),
            created,
            committed: false,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
        for (i, f) in layout.files().iter().enumerate() {
            let final_path = dir.join(f.name);
            let temp = dir.join(format!(".{}.partial-{}", f.name, std::process::id()));
            let file = File::create(&temp).map_err(|e| fail(&temp, e))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            // Room for the header, written once the counts are known.
            w.write_all(&vec![0u8; me.writer.header_len(i)])
                .map_err(|e| fail(&temp, e))?;
            me.files.push((final_path, temp, w));
        }
        Ok(me)
    }

    /// Write out what the track writer has buffered.
    pub fn drain(&mut self) -> Result<()> {
        let files = &mut self.files;
        self.writer.drain(|i, bytes| {
            files[i].2.write_all(bytes).map_err(|e| {
                Error::Output(format!(
                    "{}: cannot write output: {}",
                    files[i].1.display(),
                    io_reason(&e)
                ))
            })
        })
    }

    /// Finish headers, flush, and rename every file into place.
    pub fn commit(mut self) -> Result<()> {
        self.drain()?;
        let headers = self.writer.headers();
        for ((_, temp, w), header) in self.files.iter_mut().zip(&headers) {
            let fail = |e: std::io::Error| {
                Error::Output(format!(
                    "{}: cannot write output: {}",
                    temp.display(),
                    io_reason(&e)
                ))
            };
            w.flush().map_err(fail)?;
            if !header.is_empty() {
                let f = w.get_mut();
                f.seek(SeekFrom::Start(0)).map_err(fail)?;
                f.write_all(header).map_err(fail)?;
            }
        }
        for (final_path, temp, _) in &self.files {
            std::fs::rename(temp, final_path).map_err(|e| {
                Error::Output(format!(
                    "{}: cannot move output into place: {}",
                    final_path.display(),
                    io_reason(&e)
                ))
            })?;
        }
        self.committed = true;
        Ok(())
    }

    /// Scratch space for the reorder spill: a file in the output directory, unlinked at
    /// once so it never outlives the process.
    pub fn scratch_file(&self) -> Result<File> {
        let path = self
            .dir
            .join(format!(".bigwig-npy-spill-{}", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| {
                Error::Output(format!(
                    "{}: cannot create scratch file: {}",
                    path.display(),
                    io_reason(&e)
                ))
            })?;
        let _ = std::fs::remove_file(&path);
        Ok(f)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            for (_, temp, _) in &self.files {
                let _ = std::fs::remove_file(temp);
            }
            // Only empty directories go; anything else someone put there stays.
            for d in &self.created {
                let _ = std::fs::remove_dir(d);
            }
        }
    }
}
