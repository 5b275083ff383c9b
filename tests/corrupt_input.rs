//! Damaged bigWigs must give errors, never panics: random byte corruption everywhere
//! (header, chrom tree, index, data blocks) and truncation at every structure.
#![cfg(not(target_arch = "wasm32"))]

use bigwig_npy::bigwig::block::BlockReader;
use bigwig_npy::bigwig::BigWig;
use bigwig_npy::MemSource;
use std::path::Path;

fn exercise(bytes: Vec<u8>) {
    let src = MemSource::new(bytes);
    let Ok(bw) = BigWig::open(&src) else { return };
    let mut reader = BlockReader::new();
    for leaf in bw.leaves.iter().take(64) {
        if let Ok(b) = reader.read(&src, &bw, leaf) {
            let mut out = Vec::new();
            b.cut(0, u32::MAX, &mut out);
        }
    }
    for c in bw.chroms.iter().take(4) {
        let _ = bw.blocks(c.id, 0, c.length).count();
    }
}

#[test]
fn corrupted_and_truncated_files_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bigwig");
    let mut rng = fastrand::Rng::with_seed(7);
    for name in [
        "volvox.bw",
        "variable_step.bw",
        "gvl_sample_0.bw",
        "uncompressed.bw",
    ] {
        let orig = std::fs::read(dir.join(name)).unwrap();
        let bw = BigWig::open(&MemSource::new(orig.clone())).unwrap();
        // Truncate at and around every structure boundary.
        let mut cuts = vec![
            0,
            3,
            63,
            64,
            bw.header.chrom_tree_offset as usize + 10,
            bw.header.full_index_offset as usize + 50,
        ];
        cuts.extend(
            bw.leaves
                .iter()
                .take(5)
                .map(|l| (l.offset + l.size / 2) as usize),
        );
        for cut in cuts {
            exercise(orig[..cut.min(orig.len())].to_vec());
        }
        // Random byte flips, concentrated in the metadata where they do the most damage.
        let meta_end = (bw.header.full_data_offset as usize).min(orig.len());
        for i in 0..300 {
            let mut b = orig.clone();
            for _ in 0..rng.usize(1..8) {
                let at = match i % 3 {
                    0 => rng.usize(..meta_end.max(1)),
                    1 => rng.usize(bw.header.full_index_offset as usize..orig.len()),
                    _ => rng.usize(..orig.len()),
                };
                b[at] = rng.u8(..);
            }
            exercise(b);
        }
    }
}
