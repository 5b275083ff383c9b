//! The corpus of `bench/remote.mjs` (issue 10): genome-wide bigWigs like ENCODE's, written by
//! bigtools' writer, with about 1 MB of R-tree index each.
//!
//! usage: cargo run --example make_remote_corpus -- OUT_DIR [--files 2] [--seed 1]
//!            [--layout ucsc|bigtools] [--stride 94] [--items-per-slot 1024]
//!
//! Each file covers hg38's 25 primary contigs with bedGraph-like records of 1-20 bp separated
//! by gaps of 0-2*(stride-11) bp (deterministic from the seed and the file's number): about
//! 33 M records, 350 Mbp covered, ~32k data blocks with bigtools' defaults (itemsPerSlot 1024,
//! blockSize 256), so the full-data R-tree is ~1 MB (32 bytes a leaf item). `--stride` is the
//! mean distance from one record's start to the next (smaller: more records and blocks).
//! `--items-per-slot 128` makes 8x the blocks from the same records, an R-tree of ~8 MB: the
//! size of ENCODE's bigWigs' indexes (5-10 MB), with the same data.
//!
//! bigtools 0.5.8 writes the chrom tree after the data ("header, data, chrom tree, R-tree,
//! zooms"); `--layout ucsc` (the default) then moves the chrom tree to before the data, as
//! UCSC's bedGraphToBigWig and ENCODE's files have it (header, chrom tree, data, R-tree,
//! zooms), patching the offsets that move: the header's chrom tree and data offsets, the
//! R-tree's leaf offsets and its end-of-data offset. Zooms and the R-tree keep their places.
//! The result is checked against the file as bigtools wrote it, through bigtools' reader.
//!
//! Writes OUT_DIR/sample_{i}.bw, chrom.sizes and corpus.json (the parameters and, per file,
//! its header offsets).
// bigtools is a native-only dev-dependency: on wasm32 (`wasm-pack test` builds examples too)
// this example is a stub.
#[cfg(target_arch = "wasm32")]
fn main() {
    panic!("make_remote_corpus is native only");
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    imp::main();
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::collections::HashMap;
    use std::fs;
    use std::path::{Path, PathBuf};

    use bigtools::beddata::BedParserStreamingIterator;
    use bigtools::{BigWigRead, BigWigWrite, Value};

    /// hg38's primary contigs, in the byte order a sorted bedGraph has them.
    const HG38: [(&str, u32); 25] = [
        ("chr1", 248_956_422),
        ("chr10", 133_797_422),
        ("chr11", 135_086_622),
        ("chr12", 133_275_309),
        ("chr13", 114_364_328),
        ("chr14", 107_043_718),
        ("chr15", 101_991_189),
        ("chr16", 90_338_345),
        ("chr17", 83_257_441),
        ("chr18", 80_373_285),
        ("chr19", 58_617_616),
        ("chr2", 242_193_529),
        ("chr20", 64_444_167),
        ("chr21", 46_709_983),
        ("chr22", 50_818_468),
        ("chr3", 198_295_559),
        ("chr4", 190_214_555),
        ("chr5", 181_538_259),
        ("chr6", 170_805_979),
        ("chr7", 159_345_973),
        ("chr8", 145_138_636),
        ("chr9", 138_394_717),
        ("chrM", 16_569),
        ("chrX", 156_040_895),
        ("chrY", 57_227_415),
    ];

    const BIGWIG_MAGIC: u32 = 0x888F_FC26;
    const RTREE_MAGIC: u32 = 0x2468_ACE0;
    const CHROM_TREE_MAGIC: u32 = 0x78CA_8C91;

    struct Args {
        out: PathBuf,
        files: usize,
        seed: u64,
        ucsc: bool,
        stride: u32,
        items_per_slot: u32,
    }

    fn args() -> Args {
        let mut a = Args {
            out: PathBuf::new(),
            files: 2,
            seed: 1,
            ucsc: true,
            stride: 94,
            items_per_slot: 1024,
        };
        let mut it = std::env::args().skip(1);
        let usage = "usage: make_remote_corpus OUT_DIR [--files N] [--seed S] [--layout ucsc|bigtools] [--stride BP] [--items-per-slot N]";
        let mut out = None;
        while let Some(x) = it.next() {
            let mut value = || {
                it.next()
                    .unwrap_or_else(|| panic!("{x} needs a value\n{usage}"))
            };
            match x.as_str() {
                "--files" => a.files = value().parse().expect("--files: a number"),
                "--seed" => a.seed = value().parse().expect("--seed: a number"),
                "--stride" => a.stride = value().parse().expect("--stride: a number"),
                "--items-per-slot" => {
                    a.items_per_slot = value().parse().expect("--items-per-slot: a number")
                }
                "--layout" => {
                    a.ucsc = match value().as_str() {
                        "ucsc" => true,
                        "bigtools" => false,
                        other => panic!("--layout: ucsc or bigtools, not {other}"),
                    }
                }
                _ if x.starts_with("--") || out.is_some() => panic!("unexpected {x}\n{usage}"),
                _ => out = Some(PathBuf::from(x)),
            }
        }
        a.out = out.unwrap_or_else(|| panic!("{usage}"));
        assert!(
            a.files >= 1 && a.stride >= 12 && a.items_per_slot >= 1,
            "--files >= 1, --stride >= 12, --items-per-slot >= 1"
        );
        a
    }

    /// The records of one file, contig by contig in sorted order.
    fn records(seed: u64, stride: u32) -> impl Iterator<Item = (&'static str, Value)> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let max_gap = 2 * (stride - 11);
        HG38.iter().flat_map(move |&(chrom, size)| {
            let mut rng = fastrand::Rng::with_seed(rng.u64(..));
            let mut pos = rng.u32(0..=max_gap);
            std::iter::from_fn(move || {
                let len = rng.u32(1..=20);
                if pos + len > size {
                    return None;
                }
                // Coverage-like values: a few hundred distinct levels.
                let v = Value {
                    start: pos,
                    end: pos + len,
                    value: rng.u32(1..=400) as f32 * 0.25,
                };
                pos += len + rng.u32(0..=max_gap);
                Some((chrom, v))
            })
        })
    }

    fn u16le(b: &[u8], o: usize) -> u16 {
        u16::from_le_bytes(b[o..o + 2].try_into().unwrap())
    }
    fn u32le(b: &[u8], o: usize) -> u32 {
        u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
    }
    fn u64le(b: &[u8], o: usize) -> u64 {
        u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
    }
    fn put64(b: &mut [u8], o: usize, v: u64) {
        b[o..o + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// Offsets of every node of the B+ tree (chrom tree) or R-tree under `node`.
    fn nodes(f: &[u8], node: usize, item: usize, child_at: usize, out: &mut Vec<usize>) {
        out.push(node);
        if f[node] == 0 {
            for i in 0..u16le(f, node + 2) as usize {
                let child = u64le(f, node + 4 + i * item + child_at) as usize;
                nodes(f, child, item, child_at, out);
            }
        }
    }

    struct Layout {
        chrom_tree: u64,
        data: u64,
        index: u64,
        index_end: u64,
        file_size: u64,
        blocks: u64,
    }

    fn layout(f: &[u8]) -> Layout {
        assert_eq!(u32le(f, 0), BIGWIG_MAGIC, "little-endian bigWig");
        let index = u64le(f, 24);
        let zooms = u16le(f, 6) as usize;
        Layout {
            chrom_tree: u64le(f, 8),
            data: u64le(f, 16),
            index,
            index_end: if zooms > 0 {
                u64le(f, 64 + 8)
            } else {
                f.len() as u64
            },
            file_size: f.len() as u64,
            blocks: u64le(f, index as usize + 8),
        }
    }

    /// bigtools' "header, data, chrom tree, R-tree, zooms" -> UCSC's "header, chrom tree, data,
    /// R-tree, zooms". Only the data section moves (by the chrom tree's length), and the chrom tree.
    fn to_ucsc(f: &[u8]) -> Vec<u8> {
        let at = layout(f);
        let (d, c, i) = (at.data as usize, at.chrom_tree as usize, at.index as usize);
        assert!(
            d < c && c < i,
            "bigtools layout expected: data {d} < chrom tree {c} < index {i}"
        );
        assert_eq!(u64le(f, 36), 0, "no autoSql in a bigWig");
        let ext = u64le(f, 56);
        assert!(
            ext == 0 || ext as usize >= i,
            "extension header before the index"
        );
        assert_eq!(u32le(f, c), CHROM_TREE_MAGIC);
        assert_eq!(u32le(f, i), RTREE_MAGIC);
        let shift = (i - c) as u64; // the chrom tree's length: how far the data moves
        let mut out = Vec::with_capacity(f.len());
        out.extend_from_slice(&f[..d]);
        out.extend_from_slice(&f[c..i]);
        out.extend_from_slice(&f[d..c]);
        out.extend_from_slice(&f[i..]);
        assert_eq!(out.len(), f.len());
        put64(&mut out, 8, d as u64);
        put64(&mut out, 16, d as u64 + shift);
        // Chrom tree: internal nodes point at their children by file offset.
        let key = u32le(f, c + 8) as usize;
        let mut tree = Vec::new();
        nodes(f, c + 32, key + 8, key, &mut tree);
        for node in tree {
            if f[node] == 0 {
                for k in 0..u16le(f, node + 2) as usize {
                    let p = node + 4 + k * (key + 8) + key;
                    let new_p = p - c + d;
                    put64(&mut out, new_p, u64le(f, p) - c as u64 + d as u64);
                }
            }
        }
        // R-tree: the end-of-data offset and every leaf's block offset.
        let end = u64le(f, i + 32);
        if end as usize >= d && end as usize <= c {
            put64(&mut out, i + 32, end + shift);
        }
        let mut rtree = Vec::new();
        nodes(f, i + 48, 24, 16, &mut rtree);
        for node in rtree {
            if f[node] == 1 {
                for k in 0..u16le(f, node + 2) as usize {
                    let p = node + 4 + k * 32 + 16;
                    let off = u64le(f, p);
                    assert!(
                        off as usize >= d && (off + u64le(f, p + 8)) as usize <= c,
                        "a block outside the data section"
                    );
                    put64(&mut out, p, off + shift);
                }
            }
        }
        out
    }

    /// The same values through bigtools' reader from both files: whole small contigs and the
    /// first 2 Mbp of the others.
    fn check_same(a: &Path, b: &Path) {
        let mut ra = BigWigRead::open_file(a).expect("open as written");
        let mut rb = BigWigRead::open_file(b).expect("open relaid");
        let mut n = 0usize;
        for &(chrom, size) in &HG38 {
            let end = size.min(2_000_000);
            let va: Vec<Value> = ra
                .get_interval(chrom, 0, end)
                .unwrap()
                .map(|v| v.unwrap())
                .collect();
            let vb: Vec<Value> = rb
                .get_interval(chrom, 0, end)
                .unwrap()
                .map(|v| v.unwrap())
                .collect();
            assert!(
                va == vb && !va.is_empty(),
                "{chrom}: relaid file reads differently"
            );
            n += va.len();
        }
        eprintln!("  checked {n} records through bigtools' reader: identical");
    }

    pub fn main() {
        let a = args();
        fs::create_dir_all(&a.out).unwrap();
        let sizes: HashMap<String, u32> = HG38.iter().map(|&(c, s)| (c.to_string(), s)).collect();
        let mut files = Vec::new();
        for k in 0..a.files {
            let t = std::time::Instant::now();
            let path = a.out.join(format!("sample_{k}.bw"));
            let written = if a.ucsc {
                a.out.join(format!("sample_{k}.bigtools.partial-bw"))
            } else {
                path.clone()
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            let vals = BedParserStreamingIterator::wrap_infallible_iter(
                records(a.seed.wrapping_mul(1000) + k as u64, a.stride),
                false,
            );
            let mut w = BigWigWrite::create_file(&written, sizes.clone()).unwrap();
            w.options.items_per_slot = a.items_per_slot;
            w.options.block_size = 256;
            w.write(vals, runtime).unwrap();
            let f = fs::read(&written).unwrap();
            let bytes = if a.ucsc {
                let relaid = to_ucsc(&f);
                let tmp = a.out.join(format!("sample_{k}.partial-bw"));
                fs::write(&tmp, &relaid).unwrap();
                check_same(&written, &tmp);
                fs::remove_file(&written).unwrap();
                fs::rename(&tmp, &path).unwrap();
                relaid
            } else {
                f
            };
            let at = layout(&bytes);
            eprintln!(
                "{}: {:.1} MB, {} blocks, R-tree {:.2} MB, {:.1} s",
                path.display(),
                at.file_size as f64 / 1e6,
                at.blocks,
                (at.index_end - at.index) as f64 / 1e6,
                t.elapsed().as_secs_f64()
            );
            files.push(serde_json::json!({
                "name": format!("sample_{k}.bw"),
                "size": at.file_size,
                "chromTreeOffset": at.chrom_tree,
                "fullDataOffset": at.data,
                "fullIndexOffset": at.index,
                "indexEnd": at.index_end,
                "blocks": at.blocks,
            }));
        }
        let chrom_sizes: String = HG38.iter().map(|(c, s)| format!("{c}\t{s}\n")).collect();
        fs::write(a.out.join("chrom.sizes"), chrom_sizes).unwrap();
        let meta = serde_json::json!({
            "generator": "examples/make_remote_corpus.rs (bigtools 0.5.8 writer)",
            "layout": if a.ucsc { "ucsc" } else { "bigtools" },
            "seed": a.seed,
            "stride": a.stride,
            "itemsPerSlot": a.items_per_slot,
            "blockSize": 256,
            "files": files,
        });
        fs::write(
            a.out.join("corpus.json"),
            serde_json::to_string_pretty(&meta).unwrap() + "\n",
        )
        .unwrap();
    }
}
