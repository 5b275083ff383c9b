//! Regions: what to export, in output order (never sorted). Parsed from BED text (plain or
//! gzip, whole or fed in pieces by [`crate::bed::BedParser`]) or built from arrays.
//!
//! Stored compactly, 16 bytes a region (contig names interned), so ten million regions
//! take 160 MB, not the gigabyte that a `String` per region took.

use crate::error::{shown, Error, Result};
use std::collections::HashMap;

/// One region as the user gave it. Coordinates are 0-based, half-open, not yet clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Index into [`Regions::contigs`].
    pub contig: u32,
    pub start: i32,
    pub end: i32,
    /// 1-based BED line (or array index + 1 when built from arrays), for error messages.
    pub line: u32,
}

/// Regions plus the name of the input they came from (for messages).
#[derive(Debug, Clone)]
pub struct Regions {
    pub name: String,
    /// Distinct contig names, in order of first appearance.
    contigs: Vec<String>,
    list: Vec<Region>,
}

impl Regions {
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn get(&self, i: usize) -> Region {
        self.list[i]
    }
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Region> + '_ {
        self.list.iter()
    }
    /// Distinct contig names, in order of first appearance.
    pub fn contigs(&self) -> &[String] {
        &self.contigs
    }
    /// The contig name of region `i`.
    pub fn contig(&self, i: usize) -> &str {
        &self.contigs[self.list[i].contig as usize]
    }

    /// Where region `i` came from, e.g. `regions.bed line 12 (chr1:100-200)`.
    pub fn describe(&self, i: usize) -> String {
        let r = &self.list[i];
        format!(
            "{} line {} ({}:{}-{})",
            self.name,
            r.line,
            shown(self.contig(i)),
            r.start,
            r.end
        )
    }

    /// True when the regions come in genome order as given: by contig name, then start
    /// and end (negative ones as 0). The decode plan keys on the coordinates clamped to the
    /// contig, which keeps sorted regions sorted, so these are decoded in input order
    /// (a host keeps them on its contiguous split).
    pub fn in_genome_order(&self) -> bool {
        let key = |r: &Region| {
            (
                &self.contigs[r.contig as usize],
                r.start.max(0),
                r.end.max(0),
            )
        };
        self.list.windows(2).all(|w| key(&w[0]) <= key(&w[1]))
    }

    /// These regions in `order` (indices into these), each widened by `jitter` on both
    /// sides (GenVarLoader's `max_jitter`). Lines stay, so messages still name the BED line;
    /// an error names a region whose widened coordinates leave int32. Contigs are numbered
    /// afresh in their new order of first appearance, as [`Regions::contigs`] promises.
    pub fn reordered(&self, order: &[u32], jitter: u32) -> Result<Regions> {
        let j = i64::from(jitter);
        let mut renumber = vec![u32::MAX; self.contigs.len()];
        let mut contigs = Vec::new();
        let mut list = Vec::with_capacity(order.len());
        for &i in order {
            let r = self.list[i as usize];
            let widened = |what, v: i64| {
                check_i32(what, v).map_err(|m| {
                    Error::input(format!(
                        "{}: with max jitter {jitter}, {m}",
                        self.describe(i as usize)
                    ))
                })
            };
            let id = &mut renumber[r.contig as usize];
            if *id == u32::MAX {
                *id = contigs.len() as u32;
                contigs.push(self.contigs[r.contig as usize].clone());
            }
            list.push(Region {
                contig: *id,
                start: widened("start", i64::from(r.start) - j)?,
                end: widened("end", i64::from(r.end) + j)?,
                line: r.line,
            });
        }
        Ok(Regions {
            name: self.name.clone(),
            contigs,
            list,
        })
    }

    /// Regions from parallel arrays (the JS API); `line` becomes the 1-based index.
    pub fn from_arrays(contigs: &[String], starts: &[i64], ends: &[i64]) -> Result<Regions> {
        let mut b = RegionsBuilder::new("regions");
        b.push_arrays(contigs, starts, ends)?;
        b.finish()
    }
}

/// Regions from parallel arrays given in pieces; indices in messages count from the first.
pub struct RegionsBuilder {
    name: String,
    built: Builder,
    /// Array entries taken so far (the next one's index).
    taken: usize,
}

impl RegionsBuilder {
    pub fn new(name: &str) -> Self {
        RegionsBuilder {
            name: name.to_string(),
            built: Builder::default(),
            taken: 0,
        }
    }

    /// Entries taken so far.
    pub fn len(&self) -> usize {
        self.taken
    }
    pub fn is_empty(&self) -> bool {
        self.taken == 0
    }

    pub fn push_arrays(&mut self, contigs: &[String], starts: &[i64], ends: &[i64]) -> Result<()> {
        if contigs.len() != starts.len() || starts.len() != ends.len() {
            return Err(Error::input(format!(
                "{}: contigs, starts and ends differ in length ({}, {}, {})",
                self.name,
                contigs.len(),
                starts.len(),
                ends.len()
            )));
        }
        let name = self.name.as_str();
        for k in 0..contigs.len() {
            let i = self.taken + k;
            let at = || format!("{name} index {i}");
            if contigs[k].is_empty() {
                return Err(Error::input(format!("{}: empty contig name", at())));
            }
            let start = check_i32("start", starts[k])
                .map_err(|m| Error::input(format!("{}: {m}", at())))?;
            let end =
                check_i32("end", ends[k]).map_err(|m| Error::input(format!("{}: {m}", at())))?;
            if start > end {
                return Err(Error::input(format!(
                    "{}: start {start} is greater than end {end}",
                    at()
                )));
            }
            self.built
                .push(&contigs[k], start, end, i as u64 + 1, name)?;
        }
        self.taken += contigs.len();
        Ok(())
    }

    pub fn finish(self) -> Result<Regions> {
        self.built.finish(&self.name)
    }
}

/// What a page or tool shows of regions before exporting them: how many, per contig, the
/// first, and the line of each (to split a BED into shards without parsing it again).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionsSummary {
    pub count: usize,
    /// Contigs in order of first appearance, with their number of regions.
    pub contigs: Vec<ContigCount>,
    pub first: Option<FirstRegion>,
    /// The 1-based BED line (or array index + 1) of each region, in order.
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContigCount {
    pub name: String,
    pub regions: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FirstRegion {
    pub contig: String,
    pub start: i32,
    pub end: i32,
}

impl Regions {
    pub fn summary(&self) -> RegionsSummary {
        let mut counts = vec![0usize; self.contigs.len()];
        for r in &self.list {
            counts[r.contig as usize] += 1;
        }
        RegionsSummary {
            count: self.len(),
            contigs: self
                .contigs
                .iter()
                .zip(counts)
                .map(|(name, regions)| ContigCount {
                    name: name.clone(),
                    regions,
                })
                .collect(),
            first: self.list.first().map(|r| FirstRegion {
                contig: self.contigs[r.contig as usize].clone(),
                start: r.start,
                end: r.end,
            }),
            lines: self.list.iter().map(|r| r.line).collect(),
        }
    }
}

/// Interns contig names and collects regions.
#[derive(Default)]
pub(crate) struct Builder {
    contigs: Vec<String>,
    index: HashMap<String, u32>,
    pub(crate) list: Vec<Region>,
}

impl Builder {
    pub(crate) fn push(
        &mut self,
        contig: &str,
        start: i32,
        end: i32,
        line: u64,
        name: &str,
    ) -> Result<()> {
        let line = u32::try_from(line)
            .map_err(|_| Error::input(format!("{name}: more than {} lines", u32::MAX)))?;
        let id = match self.index.get(contig) {
            Some(&id) => id,
            None => {
                let id = self.contigs.len() as u32;
                self.contigs.push(contig.to_string());
                self.index.insert(contig.to_string(), id);
                id
            }
        };
        self.list.push(Region {
            contig: id,
            start,
            end,
            line,
        });
        Ok(())
    }

    pub(crate) fn finish(self, name: &str) -> Result<Regions> {
        if self.list.is_empty() {
            return Err(Error::input(format!("{name}: no regions found")));
        }
        Ok(Regions {
            name: name.to_string(),
            contigs: self.contigs,
            list: self.list,
        })
    }
}

/// GenVarLoader stores coordinates as int32; wider ones would wrap in its arrays.
pub(crate) fn check_i32(what: &str, v: i64) -> Result<i32, String> {
    if let Ok(v) = i32::try_from(v) {
        Ok(v)
    } else {
        Err(format!(
            "{what} {v} is outside the 32-bit range of GenVarLoader's coordinates"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genome_order_as_given() {
        let sorted = |bed: &str| {
            Regions::from_bed("r.bed", bed.as_bytes())
                .unwrap()
                .in_genome_order()
        };
        assert!(sorted("chr1\t5\t9\nchr1\t5\t10\nchr2\t0\t1\n"));
        assert!(!sorted("chr2\t0\t1\nchr1\t5\t9\n"));
        assert!(!sorted("chr1\t5\t9\nchr1\t4\t90\n"));
        assert!(sorted("chr1\t5\t9\n"));
    }

    #[test]
    fn summary_counts_contigs_and_keeps_lines() {
        let r = Regions::from_bed("r.bed", b"# c\nchr2\t5\t9\nchr1\t1\t2\n\nchr2\t0\t1\n").unwrap();
        let s = r.summary();
        assert_eq!(s.count, 3);
        assert_eq!(s.lines, [2, 3, 5]);
        assert_eq!(
            s.contigs,
            [
                ContigCount {
                    name: "chr2".into(),
                    regions: 2
                },
                ContigCount {
                    name: "chr1".into(),
                    regions: 1
                }
            ]
        );
        assert_eq!(
            s.first,
            Some(FirstRegion {
                contig: "chr2".into(),
                start: 5,
                end: 9
            })
        );
    }

    #[test]
    fn regions_take_16_bytes_each() {
        assert_eq!(std::mem::size_of::<Region>(), 16);
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
    fn reordered_renumbers_contigs_in_their_new_order() {
        let r = Regions::from_bed("r.bed", b"chr2\t5\t9\nchr1\t1\t2\nchr2\t0\t1\n").unwrap();
        let s = r.reordered(&[1, 2, 0], 3).unwrap();
        assert_eq!(s.contigs(), ["chr1", "chr2"]);
        let got: Vec<_> = s
            .iter()
            .map(|x| (x.contig, x.start, x.end, x.line))
            .collect();
        assert_eq!(got, [(0, -2, 5, 2), (1, -3, 4, 3), (1, 2, 12, 1)]);
        assert_eq!(s.describe(2), "r.bed line 1 (chr2:2-12)");
    }

    #[test]
    fn keeps_input_order_and_negative_starts() {
        let r = Regions::from_bed("r.bed", b"chr2\t-5\t10\nchr1\t3\t4\n").unwrap();
        assert_eq!(r.get(0).start, -5);
        assert_eq!(r.contig(1), "chr1");
    }

    #[test]
    fn arrays() {
        let r = Regions::from_arrays(&["chr1".into()], &[1], &[5]).unwrap();
        assert_eq!(r.get(0).line, 1);
        assert!(Regions::from_arrays(&["chr1".into()], &[6], &[5]).is_err());
        assert!(Regions::from_arrays(&[], &[], &[]).is_err());
        assert!(Regions::from_arrays(&["a".into()], &[1, 2], &[3]).is_err());
    }
}
