//! The fuzz inputs: the corpus (bundled bigWigs and BEDs, crafted files) and its mutations.

use crate::craft;
use std::path::Path;

pub struct Corpus {
    pub bigwigs: Vec<(String, Vec<u8>)>,
    pub beds: Vec<Vec<u8>>,
}

pub fn corpus() -> Corpus {
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
pub fn interesting(rng: &mut fastrand::Rng, len: usize) -> u64 {
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

pub fn mutate(rng: &mut fastrand::Rng, b: &mut Vec<u8>) {
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

pub fn mutate_bed(rng: &mut fastrand::Rng, b: &mut Vec<u8>) {
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
