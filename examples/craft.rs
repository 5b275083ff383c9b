//! Write a crafted bigWig of `tests/craft/` to a file, for the JS tests (`craft` of
//! `js-tests/helpers.mjs`) and by hand.
//!
//! usage: cargo run --example craft -- KIND OUT.bw
//!
//! KIND: chromosome (500,000 records in one region), small_valid, rtree_bomb,
//! chrom_tree_bomb, deep_rtree (100 levels), shared_block (1000 leaves), zlib_bomb (8 MiB
//! promised 4 KiB), genome_wide (6000 blocks, 16 items a node).

#[path = "../tests/craft/mod.rs"]
mod craft;

type Kind = (&'static str, fn() -> Vec<u8>);

const KINDS: &[Kind] = &[
    ("chromosome", craft::chromosome),
    ("small_valid", craft::small_valid),
    ("rtree_bomb", craft::rtree_bomb),
    ("chrom_tree_bomb", craft::chrom_tree_bomb),
    ("deep_rtree", || craft::deep_rtree(100)),
    ("shared_block", || craft::shared_block(1000)),
    ("zlib_bomb", || craft::zlib_bomb(8 << 20, 4096)),
    ("genome_wide", || craft::genome_wide(6000, 32, 16, false)),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let names: Vec<&str> = KINDS.iter().map(|k| k.0).collect();
    let [kind, out] = args.as_slice() else {
        eprintln!("usage: craft KIND OUT.bw (KIND: {})", names.join(", "));
        std::process::exit(2);
    };
    let Some((_, make)) = KINDS.iter().find(|k| k.0 == kind) else {
        eprintln!("craft: no kind {kind} (one of {})", names.join(", "));
        std::process::exit(2);
    };
    if let Err(e) = std::fs::write(out, make()) {
        eprintln!("craft: {out}: {e}");
        std::process::exit(1);
    }
}
