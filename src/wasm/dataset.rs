//! GenVarLoader datasets for JS: the core's dataset rules (the format, sorted order with
//! the jitter, the tracks' samples and names, where each track goes and in which layout,
//! `regions.npy`, `input_regions.arrow`, `metadata.json`) behind one [`DatasetPlan`]. The
//! JS package exports each track with a [`Session`] given the plan's sorted regions and
//! layout, so every dataset decision stays here, in Rust, shared with the CLI.

use super::options::{shown_value, whole_number};
use super::{js_err, push_region_arrays, to_js, Session};
use crate::bed::BedParser;
use crate::dataset::{
    check_names, check_track_name, dataset_samples, BedTable, DatasetRegions, GvlFormat,
    SampleTable,
};
use crate::error::Error;
use crate::layout::Layout;
use crate::region::RegionsBuilder;
use wasm_bindgen::prelude::*;

/// A dataset being planned: regions fed as the export's are (BED pieces or arrays), the
/// tracks' sample names and the annotation tracks' names, then the files that are not
/// track arrays.
#[wasm_bindgen]
pub struct DatasetPlan {
    max_jitter: u32,
    format: GvlFormat,
    bed: Option<BedParser<BedTable>>,
    arrays: Option<RegionsBuilder>,
    regions: Option<DatasetRegions>,
    /// Per-sample track names as given, once [`DatasetPlan::set_tracks`] accepted them.
    tracks: Vec<String>,
    annot: Vec<String>,
    samples: Option<Vec<String>>,
}

/// One track to export, as JS gets it from [`DatasetPlan::track_exports`].
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TrackExport<'a> {
    name: &'a str,
    /// Its directory in the dataset, `/`-separated.
    dir: String,
    /// "track" or "annotation track": what its errors are prefixed with, as the CLI's.
    what: &'static str,
    /// True: one source per sample, in the dataset's sample order; false: one source.
    per_sample: bool,
}

/// `gvlFormat` as JS gave it: 1 or 2 (undefined: 2, what GenVarLoader reads today).
fn parse_gvl_format(v: &JsValue) -> Result<GvlFormat, JsValue> {
    if v.is_undefined() {
        return Ok(GvlFormat::default());
    }
    v.as_f64()
        .filter(|x| x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(x))
        .and_then(|x| GvlFormat::from_number(x as u32).ok())
        .ok_or_else(|| {
            js_err(Error::input(format!(
                "gvlFormat: expected {}, got {}",
                GvlFormat::CHOICES,
                shown_value(v)
            )))
        })
}

/// Names in the order given: per-sample tracks, then annotation tracks.
fn all_names<'a>(
    tracks: &'a [String],
    annot: &'a [String],
) -> impl Iterator<Item = (&'a str, &'static str)> {
    tracks
        .iter()
        .map(|n| (n.as_str(), "track"))
        .chain(annot.iter().map(|n| (n.as_str(), "annotation track")))
}

impl DatasetPlan {
    fn regions(&self) -> Result<&DatasetRegions, JsValue> {
        self.regions
            .as_ref()
            .ok_or_else(|| js_err(Error::input("regions: none given yet")))
    }
}

#[wasm_bindgen]
impl DatasetPlan {
    /// `max_jitter`: `maxJitter` as JS gave it (undefined: 0); `gvl_format`: `gvlFormat`
    /// (undefined: 2; 1 for GenVarLoader 0.35).
    #[wasm_bindgen(constructor)]
    pub fn new(max_jitter: JsValue, gvl_format: JsValue) -> Result<DatasetPlan, JsValue> {
        let j = whole_number("maxJitter", &max_jitter, 0.0)?;
        let format = parse_gvl_format(&gvl_format)?;
        if j > f64::from(u32::MAX) {
            return Err(js_err(Error::input(format!(
                "maxJitter: {j} is larger than GenVarLoader's coordinates allow"
            ))));
        }
        Ok(DatasetPlan {
            max_jitter: j as u32,
            format,
            bed: None,
            arrays: None,
            regions: None,
            tracks: Vec::new(),
            annot: Vec::new(),
            samples: None,
        })
    }

    /// BED bytes in pieces of any size (gzip detected); `name` labels errors. The columns
    /// past the third are kept for `input_regions.arrow`.
    #[wasm_bindgen(js_name = feedRegionsBed)]
    pub fn feed_regions_bed(&mut self, name: &str, bytes: &[u8]) -> Result<usize, JsValue> {
        let p = self
            .bed
            .get_or_insert_with(|| BedParser::with_fields(name, BedTable::new()));
        p.feed(bytes).map_err(js_err)?;
        Ok(p.len())
    }

    /// Regions as parallel arrays, in pieces (no columns past the third: strand `+`).
    #[wasm_bindgen(js_name = addRegionArrays)]
    pub fn add_region_arrays(
        &mut self,
        contigs: Vec<String>,
        starts: Vec<f64>,
        ends: Vec<f64>,
    ) -> Result<usize, JsValue> {
        push_region_arrays(&mut self.arrays, &contigs, &starts, &ends)
    }

    /// End the regions: sort them as GenVarLoader does and apply the jitter. Returns
    /// their count.
    #[wasm_bindgen(js_name = finishRegions)]
    pub fn finish_regions(&mut self) -> Result<usize, JsValue> {
        let (input, table) = match (self.bed.take(), self.arrays.take()) {
            (Some(p), None) => p.finish_with_fields(),
            (None, Some(b)) => b.finish().map(|r| (r, BedTable::new())),
            _ => Err(Error::input(
                "regions: give either BED bytes or arrays, in pieces, before finishRegions()",
            )),
        }
        .map_err(js_err)?;
        let d = DatasetRegions::new(input, table, self.max_jitter).map_err(js_err)?;
        let n = d.len();
        self.regions = Some(d);
        Ok(n)
    }

    /// The tracks' sample names as `[[track, [sample, ...]], ...]`: checked (track names
    /// are directory names and differ, from the annotation tracks' too; no sample twice,
    /// every track the same samples) and returned in the dataset's order (code point), the
    /// order of every track's sources.
    #[wasm_bindgen(js_name = setTracks)]
    pub fn set_tracks(&mut self, tracks: JsValue) -> Result<Vec<String>, JsValue> {
        let tracks: Vec<(String, Vec<String>)> = serde_wasm_bindgen::from_value(tracks)
            .map_err(|e| js_err(Error::input(format!("tracks: {e}"))))?;
        if tracks.is_empty() {
            return Err(js_err(Error::input(
                "no tracks given: pass at least one in `tracks` ({ name: { sample: source } })",
            )));
        }
        let names: Vec<String> = tracks.iter().map(|(n, _)| n.clone()).collect();
        for name in &names {
            check_track_name(name).map_err(js_err)?;
        }
        check_names(all_names(&names, &self.annot)).map_err(js_err)?;
        let tables = tracks
            .iter()
            .map(|(name, samples)| SampleTable::from_samples(name, samples))
            .collect::<Result<Vec<_>, _>>()
            .map_err(js_err)?;
        let named: Vec<(&str, &SampleTable)> = tracks
            .iter()
            .zip(&tables)
            .map(|((n, _), t)| (n.as_str(), t))
            .collect();
        let samples = dataset_samples(&named).map_err(js_err)?;
        self.tracks = names;
        self.samples = Some(samples.clone());
        Ok(samples)
    }

    /// The annotation tracks' names (`[name, ...]`, each one bigWig for all samples):
    /// checked as directory names, differing from each other and from the tracks'.
    #[wasm_bindgen(js_name = setAnnotations)]
    pub fn set_annotations(&mut self, names: JsValue) -> Result<(), JsValue> {
        let names: Vec<String> = serde_wasm_bindgen::from_value(names)
            .map_err(|e| js_err(Error::input(format!("annot: {e}"))))?;
        for name in &names {
            check_track_name(name).map_err(|e| js_err(Error::input(format!("annot: {e}"))))?;
        }
        check_names(all_names(&self.tracks, &names)).map_err(js_err)?;
        self.annot = names;
        Ok(())
    }

    /// The tracks to export, per-sample tracks then annotation tracks, each in the order
    /// given: `[{ name, dir, what, perSample }]` (`dir`: e.g. `intervals/sig`).
    #[wasm_bindgen(js_name = trackExports)]
    pub fn track_exports(&self) -> Result<JsValue, JsValue> {
        if self.samples.is_none() {
            return Err(js_err(Error::input("tracks: none given yet")));
        }
        let jobs: Vec<TrackExport> = all_names(&self.tracks, &self.annot)
            .map(|(name, what)| {
                let per_sample = what == "track";
                let dir = if per_sample {
                    "intervals"
                } else {
                    "annot_intervals"
                };
                TrackExport {
                    name,
                    dir: format!("{dir}/{name}"),
                    what,
                    per_sample,
                }
            })
            .collect();
        to_js(&jobs)
    }

    /// The layout every track is exported in (`'aos'` or `'soa'`, raw format): the one
    /// the dataset's format stores.
    #[wasm_bindgen(getter)]
    pub fn layout(&self) -> String {
        match self.format.layout() {
            Layout::Aos => "aos",
            Layout::Soa => "soa",
        }
        .into()
    }

    /// The dataset format: 1 or 2.
    #[wasm_bindgen(getter, js_name = gvlFormat)]
    pub fn gvl_format(&self) -> u32 {
        self.format.number()
    }

    #[wasm_bindgen(getter, js_name = nRegions)]
    pub fn n_regions(&self) -> Result<usize, JsValue> {
        Ok(self.regions()?.len())
    }

    /// `regions.npy`.
    #[wasm_bindgen(js_name = regionsNpy)]
    pub fn regions_npy(&self) -> Result<Vec<u8>, JsValue> {
        Ok(self.regions()?.regions_npy())
    }

    /// `input_regions.arrow`.
    #[wasm_bindgen(js_name = inputRegionsArrow)]
    pub fn input_regions_arrow(&self) -> Result<Vec<u8>, JsValue> {
        self.regions()?.input_regions_arrow().map_err(js_err)
    }

    /// `metadata.json` (after [`DatasetPlan::set_tracks`]).
    #[wasm_bindgen(js_name = metadataJson)]
    pub fn metadata_json(&self) -> Result<Vec<u8>, JsValue> {
        let samples = self
            .samples
            .clone()
            .ok_or_else(|| js_err(Error::input("tracks: none given yet")))?;
        Ok(self.regions()?.metadata(self.format, samples).to_json())
    }
}

#[wasm_bindgen]
impl Session {
    /// Export the plan's regions: sorted, jitter applied, BED lines kept for messages.
    #[wasm_bindgen(js_name = setRegionsFromDataset)]
    pub fn set_regions_from_dataset(&mut self, plan: &DatasetPlan) -> Result<usize, JsValue> {
        let sorted = plan.regions()?.sorted().clone();
        Ok(self.set_regions(sorted))
    }
}
