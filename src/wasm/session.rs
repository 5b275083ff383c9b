//! [`Session`]: one export JS drives, a [`Drive`] with JS types. The core's step loop says
//! what to do next ([`Session::open_next`], [`Session::next`]); JS makes the reads and
//! moves the output.

use super::{ints, js_err, push_region_arrays, to_js};
use crate::bed::BedParser;
use crate::drive::Drive;
use crate::error::{Bug, Error};
use crate::layout::{Format, Layout};
use crate::reads::ReadPolicy;
use crate::region::{Regions, RegionsBuilder};
use crate::reorder::Buckets;
use crate::stepper::Stepper;
use crate::Options;
use wasm_bindgen::prelude::*;

/// One export in progress.
#[wasm_bindgen]
pub struct Session {
    /// The stepper, its step loop and the reads JS has under way.
    pub(super) drive: Drive,
    /// The last step stopped on missing bytes (test hooks: [`super::test_hooks`]).
    #[cfg(feature = "test-hooks")]
    pub(super) stalled: bool,
    /// Regions fed in pieces ([`Session::feed_regions_bed`], [`Session::add_region_arrays`]).
    bed: Option<BedParser>,
    arrays: Option<RegionsBuilder>,
    /// Genome order: the buckets JS puts the output back in input order through.
    pub(super) buckets: Option<Buckets>,
}

#[derive(serde::Serialize)]
struct Contig<'a> {
    name: &'a str,
    length: u32,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
    regions_done: usize,
    regions_total: usize,
    intervals: u64,
}

#[wasm_bindgen]
impl Session {
    /// `names` label the sources in messages (paths, URLs, `source N`); `cache_bytes` is
    /// the decoded-block budget.
    #[wasm_bindgen(constructor)]
    pub fn new(
        names: Vec<String>,
        format: &str,
        layout: &str,
        max_mem: f64,
        cache_bytes: f64,
    ) -> Result<Session, JsValue> {
        if max_mem.is_nan() || max_mem < 0.0 {
            return Err(js_err(Error::input(format!(
                "maxMem must be a non-negative number of bytes, got {}",
                super::from_js::float_text(max_mem)
            ))));
        }
        let options = Options {
            format: format.parse::<Format>().map_err(js_err)?,
            layout: layout.parse::<Layout>().map_err(js_err)?,
            max_mem: max_mem as u64,
        };
        let stepper = Stepper::new(names, options, cache_bytes as usize);
        Ok(Session {
            drive: Drive::new(stepper, ReadPolicy::NPM),
            #[cfg(feature = "test-hooks")]
            stalled: false,
            bed: None,
            arrays: None,
            buckets: None,
        })
    }

    /// Regions from parallel arrays.
    #[wasm_bindgen(js_name = setRegionsArrays)]
    pub fn set_regions_arrays(
        &mut self,
        contigs: Vec<String>,
        starts: Vec<f64>,
        ends: Vec<f64>,
    ) -> Result<usize, JsValue> {
        let r = Regions::from_arrays(
            &contigs,
            &ints(&starts, "start", 0)?,
            &ints(&ends, "end", 0)?,
        )
        .map_err(js_err)?;
        Ok(self.set_regions(r))
    }

    pub(super) fn set_regions(&mut self, r: Regions) -> usize {
        let n = r.len();
        self.drive.stepper.set_regions(r);
        n
    }

    /// Regions from BED bytes fed in pieces of any size (gzip detected); `name` labels BED
    /// errors. Returns the regions parsed so far; [`Session::finish_regions`] ends the input.
    #[wasm_bindgen(js_name = feedRegionsBed)]
    pub fn feed_regions_bed(&mut self, name: &str, bytes: &[u8]) -> Result<usize, JsValue> {
        let p = self.bed.get_or_insert_with(|| BedParser::new(name));
        p.feed(bytes).map_err(js_err)?;
        Ok(p.len())
    }

    /// Regions from parallel arrays given in pieces (indices in messages count from the
    /// first piece); [`Session::finish_regions`] ends the input.
    #[wasm_bindgen(js_name = addRegionArrays)]
    pub fn add_region_arrays(
        &mut self,
        contigs: Vec<String>,
        starts: Vec<f64>,
        ends: Vec<f64>,
    ) -> Result<usize, JsValue> {
        push_region_arrays(&mut self.arrays, &contigs, &starts, &ends)
    }

    /// End regions fed in pieces; returns their count.
    #[wasm_bindgen(js_name = finishRegions)]
    pub fn finish_regions(&mut self) -> Result<usize, JsValue> {
        let r = match (self.bed.take(), self.arrays.take()) {
            (Some(p), None) => p.finish(),
            (None, Some(b)) => b.finish(),
            _ => Err(Error::input(
                "regions: give either BED bytes or arrays, in pieces, before finishRegions()",
            )),
        }
        .map_err(js_err)?;
        Ok(self.set_regions(r))
    }

    /// Keep only regions `from..to` (part of a sharded export: workers each export a
    /// contiguous range, merged in order). BED lines stay, so messages name the user's
    /// lines; call after the regions are set and before opening.
    #[wasm_bindgen(js_name = keepRegions)]
    pub fn keep_regions(&mut self, from: usize, to: usize) -> Result<usize, JsValue> {
        let all = self
            .drive
            .stepper
            .regions()
            .ok_or_else(|| js_err(Error::input("regions: none given yet")))?;
        if from > to || to > all.len() {
            return Err(js_err(Error::input(format!(
                "regions {from}..{to}: out of range (there are {})",
                all.len()
            ))));
        }
        let order: Vec<u32> = (from as u32..to as u32).collect();
        let kept = all.reordered(&order, 0).map_err(js_err)?;
        Ok(self.set_regions(kept))
    }

    /// The regions of session `other` (all it was given), as if given here: another
    /// session of the same export (a slice's, Node's threads) without reading them again.
    #[wasm_bindgen(js_name = copyRegionsFrom)]
    pub fn copy_regions_from(&mut self, other: &Session) -> Result<usize, JsValue> {
        let r = other
            .drive
            .stepper
            .regions()
            .cloned()
            .ok_or_else(|| js_err(Error::input("regions: none given yet")))?;
        Ok(self.set_regions(r))
    }

    /// Keep only regions `list` (indices into the regions set, each once), in that order: a
    /// slice of an export decoded on another thread (Node's workers on a shuffled BED).
    /// They are decoded in genome order and always handed out with `takeUnordered` under
    /// their indices in the whole export, for its `Reorder`; nothing is written here. Call
    /// after the regions are set and before opening; returns the regions kept.
    #[wasm_bindgen(js_name = keepRegionList)]
    pub fn keep_region_list(&mut self, list: &[u32]) -> Result<usize, JsValue> {
        self.drive.stepper.keep_region_list(list).map_err(js_err)
    }

    /// Decode in genome order whatever the block cache holds (before `planOrder`): an
    /// export whose decoding is cut into `genomeSlices`.
    #[wasm_bindgen(js_name = forceGenomeOrder)]
    pub fn force_genome_order(&mut self) {
        self.drive.stepper.force_genome_order();
    }

    /// The planned decode order cut into at most `count` contiguous slices of about equal
    /// work (blocks to inflate; the first `first_share` of each other's, for a thread that
    /// also does other work), each the `Uint32Array` of its region indices in decode
    /// order: what each thread's session keeps (`keepRegionList`). After `planOrder`.
    #[wasm_bindgen(js_name = genomeSlices)]
    pub fn genome_slices(&self, count: usize, first_share: f64) -> Result<js_sys::Array, JsValue> {
        let slices = self
            .drive
            .stepper
            .genome_slices(count, first_share)
            .map_err(js_err)?;
        Ok(slices
            .iter()
            .map(|s| JsValue::from(js_sys::Uint32Array::from(&s[..])))
            .collect())
    }

    /// True when the regions set come in genome order (contig name, start, end): they are
    /// decoded in input order, and a host with threads splits them as they are.
    #[wasm_bindgen(getter, js_name = regionsInGenomeOrder)]
    pub fn regions_in_genome_order(&self) -> Result<bool, JsValue> {
        self.drive
            .stepper
            .regions()
            .map(Regions::in_genome_order)
            .ok_or_else(|| js_err(Error::input("regions: none given yet")))
    }

    /// The regions as a page shows them: `{ count, contigs: [{ name, regions }], first:
    /// { contig, start, end } | null, lines: [line of each region] }`.
    #[wasm_bindgen(js_name = regionsSummary)]
    pub fn regions_summary(&self) -> Result<JsValue, JsValue> {
        let summary = self
            .drive
            .stepper
            .regions()
            .ok_or_else(|| js_err(Error::input("regions: none given yet")))?
            .summary();
        serde_wasm_bindgen::to_value(&summary).map_err(|e| JsValue::from(e.to_string()))
    }

    /// The total size of source `i`, once known (lets the index be read in one request).
    #[wasm_bindgen(js_name = setSize)]
    pub fn set_size(&mut self, i: usize, size: f64) {
        self.drive.stepper.set_size(i, size as u64);
    }

    /// Bytes of source `i` at `offset`.
    #[wasm_bindgen(js_name = addRange)]
    pub fn add_range(&mut self, i: usize, offset: f64, bytes: Vec<u8>) {
        self.drive.stepper.add_range(i, offset as u64, bytes);
    }

    /// Plan the decode order for about `work` regions' worth (call after the sources are open
    /// until it returns true, yielding in between: millions of regions take seconds).
    #[wasm_bindgen(js_name = planOrder)]
    pub fn plan_order(&mut self, work: usize) -> Result<bool, JsValue> {
        self.drive.stepper.plan_order(work).map_err(js_err)
    }

    /// True when regions are decoded in genome order (known once the order is planned):
    /// JS takes them with [`Session::take_unordered_into`] and gives them back in input order with
    /// [`Session::push_encoded`].
    #[wasm_bindgen(getter, js_name = genomeOrder)]
    pub fn genome_order(&self) -> bool {
        self.drive.stepper.genome_order()
    }

    /// Genome order: bytes of the encoded regions decoded since the last take.
    #[wasm_bindgen(getter, js_name = unorderedBytes)]
    pub fn unordered_bytes(&self) -> usize {
        self.drive.stepper.unordered().0.len()
    }

    /// Genome order: the encoded regions decoded since the last take, copied into `target`
    /// (a buffer the driver reuses), and their spans `[region, length, ...]` returned;
    /// undefined, taking nothing, when they do not fit.
    #[wasm_bindgen(js_name = takeUnorderedInto)]
    pub fn take_unordered_into(&mut self, target: &js_sys::Uint8Array) -> Option<Vec<u32>> {
        let (bytes, spans) = self.drive.stepper.unordered();
        if bytes.len() > target.length() as usize {
            return None;
        }
        target.subarray(0, bytes.len() as u32).copy_from(bytes);
        let spans = spans.to_vec();
        self.drive.stepper.clear_unordered();
        Some(spans)
    }

    /// Genome order: start the books of the buckets the output goes back to input order
    /// through; past `budget` bytes held (the core's staging budget unless a test lowers
    /// it), buckets spill when `can_spill`. Returns the number of buckets.
    #[wasm_bindgen(js_name = reorderBuckets)]
    pub fn reorder_buckets(&mut self, can_spill: bool, budget: Option<f64>) -> usize {
        let budget = budget.map_or(crate::reads::STAGING_BUDGET, |b| b.max(0.0) as usize);
        let b = Buckets::new(self.drive.stepper.n_regions(), can_spill.then_some(budget));
        let n = b.len();
        self.buckets = Some(b);
        n
    }

    /// Genome order: regions given by their spans (`[region, length, ...]`, as
    /// [`Session::take_unordered_into`] hands them out) join the books; returns the bucket
    /// each waits in.
    #[wasm_bindgen(js_name = reorderAdd)]
    pub fn reorder_add(&mut self, spans: &[u32]) -> Result<Vec<u32>, JsValue> {
        let n = self.drive.stepper.n_regions();
        let bad = spans
            .chunks_exact(2)
            .map(|s| s[0] as usize)
            .find(|&r| r >= n);
        let b = match (self.buckets.as_mut(), bad) {
            (Some(b), None) => b,
            (_, region) => {
                let region = region.or(spans.first().map(|&r| r as usize)).unwrap_or(0);
                return Err(js_err(Bug::Unbooked { region }.into()));
            }
        };
        Ok(spans
            .chunks_exact(2)
            .map(|s| b.add(s[0] as usize, s[1] as usize) as u32)
            .collect())
    }

    /// Genome order: the first region of bucket `bucket` (a region's place in its bucket is
    /// `region - first`).
    #[wasm_bindgen(js_name = reorderFirst)]
    pub fn reorder_first(&self, bucket: usize) -> usize {
        self.buckets.as_ref().map_or(0, |b| b.first(bucket))
    }

    /// Genome order: the bucket whose bytes JS moves to its scratch space now, or -1.
    #[wasm_bindgen(js_name = nextSpill)]
    pub fn next_spill(&mut self) -> i32 {
        self.buckets
            .as_mut()
            .and_then(Buckets::spill)
            .map_or(-1, |b| b as i32)
    }

    /// Genome order: encoded regions in input order, continuing where the last call ended.
    #[wasm_bindgen(js_name = pushEncoded)]
    pub fn push_encoded(&mut self, bytes: &[u8]) -> Result<(), JsValue> {
        self.drive.stepper.push_encoded(bytes).map_err(js_err)
    }

    /// Encoded output buffered so far, copied into `target` file after file when it all
    /// fits: returns `[fileIndex, length, ...]` in `target`'s order, or an empty array (and
    /// takes nothing) when it does not fit. Lets a driver reuse its buffers.
    #[wasm_bindgen(js_name = takeOutputInto)]
    pub fn take_output_into(&mut self, target: &js_sys::Uint8Array) -> Vec<u32> {
        let writer = &mut self.drive.stepper.writer;
        if writer.pending() > target.length() as usize {
            return Vec::new();
        }
        let mut at = 0u32;
        let mut out = Vec::new();
        let _ = writer.drain(|i, bytes| -> Result<(), ()> {
            target
                .subarray(at, at + bytes.len() as u32)
                .copy_from(bytes);
            at += bytes.len() as u32;
            out.extend([i as u32, bytes.len() as u32]);
            Ok(())
        });
        out
    }

    /// Bytes of encoded output buffered (what the next take hands over).
    #[wasm_bindgen(getter, js_name = outputBytes)]
    pub fn output_bytes(&self) -> usize {
        self.drive.stepper.writer.pending()
    }

    /// Encoded output buffered so far, as `[fileIndex, Uint8Array, ...]` (copied out).
    #[wasm_bindgen(js_name = takeOutput)]
    pub fn take_output(&mut self) -> js_sys::Array {
        let out = js_sys::Array::new();
        let _ = self
            .drive
            .stepper
            .writer
            .drain(|i, bytes| -> Result<(), ()> {
                out.push(&JsValue::from(i as u32));
                out.push(&js_sys::Uint8Array::from(bytes).into());
                Ok(())
            });
        out
    }

    /// Final headers, one per file (empty in raw format); call after the last step.
    pub fn headers(&self) -> js_sys::Array {
        self.drive
            .stepper
            .writer
            .headers()
            .iter()
            .map(|h| JsValue::from(js_sys::Uint8Array::from(&h[..])))
            .collect()
    }

    #[wasm_bindgen(js_name = headerLength)]
    pub fn header_length(&self, i: usize) -> usize {
        self.drive.stepper.writer.header_len(i)
    }

    #[wasm_bindgen(js_name = fileNames)]
    pub fn file_names(&self) -> Vec<String> {
        self.drive
            .stepper
            .writer
            .files()
            .iter()
            .map(|f| f.name.to_string())
            .collect()
    }

    #[wasm_bindgen(getter, js_name = regionsDone)]
    pub fn regions_done(&self) -> usize {
        self.drive.stepper.regions_done()
    }

    #[wasm_bindgen(getter, js_name = nRegions)]
    pub fn n_regions(&self) -> usize {
        self.drive.stepper.n_regions()
    }

    #[wasm_bindgen(getter, js_name = nSamples)]
    pub fn n_samples(&self) -> usize {
        self.drive.stepper.n_samples()
    }

    #[wasm_bindgen(getter, js_name = nIntervals)]
    pub fn n_intervals(&self) -> f64 {
        self.drive.stepper.writer.n_intervals() as f64
    }

    /// Contigs of source `i` once opened: `[{ name, length }]` (typed `Contig` in index.d.ts).
    pub fn contigs(&self, i: usize) -> Result<JsValue, JsValue> {
        let contigs: Vec<Contig> = self.drive.stepper.bigwig(i).map_or_else(Vec::new, |bw| {
            bw.chroms
                .iter()
                .map(|c| Contig {
                    name: &c.name,
                    length: c.length,
                })
                .collect()
        });
        to_js(&contigs)
    }

    /// Where the export stands: `{ regionsDone, regionsTotal, intervals }` (the core's part
    /// of the `onProgress` argument and of the result).
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        to_js(&Progress {
            regions_done: self.drive.stepper.regions_done(),
            regions_total: self.drive.stepper.n_regions(),
            intervals: self.drive.stepper.writer.n_intervals(),
        })
    }
}
