//! Hostile inputs and faults through the library and the binary: crafted tree bombs, zlib
//! bombs and shared blocks are refused cheaply; errors mid-export (a corrupt block, a full
//! disk) end the export at any thread count instead of hanging it; signals and a directory
//! in the way leave no partial output; stale temporary files of dead processes are unordered.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod craft;

use bigwig_npy::bigwig::block::BlockReader;
use bigwig_npy::bigwig::BigWig;
use bigwig_npy::MemSource;
use common::bin;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn open_err(bytes: Vec<u8>) -> String {
    match BigWig::open(&MemSource::new(bytes)) {
        Ok(bw) => panic!("opened, with {} leaves", bw.leaves.len()),
        Err(e) => format!("{e:?}"),
    }
}

/// Wait for `child`, killing it after `limit`: a hang fails the test instead of the suite.
fn finish(mut child: Child, limit: Duration, what: &str) -> Output {
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > limit {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "{what}: still running after {limit:?} (hang); stderr: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn rtree_dag_bomb_is_refused_within_the_file_size() {
    let bomb = craft::rtree_bomb();
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let e = open_err(bomb);
    assert!(
        e.contains("corrupt R-tree index (its nodes add up to more than the file's"),
        "{e}"
    );
}

#[test]
fn chrom_tree_dag_bomb_is_refused_within_the_file_size() {
    let e = open_err(craft::chrom_tree_bomb());
    assert!(
        e.contains("corrupt chromosome tree (its nodes add up to more than the file's"),
        "{e}"
    );
}

#[test]
fn depth_is_reported_as_depth() {
    assert!(BigWig::open(&MemSource::new(craft::deep_rtree(60))).is_ok());
    let e = open_err(craft::deep_rtree(100));
    assert!(
        e.contains("corrupt R-tree index (deeper than 64 levels)"),
        "{e}"
    );
}

#[test]
fn leaves_sharing_a_block_are_refused() {
    assert!(BigWig::open(&MemSource::new(craft::shared_block(1))).is_ok());
    let e = open_err(craft::shared_block(100_000));
    assert!(e.contains("overlap"), "{e}");
}

#[test]
fn zlib_bomb_inflates_no_further_than_the_header_allows() {
    let bytes = craft::zlib_bomb(64 << 20, 1 << 16);
    assert!(bytes.len() < 128 << 10, "{} bytes", bytes.len());
    let src = MemSource::new(bytes);
    let bw = BigWig::open(&src).unwrap();
    let e = BlockReader::new()
        .read(&src, &bw, &bw.leaves[0])
        .unwrap_err();
    assert!(
        format!("{e:?}").contains("inflates past the 65536 bytes the header allows"),
        "{e:?}"
    );
    // A header that lies big too: deflate's 1032:1 bound caps the buffer (here at 66 MB
    // for a 64 KB block), so the block decodes within it.
    let src = MemSource::new(craft::zlib_bomb(64 << 20, u32::MAX));
    let bw = BigWig::open(&src).unwrap();
    assert!(BlockReader::new().read(&src, &bw, &bw.leaves[0]).is_ok());
}

#[test]
fn crafted_files_fail_the_cli_with_one_line_naming_them() {
    let t = tempfile::tempdir().unwrap();
    let bed = t.path().join("r.bed");
    std::fs::write(&bed, "chr1\t0\t1000\n").unwrap();
    for (name, bytes, want) in [
        ("rtree_bomb.bw", craft::rtree_bomb(), "nodes overlap"),
        ("chrom_bomb.bw", craft::chrom_tree_bomb(), "nodes overlap"),
        ("deep.bw", craft::deep_rtree(100), "deeper than 64 levels"),
        ("shared.bw", craft::shared_block(1000), "overlap"),
        ("zbomb.bw", craft::zlib_bomb(8 << 20, 4096), "inflates past"),
    ] {
        let src = t.path().join(name);
        std::fs::write(&src, bytes).unwrap();
        let out = t.path().join("out");
        let child = bin()
            .args(["export", "--quiet", "--regions"])
            .arg(&bed)
            .arg("--out")
            .arg(&out)
            .arg(&src)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let o = finish(child, Duration::from_secs(60), name);
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.starts_with(&format!("error: {}: ", src.display())),
            "{name}: {err}"
        );
        assert!(err.contains(want), "{name}: {err}");
        assert!(!out.exists(), "{name}: no output directory");
    }
}

/// Two sources (the second with its last block destroyed) and 12,000 regions of 1 kbp:
/// region `bad_line` reads the broken block, halfway through, with 28 MB of output around.
struct Faulty {
    _dir: tempfile::TempDir,
    good: PathBuf,
    bad: PathBuf,
    bed: PathBuf,
    root: PathBuf,
}

fn faulty(bad_line: usize) -> Faulty {
    let dir = tempfile::tempdir().unwrap();
    let blocks: Vec<Vec<(u32, u32, f32)>> = (0..10u32)
        .map(|b| {
            (0..1000u32)
                .map(|i| {
                    let s = b * 10_000 + i * 10;
                    (s, s + 10, (b * 1000 + i) as f32)
                })
                .collect()
        })
        .collect();
    let good = craft::valid(&blocks);
    let bw = BigWig::open(&MemSource::new(good.clone())).unwrap();
    let last = bw.leaves[9];
    let mut bad = good.clone();
    bad[last.offset as usize..(last.offset + last.size) as usize].fill(0xff);
    let mut bed = String::new();
    for i in 0..12_000 {
        let s = if i + 1 == bad_line {
            90_000
        } else {
            (i * 37) % 80_000
        };
        bed.push_str(&format!("chr1\t{s}\t{}\n", s + 1000));
    }
    let root = dir.path().to_path_buf();
    let (g, b, r) = (
        root.join("good.bw"),
        root.join("bad.bw"),
        root.join("r.bed"),
    );
    std::fs::write(&g, good).unwrap();
    std::fs::write(&b, bad).unwrap();
    std::fs::write(&r, bed).unwrap();
    Faulty {
        _dir: dir,
        good: g,
        bad: b,
        bed: r,
        root,
    }
}

/// Run an export that must fail: exit 1 within a minute, one line, no files left.
fn fails(f: &Faulty, args: &[&str], file_limit_kb: Option<u64>, want: &str) {
    let out = f.root.join(format!("out-{}", args.join("_")));
    let mut cmd = match file_limit_kb {
        // A full disk: writes past the limit fail with EFBIG (SIGXFSZ ignored).
        Some(kb) => {
            let mut c = Command::new("bash");
            c.args([
                "-c",
                &format!("trap '' XFSZ; ulimit -f {kb}; exec \"$@\""),
                "bash",
            ])
            .arg(env!("CARGO_BIN_EXE_bigwig-npy"));
            c
        }
        None => bin(),
    };
    cmd.args(["export", "--quiet", "--regions"])
        .arg(&f.bed)
        .arg("--out")
        .arg(&out)
        .args(args)
        .arg(&f.good)
        .arg(&f.bad)
        .stderr(Stdio::piped());
    let what = format!("{args:?} limit {file_limit_kb:?}");
    let o = finish(cmd.spawn().unwrap(), Duration::from_secs(60), &what);
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    assert!(err.contains(want), "{what}: {err}");
    assert!(!out.exists(), "{what}: left {:?}", hidden_files(&out));
}

#[test]
fn a_corrupt_block_mid_export_fails_at_any_thread_count() {
    let f = faulty(6000);
    for threads in ["1", "2", "8"] {
        for budget in [None, Some("4096")] {
            let mut args = vec!["--threads", threads];
            if let Some(b) = budget {
                args.extend(["--staging-budget", b]);
            }
            let want = format!("{}: corrupt compressed data block", f.bad.display());
            fails(&f, &args, None, &want);
        }
    }
}

#[test]
fn a_full_disk_mid_export_fails_at_any_thread_count() {
    let f = faulty(0);
    for threads in ["1", "2", "8"] {
        for budget in [None, Some("4096")] {
            let mut args = vec!["--threads", threads];
            if let Some(b) = budget {
                args.extend(["--staging-budget", b]);
            }
            fails(&f, &args, Some(2048), "File too large");
        }
    }
}

#[test]
fn signals_mid_export_remove_the_partial_files() {
    let f = faulty(0);
    // 200,000 regions of 10 kbp: about 480 MB of output, several seconds to write.
    let bed = f.root.join("big.bed");
    let mut text = String::new();
    for i in 0..200_000u32 {
        let s = (i * 37) % 80_000;
        text.push_str(&format!("chr1\t{s}\t{}\n", s + 10_000));
    }
    std::fs::write(&bed, text).unwrap();
    for (sig, code) in [("INT", 130), ("TERM", 143)] {
        let out = f.root.join(format!("sig-{sig}"));
        let child = bin()
            .args(["export", "--quiet", "--threads", "2", "--regions"])
            .arg(&bed)
            .arg("--out")
            .arg(&out)
            .arg(&f.good)
            .arg(&f.good)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Signal once output is being written.
        let t0 = Instant::now();
        let partial = out.join(format!(".intervals.npy.partial-{}", child.id()));
        while std::fs::metadata(&partial).map_or(0, |m| m.len()) < 1 << 20 {
            assert!(t0.elapsed() < Duration::from_secs(60), "no output written");
            std::thread::sleep(Duration::from_millis(2));
        }
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let o = finish(child, Duration::from_secs(60), sig);
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(code), "{sig}: {err}");
        assert!(err.contains("unfinished output removed"), "{err}");
        assert!(!out.exists(), "{sig}: left {:?}", hidden_files(&out));
    }
}

#[test]
fn stale_partial_files_of_dead_processes_are_swept() {
    let f = faulty(0);
    let out = f.root.join("out");
    std::fs::create_dir(&out).unwrap();
    let pid_max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .map_or(4_194_304, |s| s.trim().parse().unwrap());
    let dead = pid_max + 1;
    let mine = std::process::id();
    let stale = [
        format!(".intervals.npy.partial-{dead}"),
        format!(".offsets.npy.partial-{dead}-a1b2c3"),
        format!(".bigwig-npy-spill-{dead}"),
    ];
    let kept = [
        format!(".offsets.npy.partial-{mine}"),
        "notes.txt".to_string(),
    ];
    for n in stale.iter().chain(&kept) {
        std::fs::write(out.join(n), b"x").unwrap();
    }
    let o = bin()
        .args(["export", "--quiet", "--regions"])
        .arg(&f.bed)
        .arg("--out")
        .arg(&out)
        .arg(&f.good)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut left = hidden_files(&out);
    left.sort();
    let mut want: Vec<String> = kept.to_vec();
    want.extend(["intervals.npy".into(), "offsets.npy".into()]);
    want.sort();
    assert_eq!(left, want);
}

#[test]
fn a_directory_in_the_way_replaces_no_file() {
    let f = faulty(0);
    let out = f.root.join("out");
    let run = || {
        bin()
            .args(["export", "--quiet", "--regions"])
            .arg(&f.bed)
            .arg("--out")
            .arg(&out)
            .arg(&f.good)
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let before = std::fs::read(out.join("intervals.npy")).unwrap();
    std::fs::remove_file(out.join("offsets.npy")).unwrap();
    std::fs::create_dir(out.join("offsets.npy")).unwrap();
    // A different export: had intervals.npy been renamed first, it would now differ.
    std::fs::write(&f.bed, "chr1\t0\t10\n").unwrap();
    let o = run();
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("offsets.npy: cannot move output into place: a directory is in the way"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("intervals.npy")).unwrap(), before);
    let mut left = hidden_files(&out);
    left.sort();
    assert_eq!(left, ["intervals.npy", "offsets.npy"]);
}
