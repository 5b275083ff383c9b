//! The stepper's index read lazily (only the R-tree nodes the regions need) or whole, by
//! what each costs: the same bytes either way, few reads for a locus in a large file, and
//! bombs, lying nodes and blocks past the end refused. The harness: `common/stepper.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod craft;
use bigwig_npy::{IndexPolicy, Regions};
use common::stepper::*;

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

/// 70,000 blocks, 256 items a node (the writers' usual size): a 3-level R-tree (root, 2
/// branch nodes, 274 leaves) whose size gives its layout away, so the first index round
/// asks for the root and the branch node a locus likely lies under, by its place in the
/// genome. A hit saves a round; a miss (the genome padded with 2 Gbp of an empty chrom,
/// so every locus looks like it is in the first node) costs that node's bytes and no
/// round more than not guessing; the output is the same either way. A chrom tree past the
/// head's 4 KiB (300 more contigs) is read in a round of its own, with the data's block
/// count after it, so the guess still holds; so does a tree padded as UCSC's writer pads.
#[test]
fn a_locus_under_a_guessed_branch_node_takes_a_round_fewer() {
    let plain = craft::genome_wide(70_000, 2, 256, false);
    let empty = [("chrZ".to_string(), 2_000_000_000)];
    let padded = craft::genome_wide_and_empty(70_000, 2, 256, false, &empty, false);
    let contigs: Vec<(String, u32)> = (0..300).map(|i| (format!("chrZ{i:03}"), 1000)).collect();
    let many = craft::genome_wide_and_empty(70_000, 2, 256, false, &contigs, false);
    let ucsc = craft::genome_wide_and_empty(70_000, 2, 256, false, &[], true);
    // Depth-1 node 0 holds blocks 0-65,535 (chr1, chr2, chr3 up to 24.3 Mbp), node 1 the
    // rest; chr3:29 Mbp lies within an eighth of a node of the boundary, so both are read.
    let (node, last) = (4 + 256 * 24, 4 + (274 - 256) * 24);
    let chr1 = "chr1\t1000000\t1001000\n";
    let chr3 = "chr3\t29000000\t29001000\n";
    for (file, bed, guessed, rounds) in [
        (&plain, chr1, vec![node], 3),
        (&plain, chr3, vec![node, last], 3),
        (&padded, chr3, vec![node], 4),
        (&many, chr1, vec![node], 4),
        (&ucsc, chr1, vec![node], 3),
        (&ucsc, chr3, vec![node, last], 3),
    ] {
        let (at, span) = index_span(file);
        let regions = Regions::from_bed("locus.bed", bed.as_bytes()).unwrap();
        let sources = [file.clone()];
        let lazy = drive_bytes(&sources, regions.clone(), 16 << 20, 4, IndexPolicy::Auto).unwrap();
        let whole = drive_bytes(&sources, regions, 16 << 20, 4, IndexPolicy::Whole).unwrap();
        assert_eq!(lazy.intervals, whole.intervals, "{bed}");
        assert_eq!(lazy.offsets, whole.offsets, "{bed}");
        assert!(!lazy.intervals.is_empty());
        assert_eq!(
            lazy.open_rounds.len(),
            rounds,
            "{bed}: {:?}",
            lazy.open_rounds
        );
        // The header and the root's two items exactly, then the guessed nodes.
        let first = lazy.open_rounds.iter().find(|r| r[0].1 == at).unwrap();
        assert_eq!(first[0], (0, at, 48 + 4 + 2 * 24), "{first:?}");
        let lens: Vec<u64> = first[1..].iter().map(|r| r.2).collect();
        assert_eq!(lens, guessed, "{bed}: {first:?}");
        assert!(
            first.iter().all(|r| r.1 >= at && r.1 + r.2 <= at + span),
            "{first:?}"
        );
        assert!(lazy.fetched < 45_000, "{bed}: {}", lazy.fetched);
    }
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
