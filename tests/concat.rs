//! `bigwig-npy concat` against what GenVarLoader 0.43.1's `gvl.concat` wrote
//! (`data/gvl2/concat_regions`, `concat_samples`), on its own datasets and on ours; random
//! splits merged back equal one `dataset`; bad or lying input is one line naming it, with
//! every dataset left as it was. `update` is in `tests/update_concat.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::gvl::*;
use common::update_concat::*;
use std::path::{Path, PathBuf};

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
