//! The target-agnostic core on its own: in-memory sources, input order, one region at a
//! time, and the "missing range" protocol async drivers rely on.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigwig_npy::{
    open_input, ByteRange, Error, Export, Format, Input, Layout, MemSource, Options, ReadError,
    Regions, Source, Stop, TrackWriter,
};
use common::*;
use std::cell::RefCell;
use std::collections::BTreeSet;

fn run<S: bigwig_npy::Complete>(export: &Export<S>) -> Vec<Vec<u8>> {
    let mut w = TrackWriter::new(export.options.layout, export.options.format);
    let mut files = vec![Vec::new(); w.files().len()];
    export
        .run_sequential(&mut w, |_, w| {
            w.drain(|i, b| -> Result<(), Error> {
                files[i].extend_from_slice(b);
                Ok(())
            })
        })
        .unwrap();
    files
}

fn regions_of(case: &Case) -> Regions {
    let p = &case.regions;
    Regions::from_bed(&p.display().to_string(), &std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn in_memory_sources_match_genvarloader() {
    for case in all_cases() {
        let inputs = case
            .sources
            .iter()
            .enumerate()
            .map(|(i, p)| {
                open_input(
                    i,
                    p.display().to_string(),
                    MemSource::new(std::fs::read(p).unwrap()),
                )
                .unwrap()
            })
            .collect();
        let opts = Options {
            format: Format::Raw,
            layout: Layout::Aos,
            ..Options::default()
        };
        let export = Export::new(inputs, regions_of(&case), opts).unwrap();
        let files = run(&export);
        assert_eq!(sha256(&files[0]), case.intervals_sha256, "{}", case.name);
        assert_eq!(sha256(&files[1]), case.offsets_sha256, "{}", case.name);
    }
}

/// Serves only the byte ranges loaded so far, like the wasm range cache.
struct Lazy {
    bytes: Vec<u8>,
    loaded: RefCell<Vec<(u64, u64)>>,
}

impl Source for Lazy {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let end = offset + buf.len() as u64;
        if self
            .loaded
            .borrow()
            .iter()
            .any(|&(s, e)| s <= offset && end <= e)
        {
            buf.copy_from_slice(&self.bytes[offset as usize..end as usize]);
            Ok(())
        } else {
            Err(ReadError::Missing {
                offset,
                len: buf.len() as u64,
            })
        }
    }
    fn size(&self) -> Option<u64> {
        Some(self.bytes.len() as u64)
    }
}

#[test]
fn missing_ranges_are_reported_for_all_samples_at_once_and_retry_succeeds() {
    let case = all_cases()
        .into_iter()
        .find(|c| c.name == "multi_uncompressed_3")
        .unwrap();
    let lazies: Vec<Lazy> = case
        .sources
        .iter()
        .map(|p| Lazy {
            bytes: std::fs::read(p).unwrap(),
            loaded: RefCell::new(vec![]),
        })
        .collect();
    let load = |r: &ByteRange| {
        lazies[r.source]
            .loaded
            .borrow_mut()
            .push((r.offset, r.offset + r.len))
    };

    // Opening asks for the header first, then the structures it points to.
    let mut inputs = Vec::new();
    let mut open_rounds = 0;
    for (i, l) in lazies.iter().enumerate() {
        loop {
            match Input::open(i, format!("source {i}"), l) {
                Ok(input) => break inputs.push(input),
                Err(Stop::Missing(ranges)) => {
                    open_rounds += 1;
                    assert!(ranges.iter().all(|r| r.source == i));
                    ranges.iter().for_each(load);
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert!(
        open_rounds >= 3 * 3,
        "header, chrom tree and index each needed a fetch"
    );

    let opts = Options {
        format: Format::Raw,
        ..Options::default()
    };
    let export = Export::new(inputs, regions_of(&case), opts).unwrap();
    let mut w = TrackWriter::new(opts.layout, opts.format);
    let mut decoder = bigwig_npy::export::Decoder::new(1 << 20);
    let (mut recs, mut counts) = (Vec::new(), vec![0; 3]);
    let mut saw_all_samples_in_one_round = false;
    for r in 0..export.n_regions() {
        let mut rounds = 0;
        loop {
            let planned = export.needed_ranges(r, &decoder.cache);
            match export.decode_region(r, &mut decoder, &mut recs, &mut counts) {
                Ok(()) => break,
                Err(Stop::Missing(ranges)) => {
                    rounds += 1;
                    assert!(rounds == 1, "one round of fetching is enough for a region");
                    assert_eq!(
                        ranges, planned,
                        "needed_ranges predicts what decode asks for"
                    );
                    let samples: BTreeSet<usize> = ranges.iter().map(|r| r.source).collect();
                    saw_all_samples_in_one_round |= samples.len() == 3;
                    ranges.iter().for_each(load);
                }
                Err(e) => panic!("{e}"),
            }
        }
        bigwig_npy::export::push_region(&mut w, &recs, &counts);
    }
    assert!(saw_all_samples_in_one_round);
    let mut files = vec![Vec::new(); 2];
    w.drain(|i, b| -> Result<(), ()> {
        files[i].extend_from_slice(b);
        Ok(())
    })
    .unwrap();
    assert_eq!(sha256(&files[0]), case.intervals_sha256);
    assert_eq!(sha256(&files[1]), case.offsets_sha256);
}

#[test]
fn max_mem_names_the_region_and_bytes() {
    let case = all_cases()
        .into_iter()
        .find(|c| c.name == "volvox")
        .unwrap();
    let inputs = vec![open_input(
        0,
        "volvox.bw",
        MemSource::new(std::fs::read(&case.sources[0]).unwrap()),
    )
    .unwrap()];
    let regions = Regions::from_bed("r.bed", b"ctgA\t0\t10\nctgA\t0\t50000\n").unwrap();
    let export = Export::new(
        inputs,
        regions,
        Options {
            max_mem: 1200,
            ..Options::default()
        },
    )
    .unwrap();
    let mut w = TrackWriter::new(Layout::Aos, Format::Raw);
    let err = export.run_sequential(&mut w, |_, _| Ok(())).unwrap_err();
    assert!(matches!(err, Error::MaxMem(_)));
    let msg = err.to_string();
    assert!(
        msg.starts_with("r.bed line 2 (ctgA:0-50000) needs more than "),
        "{msg}"
    );
    assert!(
        msg.ends_with("over the max-mem limit of 1200 bytes"),
        "{msg}"
    );
}

#[test]
fn region_ranges_cover_what_decode_asks_for() {
    let case = all_cases().into_iter().find(|c| c.name == "cow").unwrap();
    let inputs = vec![open_input(
        0,
        "cow.bw",
        MemSource::new(std::fs::read(&case.sources[0]).unwrap()),
    )
    .unwrap()];
    let export = Export::new(inputs, regions_of(&case), Options::default()).unwrap();
    let cache = bigwig_npy::BlockCache::new(0);
    for r in 0..export.n_regions() {
        let all = export.region_ranges(r);
        assert!(export
            .needed_ranges(r, &cache)
            .iter()
            .all(|x| all.contains(x)));
    }
}
