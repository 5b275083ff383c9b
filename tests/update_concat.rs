//! `bigwig-npy update` and `concat` against what GenVarLoader 0.43.1's `gvl.update` and
//! `gvl.concat` wrote (`data/gvl2/update_add_track`, `concat_regions`, `concat_samples`),
//! on its own datasets and on ours; random splits merged back equal one `dataset`; bad
//! input is one line naming it, with every dataset left as it was.
//! (This file: `update`; `concat`'s tests are in `tests/concat.rs`.)
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::gvl::*;
use common::update_concat::*;
use common::*;
use std::path::Path;

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
