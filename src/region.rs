//! Regions: what to export, in output order (never sorted). Parsed from BED text (plain or
//! gzip) or built from arrays.

use crate::error::{Error, Result};
use std::io::Read;

/// One region as the user gave it. Coordinates are 0-based, half-open, not yet clamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub contig: String,
    pub start: i64,
    pub end: i64,
    /// 1-based BED line (or array index + 1 when built from arrays), for error messages.
    pub line: usize,
}

/// Regions plus the name of the input they came from (for messages).
#[derive(Debug, Clone)]
pub struct Regions {
    pub name: String,
    pub list: Vec<Region>,
}

impl Regions {
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Where region `i` came from, e.g. `regions.bed line 12 (chr1:100-200)`.
    pub fn describe(&self, i: usize) -> String {
        let r = &self.list[i];
        format!(
            "{} line {} ({}:{}-{})",
            self.name,
            r.line,
            crate::error::shown(&r.contig),
            r.start,
            r.end
        )
    }

    /// Parse BED bytes (gzip is detected by its magic bytes). `name` labels errors.
    pub fn from_bed(name: &str, bytes: &[u8]) -> Result<Regions> {
        let text;
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .read_to_end(&mut out)
                .map_err(|e| Error::input(format!("{name}: cannot decompress gzip: {e}")))?;
            text = out;
            &text[..]
        } else {
            bytes
        };
        let mut list = Vec::new();
        for (i, raw) in lines(bytes).enumerate() {
            let line_no = i + 1;
            let line = std::str::from_utf8(raw).map_err(|_| {
                Error::input(format!("{name} line {line_no}: not valid UTF-8 text"))
            })?;
            if let Some(r) = parse_line(name, line_no, line)? {
                list.push(r);
            }
        }
        let regions = Regions {
            name: name.to_string(),
            list,
        };
        regions.check_not_empty()?;
        Ok(regions)
    }

    /// Regions from parallel arrays (the JS API); `line` becomes the 1-based index.
    pub fn from_arrays(contigs: &[String], starts: &[i64], ends: &[i64]) -> Result<Regions> {
        if contigs.len() != starts.len() || starts.len() != ends.len() {
            return Err(Error::input(format!(
                "regions: contigs, starts and ends differ in length ({}, {}, {})",
                contigs.len(),
                starts.len(),
                ends.len()
            )));
        }
        let name = "regions";
        let mut list = Vec::with_capacity(contigs.len());
        for i in 0..contigs.len() {
            let (start, end) = (starts[i], ends[i]);
            for (what, v) in [("start", start), ("end", end)] {
                check_i32(what, v).map_err(|m| Error::input(format!("{name} index {i}: {m}")))?;
            }
            if contigs[i].is_empty() {
                return Err(Error::input(format!("{name} index {i}: empty contig name")));
            }
            if start > end {
                return Err(Error::input(format!(
                    "{name} index {i}: start {start} is greater than end {end}"
                )));
            }
            list.push(Region {
                contig: contigs[i].clone(),
                start,
                end,
                line: i + 1,
            });
        }
        let regions = Regions {
            name: name.to_string(),
            list,
        };
        regions.check_not_empty()?;
        Ok(regions)
    }

    fn check_not_empty(&self) -> Result<()> {
        if self.list.is_empty() {
            return Err(Error::input(format!("{}: no regions found", self.name)));
        }
        Ok(())
    }
}

/// Lines ended by `\n`, `\r\n` or a lone `\r` (classic Mac files): a `\r` is never
/// part of a line, so such a file can never merge its lines into one.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let b = rest?;
        match b.iter().position(|&c| c == b'\n' || c == b'\r') {
            Some(i) => {
                let skip = if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                rest = Some(&b[i + skip..]);
                Some(&b[..i])
            }
            None => {
                rest = None;
                Some(b)
            }
        }
    })
}

/// GenVarLoader stores coordinates as int32; wider ones would wrap in its arrays.
fn check_i32(what: &str, v: i64) -> Result<i64, String> {
    if i32::try_from(v).is_ok() {
        Ok(v)
    } else {
        Err(format!(
            "{what} {v} is outside the 32-bit range of GenVarLoader's coordinates"
        ))
    }
}

fn parse_line(name: &str, line_no: usize, line: &str) -> Result<Option<Region>> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let first_word = trimmed.split_whitespace().next().unwrap_or("");
    if first_word == "track" || first_word == "browser" {
        return Ok(None);
    }
    // Tab-separated when there is a tab (contig names may not contain one), else any spaces.
    let fields: Vec<&str> = if line.contains('\t') {
        line.split('\t').map(str::trim).collect()
    } else {
        trimmed.split_whitespace().collect()
    };
    if fields.len() < 3 {
        return Err(Error::input(format!(
            "{name} line {line_no}: expected at least 3 columns (contig, start, end), found {}",
            fields.len()
        )));
    }
    let contig = fields[0];
    if contig.is_empty() {
        return Err(Error::input(format!(
            "{name} line {line_no}: empty contig name"
        )));
    }
    let coord = |what: &str, s: &str| -> Result<i64> {
        let v = s.parse::<i64>().map_err(|_| {
            Error::input(format!(
                "{name} line {line_no}: {what} '{s}' is not an integer"
            ))
        })?;
        check_i32(what, v).map_err(|m| Error::input(format!("{name} line {line_no}: {m}")))
    };
    let start = coord("start", fields[1])?;
    let end = coord("end", fields[2])?;
    if start > end {
        return Err(Error::input(format!(
            "{name} line {line_no}: start {start} is greater than end {end}"
        )));
    }
    Ok(Some(Region {
        contig: contig.to_string(),
        start,
        end,
        line: line_no,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tabs_spaces_comments_crlf_and_extra_columns() {
        let bed = b"# header\r\ntrack name=x\r\nbrowser position chr1\nchr1\t10\t20\tname\t0\t+\r\n\nchr2 5   7\n  \nchrX\t0\t0\n";
        let r = Regions::from_bed("r.bed", bed).unwrap();
        let got: Vec<_> = r
            .list
            .iter()
            .map(|r| (r.contig.as_str(), r.start, r.end, r.line))
            .collect();
        assert_eq!(
            got,
            vec![("chr1", 10, 20, 4), ("chr2", 5, 7, 6), ("chrX", 0, 0, 8)]
        );
        assert_eq!(r.describe(1), "r.bed line 6 (chr2:5-7)");
    }

    #[test]
    fn classic_mac_line_endings_are_line_breaks() {
        // Lone `\r` used to be kept inside one line: 3 regions became 1, silently.
        let r = Regions::from_bed("r.bed", b"chr1\t1\t2\rchr1\t3\t4\r\rchr2\t5\t6\r").unwrap();
        let got: Vec<_> = r
            .list
            .iter()
            .map(|r| (r.contig.as_str(), r.start, r.line))
            .collect();
        assert_eq!(got, vec![("chr1", 1, 1), ("chr1", 3, 2), ("chr2", 5, 4)]);
        // Mixed endings: `\r\n` is one break, so line numbers stay those of an editor.
        let r =
            Regions::from_bed("r.bed", b"chr1 1 2\r\nchr1 3 4\nchr1 5 6\rchr1 7 x").unwrap_err();
        assert_eq!(r.to_string(), "r.bed line 4: end 'x' is not an integer");
    }

    #[test]
    fn coordinates_past_int32_are_refused() {
        let e = |b: &[u8]| Regions::from_bed("r.bed", b).unwrap_err().to_string();
        assert_eq!(
            e(b"chr1\t1\t2147483648\n"),
            "r.bed line 1: end 2147483648 is outside the 32-bit range of GenVarLoader's coordinates"
        );
        assert_eq!(
            e(b"chr1\t1\t2\nchr1\t-2147483649\t5\n"),
            "r.bed line 2: start -2147483649 is outside the 32-bit range of GenVarLoader's coordinates"
        );
        assert!(Regions::from_bed("r.bed", b"chr1\t-2147483648\t2147483647\n").is_ok());
        let e = Regions::from_arrays(&["chr1".into()], &[0], &[1 << 31]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "regions index 0: end 2147483648 is outside the 32-bit range of GenVarLoader's coordinates"
        );
    }

    #[test]
    fn keeps_input_order_and_negative_starts() {
        let r = Regions::from_bed("r.bed", b"chr2\t-5\t10\nchr1\t3\t4\n").unwrap();
        assert_eq!(r.list[0].start, -5);
        assert_eq!(r.list[1].contig, "chr1");
    }

    #[test]
    fn reads_gzip() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"chr1\t1\t2\n").unwrap();
        let gz = enc.finish().unwrap();
        let r = Regions::from_bed("r.bed.gz", &gz).unwrap();
        assert_eq!(r.list.len(), 1);
        let err = Regions::from_bed("r.bed.gz", &gz[..gz.len() / 2]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("r.bed.gz: cannot decompress gzip"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = |b: &[u8]| Regions::from_bed("r.bed", b).unwrap_err().to_string();
        assert_eq!(
            e(b"chr1\t1\t2\nchr1\t9\t3\n"),
            "r.bed line 2: start 9 is greater than end 3"
        );
        assert_eq!(
            e(b"chr1\tabc\t2\n"),
            "r.bed line 1: start 'abc' is not an integer"
        );
        assert_eq!(
            e(b"chr1\t1\t2.5\n"),
            "r.bed line 1: end '2.5' is not an integer"
        );
        assert_eq!(
            e(b"\nchr1 1\n"),
            "r.bed line 2: expected at least 3 columns (contig, start, end), found 2"
        );
        assert_eq!(e(b"# only a comment\n\n"), "r.bed: no regions found");
        assert_eq!(e(b""), "r.bed: no regions found");
        assert_eq!(
            e(b"chr1\t1\t2\n\xff\xfe\t1\t2\n"),
            "r.bed line 2: not valid UTF-8 text"
        );
    }

    #[test]
    fn arrays() {
        let r = Regions::from_arrays(&["chr1".into()], &[1], &[5]).unwrap();
        assert_eq!(r.list[0].line, 1);
        assert!(Regions::from_arrays(&["chr1".into()], &[6], &[5]).is_err());
        assert!(Regions::from_arrays(&[], &[], &[]).is_err());
        assert!(Regions::from_arrays(&["a".into()], &[1, 2], &[3]).is_err());
    }
}
