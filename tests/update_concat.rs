//! `bigwig-npy update` and `concat` against what GenVarLoader 0.43.1's `gvl.update` and
//! `gvl.concat` wrote (`data/gvl2/update_add_track`, `concat_regions`, `concat_samples`),
//! on its own datasets and on ours; random splits merged back equal one `dataset`; bad
//! input is one line naming it, with every dataset left as it was.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::dataset::npy::parse_regions_npy;
use common::gvl::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

fn gvl2() -> PathBuf {
    data().join("gvl2")
}

fn bw(name: &str) -> PathBuf {
    gvl2().join("bigwig").join(name)
}

fn cmd(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = bin();
    c.args(args);
    for p in paths {
        c.arg(p);
    }
    c.output().unwrap()
}

fn ok(o: Output) -> String {
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(o.status.success(), "{err}");
    err
}

/// A failing command: one `error:` line, exit 1, and `keep` (directories) unchanged.
fn fails(args: &[String], keep: &[&Path]) -> String {
    let snapshot = |d: &Path| -> Vec<(String, Vec<u8>)> {
        if !d.exists() {
            return Vec::new();
        }
        walk(d, true)
            .into_iter()
            .map(|f| {
                let p = d.join(&f);
                let bytes = if p.is_file() {
                    std::fs::read(&p).unwrap()
                } else {
                    Vec::new()
                };
                (f, bytes)
            })
            .collect()
    };
    let before: Vec<_> = keep.iter().map(|d| snapshot(d)).collect();
    let o = bin().args(args).output().unwrap();
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "exit code for: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    let after: Vec<_> = keep.iter().map(|d| snapshot(d)).collect();
    assert!(before == after, "changed by a failing run: {stderr}");
    stderr.trim_end().to_string()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The per-sample tables of natsort_two_tracks (pos, neg) in `t`.
fn syn_tables(t: &Path) -> (PathBuf, PathBuf) {
    let rows = |prefix: &str| -> Vec<(String, PathBuf)> {
        ["s10", "s2", "A"]
            .iter()
            .map(|n| (n.to_string(), bw(&format!("{prefix}_{n}.bw"))))
            .collect()
    };
    let tab = |name: &str, r: Vec<(String, PathBuf)>| {
        let r: Vec<(&str, &Path)> = r.iter().map(|(s, p)| (s.as_str(), p.as_path())).collect();
        table(t, name, &r)
    };
    (tab("pos.tsv", rows("syn")), tab("neg.tsv", rows("neg")))
}

#[test]
fn update_matches_gvl_update_on_ours_and_on_genvarloaders() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let case = gvl2().join("update_add_track");
    let (pos, neg) = syn_tables(t);
    let cons = format!("cons={}", s(&bw("annot_cons.bw")));
    let bed = case.join("regions.bed");
    // Ours, then updated.
    let ours = t.join("ours.gvl");
    ok(cmd(
        &[
            "dataset",
            "-q",
            "--regions",
            &s(&bed),
            "--out",
            &s(&ours),
            "--track",
            &format!("pos={}", s(&pos)),
        ],
        &[],
    ));
    let err = ok(cmd(
        &[
            "update",
            "--track",
            &format!("neg={}", s(&neg)),
            "--annot",
            &cons,
        ],
        &[&ours],
    ));
    assert!(
        err.starts_with(&format!(
            "updated dataset {} (format 2.0.0): added 1 track and 1 annotation track over 40 regions x 3 samples: ",
            ours.display()
        )),
        "{err}"
    );
    assert_same_dataset(&ours, &case.join("dataset.gvl"), "update of ours");
    // GenVarLoader's own annot_track dataset (pos + cons), updated with neg: the update
    // fixture's files.
    let theirs = t.join("theirs.gvl");
    copy_dir(&gvl2().join("annot_track/dataset.gvl"), &theirs);
    ok(cmd(
        &["update", "-q", "--track", &format!("neg={}", s(&neg))],
        &[&theirs],
    ));
    for f in files_under(&case.join("dataset.gvl")) {
        if f.contains("intervals/") {
            assert!(
                std::fs::read(theirs.join(&f)).unwrap()
                    == std::fs::read(case.join("dataset.gvl").join(&f)).unwrap(),
                "{f}"
            );
        }
    }
    // Nothing staged is left, in the dataset or next to it.
    assert!(hidden(&theirs.join("intervals")).is_empty() && hidden(t).is_empty());
}

#[test]
fn update_in_format_1_equals_one_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (pos, neg) = syn_tables(t);
    let bed = gvl2().join("natsort_two_tracks/regions.bed");
    let cons = format!("cons={}", s(&bw("annot_cons.bw")));
    let (a, b) = (t.join("a.gvl"), t.join("b.gvl"));
    let base = |out: &Path| {
        vec![
            "dataset".to_string(),
            "-q".into(),
            "--gvl-format".into(),
            "1".into(),
            "--max-jitter".into(),
            "3".into(),
            "--regions".into(),
            s(&bed),
            "--out".into(),
            s(out),
            "--track".into(),
            format!("pos={}", s(&pos)),
        ]
    };
    let mut all = base(&a);
    all.extend([
        "--track".into(),
        format!("neg={}", s(&neg)),
        "--annot".into(),
        cons.clone(),
    ]);
    ok(bin().args(&all).output().unwrap());
    ok(bin().args(base(&b)).output().unwrap());
    let err = ok(cmd(
        &[
            "update",
            "--annot",
            &cons,
            "--track",
            &format!("neg={}", s(&neg)),
        ],
        &[&b],
    ));
    assert!(err.contains("(format 1.0.0)"), "{err}");
    assert_eq!(files_under(&a), files_under(&b));
    for f in files_under(&a) {
        assert!(
            std::fs::read(a.join(&f)).unwrap() == std::fs::read(b.join(&f)).unwrap(),
            "{f}"
        );
    }
    assert!(a.join("annot_intervals/cons/intervals.npy").is_file());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in files_under(from) {
        let d = to.join(&f);
        std::fs::create_dir_all(d.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&f), d).unwrap();
    }
}

#[test]
fn update_refuses_bad_input_and_keeps_the_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (pos, neg) = syn_tables(t);
    let ds = t.join("ds.gvl");
    copy_dir(&gvl2().join("annot_track/dataset.gvl"), &ds);
    let up = |extra: &[String]| {
        let mut a = vec!["update".to_string(), s(&ds)];
        a.extend(extra.iter().cloned());
        fails(&a, &[&ds, t])
    };
    let track = |n: &str, p: &Path| vec!["--track".to_string(), format!("{n}={}", s(p))];
    // Other samples than the dataset's.
    let other = table(
        t,
        "other.tsv",
        &[("A", &bw("neg_A.bw")), ("zz", &bw("neg_s2.bw"))],
    );
    let e = up(&track("neg", &other));
    assert_eq!(
        e,
        format!(
            "error: track 'neg' ({}): its samples must be exactly the dataset's ({}): missing 's10', 's2'; not in the dataset: 'zz'",
            other.display(),
            ds.display()
        )
    );
    // A name already there (per-sample or annotation), unless --overwrite.
    let e = up(&track("pos", &neg));
    assert_eq!(
        e,
        format!(
            "error: {}: track 'pos' already exists; pass --overwrite to replace it",
            ds.display()
        )
    );
    let e = up(&track("cons", &neg));
    assert!(e.ends_with("'cons' is already an annotation track there; a track of the same name would make it unreadable for GenVarLoader"), "{e}");
    let e = up(&[
        "--annot".into(),
        format!("pos={}", s(&bw("annot_cons.bw"))),
        "--overwrite".into(),
    ]);
    assert!(e.ends_with("'pos' is already a per-sample track there; an annotation track of the same name would make it unreadable for GenVarLoader"), "{e}");
    let e = up(&[]);
    assert_eq!(
        e,
        "error: nothing to add: pass --track NAME=TABLE or --annot NAME=BIGWIG"
    );
    // The second of two new tracks fails: neither appears.
    let bad = table(
        t,
        "bad.tsv",
        &[
            ("A", &bw("neg_A.bw")),
            ("s10", &t.join("nope.bw")),
            ("s2", &bw("neg_s2.bw")),
        ],
    );
    let mut a = track("neg", &neg);
    a.extend(track("neg2", &bad));
    let e = up(&a);
    assert!(
        e.contains("bad.tsv line 3 (sample 's10'): ") && e.contains("nope.bw: cannot open"),
        "{e}"
    );
    // Not a dataset.
    let e = fails(
        &[
            "update".into(),
            s(t),
            "--track".into(),
            format!("x={}", s(&pos)),
        ],
        &[t],
    );
    assert_eq!(
        e,
        format!(
            "error: {}: not a GenVarLoader dataset (no metadata.json)",
            t.display()
        )
    );
    let e = fails(
        &[
            "update".into(),
            s(&pos),
            "--track".into(),
            format!("x={}", s(&pos)),
        ],
        &[t],
    );
    assert!(
        e.ends_with("not a directory (expected a GenVarLoader dataset)"),
        "{e}"
    );
    // --overwrite replaces a track, whole.
    ok(cmd(
        &[
            "update",
            "-q",
            "--overwrite",
            "--track",
            &format!("pos={}", s(&neg)),
        ],
        &[&ds],
    ));
    let want = gvl2().join("natsort_two_tracks/dataset.gvl/intervals/neg");
    for f in files_under(&want) {
        assert!(
            std::fs::read(ds.join("intervals/pos").join(&f)).unwrap()
                == std::fs::read(want.join(&f)).unwrap()
        );
    }
    assert!(hidden(&ds.join("intervals")).is_empty());
}

/// Track files byte for byte, regions.npy by value (gvl.write saves it in Fortran order,
/// gvl.concat in C order), metadata and the Arrow table: what `concat` must equal.
fn assert_same_merged(merged: &Path, whole: &Path, what: &str) {
    let files = files_under(whole);
    assert_eq!(files_under(merged), files, "{what}: files");
    for f in &files {
        if f.contains("intervals/") {
            assert!(
                std::fs::read(merged.join(f)).unwrap() == std::fs::read(whole.join(f)).unwrap(),
                "{what}: {f}"
            );
        }
    }
    let rows =
        |d: &Path| parse_regions_npy("r", &std::fs::read(d.join("regions.npy")).unwrap()).unwrap();
    assert_eq!(rows(merged), rows(whole), "{what}: regions.npy");
    let meta = |d: &Path| {
        let mut m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("metadata.json")).unwrap()).unwrap();
        m.as_object_mut().unwrap().remove("written_by");
        m
    };
    assert_eq!(meta(merged), meta(whole), "{what}: metadata.json");
    let (a, b) = (
        read_arrow(&merged.join("input_regions.arrow")),
        read_arrow(&whole.join("input_regions.arrow")),
    );
    assert_eq!(a, b, "{what}: input_regions.arrow");
}

#[test]
fn concat_matches_gvl_concat_of_its_parts_and_of_ours() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for axis in ["regions", "samples"] {
        let case = gvl2().join(format!("concat_{axis}"));
        let want = case.join("dataset.gvl");
        // GenVarLoader's parts: every file but the Arrow file's bytes and written_by.
        let out = t.join(format!("{axis}-theirs.gvl"));
        let err = ok(cmd(
            &["concat", "--axis", axis, "--out", &s(&out)],
            &[&case.join("parts/0.gvl"), &case.join("parts/1.gvl")],
        ));
        assert!(err.starts_with(&format!("merged 2 datasets into {}: 62 regions x 3 samples, 1 track and 0 annotation tracks", out.display())), "{err}");
        assert_same_dataset(&out, &want, axis);
        // Our parts from the same inputs.
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("parts.json")).unwrap()).unwrap();
        let mut parts = Vec::new();
        for (k, p) in spec["parts"].as_array().unwrap().iter().enumerate() {
            let rows: Vec<(String, PathBuf)> = p["tracks"]["sig"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(n, f)| (n.clone(), bw(f.as_str().unwrap())))
                .collect();
            let r: Vec<(&str, &Path)> = rows
                .iter()
                .map(|(n, p)| (n.as_str(), p.as_path()))
                .collect();
            let tab = table(t, &format!("{axis}-{k}.tsv"), &r);
            let part = t.join(format!("{axis}-{k}.gvl"));
            ok(cmd(
                &[
                    "dataset",
                    "-q",
                    "--regions",
                    &s(&case.join(p["regions"].as_str().unwrap())),
                    "--out",
                    &s(&part),
                    "--track",
                    &format!("sig={}", s(&tab)),
                ],
                &[],
            ));
            parts.push(part);
        }
        let out = t.join(format!("{axis}-ours.gvl"));
        let refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
        ok(cmd(
            &["concat", "-q", "--axis", axis, "--out", &s(&out)],
            &refs,
        ));
        assert_same_dataset(&out, &want, axis);
    }
}

/// A random BED over natsort_two_tracks' contigs (chr1, chr2, chr10, chrX; 5000 bp), with
/// names and strands, no two rows with the same coordinates.
/// The first `cycle` rows go through the contigs in turn.
fn random_bed(rng: &mut fastrand::Rng, n: usize, cycle: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let k = if out.len() < cycle {
            out.len() % 4
        } else {
            rng.usize(..4)
        };
        let c = ["chr1", "chr2", "chr10", "chrX"][k];
        let start = rng.u32(0..5200);
        let end = start + rng.u32(0..300);
        if seen.insert((c, start, end)) {
            let strand = if rng.bool() { '+' } else { '-' };
            out.push(format!(
                "{c}\t{start}\t{end}\tr{}\t{}\t{strand}",
                out.len(),
                rng.u32(0..1000)
            ));
        }
    }
    out
}

#[test]
fn random_splits_merge_back_into_one_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let mut rng = fastrand::Rng::with_seed(16);
    let samples = ["s10", "s2", "A"];
    let cons = format!("cons={}", s(&bw("annot_cons.bw")));
    let write = |name: &str, bed: &[String], samples: &[&str], jitter: u32, format: &str| {
        let b = write(t, &format!("{name}.bed"), &(bed.join("\n") + "\n"));
        let pos: Vec<(&str, PathBuf)> = samples
            .iter()
            .map(|n| (*n, bw(&format!("syn_{n}.bw"))))
            .collect();
        let neg: Vec<(&str, PathBuf)> = samples
            .iter()
            .map(|n| (*n, bw(&format!("neg_{n}.bw"))))
            .collect();
        let r = |v: &[(&str, PathBuf)]| -> Vec<(String, PathBuf)> {
            v.iter().map(|(n, p)| (n.to_string(), p.clone())).collect()
        };
        let (rp, rn) = (r(&pos), r(&neg));
        let tp = table(
            t,
            &format!("{name}-pos.tsv"),
            &rp.iter()
                .map(|(n, p)| (n.as_str(), p.as_path()))
                .collect::<Vec<_>>(),
        );
        let tn = table(
            t,
            &format!("{name}-neg.csv"),
            &rn.iter()
                .map(|(n, p)| (n.as_str(), p.as_path()))
                .collect::<Vec<_>>(),
        );
        let out = t.join(format!("{name}.gvl"));
        let j = jitter.to_string();
        ok(cmd(
            &[
                "dataset",
                "-q",
                "--gvl-format",
                format,
                "--max-jitter",
                &j,
                "--regions",
                &s(&b),
                "--out",
                &s(&out),
                "--track",
                &format!("pos={}", s(&tp)),
                "--track",
                &format!("neg={}", s(&tn)),
                "--annot",
                &cons,
            ],
            &[],
        ));
        out
    };
    for round in 0..12 {
        let k = rng.usize(2..5);
        let n = 4 * k + rng.usize(0..60);
        // Every part gets a row of every contig (GenVarLoader's concat requires the parts'
        // contigs to be equal), the other rows go anywhere.
        let bed = random_bed(&mut rng, n, 4 * k);
        let jitter = rng.u32(0..20);
        let format = if round % 3 == 2 { "1" } else { "2" };
        // Along regions: rows dealt to k parts at random (each part keeps them in order);
        // the whole is one dataset of the parts' rows one after another.
        let mut parts: Vec<Vec<String>> = vec![Vec::new(); k];
        for (i, l) in bed.iter().enumerate() {
            let p = if i < 4 * k { i / 4 } else { rng.usize(..k) };
            parts[p].push(l.clone());
        }
        let whole = write(
            &format!("w{round}"),
            &parts.concat(),
            &samples,
            jitter,
            format,
        );
        let dirs: Vec<PathBuf> = parts
            .iter()
            .enumerate()
            .map(|(p, rows)| write(&format!("p{round}-{p}"), rows, &samples, jitter, format))
            .collect();
        let out = t.join(format!("m{round}.gvl"));
        let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
        ok(cmd(
            &["concat", "-q", "--axis", "regions", "--out", &s(&out)],
            &refs,
        ));
        assert_same_merged(&out, &whole, &format!("round {round} regions"));
        // Along samples: the samples dealt to 2 or 3 parts.
        let mut order = samples.to_vec();
        rng.shuffle(&mut order);
        let cut = rng.usize(1..3);
        let groups: Vec<&[&str]> = if cut == 2 && rng.bool() {
            vec![&order[..1], &order[1..2], &order[2..]]
        } else {
            vec![&order[..cut], &order[cut..]]
        };
        let whole = write(&format!("ws{round}"), &bed, &samples, jitter, format);
        let dirs: Vec<PathBuf> = groups
            .iter()
            .enumerate()
            .map(|(p, g)| write(&format!("s{round}-{p}"), &bed, g, jitter, format))
            .collect();
        let out = t.join(format!("ms{round}.gvl"));
        let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
        ok(cmd(
            &["concat", "-q", "--axis", "samples", "--out", &s(&out)],
            &refs,
        ));
        assert_same_merged(&out, &whole, &format!("round {round} samples"));
    }
}

#[test]
fn concat_refuses_what_genvarloader_refuses_and_lying_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let case = gvl2().join("concat_regions");
    let (p0, p1) = (case.join("parts/0.gvl"), case.join("parts/1.gvl"));
    let samples_case = gvl2().join("concat_samples");
    let (q0, q1) = (
        samples_case.join("parts/0.gvl"),
        samples_case.join("parts/1.gvl"),
    );
    let out = t.join("out.gvl");
    let run = |axis: &str, inputs: &[&Path]| {
        let mut a = vec![
            "concat".to_string(),
            "--axis".into(),
            axis.into(),
            "--out".into(),
            s(&out),
        ];
        a.extend(inputs.iter().map(|p| s(p)));
        let keep: Vec<&Path> = inputs.iter().copied().chain([t]).collect();
        fails(&a, &keep)
    };
    assert_eq!(
        run("regions", &[&p0]),
        "error: concat needs at least two datasets, got 1"
    );
    // Regions axis, other samples.
    let e = run("regions", &[&p0, &q1]);
    assert_eq!(e, format!("error: {}: its samples differ from {}'s; along regions, all inputs must have the same samples", q1.display(), p0.display()));
    // Samples axis: other regions; shared samples.
    let e = run("samples", &[&q0, &p0]);
    assert!(
        e.starts_with(&format!("error: {}: its regions differ from", p0.display())),
        "{e}"
    );
    let e = run("samples", &[&q0, &q0]);
    assert!(e.ends_with("given twice"), "{e}");
    let e = run("samples", &[&q1, &case.join("dataset.gvl")]);
    assert!(e.contains("sample 'blood' is in both"), "{e}");
    // Mixed formats: the same part in format 1.
    let v1 = t.join("v1.gvl");
    let tab = table(t, "s.tsv", &[("blood", &bw("seed_2.bw"))]);
    ok(cmd(
        &[
            "dataset",
            "-q",
            "--gvl-format",
            "1",
            "--regions",
            &s(&samples_case.join("parts/1.bed")),
            "--out",
            &s(&v1),
            "--track",
            &format!("sig={}", s(&tab)),
        ],
        &[],
    ));
    let e = run("samples", &[&q0, &v1]);
    assert_eq!(
        e,
        format!(
            "error: {}: is in dataset format 1.0.0, but {} has 2.0.0; all inputs must agree",
            v1.display(),
            q0.display()
        )
    );
    // Not datasets.
    let e = run("regions", &[&p0, t]);
    assert_eq!(
        e,
        format!(
            "error: {}: not a GenVarLoader dataset (no metadata.json)",
            t.display()
        )
    );
    // The output is an input.
    let a = vec![
        "concat".to_string(),
        "--axis".into(),
        "regions".into(),
        "--overwrite".into(),
        "--out".into(),
        s(&p0),
        s(&p0),
        s(&p1),
    ];
    let e = fails(&a, &[&p0]);
    assert!(
        e.ends_with("the output is one of the inputs; write the merged dataset elsewhere"),
        "{e}"
    );
    // Lying inputs: a truncated track file, offsets that decrease, a regions.npy that
    // disagrees with input_regions.arrow. Copies, changed.
    let bad = t.join("bad.gvl");
    copy_dir(&p1, &bad);
    let values = bad.join("intervals/sig/values.npy");
    let v = std::fs::read(&values).unwrap();
    std::fs::write(&values, &v[..v.len() - 4]).unwrap();
    let e = run("regions", &[&p0, &bad]);
    assert!(
        e.contains("intervals/sig/values.npy: ") && e.contains("but offsets.npy ends at"),
        "{e}"
    );
    std::fs::write(&values, &v).unwrap();
    let offsets = bad.join("intervals/sig/offsets.npy");
    let mut o = std::fs::read(&offsets).unwrap();
    o[8..16].copy_from_slice(&i64::MAX.to_le_bytes()[..8]);
    o[16..24].copy_from_slice(&1i64.to_le_bytes());
    std::fs::write(&offsets, &o).unwrap();
    let e = run("regions", &[&p0, &bad]);
    assert!(e.contains("offsets.npy: offsets decrease"), "{e}");
    copy_dir(&p1, &bad);
    let r = std::fs::read(bad.join("regions.npy")).unwrap();
    let mut r2 = r.clone();
    // Region 5's start (column 1 of a Fortran (31, 4) array).
    r2[128 + 4 * (31 + 5)] ^= 1;
    std::fs::write(bad.join("regions.npy"), &r2).unwrap();
    let e = run("regions", &[&p0, &bad]);
    assert!(
        e.contains("input_regions.arrow row ") && e.contains("the dataset's files disagree"),
        "{e}"
    );
    assert!(!out.exists());
}
