//! A dataset already on disk (ours or GenVarLoader's), as `gvl.update` sees it: its
//! metadata and `regions.npy` give the regions every new track is exported over (sorted,
//! the jitter applied) and the samples a new per-sample track must have.

use super::metadata::Metadata;
use super::npy::{parse_regions_npy, RegionRow};
use super::samples::{list, SampleTable};
use super::GvlFormat;
use crate::error::{shown, Error, Result};
use crate::region::{Regions, RegionsBuilder};
use std::collections::BTreeSet;

#[derive(Debug)]
pub struct StoredDataset {
    /// How messages name it (its path).
    pub name: String,
    pub metadata: Metadata,
    pub format: GvlFormat,
    /// `regions.npy`, in its (sorted) order.
    pub rows: Vec<RegionRow>,
}

impl StoredDataset {
    /// `metadata.json` and `regions.npy` of the dataset `name`, checked against each other.
    pub fn new(name: &str, metadata_json: &[u8], regions_npy: &[u8]) -> Result<StoredDataset> {
        let metadata = Metadata::parse(&format!("{name}/metadata.json"), metadata_json)?;
        let format = metadata.format()?;
        let at = format!("{name}/regions.npy");
        let rows = parse_regions_npy(&at, regions_npy)?;
        if rows.len() != metadata.n_regions {
            return Err(Error::input(format!(
                "{at}: {} regions, but metadata.json says n_regions {}",
                rows.len(),
                metadata.n_regions
            )));
        }
        let n_contigs = metadata.contigs.len();
        if let Some((k, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.contig < 0 || r.contig as usize >= n_contigs || r.start > r.end)
        {
            return Err(Error::input(format!(
                "{at} row {k}: contig {} start {} end {} does not fit the dataset's {n_contigs} contigs",
                r.contig, r.start, r.end
            )));
        }
        Ok(StoredDataset {
            name: name.to_string(),
            metadata,
            format,
            rows,
        })
    }

    /// The regions every track of this dataset holds, in its order, jitter applied (what
    /// `gvl.update` exports: `regions.npy` as it is). Messages name `regions.npy` rows.
    pub fn regions(&self) -> Result<Regions> {
        let contigs: Vec<String> = self
            .rows
            .iter()
            .map(|r| self.metadata.contigs[r.contig as usize].clone())
            .collect();
        let starts: Vec<i64> = self.rows.iter().map(|r| i64::from(r.start)).collect();
        let ends: Vec<i64> = self.rows.iter().map(|r| i64::from(r.end)).collect();
        let mut b = RegionsBuilder::new(&format!("{}/regions.npy", self.name));
        b.push_arrays(&contigs, &starts, &ends)?;
        b.finish()
    }

    /// A new per-sample track's samples must be exactly the dataset's (`gvl.update`'s
    /// rule); its rows are then taken in the dataset's order.
    pub fn check_samples(&self, track: &str, table: &SampleTable) -> Result<()> {
        let want: BTreeSet<&str> = self.metadata.samples.iter().map(String::as_str).collect();
        let have: BTreeSet<&str> = table.rows.iter().map(|r| r.sample.as_str()).collect();
        if want == have {
            return Ok(());
        }
        let missing: Vec<_> = want.difference(&have).collect();
        let extra: Vec<_> = have.difference(&want).collect();
        let mut why = Vec::new();
        if !missing.is_empty() {
            why.push(format!("missing {}", list(missing)));
        }
        if !extra.is_empty() {
            why.push(format!("not in the dataset: {}", list(extra)));
        }
        let from = if table.name.is_empty() {
            String::new()
        } else {
            format!(" ({})", table.name)
        };
        Err(Error::input(format!(
            "track '{}'{from}: its samples must be exactly the dataset's ({}): {}",
            shown(track),
            self.name,
            why.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::npy::regions_npy;

    fn meta(samples: &[&str], n: usize) -> Vec<u8> {
        Metadata::new(
            GvlFormat::V2,
            samples.iter().map(|s| s.to_string()).collect(),
            vec!["chr1".into(), "chr2".into()],
            n,
            3,
        )
        .to_json()
    }

    fn rows() -> Vec<RegionRow> {
        vec![
            RegionRow {
                contig: 0,
                start: -3,
                end: 13,
                strand: 1,
            },
            RegionRow {
                contig: 1,
                start: 2,
                end: 9,
                strand: -1,
            },
        ]
    }

    #[test]
    fn regions_from_regions_npy() {
        let d = StoredDataset::new(
            "ds.gvl",
            &meta(&["a", "b"], 2),
            &regions_npy(&rows(), false),
        )
        .unwrap();
        assert_eq!(d.format, GvlFormat::V2);
        let r = d.regions().unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r.contig(0), r.get(0).start, r.get(0).end),
            ("chr1", -3, 13)
        );
        assert_eq!((r.contig(1), r.get(1).start, r.get(1).end), ("chr2", 2, 9));
    }

    #[test]
    fn lying_files_are_refused() {
        let e = StoredDataset::new("ds.gvl", &meta(&["a"], 3), &regions_npy(&rows(), true))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "ds.gvl/regions.npy: 2 regions, but metadata.json says n_regions 3"
        );
        let mut bad = rows();
        bad[1].contig = 2;
        let e = StoredDataset::new("ds.gvl", &meta(&["a"], 2), &regions_npy(&bad, true))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("ds.gvl/regions.npy row 1: contig 2"), "{e}");
    }

    #[test]
    fn samples_must_match_exactly() {
        let d = StoredDataset::new("ds.gvl", &meta(&["a", "b"], 2), &regions_npy(&rows(), true))
            .unwrap();
        let ok = SampleTable::from_samples("t", &["b".into(), "a".into()]).unwrap();
        assert!(d.check_samples("t", &ok).is_ok());
        let bad = SampleTable::from_samples("t", &["a".into(), "c".into()]).unwrap();
        assert_eq!(
            d.check_samples("t", &bad).unwrap_err().to_string(),
            "track 't': its samples must be exactly the dataset's (ds.gvl): missing 'b'; not in the dataset: 'c'"
        );
    }
}
