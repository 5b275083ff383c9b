//! `dataset --shard K/N` and `plan`: parts by regions and by samples merge back (`concat`,
//! in any order) into exactly the unsharded dataset; parts of different jobs, a missing
//! part or a part out of range are one-line errors; `plan` counts the blocks and bytes
//! each part reads.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::dataset::npy::parse_regions_npy;
use common::gvl::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

fn bw(name: &str) -> PathBuf {
    data().join("gvl2/bigwig").join(name)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn run(args: &[String]) -> Output {
    bin().args(args).output().unwrap()
}

fn ok(o: Output) -> String {
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(o.status.success(), "{err}");
    err
}

fn fails(o: Output) -> String {
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err.trim_end().to_string()
}

/// `dataset` of named_bed6 (3 samples) with an annotation track and jitter 4.
fn dataset(t: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let table = table(
        t,
        "s.tsv",
        &[
            ("tumor", &bw("seed_0.bw")),
            ("Normal", &bw("seed_1.bw")),
            ("blood", &bw("seed_2.bw")),
        ],
    );
    let mut a: Vec<String> = vec![
        "dataset".into(),
        "--quiet".into(),
        "--max-jitter".into(),
        "4".into(),
        "--regions".into(),
        s(&data().join("gvl2/named_bed6/regions.bed")),
        "--out".into(),
        s(out),
        "--track".into(),
        format!("sig={}", s(&table)),
        "--annot".into(),
        format!("cons={}", s(&bw("seed_1.bw"))),
    ];
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// Every file of `whole` equals `merged`'s (regions.npy by value: concat saves C order,
/// as gvl.concat), metadata but `written_by`.
fn assert_same(merged: &Path, whole: &Path, what: &str) {
    assert_eq!(files_under(merged), files_under(whole), "{what}");
    for f in files_under(whole) {
        let (a, b) = (
            std::fs::read(merged.join(&f)).unwrap(),
            std::fs::read(whole.join(&f)).unwrap(),
        );
        if f == "regions.npy" {
            assert_eq!(
                parse_regions_npy("m", &a).unwrap(),
                parse_regions_npy("w", &b).unwrap(),
                "{what}: {f}"
            );
        } else {
            assert!(a == b, "{what}: {f}");
        }
    }
}

/// `concat` of 62 parts (248 track files open at once) under a soft open-files limit of
/// 100 raises it and merges; under a hard limit of 200 it fails in one line before
/// writing anything.
fn open_files_limits(t: &Path, args: &[String], out: &Path, whole: &Path) {
    let limited = |ulimit: &str| {
        let _ = std::fs::remove_dir_all(out);
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit {ulimit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_bigwig-npy"))
            .args(args)
            .output()
            .unwrap()
    };
    ok(limited("-S -n 100"));
    assert_same(out, whole, "62 parts, soft limit 100");
    let err = fails(limited("-n 200"));
    assert!(
        err.contains("248 track files must be open at once")
            && err.contains("limit of 200 open files"),
        "{err}"
    );
    assert!(!out.exists());
    assert!(std::fs::read_dir(t).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("partial")));
}

#[test]
fn parts_merge_back_into_the_whole_in_any_order() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let whole = t.join("whole.gvl");
    ok(run(&dataset(t, &whole, &[])));
    for (by, ns) in [("regions", &[2u32, 3, 4, 7, 62][..]), ("samples", &[2, 3])] {
        for &n in ns {
            let parts: Vec<PathBuf> = (1..=n)
                .map(|k| t.join(format!("{by}{n}-{k}.gvl")))
                .collect();
            for (k, p) in parts.iter().enumerate() {
                let err = ok(run(&dataset(
                    t,
                    p,
                    &["--shard", &format!("{}/{n}", k + 1), "--shard-by", by],
                )));
                assert!(err.is_empty(), "--quiet: {err}");
                // Every part is a dataset: it has every file a dataset has.
                assert_eq!(files_under(p), files_under(&whole), "{by} {n}: part {k}");
            }
            // Given backwards: merged in part order.
            let out = t.join(format!("m-{by}{n}.gvl"));
            let mut a = vec![
                "concat".to_string(),
                "-q".into(),
                "--axis".into(),
                by.into(),
                "--out".into(),
                s(&out),
            ];
            a.extend(parts.iter().rev().map(|p| s(p)));
            ok(run(&a));
            assert_same(&out, &whole, &format!("{by} in {n}"));
            if n == 62 {
                open_files_limits(t, &a, &out, &whole);
            }
        }
    }
    // One part of one is the whole (written straight away).
    let one = t.join("one.gvl");
    ok(run(&dataset(t, &one, &["--shard", "1/1"])));
    let meta = std::fs::read_to_string(one.join("metadata.json")).unwrap();
    assert!(
        meta.contains("\"shard\":{\"k\":1,\"n\":1,\"by\":\"regions\",\"job\":\""),
        "{meta}"
    );
}

#[test]
fn wrong_parts_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let part = |k: u32, n: u32, by: &str, jitter: &str| {
        let p = t.join(format!("{by}-{k}of{n}-j{jitter}.gvl"));
        let mut a = dataset(t, &p, &["--shard", &format!("{k}/{n}"), "--shard-by", by]);
        let j = a.iter().position(|x| x == "--max-jitter").unwrap();
        a[j + 1] = jitter.to_string();
        ok(run(&a));
        p
    };
    let concat = |axis: &str, inputs: &[&PathBuf]| {
        let mut a = vec![
            "concat".to_string(),
            "--axis".into(),
            axis.into(),
            "--out".into(),
            s(&t.join("out.gvl")),
        ];
        a.extend(inputs.iter().map(|p| s(p)));
        fails(run(&a))
    };
    let (a1, a2, a3) = (
        part(1, 3, "regions", "4"),
        part(2, 3, "regions", "4"),
        part(3, 3, "regions", "4"),
    );
    let e = concat("regions", &[&a1, &a3]);
    assert!(
        e.starts_with("error: part 2 of 3 of job ")
            && e.ends_with(
                "missing: merge all the parts (each is written by `dataset --shard K/3`)"
            ),
        "{e}"
    );
    let other = part(2, 3, "regions", "5");
    let e = concat("regions", &[&a1, &other, &a3]);
    assert!(
        e.contains("part 2/3 of job") && e.ends_with("parts of different jobs"),
        "{e}"
    );
    let e = concat("samples", &[&a1, &a2, &a3]);
    assert!(
        e.ends_with("a part by regions, merged along samples: use --axis regions"),
        "{e}"
    );
    let e = concat("regions", &[&a1, &a2, &a2, &a3]);
    assert!(e.contains("both are part 2/3 of job"), "{e}");
    let whole = t.join("whole.gvl");
    ok(run(&dataset(t, &whole, &[])));
    let e = concat("regions", &[&a1, &whole]);
    assert!(e.contains("not a part of a sharded job"), "{e}");
    assert!(!t.join("out.gvl").exists());
    // At write time.
    let w = |args: &[&str]| fails(run(&dataset(t, &t.join("x.gvl"), args)));
    let e = w(&["--shard", "4/3"]);
    assert_eq!(e, "error: --shard '4/3': expected K/N with 1 <= K <= N (e.g. 3/8; K as Slurm's array task id)");
    let e = w(&["--shard", "1/4", "--shard-by", "samples"]);
    assert_eq!(
        e,
        "error: --shard 1/4: 3 samples, so at most 3 parts by samples (every part needs one)"
    );
    let e = w(&["--shard", "1/63"]);
    assert_eq!(
        e,
        "error: --shard 1/63: 62 regions, so at most 62 parts by regions (every part needs one)"
    );
    // A region twice: parts by regions could not be merged, so no part is written.
    let dup = write(t, "dup.bed", "chr21\t5\t90\nchr22\t1\t50\nchr21\t5\t90\n");
    let mut a = dataset(t, &t.join("x.gvl"), &["--shard", "1/2"]);
    let i = a.iter().position(|x| x == "--regions").unwrap();
    a[i + 1] = s(&dup);
    let e = fails(run(&a));
    assert!(e.ends_with("dup.bed lines 1 and 3: the same region twice; parts by regions could not be merged if both fell in one (GenVarLoader's concat refuses a region twice in a part): remove the duplicate"), "{e}");
    // A part already written is not rewritten by a rerun (atomic parts: a rerun redoes
    // only what is missing).
    let e = fails(run(&dataset(
        t,
        &a1,
        &["--shard", "1/3", "--shard-by", "regions"],
    )));
    assert!(
        e.ends_with("already exists; pass --overwrite to replace it"),
        "{e}"
    );
}

#[test]
fn plan_counts_what_each_part_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let args = dataset(t, &t.join("unused.gvl"), &[]);
    // `dataset`'s inputs, given to `plan`.
    let mut p = vec!["plan".to_string()];
    let keep = ["--regions", "--track", "--annot", "--max-jitter"];
    for w in args.windows(2) {
        if keep.contains(&w[0].as_str()) {
            p.extend(w.iter().cloned());
        }
    }
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut a = p.clone();
        a.extend(extra.iter().map(|x| x.to_string()));
        let o = run(&a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let one = json(&[]);
    assert_eq!(
        (one["regions"].as_u64(), one["samples"].as_u64()),
        (Some(62), Some(3))
    );
    assert_eq!(one["sources"]["local"].as_u64(), Some(4));
    assert_eq!(one["shards"].as_array().unwrap().len(), 1);
    // Every block of the seed files is touched by some region: 4 sources, their blocks once.
    let blocks: u64 = ["seed_0.bw", "seed_1.bw", "seed_2.bw", "seed_1.bw"]
        .iter()
        .map(|f| {
            let o = bin().arg("info").arg(bw(f)).output().unwrap();
            let text = String::from_utf8(o.stdout).unwrap();
            text.lines()
                .find_map(|l| l.strip_prefix("data blocks: "))
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(one["blocks"].as_u64(), Some(blocks));
    let by_regions = json(&["--shards", "4"]);
    let shards = by_regions["shards"].as_array().unwrap();
    assert_eq!(
        shards
            .iter()
            .map(|s| s["regions"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [15, 16, 15, 16]
    );
    // Parts by regions may read a block twice (a block under regions of two parts).
    assert!(by_regions["blocks"].as_u64().unwrap() >= blocks);
    for s in shards {
        assert!(s["mem_bytes"].as_u64().unwrap() > 0 && s["threads"].as_u64().unwrap() > 0);
    }
    let by_samples = json(&["--shards", "3", "--shard-by", "samples"]);
    // Along samples each sample's source is read by one part, the annotation's by all 3.
    let annot_blocks = blocks / 4;
    assert_eq!(
        by_samples["blocks"].as_u64(),
        Some(blocks + 2 * annot_blocks)
    );
    let e = fails(run(&[
        p.clone(),
        vec![
            "--shards".into(),
            "9".into(),
            "--shard-by".into(),
            "samples".into(),
        ],
    ]
    .concat()));
    assert_eq!(
        e,
        "error: --shard 1/9: 3 samples, so at most 3 parts by samples (every part needs one)"
    );
}
