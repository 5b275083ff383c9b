//! The one-region-at-a-time driver (`Stepper`, what the wasm module runs) natively: every
//! fixture case through the missing-range protocol, in input and in genome order, and
//! its read-ahead policy: nothing asked twice, raw bytes dropped behind the window.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod craft;
use bigwig_npy::native::read_regions;
use bigwig_npy::stepper::{Step, Stepper};
use bigwig_npy::{ByteRange, Format, IndexPolicy, Layout, Options, Regions};
use common::*;
use std::collections::HashSet;

struct Run {
    intervals: Vec<u8>,
    offsets: Vec<u8>,
    genome_order: bool,
    asked_twice: usize,
    stalls: usize,
    most_raw_held: usize,
    /// The rounds of reads open asked for, each a list of (source, offset, len).
    open_rounds: Vec<Vec<(usize, u64, u64)>>,
    /// Bytes of every range handed out (open and steps).
    fetched: u64,
}

fn feed(s: &mut Stepper, sources: &[Vec<u8>], ranges: &[ByteRange]) {
    for r in ranges {
        let src = &sources[r.source];
        let end = ((r.offset + r.len) as usize).min(src.len());
        s.add_range(r.source, r.offset, src[r.offset as usize..end].to_vec());
    }
}

/// Drive a stepper as a host does: all reads land at once (a fast source).
fn drive(case: &Case, cache: usize, lookahead: usize) -> Run {
    drive_policy(case, cache, lookahead, IndexPolicy::Auto)
}

fn drive_policy(case: &Case, cache: usize, lookahead: usize, policy: IndexPolicy) -> Run {
    let sources: Vec<Vec<u8>> = case
        .sources
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    drive_bytes(
        &sources,
        read_regions(&case.regions).unwrap(),
        cache,
        lookahead,
        policy,
    )
    .unwrap()
}

fn drive_bytes(
    sources: &[Vec<u8>],
    regions: Regions,
    cache: usize,
    lookahead: usize,
    policy: IndexPolicy,
) -> Result<Run, bigwig_npy::Error> {
    let names = (0..sources.len()).map(|i| format!("source {i}")).collect();
    let opts = Options {
        format: Format::Raw,
        layout: Layout::Aos,
        ..Options::default()
    };
    let mut s = Stepper::new(names, opts, cache);
    s.set_index_policy(policy);
    s.set_regions(regions);
    for (i, b) in sources.iter().enumerate() {
        s.set_size(i, b.len() as u64);
    }
    let (mut open_rounds, mut fetched) = (Vec::new(), 0u64);
    loop {
        let missing = s.open()?;
        if missing.is_empty() {
            break;
        }
        assert!(open_rounds.len() < 100, "open does not converge");
        fetched += missing.iter().map(|r| r.len).sum::<u64>();
        open_rounds.push(
            missing
                .iter()
                .map(|r| (r.source, r.offset, r.len))
                .collect(),
        );
        feed(&mut s, sources, &missing);
    }
    while !s.plan_order(1000).unwrap() {}
    let genome_order = s.genome_order();
    let (mut files, mut unordered) = ([Vec::new(), Vec::new()], Vec::new());
    let (mut asked, mut asked_twice, mut stalls, mut most) = (HashSet::new(), 0, 0, 0);
    loop {
        let step = s.step(1 << 16, lookahead)?;
        unordered.extend(s.take_unordered().0);
        s.writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        let ranges = match step {
            Step::Done => break,
            Step::Stalled(r) => {
                stalls += 1;
                r
            }
            Step::ReadAhead(r) => r,
        };
        for r in &ranges {
            asked_twice += !asked.insert((r.source, r.offset)) as usize;
        }
        fetched += ranges.iter().map(|r| r.len).sum::<u64>();
        feed(&mut s, sources, &ranges);
        if s.regions_done() >= 100 {
            most = most.max(s.raw_bytes_held());
        }
    }
    if genome_order {
        // The host's part: encoded regions back in input order, by the core's spans.
        let spans = bigwig_npy::encoded::spans(&unordered, sources.len());
        let mut regions = Vec::new();
        let mut at = 0;
        for sp in spans.chunks(2) {
            regions.push((sp[0], &unordered[at..at + sp[1] as usize]));
            at += sp[1] as usize;
        }
        regions.sort_by_key(|r| r.0);
        let in_order: Vec<u8> = regions.iter().flat_map(|r| r.1.iter().copied()).collect();
        s.push_encoded(&in_order).unwrap();
        s.writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .unwrap();
    }
    let [intervals, offsets] = files;
    Ok(Run {
        intervals,
        offsets,
        genome_order,
        asked_twice,
        stalls,
        most_raw_held: most,
        open_rounds,
        fetched,
    })
}

#[test]
fn every_case_in_input_and_genome_order_matches_genvarloader() {
    for case in all_cases() {
        for cache in [16 << 20, 0] {
            let run = drive(&case, cache, 4);
            assert_eq!(
                sha256(&run.intervals),
                case.intervals_sha256,
                "{} cache {cache}",
                case.name
            );
            assert_eq!(
                sha256(&run.offsets),
                case.offsets_sha256,
                "{} cache {cache}",
                case.name
            );
            if cache > 0 {
                // Every block fits the cache: each is asked for once.
                assert_eq!(run.asked_twice, 0, "{}", case.name);
            }
        }
    }
}

#[test]
fn raw_bytes_are_dropped_behind_the_read_ahead() {
    let seed = all_cases().into_iter().find(|c| c.name == "seed").unwrap();
    let total: usize = seed
        .sources
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len() as usize)
        .sum();
    // Shuffled regions, no decoded-block budget: genome order, and only the window stays.
    let run = drive(&seed, 0, 8);
    assert!(run.genome_order);
    assert!(run.stalls <= 2, "{} stalls", run.stalls);
    assert!(
        run.most_raw_held * 5 < total * 3,
        "{} of {total} bytes held",
        run.most_raw_held
    );
}

#[test]
fn every_case_with_a_lazy_index_matches_genvarloader() {
    for case in all_cases() {
        for cache in [16 << 20, 0] {
            let run = drive_policy(&case, cache, 4, IndexPolicy::Lazy);
            assert_eq!(
                sha256(&run.intervals),
                case.intervals_sha256,
                "{}",
                case.name
            );
            assert_eq!(sha256(&run.offsets), case.offsets_sha256, "{}", case.name);
        }
    }
}

/// A genome-wide file (3 chroms, 6,000 blocks, 16 items a node: a 4-level R-tree of
/// about 200 kB) and `n` loci of 1 kbp at deterministic random places.
fn genome_wide(n: usize, seed: u64) -> (Vec<u8>, Regions) {
    let file = craft::genome_wide(6000, 32, 16, false);
    let mut rng = fastrand::Rng::with_seed(seed);
    let lens = [
        ("chr1", 50_000_000u32),
        ("chr2", 40_000_000),
        ("chr3", 30_000_000),
    ];
    let bed: String = (0..n)
        .map(|_| {
            let (c, len) = lens[rng.usize(..3)];
            let s = rng.u32(..len - 1000);
            format!("{c}\t{s}\t{}\n", s + 1000)
        })
        .collect();
    (file, Regions::from_bed("loci.bed", bed.as_bytes()).unwrap())
}

fn index_span(file: &[u8]) -> (u64, u64) {
    let at = u64::from_le_bytes(file[24..32].try_into().unwrap());
    (at, file.len() as u64 - at)
}

#[test]
fn a_locus_in_a_large_file_reads_a_path_of_index_nodes() {
    let (file, regions) = genome_wide(1, 1);
    let (at, span) = index_span(&file);
    assert!(span > 150_000, "{span}");
    let sources = [file.clone(), file];
    let lazy = drive_bytes(&sources, regions.clone(), 16 << 20, 4, IndexPolicy::Auto).unwrap();
    let whole = drive_bytes(&sources, regions, 16 << 20, 4, IndexPolicy::Whole).unwrap();
    assert_eq!(lazy.intervals, whole.intervals);
    assert_eq!(lazy.offsets, whole.offsets);
    assert!(!lazy.intervals.is_empty());
    // Head, then R-tree header with root, then at most a round per level below the root
    // (3; here the root's read also held the next level); the node guesses get each
    // node in one read.
    assert!(
        (3..=5).contains(&lazy.open_rounds.len()),
        "{:?}",
        lazy.open_rounds
    );
    let index_read: u64 = lazy.open_rounds[1..].iter().flatten().map(|r| r.2).sum();
    assert!(
        index_read / 2 < span / 20,
        "{index_read} of 2 x {span} index bytes"
    );
    // Each round asks for both sources at once, each node once.
    for round in &lazy.open_rounds[1..] {
        assert_eq!(round.len(), 2, "{round:?}");
        assert!(round.iter().all(|r| r.1 >= at));
    }
    // Whole: the head, then the index in one read.
    assert_eq!(whole.open_rounds.len(), 2);
    assert_eq!(whole.open_rounds[1], vec![(0, at, span), (1, at, span)]);
    assert!(
        lazy.fetched * 10 < whole.fetched,
        "{} vs {}",
        lazy.fetched,
        whole.fetched
    );
}

#[test]
fn lazy_and_whole_index_reads_give_the_same_bytes_for_random_loci() {
    for (n, seed) in [(2, 7), (9, 8), (60, 9), (400, 10)] {
        let (file, regions) = genome_wide(n, seed);
        let sources = [file];
        let whole =
            drive_bytes(&sources, regions.clone(), 16 << 20, 4, IndexPolicy::Whole).unwrap();
        for policy in [IndexPolicy::Lazy, IndexPolicy::Auto] {
            for cache in [16 << 20, 0] {
                let run = drive_bytes(&sources, regions.clone(), cache, 4, policy).unwrap();
                assert_eq!(run.intervals, whole.intervals, "{n} loci, {policy:?}");
                assert_eq!(run.offsets, whole.offsets, "{n} loci, {policy:?}");
                if cache > 0 {
                    assert_eq!(run.asked_twice, 0);
                }
            }
        }
    }
}

#[test]
fn the_index_is_read_lazily_or_whole_by_what_each_costs() {
    let (file, _) = genome_wide(1, 1);
    let (at, span) = index_span(&file);
    let auto = |regions| {
        drive_bytes(
            std::slice::from_ref(&file),
            regions,
            16 << 20,
            4,
            IndexPolicy::Auto,
        )
        .unwrap()
    };
    let bytes =
        |rounds: &[Vec<(usize, u64, u64)>]| -> u64 { rounds.iter().flatten().map(|r| r.2).sum() };
    // The requests the read planner makes of a run's last round.
    let last_requests = |run: &Run| {
        let last = run.open_rounds.last().unwrap().iter();
        bigwig_npy::reads::coalesce(&last.map(|r| (r.1, r.2)).collect::<Vec<_>>()).len()
    };
    // 50 loci: their leaf nodes (and a request each, counted as 4 KiB) cost less than the
    // whole index, so a level at a time.
    let (_, regions) = genome_wide(50, 3);
    let run = auto(regions);
    let index = &run.open_rounds[1..];
    assert!(index.len() >= 3, "{:?}", run.open_rounds);
    assert!(index.iter().all(|r| *r != vec![(0, at, span)]), "{index:?}");
    assert!(bytes(index) * 2 < span, "{} of {span}", bytes(index));
    // 3000 loci need nearly every leaf: the leaf level (one run of nodes, which the read
    // planner makes one request) costs no more than the whole index would.
    let (_, regions) = genome_wide(3000, 3);
    let run = auto(regions);
    assert!(last_requests(&run) <= 2, "{:?}", run.open_rounds);
    assert!(
        bytes(&run.open_rounds[1..]) < span + span / 8,
        "{:?}",
        run.open_rounds
    );
    // Few regions that touch most leaves (whole chroms): their leaves are one run of the
    // leaf level, fewer bytes than the whole index, in one request.
    let bed = "chr1\t0\t50000000\nchr2\t0\t40000000\n";
    let regions = Regions::from_bed("chroms.bed", bed.as_bytes()).unwrap();
    let run = auto(regions);
    assert_eq!(last_requests(&run), 1, "{:?}", run.open_rounds);
    assert!(bytes(&run.open_rounds[1..]) < span, "{:?}", run.open_rounds);
    assert!(run.open_rounds.len() <= 5, "{:?}", run.open_rounds);
}

#[test]
fn an_index_node_outside_its_parents_bounds_is_refused_both_ways() {
    let liar = craft::genome_wide(6000, 32, 16, true);
    let e =
        bigwig_npy::bigwig::BigWig::open(&bigwig_npy::MemSource::new(liar.clone())).unwrap_err();
    assert!(
        format!("{e:?}").contains("outside its node's bounds"),
        "{e:?}"
    );
    // Lazily, a locus under the lying branch (the first of chr1) reaches it too.
    let regions = Regions::from_bed("r.bed", b"chr1\t0\t1000\n").unwrap();
    let e = drive_bytes(&[liar], regions, 16 << 20, 4, IndexPolicy::Lazy)
        .err()
        .expect("refused");
    assert!(
        e.to_string()
            .contains("source 0: corrupt R-tree index (an item spanning"),
        "{e}"
    );
}

#[test]
fn index_bombs_are_refused_when_read_lazily() {
    let regions = Regions::from_bed("r.bed", b"chr1\t0\t1000\n").unwrap();
    for (bomb, want) in [
        (craft::rtree_bomb(), "nodes overlap"),
        (craft::deep_rtree(100), "deeper than 64 levels"),
        (craft::shared_block(1000), "overlap"),
    ] {
        let e = drive_bytes(&[bomb], regions.clone(), 16 << 20, 4, IndexPolicy::Lazy)
            .err()
            .expect("refused");
        assert!(e.to_string().contains(want), "{e}");
    }
}

#[test]
fn a_block_past_the_end_is_an_error_not_a_request() {
    // The second leaf of a small file points past its end (found by the fuzz harness:
    // the read-ahead handed such ranges to the host to fetch).
    let blocks: Vec<Vec<(u32, u32, f32)>> = (0..3u32)
        .map(|b| {
            (0..3000u32)
                .map(|i| {
                    (
                        b * 100_000 + i * 20,
                        b * 100_000 + i * 20 + 7,
                        (i * 7919 % 1013) as f32 * 0.37,
                    )
                })
                .collect()
        })
        .collect();
    let mut file = craft::valid(&blocks);
    assert!(
        file.len() > 3 * 4096,
        "{} bytes: more than the first read",
        file.len()
    );
    let at = u64::from_le_bytes(file[24..32].try_into().unwrap()) as usize;
    let item = at + 48 + 4 + 32;
    let past = (file.len() as u64 + 1000).to_le_bytes();
    file[item + 16..item + 24].copy_from_slice(&past);
    // The first region stalls; the read-ahead covers the second one's block.
    let regions = Regions::from_bed("r.bed", b"chr1\t0\t100\nchr1\t100000\t100100\n").unwrap();
    for policy in [IndexPolicy::Auto, IndexPolicy::Lazy] {
        let e = drive_bytes(&[file.clone()], regions.clone(), 16 << 20, 4, policy)
            .err()
            .expect("refused");
        assert!(
            e.to_string()
                .starts_with("source 0: truncated or corrupt file: "),
            "{e}"
        );
    }
}
