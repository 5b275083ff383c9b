//! The `bigwig-npy` binary: a normal export, `info`, and every kind of bad input. Bad
//! input must end in one `error:` line naming the input, a non-zero exit, no panic, and no
//! output files (an earlier export in the same directory stays intact).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::bigwig::BigWig;
use bigwig_npy::MemSource;
use common::*;
use std::path::{Path, PathBuf};

struct Failure {
    line: String,
}

/// Run an export expected to fail; check the contract and return the error line.
fn fail(out: &Path, regions: &Path, sources: &[&Path], extra: &[&str]) -> Failure {
    let before = if out.exists() { read_dir(out) } else { vec![] };
    let o = bin()
        .args(["export", "--regions"])
        .arg(regions)
        .arg("--out")
        .arg(out)
        .args(extra)
        .args(sources)
        .output()
        .unwrap();
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "exit code for: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let after = if out.exists() { read_dir(out) } else { vec![] };
    assert_eq!(after, before, "the output directory is unchanged: {stderr}");
    Failure {
        line: stderr.trim_end().to_string(),
    }
}

fn bw(name: &str) -> PathBuf {
    data().join("bigwig").join(name)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn export_writes_npy_files_and_a_summary() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("nested/out");
    let o = bin()
        .args(["export", "--regions"])
        .arg(data().join("seed/regions.bed"))
        .arg("--out")
        .arg(&out)
        .args(["--threads", "2"])
        .args((0..8).map(|i| data().join(format!("seed/sample_{i}.bw"))))
        .output()
        .unwrap();
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("exported 2000 regions x 8 samples: 3914218 intervals, 47.1 MB to "),
        "{stderr}"
    );
    let files = read_dir(&out);
    assert_eq!(
        files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["intervals.npy", "offsets.npy"]
    );
    let (_, n, _) = parse_npy(file(&files, "intervals.npy"));
    assert_eq!(n, 3914218);
}

#[test]
fn quiet_gzip_bed_and_soa() {
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(data().join("cases/volvox/regions.bed")).unwrap())
        .unwrap();
    let bed = write(t.path(), "r.bed.gz", &gz.finish().unwrap());
    let out = t.path().join("o");
    let o = bin()
        .args([
            "export",
            "-q",
            "--layout",
            "soa",
            "--format",
            "raw",
            "--regions",
        ])
        .arg(&bed)
        .arg("--out")
        .arg(&out)
        .arg(bw("volvox.bw"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(o.stderr.is_empty() && o.stdout.is_empty());
    assert_eq!(read_dir(&out).len(), 4);
}

#[test]
fn info_shows_contigs_zooms_and_records() {
    let o = bin().arg("info").arg(bw("volvox.bw")).output().unwrap();
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(o.status.success());
    assert!(s.contains("contigs: 1\n  ctgA\t50001\n"), "{s}");
    assert!(s.contains("zoom levels: "));
    assert!(s.contains("records: "));
    let o = bin()
        .arg("info")
        .arg(data().join("seed/regions.bed"))
        .output()
        .unwrap();
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        e.starts_with("error: ") && e.contains("regions.bed: not a bigWig file"),
        "{e}"
    );
}

#[test]
fn bad_sources() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let bed = write(t.path(), "r.bed", b"ctgA\t0\t1000\n");

    let missing = t.path().join("nope.bw");
    let f = fail(&out, &bed, &[&bw("volvox.bw"), &missing], &[]);
    assert!(
        f.line
            .ends_with("nope.bw: cannot open: No such file or directory"),
        "{}",
        f.line
    );

    let f = fail(&out, &bed, &[&bed], &[]);
    assert!(
        f.line
            .ends_with("r.bed: not a bigWig file: shorter than the 64-byte header"),
        "{}",
        f.line
    );
    let text = data().join("seed/regions.bed");
    let f = fail(&out, &bed, &[&text], &[]);
    assert!(
        f.line
            .contains("regions.bed: not a bigWig file (magic bytes [63, 68, 72, 32])"),
        "{}",
        f.line
    );

    let orig = std::fs::read(bw("volvox.bw")).unwrap();
    let truncated = write(t.path(), "truncated.bw", &orig[..orig.len() / 2]);
    let f = fail(&out, &bed, &[&truncated], &[]);
    assert!(
        f.line.contains("truncated.bw: truncated or corrupt file:"),
        "{}",
        f.line
    );

    let bwi = BigWig::open(&MemSource::new(orig.clone())).unwrap();
    let leaf = bwi.leaves[0];
    let mut bad = orig.clone();
    for i in 0..16 {
        bad[(leaf.offset + leaf.size / 2) as usize + i] ^= 0x5a;
    }
    let corrupt = write(t.path(), "corrupt.bw", &bad);
    let f = fail(&out, &bed, &[&bw("volvox.bw"), &corrupt], &[]);
    assert!(
        f.line.contains(&format!(
            "corrupt.bw: corrupt compressed data block at offset {}",
            leaf.offset
        )) && f.line.contains("r.bed line 1 (ctgA:0-1000)"),
        "{}",
        f.line
    );

    let dir_as_source = t.path();
    let f = fail(&out, &bed, &[dir_as_source], &[]);
    assert!(f.line.contains("is a directory"), "{}", f.line);
    assert!(!out.exists());
}

#[test]
fn contigs_that_do_not_resolve() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let bed = write(
        t.path(),
        "r.bed",
        b"ctgA\t0\t10\n# fine so far\nchrZ\t5\t10\n",
    );
    let f = fail(&out, &bed, &[&bw("volvox.bw")], &[]);
    assert!(
        f.line
            .contains("r.bed line 3 (chrZ:5-10): contig 'chrZ' not found in source 0 ("),
        "{}",
        f.line
    );
    assert!(f.line.ends_with("volvox.bw), which has ctgA"), "{}", f.line);

    // A file with both "1" and "chr1": the contig "1" matches twice.
    let mut b = std::fs::read(bw("gvl_sample_0.bw")).unwrap();
    let at = b.windows(4).position(|w| w == b"chr2").unwrap();
    b[at..at + 4].copy_from_slice(b"1\0\0\0");
    let amb = write(t.path(), "ambiguous.bw", &b);
    let bed = write(t.path(), "one.bed", b"1\t0\t10\n");
    let f = fail(&out, &bed, &[&amb], &[]);
    assert!(
        f.line
            .contains("one.bed line 1 (1:0-10): contig '1' is ambiguous in source 0 ("),
        "{}",
        f.line
    );
    assert!(
        f.line.ends_with("ambiguous.bw): it matches 'chr1' and '1'"),
        "{}",
        f.line
    );
}

#[test]
fn bad_regions() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let src = bw("volvox.bw");
    let cases: &[(&[u8], &str)] = &[
        (
            b"ctgA\t0\t10\nctgA\t50\t20\n",
            "r.bed line 2: start 50 is greater than end 20",
        ),
        (
            b"ctgA\t0\tten\n",
            "r.bed line 1: end 'ten' is not an integer",
        ),
        (
            b"ctgA\t0\n",
            "r.bed line 1: expected at least 3 columns (contig, start, end), found 2",
        ),
        (b"", "r.bed: no regions found"),
        (b"track name=x\n# nothing\n", "r.bed: no regions found"),
    ];
    for (bed, want) in cases {
        let p = write(t.path(), "r.bed", bed);
        let f = fail(&out, &p, &[&src], &[]);
        assert!(f.line.ends_with(want), "{} vs {want}", f.line);
    }
    let f = fail(&out, &t.path().join("absent.bed"), &[&src], &[]);
    assert!(
        f.line
            .ends_with("absent.bed: cannot read regions: No such file or directory"),
        "{}",
        f.line
    );
}

#[test]
fn bad_options_and_outputs() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let bed = write(t.path(), "r.bed", b"ctgA\t0\t50000\n");
    let f = fail(&out, &bed, &[], &[]);
    assert_eq!(
        f.line,
        "error: no sources given: pass at least one bigWig after the options"
    );

    let f = fail(&out, &bed, &[&bw("volvox.bw")], &["--max-mem", "1k"]);
    assert!(
        f.line
            .contains("r.bed line 1 (ctgA:0-50000) needs more than")
            && f.line.ends_with("over the max-mem limit of 1024 bytes"),
        "{}",
        f.line
    );

    let f = fail(&out, &bed, &[&bw("volvox.bw")], &["--max-mem", "lots"]);
    assert!(
        f.line.contains("--max-mem: cannot read size 'lots'"),
        "{}",
        f.line
    );

    let blocker = write(t.path(), "a-file", b"x");
    let f = fail(&blocker.join("sub"), &bed, &[&bw("volvox.bw")], &[]);
    assert!(
        f.line
            .contains("a-file/sub: cannot write output: Not a directory"),
        "{}",
        f.line
    );
}

#[test]
fn a_failed_export_keeps_the_previous_one() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let good = write(t.path(), "good.bed", b"ctgA\t0\t5000\n");
    let o = bin()
        .args(["export", "-q", "--regions"])
        .arg(&good)
        .arg("--out")
        .arg(&out)
        .arg(bw("volvox.bw"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let before = read_dir(&out);
    assert_eq!(before.len(), 2);
    // Fails late: the second region's contig is fine, its size is over the limit.
    let bad = write(t.path(), "bad.bed", b"ctgA\t0\t10\nctgA\t0\t50000\n");
    fail(&out, &bad, &[&bw("volvox.bw")], &["--max-mem", "10k"]);
    assert_eq!(read_dir(&out), before);
}
