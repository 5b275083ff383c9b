//! Our own R-tree search and block decode against bigtools' `get_interval` (what
//! GenVarLoader calls) on every bundled bigWig, over generated random regions.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use bigtools::BigWigRead;
use bigwig_npy::bigwig::block::BlockReader;
use bigwig_npy::bigwig::BigWig;
use bigwig_npy::{Interval, MemSource};
use common::data;

fn ours(
    bw: &BigWig,
    src: &MemSource,
    reader: &mut BlockReader,
    chrom: u32,
    start: u32,
    end: u32,
) -> Vec<Interval> {
    let mut out = Vec::new();
    for leaf in bw.blocks(chrom, start, end) {
        let b = reader.read(src, bw, leaf).unwrap();
        if b.chrom_id == chrom {
            b.cut(start, end, &mut out);
        }
    }
    out
}

fn bigwigs() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(data().join("bigwig"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.push(data().join("seed/sample_0.bw"));
    v.sort();
    assert_eq!(v.len(), 9);
    v
}

#[test]
fn header_and_chroms_match_bigtools() {
    for path in bigwigs() {
        let bw = BigWig::open(&MemSource::new(std::fs::read(&path).unwrap())).unwrap();
        let bt = BigWigRead::open_file(path.to_str().unwrap()).unwrap();
        let theirs: Vec<(String, u32)> = bt
            .chroms()
            .iter()
            .map(|c| (c.name.clone(), c.length))
            .collect();
        let mine: Vec<(String, u32)> = bw
            .chroms
            .iter()
            .map(|c| (c.name.clone(), c.length))
            .collect();
        assert_eq!(mine, theirs, "{}", path.display());
        assert_eq!(
            bw.zooms.len(),
            bt.info().zoom_headers.len(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn random_regions_match_bigtools_get_interval() {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut checked = 0usize;
    for path in bigwigs() {
        let src = MemSource::new(std::fs::read(&path).unwrap());
        let bw = BigWig::open(&src).unwrap();
        let mut bt = BigWigRead::open_file(path.to_str().unwrap()).unwrap();
        let mut reader = BlockReader::new();
        for i in 0..400 {
            let c = &bw.chroms[rng.usize(..bw.chroms.len())];
            let len = c.length;
            // Mix of tiny, medium, whole-contig and edge queries.
            let (start, end) = match i % 6 {
                0 => (0, len),
                1 => {
                    let s = rng.u32(..len);
                    (s, s + 1)
                }
                2 => {
                    let s = rng.u32(..len);
                    (s, s)
                }
                3 => (len.saturating_sub(rng.u32(..1000)), len),
                _ => {
                    let s = rng.u32(..len);
                    (s, (s as u64 + rng.u64(..200_000)).min(len as u64) as u32)
                }
            };
            let mine = ours(&bw, &src, &mut reader, c.id, start, end);
            let theirs: Vec<Interval> = bt
                .get_interval(&c.name, start, end)
                .unwrap()
                .map(|v| {
                    let v = v.unwrap();
                    Interval {
                        start: v.start,
                        end: v.end,
                        value: v.value.to_bits(),
                    }
                })
                .collect();
            assert_eq!(
                mine,
                theirs,
                "{} {}:{}-{}",
                path.display(),
                c.name,
                start,
                end
            );
            checked += mine.len();
        }
    }
    assert!(
        checked > 100_000,
        "the random regions hit real data ({checked} records)"
    );
}
