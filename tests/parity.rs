//! Byte-for-byte parity with GenVarLoader 0.35 on every bundled case and the seed corpus.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::{Format, Layout};
use common::*;

#[test]
fn raw_aos_matches_genvarloader_hashes() {
    for case in all_cases() {
        let files = export(&case, Layout::Aos, Format::Raw, 2);
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            names,
            ["intervals.npy", "offsets.npy"],
            "{}: exactly the two files, no leftovers",
            case.name
        );
        assert_eq!(
            sha256(file(&files, "intervals.npy")),
            case.intervals_sha256,
            "{}: intervals",
            case.name
        );
        assert_eq!(
            sha256(file(&files, "offsets.npy")),
            case.offsets_sha256,
            "{}: offsets",
            case.name
        );
        let offsets = file(&files, "offsets.npy");
        assert_eq!(
            offsets.len(),
            (case.n_regions * case.sources.len() + 1) * 8,
            "{}",
            case.name
        );
    }
}

#[test]
fn npy_is_a_valid_header_plus_the_raw_payload() {
    for case in all_cases() {
        let raw = export(&case, Layout::Aos, Format::Raw, 2);
        let npy = export(&case, Layout::Aos, Format::Npy, 2);
        let (descr, n, payload) = parse_npy(file(&npy, "intervals.npy"));
        assert_eq!(
            descr,
            "[('start', '<i4'), ('end', '<i4'), ('value', '<f4')]"
        );
        assert_eq!(n, case.n_intervals, "{}", case.name);
        assert_eq!(payload, file(&raw, "intervals.npy"), "{}", case.name);
        let (descr, n, payload) = parse_npy(file(&npy, "offsets.npy"));
        assert_eq!(
            (descr.as_str(), n),
            ("'<i8'", (case.n_regions * case.sources.len() + 1) as u64)
        );
        assert_eq!(payload, file(&raw, "offsets.npy"), "{}", case.name);
    }
}

#[test]
fn soa_columns_equal_the_aos_fields() {
    for case in all_cases() {
        let aos = export(&case, Layout::Aos, Format::Raw, 2);
        let recs = file(&aos, "intervals.npy");
        let column = |k: usize| -> Vec<u8> {
            recs.chunks_exact(12)
                .flat_map(|r| r[k * 4..k * 4 + 4].to_vec())
                .collect()
        };
        let soa = export(&case, Layout::Soa, Format::Raw, 2);
        let names: Vec<&str> = soa.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            names,
            ["ends.npy", "offsets.npy", "starts.npy", "values.npy"]
        );
        assert_eq!(file(&soa, "starts.npy"), column(0), "{}", case.name);
        assert_eq!(file(&soa, "ends.npy"), column(1), "{}", case.name);
        assert_eq!(file(&soa, "values.npy"), column(2), "{}", case.name);
        assert_eq!(file(&soa, "offsets.npy"), file(&aos, "offsets.npy"));
        let npy = export(&case, Layout::Soa, Format::Npy, 2);
        for (name, descr) in [
            ("starts.npy", "'<i4'"),
            ("ends.npy", "'<i4'"),
            ("values.npy", "'<f4'"),
        ] {
            let (d, n, payload) = parse_npy(file(&npy, name));
            assert_eq!(
                (d.as_str(), n),
                (descr, case.n_intervals),
                "{} {name}",
                case.name
            );
            assert_eq!(payload, file(&soa, name));
        }
    }
}

/// Shuffled regions wait in their buckets until the end of the genome sweep and are then
/// written on all threads, each run of buckets at its place in every file
/// (src/native/reorder.rs): the bytes of one thread, in every layout and format.
#[test]
fn shuffled_regions_written_on_several_threads_are_the_bytes_of_one() {
    let tmp = tempfile::tempdir().unwrap();
    for case in all_cases()
        .iter()
        .filter(|c| ["seed", "cow"].contains(&c.name.as_str()))
    {
        let text = std::fs::read_to_string(&case.regions).unwrap();
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        fastrand::Rng::with_seed(11).shuffle(&mut lines);
        let bed = tmp.path().join(format!("{}.bed", case.name));
        std::fs::write(&bed, lines.join("\n") + "\n").unwrap();
        for layout in [Layout::Aos, Layout::Soa] {
            for format in [Format::Raw, Format::Npy] {
                let one = export_spilling_as(case, &bed, layout, format, 1);
                for threads in [2, 3, 8] {
                    assert!(
                        export_spilling_as(case, &bed, layout, format, threads) == one,
                        "{} {layout:?} {format:?} on {threads} threads",
                        case.name
                    );
                }
            }
        }
    }
}

#[test]
fn thread_count_and_spilling_do_not_change_the_bytes() {
    let cases = all_cases();
    for case in cases
        .iter()
        .filter(|c| ["seed", "multi_uncompressed_3", "cow"].contains(&c.name.as_str()))
    {
        let one = export(case, Layout::Aos, Format::Raw, 1);
        for threads in [2, 3, 8] {
            assert_eq!(
                export(case, Layout::Aos, Format::Raw, threads),
                one,
                "{} with {threads} threads",
                case.name
            );
        }
        let spilled = export_spilling(case, 3);
        assert_eq!(
            sha256(file(&spilled, "intervals.npy")),
            case.intervals_sha256,
            "{} spilled",
            case.name
        );
        assert_eq!(
            sha256(file(&spilled, "offsets.npy")),
            case.offsets_sha256,
            "{} spilled",
            case.name
        );
    }
}
