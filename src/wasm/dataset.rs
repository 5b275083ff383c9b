//! GenVarLoader datasets for JS: the core's dataset rules (sorted order with the jitter,
//! the tracks' samples, `regions.npy`, `input_regions.arrow`, `metadata.json`) behind one
//! [`DatasetPlan`]. The JS package exports each track with a [`Session`] given the plan's
//! sorted regions, so every dataset decision stays here, in Rust, shared with the CLI.

use super::options::whole_number;
use super::{js_err, push_region_arrays, Session};
use crate::dataset::{
    check_track_name, dataset_samples, BedTable, DatasetRegions, GvlFormat, SampleTable,
};
use crate::error::{shown, Error};
use crate::region::{BedParser, RegionsBuilder};
use wasm_bindgen::prelude::*;

/// A dataset being planned: regions fed as the export's are (BED pieces or arrays), the
/// tracks' sample names, then the files that are not track arrays.
#[wasm_bindgen]
pub struct DatasetPlan {
    max_jitter: u32,
    bed: Option<BedParser<BedTable>>,
    arrays: Option<RegionsBuilder>,
    regions: Option<DatasetRegions>,
    samples: Option<Vec<String>>,
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
    /// `max_jitter`: `maxJitter` as JS gave it (undefined: 0).
    #[wasm_bindgen(constructor)]
    pub fn new(max_jitter: JsValue) -> Result<DatasetPlan, JsValue> {
        let j = whole_number("maxJitter", &max_jitter, 0.0)?;
        if j > f64::from(u32::MAX) {
            return Err(js_err(Error::input(format!(
                "maxJitter: {j} is larger than GenVarLoader's coordinates allow"
            ))));
        }
        Ok(DatasetPlan {
            max_jitter: j as u32,
            bed: None,
            arrays: None,
            regions: None,
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
    /// are directory names and differ, no sample twice, every track the same samples) and
    /// returned in the dataset's order (code point), the order of every track's sources.
    #[wasm_bindgen(js_name = setTracks)]
    pub fn set_tracks(&mut self, tracks: JsValue) -> Result<Vec<String>, JsValue> {
        let tracks: Vec<(String, Vec<String>)> = serde_wasm_bindgen::from_value(tracks)
            .map_err(|e| js_err(Error::input(format!("tracks: {e}"))))?;
        if tracks.is_empty() {
            return Err(js_err(Error::input(
                "no tracks given: pass at least one in `tracks` ({ name: { sample: source } })",
            )));
        }
        let mut tables = Vec::with_capacity(tracks.len());
        for (i, (name, samples)) in tracks.iter().enumerate() {
            check_track_name(name).map_err(js_err)?;
            if tracks[..i].iter().any(|(n, _)| n == name) {
                return Err(js_err(Error::input(format!(
                    "track '{}' is given twice: track names are directory names, they must differ",
                    shown(name)
                ))));
            }
            tables.push(SampleTable::from_samples(name, samples).map_err(js_err)?);
        }
        let named: Vec<(&str, &SampleTable)> = tracks
            .iter()
            .zip(&tables)
            .map(|((n, _), t)| (n.as_str(), t))
            .collect();
        let samples = dataset_samples(&named).map_err(js_err)?;
        self.samples = Some(samples.clone());
        Ok(samples)
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
        Ok(self.regions()?.metadata(GvlFormat::V1, samples).to_json())
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
