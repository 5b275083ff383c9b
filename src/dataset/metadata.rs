//! `metadata.json`: what GenVarLoader's `Metadata` model holds, in its key order. Extra
//! keys are ignored by GenVarLoader (pydantic's default), so `written_by` says who wrote it.

use serde::{Deserialize, Serialize};

/// The GenVarLoader release whose datasets these are (its `version` field: GenVarLoader
/// picks compatibility paths by it, and validates it as SemVer).
pub const GVL_VERSION: &str = "0.35.0";
/// The on-disk layout version (`DATASET_FORMAT_VERSION` in GenVarLoader 0.35).
pub const FORMAT_VERSION: &str = "1.0.0";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub samples: Vec<String>,
    pub contigs: Vec<String>,
    pub n_regions: usize,
    /// Genotype ploidy; no genotypes here.
    pub ploidy: Option<u32>,
    pub max_jitter: u32,
    pub version: String,
    pub format_version: String,
    /// A link to a sparse variant store; none here.
    pub svar_link: Option<serde_json::Value>,
    /// Not GenVarLoader's: this tool and its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
}

impl Metadata {
    pub fn new(
        samples: Vec<String>,
        contigs: Vec<String>,
        n_regions: usize,
        max_jitter: u32,
    ) -> Self {
        Metadata {
            samples,
            contigs,
            n_regions,
            ploidy: None,
            max_jitter,
            version: GVL_VERSION.to_string(),
            format_version: FORMAT_VERSION.to_string(),
            svar_link: None,
            written_by: Some(format!("bigwig-npy {}", env!("CARGO_PKG_VERSION"))),
        }
    }

    /// Compact JSON, as pydantic's `model_dump_json` writes it.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, numbers and nulls only: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_as_genvarloader_but_the_extra_key() {
        let mut m = Metadata::new(
            vec!["Normal".into(), "blood".into(), "tumor".into()],
            vec!["chr21".into(), "chr22".into()],
            62,
            0,
        );
        let ours = String::from_utf8(m.to_json()).unwrap();
        assert!(
            ours.ends_with(",\"written_by\":\"bigwig-npy 0.1.0\"}"),
            "{ours}"
        );
        m.written_by = None;
        // data/gvl/named_bed6/dataset.gvl/metadata.json, as gvl.write wrote it.
        assert_eq!(
            String::from_utf8(m.to_json()).unwrap(),
            r#"{"samples":["Normal","blood","tumor"],"contigs":["chr21","chr22"],"n_regions":62,"ploidy":null,"max_jitter":0,"version":"0.35.0","format_version":"1.0.0","svar_link":null}"#
        );
    }
}
