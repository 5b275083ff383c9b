//! Mutation fuzzing of everything a file or a BED can reach: `open` (directly and through
//! the async `Missing` protocol, one round of reads at a time), region parsing, contig
//! resolution and the whole export, under a memory cap and a time cap per run.
//!
//! usage: cargo run --release --example fuzz -- [RUNS] [SEED]   (default 1,000,000 runs)
//!
//! Inputs are the bundled bigWigs and BEDs and the crafted files of `tests/craft`, mutated
//! by byte flips, overwritten fields (0, 1, -1, sizes and offsets of the file itself),
//! truncation, spliced and duplicated spans. A run fails when it panics, allocates past
//! `MEMORY_CAP` at once (the harness then stops), holds more than `PEAK_CAP` live, takes
//! longer than `SLOW_RUN`, needs more than `MAX_ROUNDS` rounds of reads to open, or when
//! an export reading the index lazily (the stepper, only the nodes the regions need)
//! gives other bytes than the export over the whole index. A
//! watchdog aborts the process (naming the input) if one run hangs for `HANG`. Failing
//! inputs are written to `target/fuzz-failures/`. Exit status 1 if any run failed.

#[path = "../tests/craft/mod.rs"]
mod craft;

use bigwig_npy::layout::{Format, Layout, TrackWriter};
use bigwig_npy::stepper::{Step, Stepper};
use bigwig_npy::{
    open_input, Error, Export, IndexPolicy, Input, MemSource, Options, RangeCache, Regions, Stop,
};
use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One allocation larger than this is refused (the process aborts, as it would under a
/// container's memory limit): no input of this size justifies it.
const MEMORY_CAP: usize = 1 << 30;
/// Live bytes one run may hold at its peak (over both threads' baselines).
const PEAK_CAP: usize = 512 << 20;
const SLOW_RUN: Duration = Duration::from_secs(2);
const HANG: Duration = Duration::from_secs(30);
const MAX_ROUNDS: usize = 2 * 64 + 8;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: AllocLayout) -> *mut u8 {
        if l.size() > MEMORY_CAP {
            eprintln!("fuzz: one allocation of {} bytes refused", l.size());
            return std::ptr::null_mut();
        }
        let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: AllocLayout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: AllocLayout, new: usize) -> *mut u8 {
        if new > MEMORY_CAP {
            eprintln!("fuzz: one allocation of {new} bytes refused");
            return std::ptr::null_mut();
        }
        if new > l.size() {
            let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
        }
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

struct Corpus {
    bigwigs: Vec<(String, Vec<u8>)>,
    beds: Vec<Vec<u8>>,
}

fn corpus() -> Corpus {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut bigwigs = Vec::new();
    for e in std::fs::read_dir(data.join("bigwig")).unwrap().flatten() {
        bigwigs.push((
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path()).unwrap(),
        ));
    }
    bigwigs.push((
        "seed/sample_0.bw".into(),
        std::fs::read(data.join("seed/sample_0.bw")).unwrap(),
    ));
    bigwigs.push(("craft:small_valid".into(), craft::small_valid()));
    bigwigs.push(("craft:shared_block".into(), craft::shared_block(3)));
    bigwigs.push(("craft:deep".into(), craft::deep_rtree(10)));
    bigwigs.push(("craft:zlib_bomb".into(), craft::zlib_bomb(1 << 20, 1 << 16)));
    // A 4-level R-tree (4 items a node), so mutations reach the lazy walk's descent.
    bigwigs.push((
        "craft:genome_wide".into(),
        craft::genome_wide(150, 8, 4, false),
    ));
    bigwigs.sort();
    let mut beds = vec![b"chr1\t0\t5000\nchr1\t9000\t30000\nchr2\t0\t100\n".to_vec()];
    for e in std::fs::read_dir(data.join("cases")).unwrap().flatten() {
        if let Ok(b) = std::fs::read(e.path().join("regions.bed")) {
            // A few hundred lines are enough to reach every rule and keep runs fast.
            let cut = b
                .iter()
                .enumerate()
                .filter(|(_, &c)| c == b'\n')
                .nth(200)
                .map_or(b.len(), |(i, _)| i + 1);
            beds.push(b[..cut].to_vec());
        }
    }
    Corpus { bigwigs, beds }
}

/// Values that make fields lie: zeros, ones, all-ones, the file's own size and offsets.
fn interesting(rng: &mut fastrand::Rng, len: usize) -> u64 {
    match rng.u8(..8) {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        3 => u32::MAX as u64,
        4 => len as u64,
        5 => rng.u64(..len.max(1) as u64),
        6 => (len as u64).saturating_sub(rng.u64(..64)),
        _ => 1u64 << rng.u8(..63),
    }
}

fn mutate(rng: &mut fastrand::Rng, b: &mut Vec<u8>) {
    for _ in 0..rng.usize(1..6) {
        if b.is_empty() {
            b.push(rng.u8(..));
            continue;
        }
        let at = if rng.bool() {
            rng.usize(..b.len().min(4096))
        } else {
            rng.usize(..b.len())
        };
        match rng.u8(..7) {
            0 => b[at] = rng.u8(..),
            1 => b[at] ^= 1 << rng.u8(..8),
            2 => {
                let v = interesting(rng, b.len());
                let w = [1usize, 2, 4, 8][rng.usize(..4)];
                for k in 0..w.min(b.len() - at) {
                    b[at + k] = (v >> (8 * k)) as u8;
                }
            }
            3 => b.truncate(at),
            4 => {
                // Copy a span elsewhere (a node or block duplicated, a DAG in the making).
                let n = rng.usize(1..=(b.len() - at).min(512));
                let span = b[at..at + n].to_vec();
                let to = rng.usize(..b.len());
                let end = (to + n).min(b.len());
                b[to..end].copy_from_slice(&span[..end - to]);
            }
            5 => {
                let n = rng.usize(1..=(b.len() - at).min(64));
                b.drain(at..at + n);
            }
            _ => {
                let n = rng.usize(1..64);
                let fill = rng.u8(..);
                b.splice(at..at, std::iter::repeat_n(fill, n));
            }
        }
    }
}

fn mutate_bed(rng: &mut fastrand::Rng, b: &mut Vec<u8>) {
    const TOKENS: &[&[u8]] = &[
        b"\r",
        b"\n",
        b"\r\n",
        b"\t",
        b" ",
        b"#",
        b"-",
        b"0",
        b"2147483647",
        b"2147483648",
        b"-2147483649",
        b"99999999999999999999",
        b"chr",
        b"chrM",
        b"\xef\xbb\xbf",
        b"\0",
        b"track ",
        b"+",
        b".",
    ];
    for _ in 0..rng.usize(1..4) {
        let at = rng.usize(..=b.len());
        match rng.u8(..3) {
            0 => {
                let t = TOKENS[rng.usize(..TOKENS.len())];
                b.splice(at..at, t.iter().copied());
            }
            1 if at < b.len() => {
                let n = rng.usize(1..=(b.len() - at).min(16));
                b.drain(at..at + n);
            }
            _ if at < b.len() => b[at] = rng.u8(..),
            _ => {}
        }
    }
}

/// The bytes a host serves for `r` (cut at the end of the file); asking for a range
/// that starts past the end is a failure of the asking side.
fn served(bytes: &[u8], r: &bigwig_npy::ByteRange) -> Result<Vec<u8>, String> {
    let (a, e) = (
        r.offset as usize,
        (r.offset + r.len).min(bytes.len() as u64) as usize,
    );
    if a >= e {
        return Err(format!(
            "asked for bytes {a}..{} past the end",
            r.offset + r.len
        ));
    }
    Ok(bytes[a..e].to_vec())
}

/// Open through the async protocol: serve exactly what `Missing` asks, round after round.
fn open_async(bytes: &Arc<[u8]>) -> Result<usize, String> {
    let cache = RangeCache::new();
    cache.set_size(bytes.len() as u64);
    for round in 0..MAX_ROUNDS {
        match Input::open(0, "f", &cache) {
            Ok(_) => return Ok(round),
            Err(Stop::Missing(ranges)) => {
                for r in ranges {
                    cache.insert(r.offset, served(bytes, &r)?);
                }
            }
            Err(_) => return Ok(round),
        }
    }
    Err(format!(
        "open needed more than {MAX_ROUNDS} rounds of reads"
    ))
}

/// Export through the one-region-at-a-time driver reading the index lazily, serving
/// exactly what it asks for: `Some(files)` when it succeeds in input order.
fn export_lazy(
    bytes: &Arc<[u8]>,
    regions: Regions,
    opts: Options,
) -> Result<Option<[Vec<u8>; 2]>, String> {
    let serve = |s: &mut Stepper, ranges: &[bigwig_npy::ByteRange]| -> Result<(), String> {
        for r in ranges {
            s.add_range(0, r.offset, served(bytes, r)?);
        }
        Ok(())
    };
    let mut s = Stepper::new(vec!["f".into()], opts, 16 << 20);
    s.set_index_policy(IndexPolicy::Lazy);
    s.set_regions(regions);
    s.set_size(0, bytes.len() as u64);
    let mut round = 0;
    loop {
        match s.open() {
            Ok(m) if m.is_empty() => break,
            Ok(m) => serve(&mut s, &m)?,
            Err(_) => return Ok(None),
        }
        round += 1;
        if round > MAX_ROUNDS {
            return Err(format!(
                "a lazy open needed more than {MAX_ROUNDS} rounds of reads"
            ));
        }
    }
    let mut files = [Vec::new(), Vec::new()];
    for _ in 0..1_000_000 {
        let step = match s.step(1 << 20, 8) {
            Ok(step) => step,
            Err(_) => return Ok(None),
        };
        if s.genome_order() {
            return Ok(None); // compared in input order only
        }
        s.writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .map_err(|_| "drain failed".to_string())?;
        match step {
            Step::Done => return Ok(Some(files)),
            Step::Stalled(r) | Step::ReadAhead(r) => serve(&mut s, &r)?,
        }
    }
    Err("a lazy export made no progress in 1,000,000 steps".into())
}

static OPENED: AtomicU64 = AtomicU64::new(0);
static EXPORTED: AtomicU64 = AtomicU64::new(0);

/// One run: open the (mutated) file, parse the (mutated) BED, export it. Errors are fine;
/// panics, over-budget memory or time and endless open rounds are failures.
fn run_one(
    rng: &mut fastrand::Rng,
    file: &Arc<[u8]>,
    bed: &mut Vec<u8>,
    async_open: bool,
    own_bed: bool,
) -> Result<(), String> {
    if async_open {
        open_async(file)?;
    }
    let Ok(input) = open_input(0, "f", MemSource(file.clone())) else {
        return Ok(());
    };
    OPENED.fetch_add(1, Ordering::Relaxed);
    if own_bed && !input.bigwig.chroms.is_empty() {
        // Regions on the file's own contigs, so most runs reach the data blocks.
        bed.clear();
        for _ in 0..rng.usize(1..40) {
            let c = &input.bigwig.chroms[rng.usize(..input.bigwig.chroms.len().min(4))];
            let len = c.length.max(1) as i64;
            let s = rng.i64(-10..len);
            let e = if rng.u8(..8) == 0 {
                len + 5
            } else {
                s + rng.i64(0..200_000)
            };
            bed.extend_from_slice(format!("{}\t{s}\t{e}\n", c.name).as_bytes());
        }
        if rng.u8(..4) == 0 {
            mutate_bed(rng, bed);
        }
    }
    let Ok(regions) = Regions::from_bed("r.bed", bed) else {
        return Ok(());
    };
    let opts = Options {
        format: Format::Raw,
        layout: Layout::Aos,
        max_mem: 64 << 20,
    };
    let lazy = if async_open {
        export_lazy(file, regions.clone(), opts)?
    } else {
        None
    };
    let Ok(export) = Export::new(vec![input], regions, opts) else {
        return Ok(());
    };
    let mut w = TrackWriter::new(Layout::Aos, Format::Raw);
    let mut whole = [Vec::new(), Vec::new()];
    if export
        .run_sequential(&mut w, |_, w| {
            w.drain(|i, b| {
                whole[i].extend_from_slice(b);
                Ok::<(), Error>(())
            })
        })
        .is_ok()
    {
        EXPORTED.fetch_add(1, Ordering::Relaxed);
        // The lazy index walk must find what the whole index finds.
        if lazy.as_ref().is_some_and(|l| *l != whole) {
            return Err("a lazy index read exported other bytes than the whole index".into());
        }
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--replay") {
        // `--replay FILE.bw FILE.bed`: one saved failing input, timed.
        let (bw, bed) = (
            args.nth(1).expect("FILE.bw"),
            args.next().expect("FILE.bed"),
        );
        let file: Arc<[u8]> = std::fs::read(bw).unwrap().into();
        let mut bed = std::fs::read(bed).unwrap();
        let mut rng = fastrand::Rng::with_seed(0);
        let t = Instant::now();
        let base = LIVE.load(Ordering::Relaxed);
        let r = run_one(&mut rng, &file, &mut bed, true, false);
        println!(
            "replay: {r:?} in {:?}, peak {} bytes",
            t.elapsed(),
            PEAK.load(Ordering::Relaxed).saturating_sub(base)
        );
        return;
    }
    let runs: u64 = args
        .next()
        .map_or(1_000_000, |s| s.replace('_', "").parse().expect("RUNS"));
    let seed: u64 = args.next().map_or(1, |s| s.parse().expect("SEED"));
    let corpus = Arc::new(corpus());
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let slowest = Arc::new(AtomicU64::new(0));
    let fail_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    // Current run of each thread, for the watchdog: (started at, in micros since t0).
    let t0 = Instant::now();
    let current: Arc<Vec<AtomicU64>> = Arc::new((0..threads).map(|_| AtomicU64::new(0)).collect());
    std::panic::set_hook(Box::new(|_| {})); // panics are counted, not printed
    {
        let current = current.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = t0.elapsed().as_micros() as u64;
            for c in current.iter() {
                let s = c.load(Ordering::Relaxed);
                if s != 0 && now.saturating_sub(s) > HANG.as_micros() as u64 {
                    eprintln!("fuzz: a run has not finished after {HANG:?}: hang");
                    std::process::exit(2);
                }
            }
        });
    }
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (corpus, done, failed, slowest, current, fail_dir) = (
                corpus.clone(),
                done.clone(),
                failed.clone(),
                slowest.clone(),
                current.clone(),
                fail_dir.clone(),
            );
            std::thread::spawn(move || {
                let mut rng =
                    fastrand::Rng::with_seed(seed.wrapping_mul(1_000_003).wrapping_add(t as u64));
                loop {
                    let i = done.fetch_add(1, Ordering::Relaxed);
                    if i >= runs {
                        break;
                    }
                    let (name, orig) = &corpus.bigwigs[rng.usize(..corpus.bigwigs.len())];
                    let mut file = orig.clone();
                    let mut bed = corpus.beds[rng.usize(..corpus.beds.len())].clone();
                    match rng.u8(..4) {
                        0 => mutate_bed(&mut rng, &mut bed),
                        1 => {
                            mutate(&mut rng, &mut file);
                            mutate_bed(&mut rng, &mut bed);
                        }
                        _ => mutate(&mut rng, &mut file),
                    }
                    let file: Arc<[u8]> = file.into();
                    let async_open = rng.u8(..8) == 0;
                    let own_bed = rng.bool();
                    current[t].store(t0.elapsed().as_micros().max(1) as u64, Ordering::Relaxed);
                    let base = LIVE.load(Ordering::Relaxed);
                    PEAK.store(base, Ordering::Relaxed);
                    let t1 = Instant::now();
                    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_one(&mut rng, &file, &mut bed, async_open, own_bed)
                    }));
                    let took = t1.elapsed();
                    current[t].store(0, Ordering::Relaxed);
                    slowest.fetch_max(took.as_micros() as u64, Ordering::Relaxed);
                    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
                    let why = match res {
                        Err(p) => Some(format!(
                            "panic: {}",
                            p.downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default()
                        )),
                        Ok(Err(m)) => Some(m),
                        // A busy machine can stall any run: slow only if it is slow again.
                        Ok(Ok(()))
                            if took > SLOW_RUN && {
                                let t2 = Instant::now();
                                let _ = run_one(&mut rng, &file, &mut bed, async_open, false);
                                t2.elapsed() > SLOW_RUN
                            } =>
                        {
                            Some(format!("slow: {took:?}, twice"))
                        }
                        Ok(Ok(())) if peak > PEAK_CAP => {
                            Some(format!("memory: {peak} bytes live at the peak"))
                        }
                        Ok(Ok(())) => None,
                    };
                    if let Some(why) = why {
                        let n = failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("fuzz: run {i} ({name}): {why}");
                        if n < 20 {
                            let _ = std::fs::create_dir_all(&fail_dir);
                            let _ = std::fs::write(fail_dir.join(format!("run{i}.bw")), &file);
                            let _ = std::fs::write(fail_dir.join(format!("run{i}.bed")), &bed);
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let n = runs;
    let f = failed.load(Ordering::Relaxed);
    println!(
        "fuzz: {n} runs (seed {seed}, {threads} threads) in {:.1} s: {} opened, {} exported whole; {f} failed (panics, hangs, over-budget memory or time); slowest run {:.1} ms",
        started.elapsed().as_secs_f64(),
        OPENED.load(Ordering::Relaxed),
        EXPORTED.load(Ordering::Relaxed),
        slowest.load(Ordering::Relaxed) as f64 / 1000.0
    );
    std::process::exit(if f == 0 { 0 } else { 1 });
}
