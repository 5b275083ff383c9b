//! Datasets under hostile use (`dataset`, `update`, `concat`): nothing of the user's is
//! ever deleted or hidden, a killed run's staging directory is removed by the next run
//! (judged by its owner record, not by its pid alone), errors name the target, and
//! concurrent runs end whole. Failures are one line; every directory a failure must not
//! touch is compared byte for byte.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::atomic::*;
use common::gvl::*;
use common::*;
use std::path::Path;

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
