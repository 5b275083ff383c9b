//! `bigwig-npy dataset` against the datasets GenVarLoader's own `gvl.write` wrote: 0.43.1
//! (`data/gvl2/`, format 2, the default) and 0.35 (`data/gvl/`, `--gvl-format 1`): the
//! same track bytes (annotation tracks too), regions.npy, metadata and Arrow table; then
//! bad tables, bad BEDs, `--overwrite` and atomicity. Bad input must end in one `error:`
//! line naming the input, exit 1, and nothing left behind.
//! (`--overwrite`, failures and signals: `tests/dataset_output.rs`.)
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::dataset::*;
use common::gvl::*;
use common::*;
use std::path::Path;

#[test]
fn every_gvl_case_matches_genvarloader_in_both_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = gvl_cases("gvl");
    let v2 = gvl_cases("gvl2");
    let names = |c: &[GvlCase]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&v1),
        [
            "alias_chrM",
            "named_bed6",
            "natsort_two_tracks",
            "nochr_jitter"
        ]
    );
    assert_eq!(
        names(&v2),
        [
            "alias_chrM",
            "annot_track",
            "named_bed6",
            "natsort_two_tracks",
            "nochr_jitter"
        ]
    );
    for (format, cases) in [("1", &v1), ("2", &v2)] {
        for case in cases {
            // 1 and 2 threads; the tiny staging budget forces the genome-order sweep.
            for (threads, budget) in [("1", None), ("2", None), ("2", Some("4096"))] {
                let out = tmp
                    .path()
                    .join(format!("{}-{format}-{threads}-{budget:?}.gvl", case.name));
                let mut args = vec![
                    "--regions".to_string(),
                    case.dir.join("regions.bed").display().to_string(),
                    "--out".into(),
                    out.display().to_string(),
                    "--threads".into(),
                    threads.into(),
                ];
                // Format 2 is the default: said only for format 1.
                if format == "1" {
                    args.extend(["--gvl-format".into(), "1".into()]);
                }
                args.extend(track_args(case, tmp.path()));
                if let Some(j) = case.max_jitter {
                    args.extend(["--max-jitter".into(), j.to_string()]);
                }
                if let Some(b) = budget {
                    args.extend(["--staging-budget".into(), b.into()]);
                }
                let o = run(&args);
                let err = String::from_utf8(o.stderr).unwrap();
                assert!(o.status.success(), "{}: {err}", case.name);
                assert!(
                    err.starts_with(&format!(
                        "wrote dataset {} (format {format}.0.0): ",
                        out.display()
                    )),
                    "{err}"
                );
                assert_same_dataset(&out, &case.dir.join("dataset.gvl"), &case.name);
            }
        }
    }
}

#[test]
fn summary_line_and_relative_table_paths_from_the_current_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let case = gvl_dir().join("natsort_two_tracks");
    // Relative paths, as GenVarLoader takes them: from the current directory.
    let pos = write(
        tmp.path(),
        "pos.csv",
        "sample,path,note\nA,../bigwig/syn_A.bw,x\ns2,../bigwig/syn_s2.bw,\ns10,../bigwig/syn_s10.bw,\n",
    );
    let neg = write(
        tmp.path(),
        "neg.txt",
        "path\tsample\n../bigwig/neg_s10.bw\ts10\n../bigwig/neg_A.bw\tA\n../bigwig/neg_s2.bw\ts2\n",
    );
    let out = tmp.path().join("d/x.gvl");
    let o = bin()
        .current_dir(&case)
        .args(["dataset", "--regions", "regions.bed", "--out"])
        .arg(&out)
        .arg("--track")
        .arg(format!("pos={}", pos.display()))
        .arg("--track")
        .arg(format!("neg={}", neg.display()))
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(o.status.success(), "{err}");
    assert!(
        err.starts_with(&format!(
            "wrote dataset {} (format 2.0.0): 40 regions x 3 samples, 2 tracks: ",
            out.display()
        )),
        "{err}"
    );
    assert_same_dataset(&out, &case.join("dataset.gvl"), "relative paths");

    // From elsewhere the same table does not resolve, and the message says why.
    let f = fail(
        tmp.path(),
        &[
            "--regions".into(),
            case.join("regions.bed").display().to_string(),
            "--out".into(),
            tmp.path().join("y.gvl").display().to_string(),
            "--track".into(),
            format!("pos={}", pos.display()),
        ],
    );
    assert!(
        f.ends_with(
            "pos.csv line 2 (sample 'A'): ../bigwig/syn_A.bw: cannot open: No such file or directory \
             (relative paths are taken from the current directory, as in GenVarLoader)"
        ),
        "{f}"
    );
}

#[test]
fn bad_tables_and_tracks() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let bed = gvl_dir().join("named_bed6/regions.bed");
    let seed = seed_rows();
    let good = table(t, "good.tsv", &rows(&seed));
    let sig = |tab: &Path| format!("sig={}", tab.display());
    let e = |tracks: &[String]| fail(t, &args(&bed, "out.gvl", tracks, &[]));

    let f = e(&[sig(&write(t, "nopath.csv", "sample,file\na,x.bw\n"))]);
    assert!(
        f.ends_with(
            "nopath.csv line 1: no 'path' column (the header has: sample, file; separator: comma)"
        ),
        "{f}"
    );
    let f = e(&[sig(&write(
        t,
        "dup.tsv",
        &format!(
            "sample\tpath\nNormal\t{0}\nblood\t{0}\nNormal\t{0}\n",
            bigwig("seed_0.bw").display()
        ),
    ))]);
    assert!(
        f.ends_with("dup.tsv line 4: sample 'Normal' is listed twice (lines 2 and 4)"),
        "{f}"
    );
    let missing = t.join("nope.bw");
    let f = e(&[sig(&table(
        t,
        "unknown.tsv",
        &[("a", &bigwig("seed_0.bw")), ("b", &missing)],
    ))]);
    assert!(
        f.contains("unknown.tsv line 3 (sample 'b'): ")
            && f.ends_with("nope.bw: cannot open: No such file or directory"),
        "{f}"
    );
    let f = e(&[sig(&table(t, "notbw.tsv", &[("a", &bed)]))]);
    assert!(
        f.contains("notbw.tsv line 2 (sample 'a'): ") && f.contains("not a bigWig file"),
        "{f}"
    );
    let f = e(&[sig(&t.join("absent.tsv"))]);
    assert!(
        f.ends_with("absent.tsv: cannot read sample table: No such file or directory"),
        "{f}"
    );
    let f = e(&[sig(&write(t, "t.xlsx", "sample,path\n"))]);
    assert!(
        f.ends_with("t.xlsx: a sample table must be a .csv, .tsv or .txt file (as GenVarLoader's BigWigs.from_table)"),
        "{f}"
    );
    // Tracks whose samples differ: gvl.write would quietly keep the common ones.
    let fewer = table(t, "fewer.csv", &rows(&seed[..2]));
    let f = e(&[sig(&good), format!("other={}", fewer.display())]);
    assert!(
        f.ends_with(&format!(
            "track 'other' ({}) and track 'sig' ({}) have different samples: only 'sig' has 'blood'",
            fewer.display(),
            good.display()
        )),
        "{f}"
    );
    let f = e(&[sig(&good), sig(&good)]);
    assert_eq!(
        f,
        "error: track 'sig' is given twice: track names are directory names, they must differ"
    );
    let f = e(&["sig".into()]);
    assert_eq!(
        f,
        "error: --track 'sig': expected NAME=TABLE (a .csv or .tsv with columns sample and path)"
    );
    let f = e(&[format!("../x={}", good.display())]);
    assert!(
        f.ends_with("track name '../x' cannot be a directory name (intervals/<name>/)"),
        "{f}"
    );
    // A contig no bigWig has: the track, the BED line and the file are named.
    let other = table(t, "other.tsv", &[("a", &bigwig("syn_A.bw"))]);
    let f = fail(t, &args(&bed, "out.gvl", &[sig(&other)], &[]));
    assert!(
        f.contains("error: track 'sig': ")
            && f.contains(
                "regions.bed line 62 (chr21:0-700): contig 'chr21' not found in source 0 ("
            )
            && f.ends_with("syn_A.bw), which has chr1, chr10, chr2, chrX"),
        "{f}"
    );
    assert!(!t.join("out.gvl").exists());
}

#[test]
fn bad_regions() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let good = table(t, "s.tsv", &rows(&seed_rows()));
    let track = [format!("sig={}", good.display())];
    let cases: &[(&str, &str)] = &[
        (
            "chr21\t0\t10\nchr21\t50\t20\n",
            "r.bed line 2: start 50 is greater than end 20",
        ),
        (
            "chr21\t0\t10\tr\t0\t+\nchr22\t5\t9\tr\t0\t-\nchr21\t0\t10\tr\t0\t-\n",
            "r.bed lines 1 and 3: the same region (chr21:0-10) on both strands; GenVarLoader's \
             Dataset.open cannot tell such rows apart (its sort is not stable), so one of them \
             could come back with the other's strand",
        ),
        (
            "chr21\t0\t10\tr\t0\t+\nchr21\t5\t9\tr\t0\tx\n",
            "r.bed line 2: strand 'x' is not +, - or .",
        ),
        (
            "chr21\t0\t10\tr\tlots\n",
            "r.bed line 1: score 'lots' is not a number",
        ),
        (
            "chr21\t0\t10\nchr21\t5\t9\tname\n",
            "r.bed line 2: 4 columns, but the first region line has 3 (GenVarLoader takes the \
             columns from the first line)",
        ),
        (
            "chr21\t0\t10\nchr21\t5\t2147483647\n",
            "r.bed line 2 (chr21:5-2147483647): with max jitter 1, end 2147483648 is outside the \
             32-bit range of GenVarLoader's coordinates",
        ),
        ("# nothing\n", "r.bed: no regions found"),
    ];
    for (bed, want) in cases {
        let p = write(t, "r.bed", bed);
        let f = fail(t, &args(&p, "out.gvl", &track, &["--max-jitter", "1"]));
        assert!(f.ends_with(want), "{f}\nwant: {want}");
    }
}

#[test]
fn plain_export_matches_contigs_as_gvl_write() {
    // alias_chrM: BED chr1/chrM, bigWig 1/MT. Exporting its regions in GenVarLoader's
    // sorted order gives the dataset's track bytes.
    let tmp = tempfile::tempdir().unwrap();
    let bed = write(
        tmp.path(),
        "sorted.bed",
        "chr1\t0\t100\nchr1\t40\t1200\nchrM\t0\t100\n",
    );
    let out = tmp.path().join("out");
    let o = bin()
        .args(["export", "--quiet", "--format", "raw", "--regions"])
        .arg(&bed)
        .arg("--out")
        .arg(&out)
        .arg(bigwig("alias.bw"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gvl = data().join("gvl/alias_chrM/dataset.gvl/intervals/sig");
    for f in ["intervals.npy", "offsets.npy"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(gvl.join(f)).unwrap(),
            "{f}"
        );
    }
}
