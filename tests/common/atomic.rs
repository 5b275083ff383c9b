//! Helpers of the atomic-output tests (`tests/atomic_output.rs`, `tests/atomic_crash.rs`):
//! dataset runs of the CLI, snapshots of directories, owner records, runs as pid 1, a
//! small tmpfs.

use super::gvl::*;
use super::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

pub fn bw(name: &str) -> PathBuf {
    data().join("gvl2/bigwig").join(name)
}

pub fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The three seed samples' table in `t`.
pub fn seed_table(t: &Path) -> PathBuf {
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
pub fn big_bed(t: &Path, n: u32) -> PathBuf {
    let mut text = String::new();
    for i in 0..n {
        let s = (i * 37) % 180_000;
        text.push_str(&format!("chr21\t{s}\t{}\n", s + 10_000));
    }
    write(t, &format!("big{n}.bed"), &text)
}

pub fn dataset_args(bed: &Path, out: &Path, table: &Path, extra: &[&str]) -> Vec<String> {
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

pub fn run(args: &[String]) -> Output {
    bin().args(args).output().unwrap()
}

pub fn ok(o: Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// One `error:` line, exit 1.
pub fn one_error(o: &Output) -> String {
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
pub fn snapshot(d: &Path) -> Vec<(String, Vec<u8>)> {
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
pub fn hidden_in(d: &Path) -> Vec<String> {
    let mut v = hidden(d);
    v.sort();
    v
}

/// Wait until a file under a hidden entry of `parent` starting with `prefix` holds 1 MiB:
/// the run is mid-export.
pub fn wait_mid_run(child: &mut Child, parent: &Path, prefix: &str) {
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

pub fn wait(mut child: Child) -> Output {
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

/// Run `bigwig-npy ARGS`, send it signal `sig` (`INT`, `TERM`, ...) once it is mid-run
/// ([`wait_mid_run`] on `parent` and `prefix`), and wait for it to end.
pub fn signalled_mid_run(args: &[String], parent: &Path, prefix: &str, sig: &str) -> Output {
    let mut child = spawn(args);
    wait_mid_run(&mut child, parent, prefix);
    Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    wait(child)
}

pub fn spawn(args: &[String]) -> Child {
    bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// This process's start time (`/proc/self/stat` field 22).
pub fn my_start() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    stat[stat.rfind(')').unwrap() + 2..]
        .split(' ')
        .nth(19)
        .unwrap()
        .parse()
        .unwrap()
}

pub fn here() -> (String, String) {
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
pub fn staging(
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

/// `bigwig-npy ARGS` as pid 1 of a new pid namespace, when this machine allows one.
pub fn as_pid_1(args: &[String]) -> Option<Command> {
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

/// SIGKILL `pid` and its descendants.
pub fn kill_tree(pid: u32) {
    let _ = Command::new("pkill")
        .args(["-KILL", "-P", &pid.to_string()])
        .status();
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}

/// A tmpfs of `kib` KiB (unmounted when dropped), where this machine lets us mount one.
pub struct SmallFs(pub PathBuf);

impl SmallFs {
    pub fn new(at: &Path, kib: u64) -> Option<SmallFs> {
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
pub fn copy_tree(from: &Path, to: &Path) {
    for f in files_under(from) {
        std::fs::create_dir_all(to.join(&f).parent().unwrap()).unwrap();
        std::fs::copy(from.join(&f), to.join(&f)).unwrap();
    }
}
