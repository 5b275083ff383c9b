//! The two on-disk dataset formats GenVarLoader reads, and what differs between them.
//! Each GenVarLoader refuses the other's: 0.35 reads format 1.0 only, >= 0.36 (0.43.1,
//! what `pip install genvarloader` gives today) reads 2.0 only.

use crate::error::{Error, Result};
use crate::layout::Layout;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GvlFormat {
    /// Format 1.0: `intervals.npy` of (start, end, value) records (GenVarLoader 0.35).
    V1,
    /// Format 2.0: `starts.npy`, `ends.npy`, `values.npy` (GenVarLoader >= 0.36).
    #[default]
    V2,
}

impl GvlFormat {
    /// The track layout: raw (header-less) files either way.
    pub fn layout(self) -> Layout {
        match self {
            GvlFormat::V1 => Layout::Aos,
            GvlFormat::V2 => Layout::Soa,
        }
    }

    /// The files of a track directory, data first, `offsets.npy` last, with their item size.
    pub fn track_files(self) -> &'static [(&'static str, u64)] {
        match self {
            GvlFormat::V1 => &[("intervals.npy", 12), ("offsets.npy", 8)],
            GvlFormat::V2 => &[
                ("starts.npy", 4),
                ("ends.npy", 4),
                ("values.npy", 4),
                ("offsets.npy", 8),
            ],
        }
    }

    /// `format_version` in metadata.json.
    pub fn format_version(self) -> &'static str {
        match self {
            GvlFormat::V1 => "1.0.0",
            GvlFormat::V2 => "2.0.0",
        }
    }

    /// `version` in metadata.json: the GenVarLoader release whose writer this matches byte
    /// for byte. GenVarLoader reads it only for genotype datasets (none here).
    pub fn gvl_version(self) -> &'static str {
        match self {
            GvlFormat::V1 => "0.35.0",
            GvlFormat::V2 => "0.43.1",
        }
    }

    /// The GenVarLoader versions that open datasets of this format.
    pub fn readers(self) -> &'static str {
        match self {
            GvlFormat::V1 => "GenVarLoader 0.35 (and older 0.x with format 1.0)",
            GvlFormat::V2 => "GenVarLoader >= 0.36",
        }
    }

    /// The number users give (`--gvl-format 1|2`, `gvlFormat: 1 | 2`).
    pub fn number(self) -> u32 {
        match self {
            GvlFormat::V1 => 1,
            GvlFormat::V2 => 2,
        }
    }

    /// The numbers [`GvlFormat::from_number`] takes, for messages (the JS option's too).
    pub const CHOICES: &'static str = "1 (GenVarLoader 0.35) or 2 (GenVarLoader >= 0.36)";

    pub fn from_number(n: u32) -> Result<Self> {
        match n {
            1 => Ok(GvlFormat::V1),
            2 => Ok(GvlFormat::V2),
            _ => Err(Error::input(format!(
                "GenVarLoader dataset format: expected {}, got {n}",
                Self::CHOICES
            ))),
        }
    }

    /// The format of a dataset from its `format_version` (a SemVer string; absent before
    /// GenVarLoader versioned its layout, which is format 1 to GenVarLoader's migrate).
    pub fn from_format_version(v: Option<&str>) -> Result<Self> {
        let Some(v) = v else {
            return Ok(GvlFormat::V1);
        };
        match v.split('.').next().map(str::parse::<u64>) {
            Some(Ok(1)) => Ok(GvlFormat::V1),
            Some(Ok(2)) => Ok(GvlFormat::V2),
            _ => Err(Error::input(format!(
                "format_version '{v}' is not one this tool reads (1.x or 2.x)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_number_and_by_metadata() {
        assert_eq!(GvlFormat::from_number(2).unwrap(), GvlFormat::V2);
        assert_eq!(GvlFormat::from_number(1).unwrap(), GvlFormat::V1);
        assert!(GvlFormat::from_number(3).is_err());
        assert_eq!(
            GvlFormat::from_format_version(Some("2.0.0")).unwrap(),
            GvlFormat::V2
        );
        assert_eq!(
            GvlFormat::from_format_version(Some("1.0.0")).unwrap(),
            GvlFormat::V1
        );
        assert_eq!(GvlFormat::from_format_version(None).unwrap(), GvlFormat::V1);
        assert!(GvlFormat::from_format_version(Some("3.0.0")).is_err());
        assert_eq!(GvlFormat::default(), GvlFormat::V2);
    }
}
