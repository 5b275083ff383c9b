//! Datasets under hostile use (`dataset`, `update`, `concat`): nothing of the user's is
//! ever deleted or hidden, a killed run's staging directory is removed by the next run
//! (judged by its owner record, not by its pid alone), errors name the target, and
//! concurrent runs end whole. Failures are one line; every directory a failure must not
//! touch is compared byte for byte.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::gvl::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn bw(name: &str) -> PathBuf {
    data().join("gvl2/bigwig").join(name)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The three seed samples' table in `t`.
fn seed_table(t: &Path) -> PathBuf {
    table(
        t,
        "s.tsv",
        &[
            ("tumor", &bw("seed_0.bw")),
            ("Normal", &bw("seed_1.bw")),
            ("blood", &bw("seed_2.bw")),
        ],
    )
}

/// A BED of `n` 10 kbp regions on chr21: big enough that a run takes a while.
fn big_bed(t: &Path, n: u32) -> PathBuf {
    let mut text = String::new();
    for i in 0..n {
        let s = (i * 37) % 180_000;
        text.push_str(&format!("chr21\t{s}\t{}\n", s + 10_000));
    }
    write(t, &format!("big{n}.bed"), &text)
}

fn dataset_args(bed: &Path, out: &Path, table: &Path, extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        "dataset".into(),
        "--quiet".into(),
        "--regions".into(),
        s(bed),
        "--out".into(),
        s(out),
    ];
    a.extend(["--track".into(), format!("sig={}", s(table))]);
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

fn run(args: &[String]) -> Output {
    bin().args(args).output().unwrap()
}

fn ok(o: Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// One `error:` line, exit 1.
fn one_error(o: &Output) -> String {
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && !err.contains("panicked"),
        "{err}"
    );
    err.trim_end().to_string()
}

/// Every file and directory under `d` with its bytes (directories empty).
fn snapshot(d: &Path) -> Vec<(String, Vec<u8>)> {
    if !d.exists() {
        return Vec::new();
    }
    if d.is_file() {
        return vec![(String::new(), std::fs::read(d).unwrap())];
    }
    walk(d, true)
        .into_iter()
        .map(|f| {
            let p = d.join(&f);
            (
                f,
                if p.is_file() {
                    std::fs::read(&p).unwrap()
                } else {
                    Vec::new()
                },
            )
        })
        .collect()
}

/// Hidden entries of `d` (staging, set-aside, owner records).
fn hidden_in(d: &Path) -> Vec<String> {
    let mut v = hidden(d);
    v.sort();
    v
}

/// Wait until a file under a hidden entry of `parent` starting with `prefix` holds 1 MiB:
/// the run is mid-export.
fn wait_mid_run(child: &mut Child, parent: &Path, prefix: &str) {
    let t0 = Instant::now();
    loop {
        let staged: u64 = std::fs::read_dir(parent)
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(prefix) && !n.ends_with(".owner"))
            })
            .map(|e| {
                walk(&e.path(), false)
                    .iter()
                    .map(|f| std::fs::metadata(e.path().join(f)).map_or(0, |m| m.len()))
                    .sum::<u64>()
            })
            .sum();
        if staged >= 1 << 20 {
            return;
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("finished ({st}) before it was caught mid-run");
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no output written");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn wait(mut child: Child) -> Output {
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "still running after 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn spawn(args: &[String]) -> Child {
    bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn overwrite_never_replaces_what_the_user_put_there_during_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let table = seed_table(t);
    let bed = big_bed(t, 12_000);
    // (what is at --out when the run starts, what the user does mid-run, why it is refused)
    type Act = fn(&Path);
    let cases: [(&str, Act, Act, &str); 4] = [
        (
            "empty dir filled",
            |p| std::fs::create_dir(p).unwrap(),
            |p| std::fs::write(p.join("notes.txt"), "mine").unwrap(),
            "is not a GenVarLoader dataset",
        ),
        (
            "empty dir, a subdirectory",
            |p| std::fs::create_dir(p).unwrap(),
            |p| std::fs::create_dir(p.join("sub")).unwrap(),
            "is not a GenVarLoader dataset",
        ),
        (
            "missing, a directory made",
            |_| {},
            |p| {
                std::fs::create_dir(p).unwrap();
                std::fs::write(p.join("notes.txt"), "mine").unwrap();
            },
            "is not a GenVarLoader dataset",
        ),
        (
            "missing, a file made",
            |_| {},
            |p| std::fs::write(p, "mine").unwrap(),
            "exists and is not a directory",
        ),
    ];
    for (what, before, during, why) in cases {
        let out = t.join(format!("{}.gvl", what.replace(' ', "_").replace(',', "")));
        before(&out);
        let mut child = spawn(&dataset_args(
            &bed,
            &out,
            &table,
            &["--overwrite", "--threads", "1"],
        ));
        let name = out.file_name().unwrap().to_str().unwrap().to_string();
        wait_mid_run(&mut child, t, &format!(".{name}.partial-"));
        during(&out);
        let mine = snapshot(&out);
        let e = one_error(&wait(child));
        assert!(
            e.contains(why)
                && e.contains(
                    "it changed while the output was being written; nothing was replaced"
                ),
            "{what}: {e}"
        );
        assert!(
            e.starts_with(&format!("error: {}: ", out.display())),
            "{what}: {e}"
        );
        assert_eq!(
            snapshot(&out),
            mine,
            "{what}: the user's files are as they were"
        );
        assert_eq!(
            hidden_in(t),
            Vec::<String>::new(),
            "{what}: nothing hidden left"
        );
    }
}

/// This process's start time (`/proc/self/stat` field 22).
fn my_start() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    stat[stat.rfind(')').unwrap() + 2..]
        .split(' ')
        .nth(19)
        .unwrap()
        .parse()
        .unwrap()
}

fn here() -> (String, String) {
    (
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .unwrap()
            .trim()
            .to_string(),
        std::fs::read_link("/proc/self/ns/pid")
            .unwrap()
            .display()
            .to_string(),
    )
}

/// A staging directory `.NAME.partial-TOKEN` with an owner record.
#[allow(clippy::too_many_arguments)]
fn staging(
    t: &Path,
    name: &str,
    token: &str,
    boot: &str,
    ns: &str,
    pid: u32,
    start: u64,
    age: u64,
) -> String {
    let dir = format!(".{name}.partial-{token}");
    std::fs::create_dir_all(t.join(&dir).join("intervals")).unwrap();
    let owner = t.join(format!("{dir}.owner"));
    std::fs::write(
        &owner,
        format!(r#"{{"boot_id":"{boot}","pid_ns":"{ns}","pid":{pid},"start":{start},"tool":"test","locks":false}}"#),
    )
    .unwrap();
    let f = std::fs::File::options().write(true).open(&owner).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(age))
        .unwrap();
    dir
}

#[test]
fn leftovers_are_judged_by_their_owner_not_by_a_pid() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (boot, ns) = here();
    let me = std::process::id();
    let pid_max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .map_or(4_194_304, |s| s.trim().parse().unwrap());
    let dead = pid_max + 1;
    let gone = [
        // Older versions' names: a dead pid.
        format!(".x.gvl.partial-{dead}"),
        format!(".y.gvl.partial-{dead}-abc123"),
        // Pid 1 (a container's first process), here, but a later process than the one
        // that wrote it: the rerun of a killed container run.
        staging(t, "x.gvl", "1-aaaa", &boot, &ns, 1, 12345, 0),
        // This very pid, but not this process.
        staging(
            t,
            "x.gvl",
            &format!("{me}-bbbb"),
            &boot,
            &ns,
            me,
            my_start() + 1,
            0,
        ),
        // Another machine whose heartbeat stopped 10 minutes ago.
        staging(t, "x.gvl", "8-dddd", "another-boot", &ns, 8, 1, 600),
        // A sweeper's claim.
        ".x.gvl.stale-5-ffff".to_string(),
    ];
    std::fs::create_dir_all(t.join(&gone[0]).join("intervals")).unwrap();
    std::fs::create_dir_all(t.join(&gone[1]).join("intervals")).unwrap();
    std::fs::create_dir_all(t.join(&gone[5]).join("intervals")).unwrap();
    let kept = [
        format!(".x.gvl.partial-{me}"),
        // This process: alive.
        staging(
            t,
            "x.gvl",
            &format!("{me}-cccc"),
            &boot,
            &ns,
            me,
            my_start(),
            999,
        ),
        // Another machine (a requeued cluster job on a shared file system), heartbeat fresh.
        staging(t, "x.gvl", "7-eeee", "another-boot", &ns, 7, 1, 5),
        // Another container on this machine (its own pid namespace), heartbeat fresh.
        staging(t, "x.gvl", "1-gggg", &boot, "pid:[1]", 1, 1, 5),
    ];
    std::fs::create_dir_all(t.join(&kept[0]).join("intervals")).unwrap();
    // Another machine's run holding its lock (stale heartbeat, but locked).
    let locked = staging(t, "x.gvl", "9-hhhh", "another-boot", &ns, 9, 1, 600);
    let lock = std::fs::File::open(t.join(format!("{locked}.owner"))).unwrap();
    lock.lock().unwrap();
    let table = seed_table(t);
    ok(run(&dataset_args(
        &data().join("gvl2/named_bed6/regions.bed"),
        &t.join("x.gvl"),
        &table,
        &[],
    )));
    let left = hidden_in(t);
    for g in &gone {
        assert!(
            !left.iter().any(|l| l.starts_with(g.as_str())),
            "{g} left: {left:?}"
        );
    }
    for k in kept.iter().chain([&locked]) {
        assert!(left.contains(k), "{k} removed: {left:?}");
    }
    drop(lock);
}

#[test]
fn a_target_set_aside_by_a_run_that_died_is_put_back() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // Killed between moving the old dataset aside and moving the new one in.
    let old = data().join("gvl2/named_bed6/dataset.gvl");
    let pid_max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .map_or(4_194_304, |s| s.trim().parse().unwrap());
    let aside = t.join(format!(".x.gvl.old-{}-abcd", pid_max + 1));
    for f in files_under(&old) {
        std::fs::create_dir_all(aside.join(&f).parent().unwrap()).unwrap();
        std::fs::copy(old.join(&f), aside.join(&f)).unwrap();
    }
    let table = seed_table(t);
    let e = one_error(&run(&dataset_args(
        &data().join("gvl2/named_bed6/regions.bed"),
        &t.join("x.gvl"),
        &table,
        &[],
    )));
    assert!(
        e.ends_with("x.gvl: already exists; pass --overwrite to replace it"),
        "{e}"
    );
    assert_eq!(
        snapshot(&t.join("x.gvl")),
        snapshot(&old),
        "the old dataset is back"
    );
    assert_eq!(hidden_in(t), Vec::<String>::new());
}

/// `bigwig-npy ARGS` as pid 1 of a new pid namespace, when this machine allows one.
fn as_pid_1(args: &[String]) -> Option<Command> {
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .output()
        .ok()?;
    if !probe.status.success() {
        return None;
    }
    let mut c = Command::new("unshare");
    c.args(["--pid", "--fork", "--mount-proc"])
        .arg(env!("CARGO_BIN_EXE_bigwig-npy"))
        .args(args);
    Some(c)
}

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

/// SIGKILL `pid` and its descendants.
fn kill_tree(pid: u32) {
    let _ = Command::new("pkill")
        .args(["-KILL", "-P", &pid.to_string()])
        .status();
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}

/// A tmpfs of `kib` KiB (unmounted when dropped), where this machine lets us mount one.
struct SmallFs(PathBuf);

impl SmallFs {
    fn new(at: &Path, kib: u64) -> Option<SmallFs> {
        std::fs::create_dir_all(at).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(at)
            .output()
            .ok()?;
        o.status.success().then(|| SmallFs(at.to_path_buf()))
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Copy the tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    for f in files_under(from) {
        std::fs::create_dir_all(to.join(&f).parent().unwrap()).unwrap();
        std::fs::copy(from.join(&f), to.join(&f)).unwrap();
    }
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
        let mut child = spawn(&up);
        wait_mid_run(&mut child, &ds.join("intervals"), &format!(".x{sig}.tmp."));
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let o = wait(child);
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
        let mut child = spawn(&cat);
        wait_mid_run(&mut child, t, ".m.gvl.partial-");
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let o = wait(child);
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
