//! `concat`: what `gvl.concat` writes for datasets of tracks. The core plans (which
//! input's cells go where, every check GenVarLoader makes); here the bytes move. Every
//! input's track files are read once front to back and the output written front to back,
//! through buffers of a fixed size (large runs go through the kernel's copy), so memory
//! does not grow with the datasets: only the regions (~50 bytes each) are held.

use super::super::atomic::{check_target, commit_all, Staging};
use super::super::{io_reason, write_error};
use super::copy::{buffer_size, Gather};
use super::update::track_dirs;
use crate::atomic::Role;
use crate::dataset::concat::{part_order, Axis, ConcatInput, ConcatPlan, Run};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcatSummary {
    pub regions: u64,
    pub samples: usize,
    pub tracks: usize,
    pub annot: usize,
    pub bytes: u64,
}

const BUF: usize = 1 << 20;

fn read(dir: &Path, f: &str) -> Result<Vec<u8>> {
    let p = dir.join(f);
    std::fs::read(&p).map_err(|e| {
        Error::input(
            if e.kind() == std::io::ErrorKind::NotFound && f == "metadata.json" {
                format!(
                    "{}: not a GenVarLoader dataset (no metadata.json)",
                    dir.display()
                )
            } else {
                format!("{}: cannot read: {}", p.display(), io_reason(&e))
            },
        )
    })
}

fn load(dir: &Path) -> Result<ConcatInput> {
    if !dir.is_dir() {
        return Err(Error::input(format!(
            "{}: not a directory (expected a GenVarLoader dataset)",
            dir.display()
        )));
    }
    ConcatInput::new(
        &dir.display().to_string(),
        &read(dir, "metadata.json")?,
        &read(dir, "regions.npy")?,
        &read(dir, "input_regions.arrow")?,
        track_dirs(dir, "intervals")?,
        track_dirs(dir, "annot_intervals")?,
        dir.join("genotypes").exists(),
    )
}

/// Merge the datasets `inputs` along `axis` into `out`.
pub fn concat_datasets(
    inputs: &[PathBuf],
    axis: Axis,
    out: &Path,
    overwrite: bool,
) -> Result<ConcatSummary> {
    check_target(out, Role::Dataset, overwrite, "--overwrite")?;
    if let Ok(o) = out.canonicalize() {
        if let Some(i) = inputs
            .iter()
            .find(|i| i.canonicalize().is_ok_and(|c| c == o))
        {
            return Err(Error::input(format!(
                "{}: the output is one of the inputs; write the merged dataset elsewhere",
                i.display()
            )));
        }
    }
    let mut loaded = inputs.iter().map(|d| load(d)).collect::<Result<Vec<_>>>()?;
    // Parts of a sharded job merge in their order, however they were given.
    let order = part_order(&loaded, axis)?;
    let inputs: Vec<PathBuf> = order.iter().map(|&d| inputs[d].clone()).collect();
    let mut taken: Vec<Option<ConcatInput>> = loaded.drain(..).map(Some).collect();
    let loaded: Vec<ConcatInput> = order.iter().filter_map(|&d| taken[d].take()).collect();
    let plan = ConcatPlan::new(&loaded, axis)?;
    let files = plan.format.track_files();
    // Every input's track files hold exactly what its offsets say, before a byte moves.
    let mut sources = Vec::new();
    for (kind, names, per_sample) in [
        ("intervals", &plan.tracks, true),
        ("annot_intervals", &plan.annot, false),
    ] {
        for name in names {
            let dirs: Vec<PathBuf> = inputs.iter().map(|d| d.join(kind).join(name)).collect();
            for (d, (dir, &(r, s))) in dirs.iter().zip(&plan.shapes).enumerate() {
                let cells = if per_sample { r * s } else { r };
                check_track(dir, files, cells)
                    .map_err(|e| Error::input(format!("{}: {e}", inputs[d].display())))?;
            }
            sources.push((kind, name, per_sample, dirs));
        }
    }
    if axis == Axis::Samples {
        for (_, _, per_sample, dirs) in &sources {
            if !per_sample {
                same_files(dirs, files)?;
            }
        }
    }

    // A track is merged with every input's offsets and data files open at once.
    let open_at_once = inputs.len() * files.len();
    open_files(open_at_once)?;
    let buf = buffer_size(open_at_once);

    let stage = Staging::create(out, Role::Dataset)?;
    let mut bytes = 0u64;
    let put = |name: &str, data: &[u8]| stage.put(name, data);
    bytes += put("input_regions.arrow", &plan.input_regions_arrow)?;
    bytes += put("regions.npy", &plan.regions_npy)?;
    for (kind, name, per_sample, dirs) in &sources {
        let dst = stage.dir.join(kind).join(name);
        std::fs::create_dir_all(&dst).map_err(|e| write_error(&stage.shown(&dst), e))?;
        let runs: Box<dyn Iterator<Item = Run>> = if *per_sample {
            Box::new(plan.track_runs())
        } else {
            Box::new(plan.annot_runs())
        };
        bytes += merge_track(dirs, &dst, &stage.shown(&dst), files, runs, buf)?;
    }
    bytes += put("metadata.json", &plan.metadata.to_json())?;
    commit_all(vec![stage], overwrite, "--overwrite")?;
    Ok(ConcatSummary {
        regions: plan.n_regions(),
        samples: plan.metadata.samples.len(),
        tracks: plan.tracks.len(),
        annot: plan.annot.len(),
        bytes,
    })
}

/// Make room for `n` more open files: the soft limit is raised towards the hard one (often
/// 1024 of 4096+ on clusters); past the hard one, a one-line error before anything is
/// written.
fn open_files(n: usize) -> Result<()> {
    let want = n as u64 + 64;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write and read the one struct they are given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 || lim.rlim_cur >= want {
        return Ok(());
    }
    let raised = libc::rlimit {
        rlim_cur: want.min(lim.rlim_max),
        rlim_max: lim.rlim_max,
    };
    // SAFETY: as above.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 && raised.rlim_cur >= want {
        return Ok(());
    }
    Err(Error::input(format!(
        "concat: {n} track files must be open at once, over this process's limit of {} open files (ulimit -n); merge fewer parts at a time, or raise the limit",
        lim.rlim_max.max(lim.rlim_cur)
    )))
}

/// The first and last of `n` i64 offsets in `path`.
fn end_offsets(path: &Path, n: u64) -> std::io::Result<(i64, i64)> {
    use std::os::unix::fs::FileExt;
    let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
    let f = File::open(path)?;
    f.read_exact_at(&mut a, 0)?;
    f.read_exact_at(&mut b, (n - 1) * 8)?;
    Ok((i64::from_le_bytes(a), i64::from_le_bytes(b)))
}

/// A track directory's files have the sizes its `cells` offsets say.
fn check_track(dir: &Path, files: &[(&str, u64)], cells: u64) -> Result<()> {
    let rel = |f: &str| {
        let kind = dir.parent().and_then(|p| p.file_name()).unwrap_or_default();
        let track = dir.file_name().unwrap_or_default();
        Path::new(kind).join(track).join(f).display().to_string()
    };
    let size = |f: &str| {
        std::fs::metadata(dir.join(f))
            .map(|m| m.len())
            .map_err(|e| Error::input(format!("{}: {}", rel(f), io_reason(&e))))
    };
    let offsets = size("offsets.npy")?;
    if offsets != (cells + 1) * 8 {
        return Err(Error::input(format!(
            "{}: {offsets} bytes, expected {} ({} offsets for the dataset's shape)",
            rel("offsets.npy"),
            (cells + 1) * 8,
            cells + 1
        )));
    }
    let (first, last) = end_offsets(&dir.join("offsets.npy"), cells + 1)
        .map_err(|e| Error::input(format!("{}: {}", rel("offsets.npy"), io_reason(&e))))?;
    if first != 0 {
        return Err(Error::input(format!(
            "{}: starts at {first}, not 0",
            rel("offsets.npy")
        )));
    }
    for &(f, item) in &files[..files.len() - 1] {
        let have = size(f)?;
        if last < 0 || have != last as u64 * item {
            return Err(Error::input(format!(
                "{}: {have} bytes, but offsets.npy ends at {last} intervals ({} bytes)",
                rel(f),
                last.max(0) as u64 * item
            )));
        }
    }
    Ok(())
}

/// Along samples, annotation tracks are copied from the first input: every input must
/// hold the same bytes (`gvl.concat` compares fingerprints; here every byte).
fn same_files(dirs: &[PathBuf], files: &[(&str, u64)]) -> Result<()> {
    for &(f, _) in files {
        let first = &dirs[0].join(f);
        for d in &dirs[1..] {
            let other = d.join(f);
            let open = |p: &Path| {
                File::open(p)
                    .map(|f| BufReader::with_capacity(BUF, f))
                    .map_err(|e| Error::input(format!("{}: {}", p.display(), io_reason(&e))))
            };
            let (mut a, mut b) = (open(first)?, open(&other)?);
            let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
            loop {
                let n = read_full(&mut a, &mut x)
                    .map_err(|e| Error::input(format!("{}: {}", first.display(), io_reason(&e))))?;
                let m = read_full(&mut b, &mut y)
                    .map_err(|e| Error::input(format!("{}: {}", other.display(), io_reason(&e))))?;
                if n != m || x[..n] != y[..m] {
                    return Err(Error::input(format!(
                        "{}: differs from {}; along samples, annotation tracks must be the same in every input",
                        other.display(),
                        first.display()
                    )));
                }
                if n == 0 {
                    break;
                }
            }
        }
    }
    Ok(())
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Merge one track: for each run, its cells' offsets (rebased) and data bytes. Returns
/// the bytes written.
fn merge_track(
    dirs: &[PathBuf],
    dst: &Path,
    shown: &Path,
    files: &[(&str, u64)],
    runs: impl Iterator<Item = Run>,
    buf: usize,
) -> Result<u64> {
    let data_files = &files[..files.len() - 1];
    let open = |p: PathBuf| {
        File::open(&p).map_err(|e| Error::input(format!("{}: {}", p.display(), io_reason(&e))))
    };
    let create = |f: &str| File::create(dst.join(f)).map_err(|e| write_error(&shown.join(f), e));
    let offsets_of = |d: &PathBuf| d.join("offsets.npy");
    // Each input's offsets, read front to back, and where its next cell starts.
    let mut offsets = Vec::new();
    let mut at = Vec::new();
    for d in dirs {
        let mut r = BufReader::with_capacity(buf, open(offsets_of(d))?);
        let mut b = [0u8; 8];
        r.read_exact(&mut b)
            .map_err(|e| Error::input(format!("{}: {}", offsets_of(d).display(), io_reason(&e))))?;
        offsets.push(r);
        at.push(i64::from_le_bytes(b));
    }
    let mut data = data_files
        .iter()
        .map(|(f, _)| {
            let srcs = dirs
                .iter()
                .map(|d| open(d.join(f)))
                .collect::<Result<_>>()?;
            Ok(Gather::new(srcs, create(f)?, buf))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out_offsets = BufWriter::with_capacity(BUF, create("offsets.npy")?);
    let mut merged = 0i64;
    let mut written = 8u64;
    let fail_out = |f: &str, e| write_error(&shown.join(f), e);
    out_offsets
        .write_all(&0i64.to_le_bytes())
        .map_err(|e| fail_out("offsets.npy", e))?;
    let mut used = vec![false; dirs.len()];
    for run in runs {
        let d = run.src;
        used[d] = true;
        let corrupt =
            |why: String| Error::input(format!("{}: {why}", offsets_of(&dirs[d]).display()));
        let first = at[d];
        let mut b = [0u8; 8];
        for _ in 0..run.cells {
            offsets[d]
                .read_exact(&mut b)
                .map_err(|e| corrupt(format!("ends early: {}", io_reason(&e))))?;
            let next = i64::from_le_bytes(b);
            if next < at[d] {
                return Err(corrupt(format!("offsets decrease ({} then {next})", at[d])));
            }
            merged += next - at[d];
            at[d] = next;
            out_offsets
                .write_all(&merged.to_le_bytes())
                .map_err(|e| fail_out("offsets.npy", e))?;
        }
        written += run.cells * 8;
        let n = (at[d] - first) as u64;
        for (g, (f, item)) in data.iter_mut().zip(data_files) {
            g.take(d, n * item)
                .map_err(|e| moving(&dirs[d], shown, f, e))?;
            written += n * item;
        }
    }
    // Every input the plan took from was read to its end: it took each of its cells once.
    for (d, r) in offsets.iter_mut().enumerate() {
        let mut rest = [0u8; 1];
        let more = used[d] && r.read(&mut rest).unwrap_or(0) > 0;
        if let Some(d) = more
            .then_some(d)
            .or_else(|| data.iter().find_map(|g| g.leftover(&used)))
        {
            return Err(Error::input(format!(
                "{}: holds more than the merge took (changed while merging?)",
                dirs[d].display()
            )));
        }
    }
    for (g, (f, _)) in data.iter_mut().zip(data_files) {
        g.flush().map_err(|e| fail_out(f, e))?;
    }
    out_offsets
        .flush()
        .map_err(|e| fail_out("offsets.npy", e))?;
    Ok(written)
}

/// A failed move of `f` from the input track `src` to `dst`.
fn moving(src: &Path, dst: &Path, f: &str, e: std::io::Error) -> Error {
    use std::io::ErrorKind::*;
    if e.kind() == UnexpectedEof {
        Error::input(format!(
            "{}: ends early (changed while merging?)",
            src.join(f).display()
        ))
    } else if matches!(
        e.kind(),
        StorageFull | FileTooLarge | QuotaExceeded | WriteZero
    ) {
        // Only writes fail this way: the output is what the user must make room for.
        write_error(&dst.join(f), e)
    } else {
        // A read or a write failed: name both sides.
        Error::Output(format!(
            "{}: cannot merge into {}: {}",
            src.join(f).display(),
            dst.join(f).display(),
            io_reason(&e)
        ))
    }
}
