//! Datasets under crashes and contention (`dataset`, `update`, `concat`): kill -9 (as pid 1
//! of a pid namespace too) then a rerun, a full disk at every moment, concurrent runs on
//! one target, signals mid-update and mid-concat: the old dataset stays, nothing is left
//! behind, errors name the target. The rest of the atomic-output tests are in
//! `tests/atomic_output.rs`; the helpers in `tests/common/atomic.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::atomic::*;
use common::gvl::*;
use common::*;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

#[test]
fn kill_9_then_rerun_leaves_nothing_dataset_update_concat() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let table = seed_table(t);
    let bed = big_bed(t, 12_000);
    let out = t.join("k.gvl");
    // dataset: killed mid-run, then run again (the same command), as pid 1 of a container
    // where this machine allows it (each run then has pid 1).
    let args = dataset_args(&bed, &out, &table, &["--threads", "1"]);
    let mut cmd = as_pid_1(&args).unwrap_or_else(|| {
        let mut c = bin();
        c.args(&args);
        c
    });
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_mid_run(&mut child, t, ".k.gvl.partial-");
    // unshare forwards nothing: kill the whole namespace by killing its init's parent
    // group; the bigwig-npy process is pid 1 inside it.
    kill_tree(child.id());
    let _ = child.wait();
    assert!(
        !hidden_in(t).is_empty(),
        "the kill left its staging directory"
    );
    let mut again = as_pid_1(&args).unwrap_or_else(|| {
        let mut c = bin();
        c.args(&args);
        c
    });
    ok(again.output().unwrap());
    assert_eq!(
        hidden_in(t),
        Vec::<String>::new(),
        "the rerun removed the leftovers"
    );

    // update: killed mid-run; the dataset is as it was, the rerun adds the track.
    let before = snapshot(&out);
    let up = vec![
        "update".to_string(),
        s(&out),
        "--quiet".into(),
        "--threads".into(),
        "1".into(),
        "--track".into(),
        format!("more={}", s(&table)),
    ];
    let mut child = spawn(&up);
    wait_mid_run(&mut child, &out.join("intervals"), ".more.tmp.");
    kill_tree(child.id());
    let _ = child.wait();
    assert_eq!(
        snapshot(&out)
            .into_iter()
            .filter(|(f, _)| !f.contains(".more.tmp."))
            .collect::<Vec<_>>(),
        before,
        "a killed update changed nothing GenVarLoader reads"
    );
    ok(run(&up));
    assert!(out.join("intervals/more/values.npy").is_file());
    assert_eq!(hidden_in(&out.join("intervals")), Vec::<String>::new());

    // concat: killed mid-run, rerun.
    let half = big_bed(t, 6_000);
    let (p0, p1) = (t.join("p0.gvl"), t.join("p1.gvl"));
    ok(run(&dataset_args(&half, &p0, &table, &[])));
    // The same regions one base later: no region in both parts.
    let shifted: String = std::fs::read_to_string(&half)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!("chr21\t{}\t{}\n", f[1].parse::<u32>().unwrap() + 1, f[2])
        })
        .collect();
    let other = write(t, "other.bed", &shifted);
    ok(run(&dataset_args(&other, &p1, &table, &[])));
    let merged = t.join("m.gvl");
    let cat = vec![
        "concat".to_string(),
        "--quiet".into(),
        "--axis".into(),
        "regions".into(),
        "--out".into(),
        s(&merged),
        s(&p0),
        s(&p1),
    ];
    let mut child = spawn(&cat);
    let t0 = Instant::now();
    while !hidden_in(t)
        .iter()
        .any(|h| h.starts_with(".m.gvl.partial-") && !h.ends_with(".owner"))
    {
        assert!(t0.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(1));
    }
    kill_tree(child.id());
    let _ = child.wait();
    ok(run(&cat));
    assert!(merged.join("metadata.json").is_file());
    assert_eq!(hidden_in(t), Vec::<String>::new());
}

#[test]
fn a_full_disk_at_any_moment_leaves_the_old_dataset_and_names_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let table = seed_table(t);
    let bed = big_bed(t, 300);
    let old = data().join("gvl2/named_bed6/dataset.gvl");
    let mut phases = std::collections::BTreeSet::new();
    // From too small for anything to almost enough for everything (the new dataset is
    // about 5 MB next to the old one's 0.2 MB).
    for kib in [8u64, 64, 300, 600, 1200, 2400, 3600, 4400, 4800, 5000] {
        let at = t.join(format!("fs{kib}"));
        let Some(fs) = SmallFs::new(&at, kib + 256) else {
            eprintln!("no tmpfs here (not root?): prlimit --fsize covers write failures in tests/hostile.rs");
            return;
        };
        let out = at.join("x.gvl");
        copy_tree(&old, &out);
        let before = snapshot(&out);
        let o = run(&dataset_args(&bed, &out, &table, &["--overwrite"]));
        if o.status.success() {
            continue;
        }
        let e = one_error(&o);
        assert!(e.contains("No space left on device"), "{kib} KiB: {e}");
        // The target, or a file in it, as the user knows it: never a staging path.
        assert!(
            e.starts_with(&format!("error: {}", out.display())) && !e.contains(".partial-"),
            "{kib} KiB: {e}"
        );
        phases.insert(
            e.split(": ")
                .nth(1)
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string(),
        );
        assert_eq!(
            snapshot(&out),
            before,
            "{kib} KiB: the old dataset is as it was"
        );
        assert_eq!(
            hidden_in(&at),
            Vec::<String>::new(),
            "{kib} KiB: nothing left"
        );
        drop(fs);
    }
    assert!(phases.len() >= 3, "failures at several moments: {phases:?}");

    // update and concat on a full disk: the same. A dataset that fills most of it.
    let at = t.join("upd");
    let Some(_fs) = SmallFs::new(&at, 7000) else {
        return;
    };
    let ds = at.join("d.gvl");
    ok(run(&dataset_args(&bed, &ds, &table, &[])));
    let before = snapshot(&ds);
    for extra in [
        ["--track".to_string(), format!("more={}", s(&table))],
        ["--annot".into(), format!("a={}", s(&bw("seed_0.bw")))],
    ] {
        let mut a = vec![
            "update".to_string(),
            s(&ds),
            "--track".into(),
            format!("more2={}", s(&table)),
        ];
        a.extend(extra);
        let e = one_error(&run(&a));
        assert!(e.contains("No space left on device"), "{e}");
        assert!(
            e.starts_with(&format!("error: {}/", ds.display())) && !e.contains(".tmp."),
            "{e}"
        );
        assert_eq!(snapshot(&ds), before);
        assert!(hidden_in(&ds.join("intervals")).is_empty() && hidden_in(&at).is_empty());
    }
    // concat of two datasets (on a roomy disk) into the full one.
    let shifted: String = std::fs::read_to_string(&bed)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!("chr21\t{}\t{}\n", f[1].parse::<u32>().unwrap() + 1, f[2])
        })
        .collect();
    let (p0, p1) = (t.join("p0.gvl"), t.join("p1.gvl"));
    ok(run(&dataset_args(&bed, &p0, &table, &[])));
    ok(run(&dataset_args(
        &write(t, "shifted.bed", &shifted),
        &p1,
        &table,
        &[],
    )));
    let e = one_error(&run(&[
        "concat".into(),
        "--axis".into(),
        "regions".into(),
        "--out".into(),
        s(&at.join("m.gvl")),
        s(&p0),
        s(&p1),
    ]));
    assert!(
        e.contains("No space left on device")
            && e.contains(&s(&at.join("m.gvl")))
            && !e.contains(".partial-"),
        "{e}"
    );
    assert!(hidden_in(&at).is_empty() && !at.join("m.gvl").exists());
}

#[test]
fn concurrent_runs_on_one_target_all_finish_and_the_target_is_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let table = seed_table(t);
    let bed = big_bed(t, 400);
    let out = t.join("c.gvl");
    let want = t.join("want.gvl");
    ok(run(&dataset_args(&bed, &want, &table, &[])));
    let children: Vec<Child> = (0..8)
        .map(|_| {
            spawn(&dataset_args(
                &bed,
                &out,
                &table,
                &["--overwrite", "--threads", "1"],
            ))
        })
        .collect();
    for c in children {
        ok(wait(c));
    }
    let same = |a: &Path, b: &Path| {
        files_under(a) == files_under(b)
            && files_under(a).iter().all(|f| {
                f == "metadata.json"
                    || std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap()
            })
    };
    assert!(same(&out, &want), "the target is one whole dataset");
    assert_eq!(hidden_in(t), Vec::<String>::new());

    // update: the same track added by 6 runs at once, with --overwrite.
    let up = vec![
        "update".to_string(),
        s(&out),
        "--quiet".into(),
        "--overwrite".into(),
        "--track".into(),
        format!("more={}", s(&table)),
    ];
    let children: Vec<Child> = (0..6).map(|_| spawn(&up)).collect();
    for c in children {
        ok(wait(c));
    }
    for f in ["starts.npy", "ends.npy", "values.npy", "offsets.npy"] {
        assert!(
            std::fs::read(out.join("intervals/more").join(f)).unwrap()
                == std::fs::read(want.join("intervals/sig").join(f)).unwrap()
        );
    }
    assert_eq!(hidden_in(&out.join("intervals")), Vec::<String>::new());
    // Without --overwrite, one adds it and the others say it exists.
    let up2: Vec<String> = up
        .iter()
        .filter(|a| *a != "--overwrite")
        .map(|a| a.replace("more=", "again="))
        .collect();
    let outs: Vec<Output> = (0..6)
        .map(|_| spawn(&up2))
        .collect::<Vec<_>>()
        .into_iter()
        .map(wait)
        .collect();
    assert_eq!(outs.iter().filter(|o| o.status.success()).count(), 1);
    for o in outs.iter().filter(|o| !o.status.success()) {
        let e = one_error(o);
        assert!(
            e.contains("'again' already exists") || e.contains("already exists; pass --overwrite"),
            "{e}"
        );
    }
    assert_eq!(hidden_in(&out.join("intervals")), Vec::<String>::new());

    // concat: 6 runs into one target.
    let m = t.join("m.gvl");
    let cat = vec![
        "concat".to_string(),
        "--quiet".into(),
        "--overwrite".into(),
        "--axis".into(),
        "samples".into(),
        "--out".into(),
        s(&m),
        s(&data().join("gvl2/concat_samples/parts/0.gvl")),
        s(&data().join("gvl2/concat_samples/parts/1.gvl")),
    ];
    let children: Vec<Child> = (0..6).map(|_| spawn(&cat)).collect();
    for c in children {
        ok(wait(c));
    }
    assert_same_dataset(
        &m,
        &data().join("gvl2/concat_samples/dataset.gvl"),
        "concurrent concat",
    );
    assert_eq!(hidden_in(t), Vec::<String>::new());
}

#[test]
fn signals_mid_update_and_concat_leave_everything_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let table = seed_table(t);
    let bed = big_bed(t, 12_000);
    let ds = t.join("d.gvl");
    ok(run(&dataset_args(&bed, &ds, &table, &[])));
    let before = snapshot(&ds);
    for (sig, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let up = vec![
            "update".to_string(),
            s(&ds),
            "--quiet".into(),
            "--threads".into(),
            "1".into(),
            "--track".into(),
            format!("x{sig}={}", s(&table)),
        ];
        let o = signalled_mid_run(&up, &ds.join("intervals"), &format!(".x{sig}.tmp."), sig);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(snapshot(&ds), before, "{sig}: the dataset is as it was");
    }
    // concat of the dataset with itself (the same regions twice: allowed, as in
    // GenVarLoader), stopped mid-merge.
    let m = t.join("m.gvl");
    let cat = vec![
        "concat".to_string(),
        "--quiet".into(),
        "--axis".into(),
        "regions".into(),
        "--out".into(),
        s(&m),
        s(&ds),
        s(&ds),
    ];
    for (sig, code) in [("INT", 130), ("TERM", 143)] {
        let o = signalled_mid_run(&cat, t, ".m.gvl.partial-", sig);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            !m.exists() && hidden_in(t).is_empty(),
            "{sig}: {:?}",
            hidden_in(t)
        );
    }
    assert!(!m.exists() && hidden_in(t).is_empty());
}
