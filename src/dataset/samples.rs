//! Sample tables: what GenVarLoader's `BigWigs.from_table` reads, a `.csv` (comma) or a
//! `.tsv`/`.txt` (tab) with a header naming the columns `sample` and `path` (others are
//! ignored; fields may be double-quoted, as polars reads them). The dataset's samples are
//! sorted by code point, as `gvl.write` sorts them.

use crate::error::{shown, Error, Result};
use std::collections::{BTreeSet, HashMap};

/// One sample and its bigWig, with the table line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRow {
    pub sample: String,
    pub path: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleTable {
    /// How messages name the table (its path).
    pub name: String,
    /// In table order.
    pub rows: Vec<SampleRow>,
}

impl SampleTable {
    /// Parse a table; the separator follows the extension of `name`, as in GenVarLoader.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<SampleTable> {
        let sep = match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("csv") => b',',
            Some("tsv" | "txt") => b'\t',
            _ => {
                return Err(Error::input(format!(
                    "{name}: a sample table must be a .csv, .tsv or .txt file (as GenVarLoader's BigWigs.from_table)"
                )))
            }
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Error::input(format!("{name} line {line}: not valid UTF-8 text"))
        })?;
        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i as u32 + 1, l.strip_suffix('\r').unwrap_or(l)))
            .filter(|(_, l)| !l.is_empty());
        let Some((header_line, header)) = lines.next() else {
            return Err(Error::input(format!(
                "{name}: empty table: expected a header with the columns sample and path"
            )));
        };
        let header = split(header, sep)
            .map_err(|m| Error::input(format!("{name} line {header_line}: {m}")))?;
        let column = |want: &str| -> Result<usize> {
            let mut at = header.iter().enumerate().filter(|(_, h)| *h == want);
            match (at.next(), at.next()) {
                (Some((i, _)), None) => Ok(i),
                (Some(_), Some(_)) => Err(Error::input(format!(
                    "{name} line {header_line}: column '{want}' appears twice in the header"
                ))),
                (None, _) => Err(Error::input(format!(
                    "{name} line {header_line}: no '{want}' column (the header has: {}; separator: {})",
                    header.iter().map(|h| shown(h).into_owned()).collect::<Vec<_>>().join(", "),
                    if sep == b',' { "comma" } else { "tab" }
                ))),
            }
        };
        let (si, pi) = (column("sample")?, column("path")?);
        let mut rows: Vec<SampleRow> = Vec::new();
        let mut seen: HashMap<String, u32> = HashMap::new();
        for (line, l) in lines {
            let at = |m: String| Error::input(format!("{name} line {line}: {m}"));
            let fields = split(l, sep).map_err(at)?;
            if fields.len() <= si.max(pi) {
                return Err(at(format!(
                    "{} columns, the header has {}",
                    fields.len(),
                    header.len()
                )));
            }
            let (sample, path) = (fields[si].clone(), fields[pi].clone());
            if sample.is_empty() {
                return Err(at("empty sample name".into()));
            }
            if path.is_empty() {
                return Err(at(format!("empty path for sample '{}'", shown(&sample))));
            }
            if let Some(first) = seen.insert(sample.clone(), line) {
                return Err(at(format!(
                    "sample '{}' is listed twice (lines {first} and {line})",
                    shown(&sample)
                )));
            }
            rows.push(SampleRow { sample, path, line });
        }
        if rows.is_empty() {
            return Err(Error::input(format!("{name}: no samples, only a header")));
        }
        Ok(SampleTable {
            name: name.to_string(),
            rows,
        })
    }

    /// A track's samples given by name (the npm package's `tracks: { name: { sample:
    /// source } }`): no table file, so `name` is empty and messages name the track. Rows are
    /// numbered from 1 in the order given (their `path` is unused).
    pub fn from_samples(track: &str, samples: &[String]) -> Result<SampleTable> {
        let at = |m: String| Error::input(format!("track '{}': {m}", shown(track)));
        if samples.is_empty() {
            return Err(at("no samples".into()));
        }
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let mut rows = Vec::with_capacity(samples.len());
        for (i, sample) in samples.iter().enumerate() {
            let line = i as u32 + 1;
            if sample.is_empty() {
                return Err(at(format!("sample {line} has an empty name")));
            }
            if let Some(first) = seen.insert(sample, line) {
                return Err(at(format!(
                    "sample '{}' is given twice (samples {first} and {line})",
                    shown(sample)
                )));
            }
            rows.push(SampleRow {
                sample: sample.clone(),
                path: String::new(),
                line,
            });
        }
        Ok(SampleTable {
            name: String::new(),
            rows,
        })
    }

    /// This table's rows in the order of `samples` (which must be this table's samples:
    /// see [`dataset_samples`]).
    pub fn rows_for(&self, samples: &[String]) -> Vec<&SampleRow> {
        let by: HashMap<&str, &SampleRow> =
            self.rows.iter().map(|r| (r.sample.as_str(), r)).collect();
        samples.iter().map(|s| by[s.as_str()]).collect()
    }

    fn samples(&self) -> BTreeSet<&str> {
        self.rows.iter().map(|r| r.sample.as_str()).collect()
    }
}

/// Up to five names, quoted and escaped, and how many more.
pub(crate) fn list(s: Vec<&&str>) -> String {
    let mut v: Vec<String> = s
        .iter()
        .take(5)
        .map(|x| format!("'{}'", shown(x)))
        .collect();
    if s.len() > 5 {
        v.push(format!("and {} more", s.len() - 5));
    }
    v.join(", ")
}

/// The dataset's samples: every track's, sorted by code point (`Normal < blood < tumor`).
/// Tracks must list the same samples: `gvl.write` would silently keep only the common
/// ones, which here is an error naming what differs.
pub fn dataset_samples(tracks: &[(&str, &SampleTable)]) -> Result<Vec<String>> {
    let Some((first_name, first)) = tracks.first() else {
        return Err(Error::input("no tracks given: pass --track NAME=TABLE"));
    };
    let want = first.samples();
    for (name, t) in &tracks[1..] {
        let have = t.samples();
        if have != want {
            let only_here: Vec<_> = have.difference(&want).collect();
            let missing: Vec<_> = want.difference(&have).collect();
            let mut why = Vec::new();
            if !only_here.is_empty() {
                why.push(format!("only '{name}' has {}", list(only_here)));
            }
            if !missing.is_empty() {
                why.push(format!("only '{first_name}' has {}", list(missing)));
            }
            // Tables given by name only (no file) have nothing to add in parentheses.
            let from = |t: &SampleTable| {
                if t.name.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", t.name)
                }
            };
            return Err(Error::input(format!(
                "track '{name}'{} and track '{first_name}'{} have different samples: {}",
                from(t),
                from(first),
                why.join("; ")
            )));
        }
    }
    // BTreeSet<&str> iterates in byte order, which for UTF-8 is code point order.
    Ok(want.into_iter().map(str::to_string).collect())
}

/// One line's fields: `sep`-separated, each optionally in double quotes (`""` inside
/// quotes is one quote), as polars' CSV reader splits them.
fn split(line: &str, sep: u8) -> Result<Vec<String>, String> {
    let sep = sep as char;
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".into()),
                }
            }
            match chars.next() {
                None => {
                    out.push(field);
                    return Ok(out);
                }
                Some(c) if c == sep => {}
                Some(_) => return Err("text after a quoted field".into()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        out.push(field);
                        return Ok(out);
                    }
                    Some(c) if c == sep => break,
                    Some(c) => field.push(c),
                }
            }
        }
        out.push(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_tsv_with_extra_columns_and_quotes() {
        let t = SampleTable::parse(
            "t.csv",
            b"path,sample,note\r\n/a/t.bw,tumor,x\n\"b,c.bw\",\"Nor\"\"mal\",\n",
        )
        .unwrap();
        assert_eq!(
            t.rows,
            [
                SampleRow {
                    sample: "tumor".into(),
                    path: "/a/t.bw".into(),
                    line: 2
                },
                SampleRow {
                    sample: "Nor\"mal".into(),
                    path: "b,c.bw".into(),
                    line: 3
                }
            ]
        );
        let t = SampleTable::parse("t.tsv", b"sample\tpath\nblood\tb.bw\n").unwrap();
        assert_eq!(t.rows[0].path, "b.bw");
        let t = SampleTable::parse("dir.v2/t.txt", b"sample\tpath\nblood\tb.bw\n").unwrap();
        assert_eq!(t.rows.len(), 1);
    }

    #[test]
    fn bad_tables_name_the_line() {
        let e = |name: &str, b: &[u8]| SampleTable::parse(name, b).unwrap_err().to_string();
        assert_eq!(
            e("t.xlsx", b""),
            "t.xlsx: a sample table must be a .csv, .tsv or .txt file (as GenVarLoader's BigWigs.from_table)"
        );
        assert_eq!(
            e("t.tsv", b"sample,path\na,a.bw\n"),
            "t.tsv line 1: no 'sample' column (the header has: sample,path; separator: tab)"
        );
        assert_eq!(
            e("t.csv", b"sample,file\na,a.bw\n"),
            "t.csv line 1: no 'path' column (the header has: sample, file; separator: comma)"
        );
        assert_eq!(
            e("t.csv", b"sample,path\na,a.bw\n\nb,b.bw\na,c.bw\n"),
            "t.csv line 5: sample 'a' is listed twice (lines 2 and 5)"
        );
        assert_eq!(
            e("t.csv", b"sample,path\na\n"),
            "t.csv line 2: 1 columns, the header has 2"
        );
        assert_eq!(
            e("t.csv", b"sample,path\n,x.bw\n"),
            "t.csv line 2: empty sample name"
        );
        assert_eq!(
            e("t.csv", b"sample,path\n"),
            "t.csv: no samples, only a header"
        );
        assert_eq!(
            e("t.csv", b""),
            "t.csv: empty table: expected a header with the columns sample and path"
        );
        assert_eq!(
            e("t.csv", b"sample,path\n\"a,x.bw\n"),
            "t.csv line 2: a quoted field is not closed"
        );
        assert_eq!(
            e("t.csv", b"sample,path\na,\xff.bw\n"),
            "t.csv line 2: not valid UTF-8 text"
        );
    }

    #[test]
    fn samples_sorted_by_code_point_and_tracks_must_agree() {
        let a = SampleTable::parse("a.csv", b"sample,path\ntumor,t\nNormal,n\nblood,b\n").unwrap();
        let b = SampleTable::parse("b.csv", b"sample,path\nblood,b\ntumor,t\nNormal,n\n").unwrap();
        let s = dataset_samples(&[("pos", &a), ("neg", &b)]).unwrap();
        assert_eq!(s, ["Normal", "blood", "tumor"]);
        let paths: Vec<_> = a.rows_for(&s).iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["n", "b", "t"]);
        let c = SampleTable::parse("c.csv", b"sample,path\nblood,b\ntumor,t\nnew,x\n").unwrap();
        assert_eq!(
            dataset_samples(&[("pos", &a), ("neg", &c)])
                .unwrap_err()
                .to_string(),
            "track 'neg' (c.csv) and track 'pos' (a.csv) have different samples: \
             only 'neg' has 'new'; only 'pos' has 'Normal'"
        );
    }

    #[test]
    fn samples_given_by_name() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = SampleTable::from_samples("pos", &names(&["tumor", "Normal"])).unwrap();
        let b = SampleTable::from_samples("neg", &names(&["Normal", "blood"])).unwrap();
        assert_eq!(
            dataset_samples(&[("pos", &a), ("neg", &b)])
                .unwrap_err()
                .to_string(),
            "track 'neg' and track 'pos' have different samples: \
             only 'neg' has 'blood'; only 'pos' has 'tumor'"
        );
        let e = |v: &[&str]| {
            SampleTable::from_samples("sig", &names(v))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e(&["a", "b", "a"]),
            "track 'sig': sample 'a' is given twice (samples 1 and 3)"
        );
        assert_eq!(e(&[]), "track 'sig': no samples");
        assert_eq!(e(&["a", ""]), "track 'sig': sample 2 has an empty name");
    }
}
