use super::*;
use crate::bed::BedParser;

fn regions(bed: &str, jitter: u32) -> Result<DatasetRegions> {
    let mut p = BedParser::with_fields("r.bed", BedTable::new());
    p.feed(bed.as_bytes())?;
    let (r, t) = p.finish_with_fields()?;
    DatasetRegions::new(r, t, jitter)
}

#[test]
fn natural_contig_order_then_start_end_with_jitter() {
    let d = regions(
        "chr10\t5\t9\nchr2\t7\t8\nchrX\t0\t1\nchr2\t3\t20\nchr2\t3\t10\nchr1\t4\t6\n",
        2,
    )
    .unwrap();
    assert_eq!(d.contigs(), ["chr1", "chr2", "chr10", "chrX"]);
    assert_eq!(d.order(), [5, 4, 3, 1, 0, 2]);
    assert_eq!(d.r_idx_map(), [4, 3, 5, 2, 1, 0]);
    let s: Vec<_> = d
        .sorted()
        .iter()
        .map(|r| (r.start, r.end, r.line))
        .collect();
    assert_eq!(
        s,
        [
            (2, 8, 6),
            (1, 12, 5),
            (1, 22, 4),
            (5, 10, 2),
            (3, 11, 1),
            (-2, 3, 3)
        ]
    );
    let npy = d.regions_npy();
    let body: Vec<i32> = npy[128..]
        .chunks(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    #[rustfmt::skip]
    assert_eq!(body, [
        0, 1, 1, 1, 2, 3,
        2, 1, 1, 5, 3, -2,
        8, 12, 22, 10, 11, 3,
        1, 1, 1, 1, 1, 1,
    ]);
}

#[test]
fn ties_keep_input_order_and_opposite_strands_are_refused() {
    let d = regions("c\t1\t5\ta\t0\t+\nc\t1\t5\tb\t0\t.\nc\t0\t5\tc\t0\t-\n", 0).unwrap();
    assert_eq!(d.order(), [2, 0, 1]);
    let e = regions("c\t1\t5\ta\t0\t+\nc\t0\t9\tb\t0\t-\nc\t1\t5\tc\t0\t-\n", 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("r.bed lines 1 and 3: the same region (c:1-5) on both strands;"),
        "{e}"
    );
}

#[test]
fn jitter_past_int32_names_the_line() {
    let e = regions("c\t0\t10\nc\t5\t2147483640\n", 10)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "r.bed line 2 (c:5-2147483640): with max jitter 10, end 2147483650 is outside the 32-bit range of GenVarLoader's coordinates"
    );
}

#[test]
fn track_and_annotation_names_share_one_name_space() {
    let names = |v: &[(&'static str, &'static str)]| {
        check_names(v.iter().copied()).map_err(|e| e.to_string())
    };
    assert!(names(&[("a", "track"), ("b", "track"), ("c", "annotation track")]).is_ok());
    assert_eq!(
        names(&[("a", "track"), ("a", "track")]).unwrap_err(),
        "track 'a' is given twice: track names are directory names, they must differ"
    );
    assert_eq!(
        names(&[("a", "track"), ("a", "annotation track")]).unwrap_err(),
        "'a' is both a track and an annotation track: GenVarLoader's Dataset.open refuses that"
    );
}

#[test]
fn track_names_are_directory_names() {
    assert!(check_track_name("signal-1.v2").is_ok());
    for bad in [
        "", ".", "..", "a/b", "a\\b", "a\nb", "x.tmp.1", "a.old.b", "t.lock",
    ] {
        assert!(check_track_name(bad).is_err(), "{bad:?}");
    }
}
