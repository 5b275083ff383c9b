//! The planner's cases: the npm package's and the native driver's, through one planner.

use super::*;

fn r(source: usize, offset: u64, len: u64) -> ByteRange {
    ByteRange {
        source,
        offset,
        len,
    }
}

fn triples(reads: &[ByteRange]) -> Vec<(usize, u64, u64)> {
    reads.iter().map(|r| (r.source, r.offset, r.len)).collect()
}

#[test]
fn neighbours_within_the_gap_coalesce() {
    assert_eq!(
        coalesce(&[(0, 10), (5, 10), (COALESCE_GAP + 15, 1), (10000, 5)]),
        [(0, COALESCE_GAP + 16), (10000, 5)]
    );
    // One byte further is a request of its own.
    assert_eq!(
        coalesce(&[(0, 10), (COALESCE_GAP + 11, 1)]),
        [(0, 10), (COALESCE_GAP + 11, 1)]
    );
}

#[test]
fn sources_with_a_minimum_read_are_extended_within_a_budget_in_order_of_appearance() {
    // Source 0 has no minimum; source 1 reads at least 1000 bytes, up to its end.
    let info = |s| match s {
        0 => SourceInfo {
            size: Some(1_000_000),
            min_read: 0,
        },
        _ => SourceInfo {
            size: Some(2000),
            min_read: 1000,
        },
    };
    let ranges = [r(1, 1800, 10), r(0, 100, 50), r(1, 0, 10), r(0, 0, 20)];
    // Source 1: 0+10 grows to 1000 and 1800+10 to the end (200); 800 apart, they merge.
    const { assert!(800 < COALESCE_GAP) };
    let reads = Planner::new(ReadPolicy::NPM).plan(&ranges, info);
    assert_eq!(triples(&reads), [(1, 0, 2000), (0, 0, 150)]);
    // Past the budget, reads stay as asked.
    let policy = ReadPolicy {
        read_ahead_budget: 500,
        ..ReadPolicy::NPM
    };
    let reads = Planner::new(policy).plan(&ranges, info);
    assert_eq!(triples(&reads), [(1, 0, 10), (1, 1800, 200), (0, 0, 150)]);
}

#[test]
fn reads_are_cut_at_the_end_and_split_natively() {
    let ranges = [
        r(0, 0, 100),
        r(0, 200, 100),
        r(0, 10_000, 10),
        r(1, 5, 5),
        r(1, 20, 5),
    ];
    let size = |s| SourceInfo {
        size: (s == 1).then_some(8),
        min_read: 0,
    };
    let mut p = Planner::new(ReadPolicy::NATIVE);
    assert_eq!(
        triples(&p.plan(&ranges, size)),
        [(0, 0, 300), (0, 10_000, 10), (1, 5, 3)],
        "a range wholly past the end is left to the core"
    );
    let big = 2 * ReadPolicy::NATIVE.max_request + 1;
    let reads = Planner::new(ReadPolicy::NATIVE).plan(&[r(0, 0, big)], |_| SourceInfo::default());
    assert_eq!(reads.len(), 3);
    assert_eq!(reads[2].offset, 2 * ReadPolicy::NATIVE.max_request);
    // The npm package reads it in one.
    let reads = Planner::new(ReadPolicy::NPM).plan(&[r(0, 0, big)], |_| SourceInfo::default());
    assert_eq!(triples(&reads), [(0, 0, big)]);
}

#[test]
fn no_range_is_asked_for_while_a_read_covering_it_is_under_way() {
    let none = |_| SourceInfo::default();
    let mut p = Planner::new(ReadPolicy::NATIVE);
    p.plan(&[r(0, 100, 50), r(0, 10_000, 20), r(1, 0, 1000)], none);
    // Wholly covered: skipped; bridged over by coalescing: only the rest is asked for.
    assert!(p.plan(&[r(1, 10, 20), r(0, 110, 10)], none).is_empty());
    assert_eq!(
        triples(&p.plan(&[r(0, 0, 10), r(0, 190, 110)], none)),
        [(0, 0, 100), (0, 150, 150)]
    );
    assert_eq!(
        triples(&p.plan(&[r(0, 9_000, 2_000), r(0, 10_010, 990)], none)),
        [(0, 9_000, 1_000), (0, 10_020, 980)]
    );
    // The npm package skips covered ranges but reads bridged ones whole.
    let mut p = Planner::new(ReadPolicy::NPM);
    p.plan(&[r(0, 100, 50)], none);
    assert!(p.plan(&[r(0, 100, 50)], none).is_empty());
    assert_eq!(
        triples(&p.plan(&[r(0, 0, 10), r(0, 190, 110)], none)),
        [(0, 0, 300)]
    );
}

#[test]
fn a_read_done_is_no_longer_under_way() {
    let none = |_| SourceInfo::default();
    let mut p = Planner::new(ReadPolicy::NPM);
    assert!(!p.busy());
    let reads = p.plan(&[r(0, 0, 10), r(2, 0, 10)], none);
    assert!(p.busy());
    p.done(reads[0]);
    assert_eq!(
        triples(&p.plan(&[r(0, 0, 10), r(2, 0, 10)], none)),
        [(0, 0, 10)]
    );
    p.done(reads[0]);
    p.done(reads[1]);
    assert!(!p.busy());
    assert_eq!(
        (
            ReadPolicy::NATIVE.lookahead(false),
            ReadPolicy::NATIVE.lookahead(true)
        ),
        (128, 2048)
    );
    assert_eq!(
        (
            ReadPolicy::NPM.lookahead(false),
            ReadPolicy::NPM.lookahead(true)
        ),
        (32, 512)
    );
}
