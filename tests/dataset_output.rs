//! `bigwig-npy dataset` writing its output: `--overwrite` replaces only a dataset and only
//! when asked, a failure late in the last track keeps the previous dataset, a missing parent
//! is created and removed again on failure, signals remove the staging directory. The
//! comparisons with GenVarLoader and bad input are in `tests/dataset.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::bigwig::BigWig;
use bigwig_npy::MemSource;
use common::dataset::*;
use common::gvl::*;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn overwrite_replaces_only_a_dataset_and_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("x.gvl");
    let gvl = gvl_dir().join("named_bed6/dataset.gvl");
    assert!(named_bed6(t, &out, &[]).status.success());
    assert_same_dataset(&out, &gvl, "first write");
    // Mark it, to see whether it was replaced.
    std::fs::write(out.join("mark"), "old").unwrap();

    let again = args(
        &gvl_dir().join("named_bed6/regions.bed"),
        "x.gvl",
        &[format!("sig={}", t.join("s.tsv").display())],
        &[],
    );
    let f = fail(t, &again);
    assert!(
        f.ends_with("x.gvl: already exists; pass --overwrite to replace it"),
        "{f}"
    );
    assert!(out.join("mark").exists());

    let o = named_bed6(t, &out, &["--overwrite"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_dataset(&out, &gvl, "overwritten");
    // Nothing but the dataset and the inputs next to it: no staging or set-aside copy.
    let mut names: Vec<String> = std::fs::read_dir(t)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["s.tsv", "x.gvl"]);

    // Not a dataset: never replaced, even with --overwrite.
    let notes = t.join("notes");
    std::fs::create_dir(&notes).unwrap();
    std::fs::write(notes.join("todo.txt"), "keep me").unwrap();
    let mut a = again.clone();
    a[3] = "notes".into();
    a.push("--overwrite".into());
    let f = fail(t, &a);
    assert!(
        f.ends_with("notes: is not a GenVarLoader dataset (no metadata.json); not replacing it"),
        "{f}"
    );
    a[3] = "notes/todo.txt".into();
    let f = fail(t, &a);
    assert!(
        f.ends_with("notes/todo.txt: exists and is not a directory; not replacing it"),
        "{f}"
    );
    // An empty directory may be replaced.
    std::fs::create_dir(t.join("empty")).unwrap();
    assert!(named_bed6(t, &t.join("empty"), &["--overwrite"])
        .status
        .success());
    assert_same_dataset(&t.join("empty"), &gvl, "into an empty directory");
}

#[test]
fn a_failure_late_in_the_last_track_keeps_the_previous_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("x.gvl");
    assert!(named_bed6(t, &out, &[]).status.success());
    let before = files_under(&out);
    let bytes: Vec<Vec<u8>> = before
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    // Track b's third bigWig has a corrupt last data block: the failure comes after track
    // a, regions.npy and the Arrow file are in the staging directory.
    let orig = std::fs::read(bigwig("seed_2.bw")).unwrap();
    let leaf = *BigWig::open(&MemSource::new(orig.clone()))
        .unwrap()
        .leaves
        .last()
        .unwrap();
    let mut bad = orig;
    for i in 0..16 {
        bad[(leaf.offset + leaf.size / 2) as usize + i] ^= 0x5a;
    }
    std::fs::write(t.join("corrupt.bw"), bad).unwrap();
    let mut seed = seed_rows();
    seed[2].1 = t.join("corrupt.bw");
    let b = table(t, "b.tsv", &rows(&seed));
    let a = t.join("s.tsv");
    for threads in ["1", "2"] {
        let f = fail(
            t,
            &args(
                &gvl_dir().join("named_bed6/regions.bed"),
                "x.gvl",
                &[format!("a={}", a.display()), format!("b={}", b.display())],
                &["--overwrite", "--threads", threads],
            ),
        );
        assert!(
            f.starts_with("error: track 'b': ")
                && f.contains(&format!(
                    "corrupt.bw: corrupt compressed data block at offset {}",
                    leaf.offset
                ))
                && f.contains("(while reading ")
                && f.contains("regions.bed line "),
            "{f}"
        );
        assert_eq!(files_under(&out), before);
        let after: Vec<Vec<u8>> = before
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap())
            .collect();
        assert!(after == bytes, "the previous dataset is unchanged");
    }
}

#[test]
fn a_missing_parent_is_created_and_removed_again_on_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("a/b/x.gvl");
    assert!(named_bed6(t, &out, &[]).status.success());
    assert_same_dataset(&out, &gvl_dir().join("named_bed6/dataset.gvl"), "nested");
    let o = named_bed6(t, &t.join("c/d/x.gvl"), &["--max-mem", "1k"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!t.join("c").exists(), "created parents are removed");
}

#[test]
fn signals_mid_dataset_remove_the_staging_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // 20,000 regions of 10 kbp over 3 samples: about 350 MB, seconds to write.
    let mut text = String::new();
    for i in 0..20_000u32 {
        let s = (i * 37) % 180_000;
        text.push_str(&format!("chr21\t{s}\t{}\n", s + 10_000));
    }
    let bed = write(t, "big.bed", &text);
    let good = table(t, "s.tsv", &rows(&seed_rows()));
    for (sig, code) in [("INT", 130), ("TERM", 143)] {
        let out = t.join(format!("sig-{sig}.gvl"));
        let child = bin()
            .args(["dataset", "--quiet", "--threads", "2", "--regions"])
            .arg(&bed)
            .arg("--out")
            .arg(&out)
            .arg("--track")
            .arg(format!("sig={}", good.display()))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The staging directory is `.NAME.partial-PID-TAG`.
        let prefix = format!(".sig-{sig}.gvl.partial-{}-", child.id());
        let partial = || {
            let staging = std::fs::read_dir(t).unwrap().flatten().find(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&prefix) && !n.ends_with(".owner"))
            })?;
            Some(
                staging
                    .path()
                    .join(format!("intervals/sig/.starts.npy.partial-{}", child.id())),
            )
        };
        let t0 = Instant::now();
        while partial()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len())
            < 1 << 20
        {
            assert!(t0.elapsed() < Duration::from_secs(60), "no output written");
            std::thread::sleep(Duration::from_millis(2));
        }
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let mut child = child;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{sig}: still running a minute later");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(code), "{sig}: {err}");
        assert!(err.contains("unfinished output removed"), "{err}");
        assert!(
            !out.exists() && hidden(t).is_empty(),
            "{sig}: left {:?}",
            hidden(t)
        );
    }
}
