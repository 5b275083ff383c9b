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

#[path = "../../tests/craft/mod.rs"]
mod craft;
mod inputs;
mod protocol;

use bigwig_npy::layout::{Format, Layout, TrackWriter};
use bigwig_npy::{open_input, Error, Export, MemSource, Options, Regions};
use inputs::{corpus, mutate, mutate_bed};
use protocol::{export_lazy, open_async};
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
