use super::*;
use crate::dataset::format::GvlFormat;
use crate::dataset::npy::{parse_regions_npy, regions_npy};
use crate::dataset::{BedTable, DatasetRegions};
use crate::region::BedParser;
use plan::inverse;
use regions::with_r_idx_map;

/// A dataset's files (as `dataset` writes them) for `bed` and `samples`.
fn input(name: &str, bed: &str, samples: &[&str], jitter: u32) -> Result<ConcatInput> {
    let mut p = BedParser::with_fields("r.bed", BedTable::new());
    p.feed(bed.as_bytes())?;
    let (r, t) = p.finish_with_fields()?;
    let d = DatasetRegions::new(r, t, jitter)?;
    let meta = d.metadata(
        GvlFormat::V2,
        samples.iter().map(|s| s.to_string()).collect(),
    );
    ConcatInput::new(
        name,
        &meta.to_json(),
        &d.regions_npy(),
        &d.input_regions_arrow()?,
        vec!["sig".into()],
        vec![],
        false,
    )
}

const A: &str = "chr2\t5\t9\tb\nchr1\t0\t4\ta\nchr10\t1\t3\tc\n";
const B: &str = "chr1\t2\t6\td\nchr10\t0\t1\te\nchr2\t7\t8\tf\n";

#[test]
fn regions_axis_interleaves_inputs_in_sorted_order() {
    let ins = [
        input("a.gvl", A, &["s1", "s2"], 0).unwrap(),
        input("b.gvl", B, &["s1", "s2"], 0).unwrap(),
    ];
    let plan = ConcatPlan::new(&ins, Axis::Regions).unwrap();
    // Sorted: chr1:0-4 (a) chr1:2-6 (b) chr2:5-9 (a) chr2:7-8 (b) chr10:0-1 (b) chr10:1-3 (a)
    assert_eq!(plan.region_src, [0, 1, 0, 1, 1, 0]);
    let runs: Vec<_> = plan.track_runs().map(|r| (r.src, r.cells)).collect();
    assert_eq!(runs, [(0, 2), (1, 2), (0, 2), (1, 4), (0, 2)]);
    let annot: Vec<_> = plan.annot_runs().map(|r| (r.src, r.cells)).collect();
    assert_eq!(annot, [(0, 1), (1, 1), (0, 1), (1, 2), (0, 1)]);
    assert_eq!(plan.metadata.n_regions, 6);
    assert_eq!(plan.metadata.samples, ["s1", "s2"]);
    // The same as one dataset of both BEDs.
    let one = input("ab.gvl", &format!("{A}{B}"), &["s1", "s2"], 0).unwrap();
    let merged = super::super::arrow::read_file("m", &plan.input_regions_arrow).unwrap();
    let whole = super::super::arrow::read_file("w", &one_arrow(&one)).unwrap();
    assert_eq!(merged, whole);
    let rows = parse_regions_npy("m", &plan.regions_npy).unwrap();
    assert_eq!(rows, one.rows);
}

fn one_arrow(i: &ConcatInput) -> Vec<u8> {
    let order = inverse(&i.r_idx_map);
    with_r_idx_map(&i.bed, &order).unwrap()
}

#[test]
fn samples_axis_interleaves_samples() {
    let ins = [
        input("a.gvl", A, &["b", "d"], 2).unwrap(),
        input("b.gvl", A, &["a", "c", "e"], 2).unwrap(),
    ];
    let plan = ConcatPlan::new(&ins, Axis::Samples).unwrap();
    assert_eq!(plan.metadata.samples, ["a", "b", "c", "d", "e"]);
    // Per region: a(1) b(0) c(1) d(0) e(1); across regions e and a join.
    let runs: Vec<_> = plan.track_runs().map(|r| (r.src, r.cells)).collect();
    assert_eq!(
        runs,
        [
            (1, 1),
            (0, 1),
            (1, 1),
            (0, 1),
            (1, 2),
            (0, 1),
            (1, 1),
            (0, 1),
            (1, 2),
            (0, 1),
            (1, 1),
            (0, 1),
            (1, 1)
        ]
    );
    assert_eq!(
        plan.annot_runs().collect::<Vec<_>>(),
        [Run { src: 0, cells: 3 }]
    );
    assert_eq!(plan.metadata.max_jitter, 2);
    assert_eq!(
        parse_regions_npy("m", &plan.regions_npy).unwrap(),
        ins[0].rows
    );
}

#[test]
fn genvarloaders_refusals_name_the_input() {
    let e = |ins: &[ConcatInput], axis| ConcatPlan::new(ins, axis).unwrap_err().to_string();
    let a = || input("a.gvl", A, &["s1"], 0).unwrap();
    assert_eq!(
        e(&[a()], Axis::Regions),
        "concat needs at least two datasets, got 1"
    );
    assert!(e(
        &[a(), input("b.gvl", B, &["s2"], 0).unwrap()],
        Axis::Regions
    )
    .starts_with("b.gvl: its samples differ from a.gvl's"));
    assert!(e(
        &[a(), input("b.gvl", B, &["s1"], 1).unwrap()],
        Axis::Regions
    )
    .starts_with("b.gvl: has max_jitter 1, but a.gvl has 0"));
    assert!(e(
        &[a(), input("b.gvl", B, &["s2"], 0).unwrap()],
        Axis::Samples
    )
    .starts_with("b.gvl: its regions differ from a.gvl's"));
    assert!(e(
        &[a(), input("b.gvl", A, &["s1"], 0).unwrap()],
        Axis::Samples
    )
    .starts_with("sample 's1' is in both a.gvl and b.gvl"));
    // Region names collide (a's names again, other coordinates).
    let renamed = "chr1\t20\t40\ta\nchr2\t50\t90\tx\nchr10\t10\t30\ty\n";
    assert!(e(
        &[a(), input("b.gvl", renamed, &["s1"], 0).unwrap()],
        Axis::Regions
    )
    .starts_with("region name 'a' is in both a.gvl and b.gvl"));
    let dup = "chr1\t0\t4\tp\nchr2\t5\t9\tq\nchr1\t0\t4\tr\nchr10\t0\t1\ts\n";
    assert!(e(
        &[input("d.gvl", dup, &["s1"], 0).unwrap(), a()],
        Axis::Regions
    )
    .starts_with("d.gvl: region chr1:0-4 is in it twice (BED rows 0 and 2)"));
    let two_contigs = "chr1\t9\t10\tz\nchr2\t1\t2\tw\n";
    assert!(e(
        &[a(), input("b.gvl", two_contigs, &["s1"], 0).unwrap()],
        Axis::Regions
    )
    .starts_with("b.gvl: has contigs ['chr1', 'chr2'], but a.gvl has ['chr1', 'chr2', 'chr10']"));
}

#[test]
fn files_that_disagree_are_refused() {
    let d = input("a.gvl", A, &["s1"], 0).unwrap();
    let meta = d.metadata.to_json();
    let arrow = one_arrow(&d);
    let mut rows = d.rows.clone();
    rows.swap(0, 1);
    let e = ConcatInput::new(
        "a.gvl",
        &meta,
        &regions_npy(&rows, true),
        &arrow,
        vec![],
        vec![],
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("a.gvl/input_regions.arrow row 0: chr2:5-9 is stored as region 1"),
        "{e}"
    );
    let e = ConcatInput::new(
        "a.gvl",
        &meta,
        &regions_npy(&d.rows, true),
        &arrow,
        vec![],
        vec![],
        true,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "a.gvl: has genotypes; this tool merges datasets of tracks only (use gvl.concat)"
    );
    let e = ConcatInput::new(
        "a.gvl",
        &meta,
        &regions_npy(&d.rows, true),
        b"junk",
        vec![],
        vec![],
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("a.gvl/input_regions.arrow: not a readable Arrow IPC file"),
        "{e}"
    );
    let e = ConcatInput::new(
        "a.gvl",
        &meta,
        &regions_npy(&d.rows, true),
        &arrow,
        vec!["x".into()],
        vec!["x".into()],
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("a.gvl: 'x' is both a track and an annotation track"),
        "{e}"
    );
}
