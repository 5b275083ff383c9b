//! The dataset contig order for names read from stdin (one a line): `ok` and the names in
//! the order `dataset` writes them, or `refused: <why>`. tests/python/test_natsort.py runs
//! it against Python's natsort, which GenVarLoader orders contigs with.

use bigwig_npy::dataset::{natural, natural_contigs};
use std::io::Read;

fn main() {
    let mut text = String::new();
    if std::io::stdin().read_to_string(&mut text).is_err() {
        println!("refused: stdin is not UTF-8");
        return;
    }
    let mut names: Vec<String> = Vec::new();
    for l in text.split('\n').filter(|l| !l.is_empty()) {
        if !names.iter().any(|n| n == l) {
            names.push(l.to_string());
        }
    }
    match natural::check_names(&names) {
        Ok(()) => {
            println!("ok");
            for n in natural_contigs(&names).0 {
                println!("{n}");
            }
        }
        Err(why) => println!("refused: {why}"),
    }
}
