//! BED text: lines ended by LF, CRLF or a lone CR, fed in pieces of any size (gzip
//! inflated as it comes), parsed into [`Regions`]; the columns past the third go to a
//! [`BedFields`] sink when a caller wants them (the dataset writer's BED table).

use crate::error::{Error, Result};
use crate::gzip::Gunzip;
use crate::region::{check_i32, Builder, Regions};
use std::borrow::Cow;

impl Regions {
    /// Parse BED bytes (gzip is detected by its magic bytes). `name` labels errors.
    pub fn from_bed(name: &str, bytes: &[u8]) -> Result<Regions> {
        let mut p = BedParser::new(name);
        p.feed(bytes)?;
        p.finish()
    }
}

/// Receives the fields of every region line, in order, once the line parsed as a region:
/// what a caller needs of the columns past the third (the dataset writer's BED table).
pub trait BedFields {
    /// `fields` are the line's columns (contig, start, end first); `line` is 1-based.
    fn line(&mut self, name: &str, line: u32, fields: &[&str]) -> Result<()>;
}

/// Keeps no fields: a plain export needs only the regions.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFields;

impl BedFields for NoFields {
    fn line(&mut self, _: &str, _: u32, _: &[&str]) -> Result<()> {
        Ok(())
    }
}

/// BED text fed in pieces of any size (split anywhere, even inside a line or a `\r\n`),
/// so a caller can read a huge file in chunks and yield between them. gzip is detected
/// by its magic bytes at the start and inflated as it comes. `F` sees each region line's
/// fields.
pub struct BedParser<F: BedFields = NoFields> {
    fields: F,
    name: String,
    built: Builder,
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    /// The last piece ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    lines: u64,
    /// Bytes seen before the format is known (fewer than gzip's two magic bytes).
    head: Vec<u8>,
    gzip: Option<Gunzip>,
    started: bool,
}

impl BedParser {
    pub fn new(name: &str) -> Self {
        BedParser::with_fields(name, NoFields)
    }
}

impl<F: BedFields> BedParser<F> {
    /// A parser that hands every region line's fields to `fields`.
    pub fn with_fields(name: &str, fields: F) -> Self {
        BedParser {
            fields,
            name: name.to_string(),
            built: Builder::default(),
            partial: Vec::new(),
            after_cr: false,
            lines: 0,
            head: Vec::new(),
            gzip: None,
            started: false,
        }
    }

    /// Regions parsed so far.
    pub fn len(&self) -> usize {
        self.built.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.built.list.is_empty()
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        if !self.started {
            self.head.extend_from_slice(bytes);
            if self.head.len() < 2 {
                return Ok(());
            }
            self.started = true;
            let head = std::mem::take(&mut self.head);
            if head.starts_with(&[0x1f, 0x8b]) {
                self.gzip = Some(Gunzip::default());
            }
            return self.feed(&head);
        }
        match self.gzip.as_mut() {
            Some(gz) => {
                let mut text = Vec::new();
                gz.feed(bytes, &mut text)
                    .map_err(|e| gzip_error(&self.name, e))?;
                self.feed_text(&text)
            }
            None => self.feed_text(bytes),
        }
    }

    /// All regions; an error if there are none.
    pub fn finish(self) -> Result<Regions> {
        Ok(self.finish_with_fields()?.0)
    }

    /// All regions and the field sink; an error if there are no regions.
    pub fn finish_with_fields(mut self) -> Result<(Regions, F)> {
        if !self.started && !self.head.is_empty() {
            self.started = true;
            let head = std::mem::take(&mut self.head);
            self.feed_text(&head)?;
        }
        if let Some(mut gz) = self.gzip.take() {
            let mut text = Vec::new();
            gz.finish(&mut text)
                .map_err(|e| gzip_error(&self.name, e))?;
            self.feed_text(&text)?;
        }
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line)?;
        }
        let regions = self.built.finish(&self.name)?;
        Ok((regions, self.fields))
    }

    fn feed_text(&mut self, mut b: &[u8]) -> Result<()> {
        if self.after_cr {
            self.after_cr = false;
            if b.first() == Some(&b'\n') {
                b = &b[1..];
            }
        }
        while let Some(i) = b.iter().position(|&c| c == b'\n' || c == b'\r') {
            if self.partial.is_empty() {
                self.line(&b[..i])?;
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&b[..i]);
                self.line(&line)?;
                line.clear();
                self.partial = line;
            }
            // A lone `\r` (classic Mac) ends a line too; `\r\n` is one break.
            let skip = match (b[i], b.get(i + 1)) {
                (b'\r', Some(b'\n')) => 2,
                (b'\r', None) => {
                    self.after_cr = true;
                    1
                }
                _ => 1,
            };
            b = &b[i + skip..];
        }
        self.partial.extend_from_slice(b);
        Ok(())
    }

    fn line(&mut self, mut raw: &[u8]) -> Result<()> {
        self.lines += 1;
        let (name, line_no) = (&self.name, self.lines);
        // A byte-order mark (Windows editors, spreadsheet exports) is not text: GenVarLoader
        // (polars) skips it.
        if line_no == 1 {
            raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        }
        let line = std::str::from_utf8(raw)
            .map_err(|_| Error::input(format!("{name} line {line_no}: not valid UTF-8 text")))?;
        let Some(owned) = split_fields(line) else {
            return Ok(());
        };
        let fields: Vec<&str> = owned.iter().map(|f| f.as_ref()).collect();
        let (contig, start, end) = parse_fields(name, line_no, &fields)?;
        self.built.push(contig, start, end, line_no, name)?;
        // `push` checked that the line number fits.
        self.fields.line(name, line_no as u32, &fields)
    }
}

fn gzip_error(name: &str, why: &str) -> Error {
    Error::input(format!("{name}: cannot decompress gzip: {why}"))
}

/// The fields of a data line, unquoted; `None` for blank, comment, track and browser
/// lines.
fn split_fields(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let first_word = trimmed.split_whitespace().next().unwrap_or("");
    if first_word == "track" || first_word == "browser" {
        return None;
    }
    // Tab-separated when there is a tab (contig names may not contain one), else any spaces.
    let fields: Vec<&str> = if line.contains('\t') {
        line.split('\t').map(str::trim).collect()
    } else {
        trimmed.split_whitespace().collect()
    };
    Some(fields.into_iter().map(unquote).collect())
}

/// A field in double quotes is its text, `""` a quote, as polars (GenVarLoader's BED
/// reader) reads it: `"chr1"` is chr1.
fn unquote(f: &str) -> Cow<'_, str> {
    match f.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) if inner.contains("\"\"") => Cow::Owned(inner.replace("\"\"", "\"")),
        Some(inner) => Cow::Borrowed(inner),
        None => Cow::Borrowed(f),
    }
}

/// `(contig, start, end)` of a data line's fields.
fn parse_fields<'a>(name: &str, line_no: u64, fields: &[&'a str]) -> Result<(&'a str, i32, i32)> {
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
    let coord = |what: &str, s: &str| -> Result<i32> {
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
    Ok((contig, start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_and_quotes_are_read_as_genvarloader_reads_them() {
        let r =
            Regions::from_bed("r.bed", b"\xEF\xBB\xBFchr1\t1\t5\n\"chr2\"\t\"2\"\t9\tx\n").unwrap();
        assert_eq!(r.contigs(), ["chr1", "chr2"]);
        assert_eq!((r.get(1).start, r.get(1).end), (2, 9));
        // Only at the start of the file.
        let e = Regions::from_bed("r.bed", b"chr1\t1\t5\n\xEF\xBB\xBFchr2\t1\t5\n").unwrap();
        assert_eq!(e.contigs()[1], "\u{feff}chr2");
        assert_eq!(unquote("\"a\"\"b\""), "a\"b");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("a\"b"), "a\"b");
    }

    #[test]
    fn parses_tabs_spaces_comments_crlf_and_extra_columns() {
        let bed = b"# header\r\ntrack name=x\r\nbrowser position chr1\nchr1\t10\t20\tname\t0\t+\r\n\nchr2 5   7\n  \nchrX\t0\t0\n";
        let r = Regions::from_bed("r.bed", bed).unwrap();
        let got: Vec<_> = r
            .iter()
            .map(|x| {
                (
                    r.contigs()[x.contig as usize].as_str(),
                    x.start,
                    x.end,
                    x.line,
                )
            })
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
            .iter()
            .map(|x| (r.contigs()[x.contig as usize].as_str(), x.start, x.line))
            .collect();
        assert_eq!(got, vec![("chr1", 1, 1), ("chr1", 3, 2), ("chr2", 5, 4)]);
        // Mixed endings: `\r\n` is one break, so line numbers stay those of an editor.
        let r =
            Regions::from_bed("r.bed", b"chr1 1 2\r\nchr1 3 4\nchr1 5 6\rchr1 7 x").unwrap_err();
        assert_eq!(r.to_string(), "r.bed line 4: end 'x' is not an integer");
    }

    #[test]
    fn fed_in_pieces_it_parses_the_same_as_whole() {
        use std::io::Write;
        let text = b"chr1\t1\t2\r\nchr2 3 4\rchr1\t5\t6\n\n#c\r\rchrX\t7\t8";
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text).unwrap();
        let gz = enc.finish().unwrap();
        for bytes in [&text[..], &gz[..]] {
            let whole = Regions::from_bed("r.bed", bytes).unwrap();
            // Every split point, also inside `\r\n` and the gzip magic.
            for piece in [1, 2, 3, 7] {
                let mut p = BedParser::new("r.bed");
                for c in bytes.chunks(piece) {
                    p.feed(c).unwrap();
                }
                let got = p.finish().unwrap();
                assert_eq!(
                    got.iter().copied().collect::<Vec<_>>(),
                    whole.iter().copied().collect::<Vec<_>>()
                );
                assert_eq!(got.contigs(), whole.contigs());
            }
        }
        assert_eq!(
            Regions::from_bed("r.bed", text)
                .unwrap()
                .iter()
                .map(|r| r.line)
                .collect::<Vec<_>>(),
            [1, 2, 3, 7]
        );
    }

    #[test]
    fn reads_gzip() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"chr1\t1\t2\n").unwrap();
        let gz = enc.finish().unwrap();
        let r = Regions::from_bed("r.bed.gz", &gz).unwrap();
        assert_eq!(r.len(), 1);
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
}
