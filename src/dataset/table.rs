//! The BED's columns past the third, typed as GenVarLoader reads them (seqpro's
//! `bed.read`: polars with the BED schema), for `input_regions.arrow`. Kept apart from
//! [`crate::region::Region`], which stays 16 bytes; filled line by line as a
//! [`BedFields`] sink while the regions are parsed.
//!
//! As GenVarLoader: the first region line fixes the number of columns; columns 4-12 are
//! named and typed by the BED spec, later ones `column_13`, ...; `.` and empty fields are
//! null. Where GenVarLoader writes a dataset it cannot open, this differs: a strand of
//! `.` (or a missing one) is written `+`, the meaning GenVarLoader's writer gives it.

use crate::bed::BedFields;
use crate::error::{shown, Error, Result};

/// What a column holds, as polars types it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Utf8 (written as Utf8View, as polars writes strings).
    Text,
    /// Float64 (`score`).
    Float,
    /// Int64 (`thickStart`, `thickEnd`).
    Int,
    /// UInt64 (`blockCount`).
    UInt,
    /// Utf8 holding `+` or `-`; also gives each region its strand.
    Strand,
    /// Boolean (a column past the 12th whose every value is true or false).
    Bool,
}

/// BED columns 4-12: GenVarLoader's (seqpro's) names and types.
const BED_COLUMNS: [(&str, Kind); 9] = [
    ("name", Kind::Text),
    ("score", Kind::Float),
    ("strand", Kind::Strand),
    ("thickStart", Kind::Int),
    ("thickEnd", Kind::Int),
    ("itemRgb", Kind::Text),
    ("blockCount", Kind::UInt),
    ("blockSizes", Kind::Text),
    ("blockStarts", Kind::Text),
];

/// Nullable text, one buffer for all rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Texts {
    pub bytes: String,
    /// End of row `i` in `bytes` (its start is the previous end).
    pub ends: Vec<usize>,
    pub valid: Vec<bool>,
}

impl Texts {
    fn push(&mut self, v: Option<&str>) {
        if let Some(s) = v {
            self.bytes.push_str(s);
        }
        self.ends.push(self.bytes.len());
        self.valid.push(v.is_some());
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn get(&self, i: usize) -> Option<&str> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.valid[i].then(|| &self.bytes[start..self.ends[i]])
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Text(Texts),
    Float(Vec<Option<f64>>),
    Int(Vec<Option<i64>>),
    UInt(Vec<Option<u64>>),
    Bool(Vec<Option<bool>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    pub values: Values,
}

/// Columns 4 and on of every region line, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BedTable {
    pub columns: Vec<Column>,
    /// Fields on the first region line (3 or more); `None` before it.
    width: Option<usize>,
    /// Each region's strand: 1 or -1 (1 without a strand column).
    strands: Vec<i8>,
}

impl BedTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Region `i`'s strand, as GenVarLoader stores it: 1 (`+`, `.`, none) or -1 (`-`).
    pub fn strand(&self, i: usize) -> i8 {
        self.strands.get(i).copied().unwrap_or(1)
    }

    /// Whether the BED has a strand column.
    pub fn has_strand(&self) -> bool {
        self.columns.iter().any(|c| c.kind == Kind::Strand)
    }

    /// Rows `rows` only (a part of a sharded dataset).
    pub fn slice(&self, rows: std::ops::Range<usize>) -> BedTable {
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                kind: c.kind,
                values: match &c.values {
                    Values::Text(t) => {
                        let mut out = Texts::default();
                        for i in rows.clone() {
                            out.push(t.get(i));
                        }
                        Values::Text(out)
                    }
                    Values::Float(v) => Values::Float(v[rows.clone()].to_vec()),
                    Values::Int(v) => Values::Int(v[rows.clone()].to_vec()),
                    Values::UInt(v) => Values::UInt(v[rows.clone()].to_vec()),
                    Values::Bool(v) => Values::Bool(v[rows.clone()].to_vec()),
                },
            })
            .collect();
        BedTable {
            columns,
            width: self.width,
            strands: self
                .strands
                .get(rows)
                .map(<[i8]>::to_vec)
                .unwrap_or_default(),
        }
    }

    /// Columns past the 12th are typed as polars infers them: Int64 when every value is
    /// an integer, Float64 when every value is a number, Boolean when every one is
    /// true/false (any case), else text. (polars looks at the first 100 rows and fails on
    /// a later row that does not fit; here every row decides.)
    pub fn infer_extra_columns(&mut self) {
        for col in self.columns.iter_mut().skip(BED_COLUMNS.len()) {
            let Values::Text(t) = &col.values else {
                continue;
            };
            let values: Vec<Option<&str>> = (0..t.len()).map(|i| t.get(i)).collect();
            let all = |f: fn(&str) -> bool| values.iter().flatten().all(|v| f(v));
            let (kind, typed) = if values.iter().all(Option::is_none) {
                continue;
            } else if all(is_int) {
                (
                    Kind::Int,
                    Values::Int(
                        values
                            .iter()
                            .map(|v| v.and_then(|v| v.parse().ok()))
                            .collect(),
                    ),
                )
            } else if all(|v| is_int(v) || is_float(v)) {
                (
                    Kind::Float,
                    Values::Float(
                        values
                            .iter()
                            .map(|v| v.and_then(|v| v.parse().ok()))
                            .collect(),
                    ),
                )
            } else if all(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")) {
                (
                    Kind::Bool,
                    Values::Bool(
                        values
                            .iter()
                            .map(|v| v.map(|v| v.eq_ignore_ascii_case("true")))
                            .collect(),
                    ),
                )
            } else {
                continue;
            };
            col.kind = kind;
            col.values = typed;
        }
    }

    fn start(&mut self, width: usize) {
        self.width = Some(width);
        self.columns = (3..width)
            .map(|k| {
                let (name, kind) = BED_COLUMNS
                    .get(k - 3)
                    .map(|&(n, kind)| (n.to_string(), kind))
                    .unwrap_or_else(|| (format!("column_{}", k + 1), Kind::Text));
                let values = match kind {
                    Kind::Text | Kind::Strand => Values::Text(Texts::default()),
                    Kind::Float => Values::Float(Vec::new()),
                    Kind::Int => Values::Int(Vec::new()),
                    Kind::UInt => Values::UInt(Vec::new()),
                    Kind::Bool => Values::Bool(Vec::new()),
                };
                Column { name, kind, values }
            })
            .collect();
    }
}

impl BedFields for BedTable {
    fn line(&mut self, name: &str, line: u32, fields: &[&str]) -> Result<()> {
        let width = match self.width {
            Some(w) => w,
            None => {
                self.start(fields.len());
                fields.len()
            }
        };
        if fields.len() > width {
            return Err(Error::input(format!(
                "{name} line {line}: {} columns, but the first region line has {width} \
                 (GenVarLoader takes the columns from the first line)",
                fields.len()
            )));
        }
        let mut strand = 1i8;
        for (k, col) in self.columns.iter_mut().enumerate() {
            // polars' null_values=".", and a missing or empty field is null too.
            let field = fields
                .get(k + 3)
                .copied()
                .filter(|f| !f.is_empty() && *f != ".");
            let bad = |what: &str, f: &str| {
                Error::input(format!(
                    "{name} line {line}: {} '{}' is not {what}",
                    col.name,
                    shown(f)
                ))
            };
            match &mut col.values {
                Values::Text(t) if col.kind == Kind::Strand => {
                    strand = match field {
                        None | Some("+") => 1,
                        Some("-") => -1,
                        Some(f) => return Err(bad("+, - or .", f)),
                    };
                    t.push(Some(if strand == 1 { "+" } else { "-" }));
                }
                Values::Text(t) => t.push(field),
                Values::Float(v) => v.push(
                    field
                        .map(|f| f.parse::<f64>().map_err(|_| bad("a number", f)))
                        .transpose()?,
                ),
                Values::Int(v) => v.push(
                    field
                        .map(|f| f.parse::<i64>().map_err(|_| bad("an integer", f)))
                        .transpose()?,
                ),
                // Typed once every line is in (infer_extra_columns).
                Values::Bool(v) => v.push(field.map(|f| f.eq_ignore_ascii_case("true"))),
                Values::UInt(v) => v.push(
                    field
                        .map(|f| {
                            f.parse::<u64>()
                                .map_err(|_| bad("a non-negative integer", f))
                        })
                        .transpose()?,
                ),
            }
        }
        self.strands.push(strand);
        Ok(())
    }
}

/// polars' integer: `-?[0-9]+` (that fits in 64 bits: polars makes wider ones Int128,
/// here they stay text).
fn is_int(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_ok()
}

/// polars' float: `[-+]?(\d*\.\d+([eE][-+]?\d+)?|inf|NaN|\d+[eE][-+]?\d+|\d+\.)`.
fn is_float(v: &str) -> bool {
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let exp = |s: &str| {
        let s = s.strip_prefix(['-', '+']).unwrap_or(s);
        digits(s)
    };
    if body == "inf" || body == "NaN" {
        return true;
    }
    if let Some((mantissa, e)) = body.split_once(['e', 'E']) {
        // `\d*\.\d+` or `\d+` before an exponent.
        let m_ok = match mantissa.split_once('.') {
            Some((a, b)) => (a.is_empty() || digits(a)) && digits(b),
            None => digits(mantissa),
        };
        return m_ok && exp(e);
    }
    match body.split_once('.') {
        Some((a, b)) => (a.is_empty() && digits(b)) || (digits(a) && (b.is_empty() || digits(b))),
        None => false,
    }
}

#[cfg(test)]
mod tests;
