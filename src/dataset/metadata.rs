//! `metadata.json`: what GenVarLoader's `Metadata` model holds, in its key order, for
//! each format. Extra keys are ignored by GenVarLoader (pydantic's default), so
//! `written_by` says who wrote it. [`Metadata::parse`] reads an existing dataset's (ours or
//! GenVarLoader's) for `update` and `concat`.

use super::format::GvlFormat;
use crate::error::{shown, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub samples: Vec<String>,
    pub contigs: Vec<String>,
    pub n_regions: usize,
    /// Genotype ploidy; none in the datasets written here.
    #[serde(default)]
    pub ploidy: Option<u32>,
    #[serde(default)]
    pub max_jitter: u32,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub format_version: Option<String>,
    /// A link to a sparse variant store.
    #[serde(default)]
    pub svar_link: Option<Value>,
    /// Format 2 only (absent from format 1 files, `null` in format 2 ones without it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub svar2_link: Option<Option<Value>>,
    /// Format 2 only, as `svar2_link`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub variants_fingerprint: Option<Option<Value>>,
    /// Not GenVarLoader's: this tool and its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
    /// Not GenVarLoader's: which part of a sharded job this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::shard::ShardInfo>,
}

/// A key that is present deserializes to `Some`, even when its value is `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Value>>, D::Error> {
    Option::<Value>::deserialize(d).map(Some)
}

impl Metadata {
    /// The metadata of a dataset written here in `format`.
    pub fn new(
        format: GvlFormat,
        samples: Vec<String>,
        contigs: Vec<String>,
        n_regions: usize,
        max_jitter: u32,
    ) -> Self {
        let v2 = (format == GvlFormat::V2).then_some(None);
        Metadata {
            samples,
            contigs,
            n_regions,
            ploidy: None,
            max_jitter,
            version: Some(format.gvl_version().to_string()),
            format_version: Some(format.format_version().to_string()),
            svar_link: None,
            svar2_link: v2.clone(),
            variants_fingerprint: v2,
            written_by: Some(written_by()),
            shard: None,
        }
    }

    /// Compact JSON, as pydantic's `model_dump_json` writes it.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, numbers, nulls and JSON values read from JSON: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// An existing dataset's `metadata.json`; `name` (its path) labels errors.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Metadata> {
        let m: Metadata = serde_json::from_slice(bytes)
            .map_err(|e| Error::input(format!("{name}: not a GenVarLoader metadata.json ({e})")))?;
        if m.samples.is_empty() {
            return Err(Error::input(format!("{name}: the dataset has no samples")));
        }
        for (i, s) in m.samples.iter().enumerate() {
            if m.samples[..i].contains(s) {
                return Err(Error::input(format!(
                    "{name}: sample '{}' is listed twice",
                    shown(s)
                )));
            }
        }
        m.format()
            .map_err(|e| Error::input(format!("{name}: {e}")))?;
        Ok(m)
    }

    /// The dataset's on-disk format.
    pub fn format(&self) -> Result<GvlFormat> {
        GvlFormat::from_format_version(self.format_version.as_deref())
    }

    /// True when the dataset links or holds genotypes (by its metadata alone; the
    /// `genotypes/` directory is the host's to look for).
    pub fn has_variants(&self) -> bool {
        self.ploidy.is_some()
            || self.svar_link.as_ref().is_some_and(|v| !v.is_null())
            || matches!(&self.svar2_link, Some(Some(v)) if !v.is_null())
    }
}

pub fn written_by() -> String {
    format!("bigwig-npy {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named_bed6(format: GvlFormat) -> Metadata {
        Metadata::new(
            format,
            vec!["Normal".into(), "blood".into(), "tumor".into()],
            vec!["chr21".into(), "chr22".into()],
            62,
            0,
        )
    }

    #[test]
    fn same_bytes_as_genvarloader_but_the_extra_key() {
        let mut m = named_bed6(GvlFormat::V1);
        let ours = String::from_utf8(m.to_json()).unwrap();
        assert!(
            ours.ends_with(",\"written_by\":\"bigwig-npy 0.1.0\"}"),
            "{ours}"
        );
        m.written_by = None;
        // data/gvl/named_bed6/dataset.gvl/metadata.json, as gvl.write (0.35) wrote it.
        assert_eq!(
            String::from_utf8(m.to_json()).unwrap(),
            r#"{"samples":["Normal","blood","tumor"],"contigs":["chr21","chr22"],"n_regions":62,"ploidy":null,"max_jitter":0,"version":"0.35.0","format_version":"1.0.0","svar_link":null}"#
        );
        let mut m = named_bed6(GvlFormat::V2);
        m.written_by = None;
        // data/gvl2/named_bed6/dataset.gvl/metadata.json, as gvl.write (0.43.1) wrote it.
        assert_eq!(
            String::from_utf8(m.to_json()).unwrap(),
            r#"{"samples":["Normal","blood","tumor"],"contigs":["chr21","chr22"],"n_regions":62,"ploidy":null,"max_jitter":0,"version":"0.43.1","format_version":"2.0.0","svar_link":null,"svar2_link":null,"variants_fingerprint":null}"#
        );
    }

    #[test]
    fn parses_what_it_writes_and_genvarloaders() {
        for f in [GvlFormat::V1, GvlFormat::V2] {
            let m = named_bed6(f);
            let back = Metadata::parse("m.json", &m.to_json()).unwrap();
            assert_eq!(back, m);
            assert_eq!(back.to_json(), m.to_json());
            assert_eq!(back.format().unwrap(), f);
        }
        let e = Metadata::parse("d/metadata.json", b"{\"samples\": 3}").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("d/metadata.json: not a GenVarLoader metadata.json ("),
            "{e}"
        );
        let e = Metadata::parse(
            "d/metadata.json",
            br#"{"samples":["a"],"contigs":[],"n_regions":0,"format_version":"9.0.0"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "d/metadata.json: format_version '9.0.0' is not one this tool reads (1.x or 2.x)"
        );
        let m = Metadata::parse(
            "m",
            br#"{"samples":["a"],"contigs":["c"],"n_regions":1,"ploidy":2,"format_version":"2.0.0"}"#,
        )
        .unwrap();
        assert!(m.has_variants());
    }
}
