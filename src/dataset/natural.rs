//! Natural order of contig names, as Python's `natsort.natsorted` (default settings) puts
//! them and GenVarLoader orders a dataset's contigs: runs of ASCII digits compare as
//! numbers, the rest by code point, so `chr1 < chr2 < chr10 < chrX` and `1 < 10 < X`.
//!
//! That is natsort's order exactly for ASCII names that natsort does not hold equal.
//! Beyond them natsort normalizes Unicode (NFD), reads Unicode digits (`٣`, `²`) as
//! numbers and keeps names it holds equal (`chr1`, `chr01`) in the order polars hands
//! them over, which is not fixed: [`check_names`] refuses such sets, since a dataset whose
//! contig order differs from GenVarLoader's returns other regions' values.

use std::cmp::Ordering;

/// A name split into alternating text and number runs.
#[derive(Debug, PartialEq, Eq)]
enum Part<'a> {
    Text(&'a str),
    /// Digits without leading zeros (`007` is 7); compared by length, then digits.
    Number(&'a str),
}

/// natsort's key: text and numbers alternate, and a name that starts with a digit gets an
/// empty text first, so numbers are never compared with text (`"10"` is `("", 10)`).
fn parts(name: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let b = name.as_bytes();
    let mut i = 0;
    if b.first().is_some_and(u8::is_ascii_digit) {
        out.push(Part::Text(""));
    }
    while i < b.len() {
        let digit = b[i].is_ascii_digit();
        let j = i + b[i..]
            .iter()
            .position(|c| c.is_ascii_digit() != digit)
            .unwrap_or(b.len() - i);
        // Digits are ASCII, so both ends are character boundaries.
        let run = &name[i..j];
        out.push(if digit {
            Part::Number(run.trim_start_matches('0'))
        } else {
            Part::Text(run)
        });
        i = j;
    }
    out
}

fn cmp_part(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Text(x), Part::Text(y)) => x.cmp(y),
        (Part::Number(x), Part::Number(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        // Unreachable: every key alternates text and number from a text start.
        (Part::Text(_), Part::Number(_)) => Ordering::Less,
        (Part::Number(_), Part::Text(_)) => Ordering::Greater,
    }
}

/// Natural order; names natsort holds equal (`chr01`, `chr1`) fall back to code points so
/// the order never depends on input order.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = cmp_part(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

/// Names whose order here is natsort's: a dataset of two or more contigs needs ASCII names,
/// no two of them equal to natsort. The error names the names and says why.
pub fn check_names(names: &[String]) -> Result<(), String> {
    if names.len() < 2 {
        return Ok(());
    }
    if let Some(n) = names.iter().find(|n| !n.is_ascii()) {
        return Err(format!(
            "contig '{}' is not ASCII: GenVarLoader orders contigs with natsort, which \
             normalizes Unicode and reads non-ASCII digits as numbers, so this tool cannot \
             promise the same order (rename it with ASCII characters)",
            crate::error::shown(n)
        ));
    }
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort_by(|a, b| natural_cmp(a, b));
    for w in sorted.windows(2) {
        if natural_key_eq(w[0], w[1]) {
            return Err(format!(
                "contigs '{}' and '{}' are equal to natsort, which GenVarLoader orders contigs \
                 with: their order in the dataset would not be fixed (rename one, e.g. without \
                 leading zeros)",
                crate::error::shown(w[0]),
                crate::error::shown(w[1])
            ));
        }
    }
    Ok(())
}

/// Equal as natsort keys (the code point tie-break of [`natural_cmp`] aside).
fn natural_key_eq(a: &str, b: &str) -> bool {
    let (pa, pb) = (parts(a), parts(b));
    pa.len() == pb.len()
        && pa
            .iter()
            .zip(&pb)
            .all(|(x, y)| cmp_part(x, y) == Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_natsort_could_order_otherwise_are_refused() {
        let check = |v: &[&str]| check_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(check(&[
            "chr1",
            "chr2",
            "chr10",
            "chrX",
            "chr1_random",
            "NC_000001.11",
            "1",
            "MT"
        ])
        .is_ok());
        // One contig: nothing to order.
        assert!(check(&["chr٣"]).is_ok());
        let e = check(&["chr1", "chr01"]).unwrap_err();
        assert!(
            e.starts_with("contigs 'chr01' and 'chr1' are equal to natsort"),
            "{e}"
        );
        assert!(check(&["a1b", "a001b", "c"]).is_err());
        for odd in ["chr٣", "chr²", "chre\u{301}", "chrÄ"] {
            let e = check(&["chr1", odd]).unwrap_err();
            assert!(e.contains("is not ASCII"), "{e}");
        }
        // Distinct numbers of different lengths are fine.
        assert!(check(&[
            "c9",
            "c99999999999999999999999",
            "c100000000000000000000000"
        ])
        .is_ok());
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| natural_cmp(a, b));
        v
    }

    #[test]
    fn matches_python_natsort() {
        // What `natsorted` (natsort 8, GenVarLoader 0.35's) printed for this list, except
        // chr01/chr1: natsort holds them equal and kept input order (chr1 first).
        let names = [
            "chr10",
            "chr2",
            "chr1",
            "chrX",
            "chr1_random",
            "chrUn",
            "1",
            "10",
            "2",
            "X",
            "chr01",
            "chr1a",
            "Chr3",
            "chr_3",
            "a1b2",
            "a1b10",
            "a01b3",
            "",
            "chr2.5",
            "chr-1",
        ];
        let natsort = [
            "",
            "1",
            "2",
            "10",
            "Chr3",
            "X",
            "a1b2",
            "a01b3",
            "a1b10",
            "chr01",
            "chr1",
            "chr1_random",
            "chr1a",
            "chr2",
            "chr2.5",
            "chr10",
            "chr-1",
            "chrUn",
            "chrX",
            "chr_3",
        ];
        assert_eq!(sorted(&names), natsort);
    }

    #[test]
    fn long_numbers_and_non_ascii() {
        assert_eq!(
            sorted(&[
                "c99999999999999999999999",
                "c100000000000000000000000",
                "c9"
            ]),
            [
                "c9",
                "c99999999999999999999999",
                "c100000000000000000000000"
            ]
        );
        assert_eq!(
            sorted(&["chrÜ2", "chrÜ10", "chrÄ"]),
            ["chrÄ", "chrÜ2", "chrÜ10"]
        );
    }
}
