//! Matching a region's contig name to a bigWig's chromosome: the same name, or `chr` +
//! the name (so `1` finds `chr1`), and exactly one of them. When neither exists, the
//! matches GenVarLoader's `gvl.write` also makes: the name without its `chr` (so `chr1`
//! finds `1`), and the mitochondrion under any of its names (`chrM`, `M`, `MT`, `chrMT`).
//! A name map built once per source keeps this constant-time however many contigs the
//! file has.

use crate::bigwig::Chrom;
use crate::error::shown;
use std::collections::HashMap;

/// A source's chromosomes by name.
pub struct ContigMap<'a> {
    chroms: &'a [Chrom],
    /// Positions in `chroms` of each name (a corrupt file may repeat one).
    by_name: HashMap<&'a str, Vec<usize>>,
}

impl<'a> ContigMap<'a> {
    pub fn new(chroms: &'a [Chrom]) -> Self {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::with_capacity(chroms.len());
        for (i, c) in chroms.iter().enumerate() {
            by_name.entry(c.name.as_str()).or_default().push(i);
        }
        ContigMap { chroms, by_name }
    }

    /// The one chromosome `contig` names, or why there is none: `(what happened, detail)`
    /// worded to follow "contig 'x' ... in source N (name)".
    pub fn resolve(&self, contig: &str) -> Result<&'a Chrom, (&'static str, String)> {
        let prefixed = format!("chr{contig}");
        let mut hits = self.hits(&[contig, prefixed.as_str()]);
        if hits.is_empty() {
            // Only names that match nothing the first way look further, so what resolved
            // (or was ambiguous) before still does.
            let mut other: Vec<&str> = contig.strip_prefix("chr").into_iter().collect();
            if MITO.contains(&contig) {
                other.extend(MITO);
            }
            hits = self.hits(&other);
        }
        match hits.as_slice() {
            [i] => Ok(&self.chroms[*i]),
            [] => {
                let names: Vec<String> = self
                    .chroms
                    .iter()
                    .take(8)
                    .map(|c| shown(&c.name).into_owned())
                    .collect();
                let more = self.chroms.len().saturating_sub(names.len());
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                Err((
                    "not found",
                    format!(", which has {}{more}", names.join(", ")),
                ))
            }
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|&i| format!("'{}'", shown(&self.chroms[i].name)))
                    .collect();
                Err((
                    "is ambiguous",
                    format!(": it matches {}", names.join(" and ")),
                ))
            }
        }
    }
}

/// The region contigs (of `contigs`) that match no chromosome named in `chroms`, or more
/// than one: what a page flags before an export would fail on them.
pub fn unmatched<'a>(contigs: &'a [String], chroms: &[String]) -> Vec<&'a str> {
    let chroms: Vec<Chrom> = chroms
        .iter()
        .enumerate()
        .map(|(i, n)| Chrom {
            id: i as u32,
            name: n.clone(),
            length: 0,
        })
        .collect();
    let map = ContigMap::new(&chroms);
    contigs
        .iter()
        .filter(|c| map.resolve(c).is_err())
        .map(String::as_str)
        .collect()
}

/// The mitochondrion's names, all one contig to GenVarLoader (genoray's `_MITO_ALIASES`).
const MITO: [&str; 4] = ["M", "MT", "chrM", "chrMT"];

impl ContigMap<'_> {
    /// Positions of the chromosomes with any of `names`, each once, in file order.
    fn hits(&self, names: &[&str]) -> Vec<usize> {
        let hits: Vec<usize> = names
            .iter()
            .filter_map(|n| self.by_name.get(n))
            .flatten()
            .copied()
            .collect();
        let mut hits = crate::sort::by_u64_key(hits, |&h| h as u64);
        hits.dedup();
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chroms(names: &[&str]) -> Vec<Chrom> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| Chrom {
                id: i as u32,
                name: n.to_string(),
                length: 100,
            })
            .collect()
    }

    #[test]
    fn matches_name_or_chr_prefix_once() {
        let c = chroms(&["chr1", "2", "chr2", "X\u{feff}"]);
        let m = ContigMap::new(&c);
        assert_eq!(m.resolve("chr1").unwrap().id, 0);
        assert_eq!(m.resolve("1").unwrap().id, 0);
        assert_eq!(m.resolve("chr2").unwrap().id, 2);
        let (why, detail) = m.resolve("2").unwrap_err();
        assert_eq!(
            (why, detail.as_str()),
            ("is ambiguous", ": it matches '2' and 'chr2'")
        );
        let (why, detail) = m.resolve("Y").unwrap_err();
        assert_eq!(why, "not found");
        assert_eq!(detail, ", which has chr1, 2, chr2, X\\uFEFF");
    }

    #[test]
    fn unmatched_lists_what_an_export_would_refuse() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let contigs = s(&["1", "chr2", "chrZ", "3"]);
        let chroms = s(&["chr1", "chr2", "3", "chr3"]);
        assert_eq!(unmatched(&contigs, &chroms), ["chrZ", "3"]);
    }

    #[test]
    fn without_chr_and_mitochondrion_aliases_as_genvarloader() {
        let c = chroms(&["1", "MT", "chr2", "2"]);
        let m = ContigMap::new(&c);
        assert_eq!(m.resolve("chr1").unwrap().id, 0);
        for name in ["chrM", "M", "chrMT", "MT"] {
            assert_eq!(m.resolve(name).unwrap().id, 1, "{name}");
        }
        // chr2 exists as named: the exact match wins, as before.
        assert_eq!(m.resolve("chr2").unwrap().id, 2);
        assert_eq!(m.resolve("chrX").unwrap_err().0, "not found");
        assert_eq!(m.resolve("chrchr1").unwrap_err().0, "not found");

        let c = chroms(&["chrM", "MT"]);
        let m = ContigMap::new(&c);
        assert_eq!(m.resolve("chrM").unwrap().id, 0);
        assert_eq!(m.resolve("MT").unwrap().id, 1);
        let (why, detail) = m.resolve("chrMT").unwrap_err();
        assert_eq!(
            (why, detail.as_str()),
            ("is ambiguous", ": it matches 'chrM' and 'MT'")
        );
    }

    #[test]
    fn many_contigs_resolve_in_linear_time() {
        // 65,535 contigs matched one by one: a scan per name took 19 s.
        let names: Vec<String> = (0..65_535).map(|i| format!("chrUn_{i}")).collect();
        let c: Vec<Chrom> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Chrom {
                id: i as u32,
                name: n.clone(),
                length: 1,
            })
            .collect();
        let m = ContigMap::new(&c);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(m.resolve(&n[3..]).unwrap().id, i as u32);
        }
    }
}
