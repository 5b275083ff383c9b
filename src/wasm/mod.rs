//! The wasm layer: a [`Session`] that JS drives one region at a time. It converts types
//! only: the driver itself ([`Stepper`]: opening, decode order, read-ahead, output) is in
//! the core. The core reports the byte ranges it misses; the JS wrapper
//! (`pkg-template/index.js`) fetches them from bytes, Blobs, files or URLs, hands them
//! back with [`Session::add_range`] and steps again. Encoded output leaves wasm memory
//! after every step, so linear memory stays small.

use crate::error::Error;
use crate::layout::{Format, Layout};
use crate::reads::{Planner, ReadPolicy};
use crate::region::{BedParser, Regions, RegionsBuilder};
use crate::stepper::{Step, Stepper};
use crate::Options;
use wasm_bindgen::prelude::*;

mod atomic;
mod dataset;
mod net;
mod options;
mod reads;
pub use atomic::{
    atomic_busy, atomic_changed_under_us, atomic_config, atomic_local_pid, atomic_may_replace,
    atomic_name, atomic_owner_gone, atomic_owner_record, atomic_parse, atomic_run_of_aside,
    atomic_token,
};
pub use dataset::DatasetPlan;
pub use net::RangeRead;
pub use options::export_options;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: Error) -> JsValue {
    let kind = match &e {
        Error::Missing(_) => "Missing",
        Error::Input(_) => "InputError",
        Error::MaxMem(_) => "MaxMemError",
        Error::Output(_) => "OutputError",
        Error::Cancelled => "AbortError",
    };
    let err = js_sys::Error::new(&e.to_string());
    let _ = js_sys::Reflect::set(&err, &"kind".into(), &kind.into());
    err.into()
}

/// One export in progress.
#[wasm_bindgen]
pub struct Session {
    stepper: Stepper,
    /// The last step stopped on missing bytes.
    stalled: bool,
    /// Regions fed in pieces ([`Session::feed_regions_bed`], [`Session::add_region_arrays`]).
    bed: Option<BedParser>,
    arrays: Option<RegionsBuilder>,
    /// The reads JS makes for what the stepper misses, and those under way.
    planner: Planner,
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

fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(e.to_string()))
}

/// Whole numbers from JS numbers; `first` is the index of `v[0]` in all regions.
fn ints(v: &[f64], what: &str, first: usize) -> Result<Vec<i64>, JsValue> {
    v.iter()
        .enumerate()
        .map(|(i, x)| {
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                Ok(*x as i64)
            } else {
                Err(js_err(Error::input(format!(
                    "regions index {}: {what} {x} is not an integer",
                    first + i
                ))))
            }
        })
        .collect()
}

/// Add a piece of region arrays to the builder in `slot` (made on the first piece);
/// returns the regions so far.
fn push_region_arrays(
    slot: &mut Option<RegionsBuilder>,
    contigs: &[String],
    starts: &[f64],
    ends: &[f64],
) -> Result<usize, JsValue> {
    let b = slot.get_or_insert_with(|| RegionsBuilder::new("regions"));
    let first = b.len();
    let (starts, ends) = (ints(starts, "start", first)?, ints(ends, "end", first)?);
    b.push_arrays(contigs, &starts, &ends).map_err(js_err)?;
    Ok(b.len())
}

fn flat(ranges: &[crate::ByteRange]) -> Vec<f64> {
    ranges
        .iter()
        .flat_map(|r| [r.source as f64, r.offset as f64, r.len as f64])
        .collect()
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
                "maxMem must be a non-negative number of bytes, got {max_mem}"
            ))));
        }
        let options = Options {
            format: format.parse::<Format>().map_err(js_err)?,
            layout: layout.parse::<Layout>().map_err(js_err)?,
            max_mem: max_mem as u64,
        };
        Ok(Session {
            stepper: Stepper::new(names, options, cache_bytes as usize),
            stalled: false,
            bed: None,
            arrays: None,
            planner: Planner::new(ReadPolicy::NPM),
        })
    }

    /// Regions from BED text or bytes (gzip detected); `name` labels BED errors.
    #[wasm_bindgen(js_name = setRegionsBed)]
    pub fn set_regions_bed(&mut self, name: &str, bytes: &[u8]) -> Result<usize, JsValue> {
        let r = Regions::from_bed(name, bytes).map_err(js_err)?;
        Ok(self.set_regions(r))
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

    fn set_regions(&mut self, r: Regions) -> usize {
        let n = r.len();
        self.stepper.set_regions(r);
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

    /// The regions as a page shows them: `{ count, contigs: [{ name, regions }], first:
    /// { contig, start, end } | null, lines: [line of each region] }`.
    #[wasm_bindgen(js_name = regionsSummary)]
    pub fn regions_summary(&self) -> Result<JsValue, JsValue> {
        let summary = self
            .stepper
            .regions()
            .ok_or_else(|| js_err(Error::input("regions: none given yet")))?
            .summary();
        serde_wasm_bindgen::to_value(&summary).map_err(|e| JsValue::from(e.to_string()))
    }

    /// The total size of source `i`, once known (lets the index be read in one request).
    #[wasm_bindgen(js_name = setSize)]
    pub fn set_size(&mut self, i: usize, size: f64) {
        self.stepper.set_size(i, size as u64);
    }

    /// Bytes of source `i` at `offset`.
    #[wasm_bindgen(js_name = addRange)]
    pub fn add_range(&mut self, i: usize, offset: f64, bytes: Vec<u8>) {
        self.stepper.add_range(i, offset as u64, bytes);
    }

    /// Open every source and resolve the regions. Returns the ranges still missing as
    /// `[source, offset, length, ...]`; empty when the export is ready to step.
    pub fn open(&mut self) -> Result<Vec<f64>, JsValue> {
        self.stepper.open().map(|m| flat(&m)).map_err(js_err)
    }

    /// Plan the decode order for about `work` regions' worth (call after [`Session::open`]
    /// until it returns true, yielding in between: millions of regions take seconds).
    #[wasm_bindgen(js_name = planOrder)]
    pub fn plan_order(&mut self, work: usize) -> Result<bool, JsValue> {
        self.stepper.plan_order(work).map_err(js_err)
    }

    /// Decode regions until at least `max_bytes` of output are buffered, all are done, or
    /// a region misses bytes ([`Session::stalled`]). Returns ranges to fetch as
    /// `[source, offset, length, ...]`: when stalled, what the current region misses plus
    /// the raw bytes of the next `lookahead` regions; otherwise those of the `2 * lookahead`
    /// regions ahead, for the driver to fetch in the background while decoding goes on.
    pub fn step(&mut self, max_bytes: usize, lookahead: usize) -> Result<Vec<f64>, JsValue> {
        let step = self.stepper.step(max_bytes, lookahead).map_err(js_err)?;
        self.stalled = matches!(step, Step::Stalled(_));
        Ok(match step {
            Step::Done => Vec::new(),
            Step::ReadAhead(r) | Step::Stalled(r) => flat(&r),
        })
    }

    /// True when the last [`Session::step`] stopped because a region misses bytes: fetch
    /// what it returned (and wait for reads under way) before stepping again.
    #[wasm_bindgen(getter)]
    pub fn stalled(&self) -> bool {
        self.stalled
    }

    /// Raw source bytes held in the range caches (fetched, not yet dropped).
    #[wasm_bindgen(getter, js_name = rawBytesHeld)]
    pub fn raw_bytes_held(&self) -> usize {
        self.stepper.raw_bytes_held()
    }

    /// True when regions are decoded in genome order (known once the order is planned):
    /// JS takes them with [`Session::take_unordered`] and gives them back in input order with
    /// [`Session::push_encoded`].
    #[wasm_bindgen(getter, js_name = genomeOrder)]
    pub fn genome_order(&self) -> bool {
        self.stepper.genome_order()
    }

    /// Genome order: the encoded regions decoded since the last call (copied out) and
    /// their spans, as `[Uint8Array, Uint32Array [region, length, ...]]`.
    #[wasm_bindgen(js_name = takeUnordered)]
    pub fn take_unordered(&mut self) -> js_sys::Array {
        let (bytes, spans) = self.stepper.take_unordered();
        js_sys::Array::of2(
            &js_sys::Uint8Array::from(&bytes[..]),
            &js_sys::Uint32Array::from(&spans[..]),
        )
    }

    /// Genome order: regions per bucket to put the output back in input order through.
    #[wasm_bindgen(getter, js_name = bucketRegions)]
    pub fn bucket_regions(&self) -> usize {
        self.stepper.bucket_regions()
    }

    /// Genome order: encoded regions in input order, continuing where the last call ended.
    #[wasm_bindgen(js_name = pushEncoded)]
    pub fn push_encoded(&mut self, bytes: &[u8]) -> Result<(), JsValue> {
        self.stepper.push_encoded(bytes).map_err(js_err)
    }

    /// Encoded output buffered so far, copied into `target` file after file when it all
    /// fits: returns `[fileIndex, length, ...]` in `target`'s order, or an empty array (and
    /// takes nothing) when it does not fit. Lets a driver reuse its buffers.
    #[wasm_bindgen(js_name = takeOutputInto)]
    pub fn take_output_into(&mut self, target: &js_sys::Uint8Array) -> Vec<u32> {
        let writer = &mut self.stepper.writer;
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
        self.stepper.writer.pending()
    }

    /// Encoded output buffered so far, as `[fileIndex, Uint8Array, ...]` (copied out).
    #[wasm_bindgen(js_name = takeOutput)]
    pub fn take_output(&mut self) -> js_sys::Array {
        let out = js_sys::Array::new();
        let _ = self.stepper.writer.drain(|i, bytes| -> Result<(), ()> {
            out.push(&JsValue::from(i as u32));
            out.push(&js_sys::Uint8Array::from(bytes).into());
            Ok(())
        });
        out
    }

    /// Final headers, one per file (empty in raw format); call after the last step.
    pub fn headers(&self) -> js_sys::Array {
        self.stepper
            .writer
            .headers()
            .iter()
            .map(|h| JsValue::from(js_sys::Uint8Array::from(&h[..])))
            .collect()
    }

    #[wasm_bindgen(js_name = headerLength)]
    pub fn header_length(&self, i: usize) -> usize {
        self.stepper.writer.header_len(i)
    }

    #[wasm_bindgen(js_name = fileNames)]
    pub fn file_names(&self) -> Vec<String> {
        self.stepper
            .writer
            .files()
            .iter()
            .map(|f| f.name.to_string())
            .collect()
    }

    #[wasm_bindgen(getter, js_name = regionsDone)]
    pub fn regions_done(&self) -> usize {
        self.stepper.regions_done()
    }

    #[wasm_bindgen(getter, js_name = nRegions)]
    pub fn n_regions(&self) -> usize {
        self.stepper.n_regions()
    }

    #[wasm_bindgen(getter, js_name = nSamples)]
    pub fn n_samples(&self) -> usize {
        self.stepper.n_samples()
    }

    #[wasm_bindgen(getter, js_name = nIntervals)]
    pub fn n_intervals(&self) -> f64 {
        self.stepper.writer.n_intervals() as f64
    }

    /// Contigs of source `i` once opened: `[{ name, length }]` (typed `Contig` in index.d.ts).
    pub fn contigs(&self, i: usize) -> Result<JsValue, JsValue> {
        let contigs: Vec<Contig> = self.stepper.bigwig(i).map_or_else(Vec::new, |bw| {
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
            regions_done: self.stepper.regions_done(),
            regions_total: self.stepper.n_regions(),
            intervals: self.stepper.writer.n_intervals(),
        })
    }
}

/// The NPY header of output file `name` (e.g. `intervals.npy`) holding `n` items, as the
/// exporter writes it (so merged shards are byte-identical to one export).
#[wasm_bindgen(js_name = npyHeader)]
pub fn npy_header(name: &str, n: f64) -> Result<Vec<u8>, JsValue> {
    let file = [Layout::Aos, Layout::Soa]
        .iter()
        .flat_map(|l| l.files().iter())
        .find(|f| f.name == name)
        .ok_or_else(|| js_err(Error::input(format!("no output file is called '{name}'"))))?;
    Ok(crate::layout::npy_header(file.descr, n as u64))
}

/// The region contigs that match no chromosome of a source (or more than one), by the
/// export's own rule.
#[wasm_bindgen(js_name = unmatchedContigs)]
pub fn unmatched_contigs(contigs: Vec<String>, chroms: Vec<String>) -> Vec<String> {
    crate::contig::unmatched(&contigs, &chroms)
        .into_iter()
        .map(String::from)
        .collect()
}

/// The current size of the module's linear memory in bytes.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    mem.buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// Panics on purpose, so tests can check the module stays usable after a Rust panic.
#[doc(hidden)]
#[wasm_bindgen(js_name = __provokePanicForTests)]
pub fn provoke_panic_for_tests() {
    panic!("provoked panic (test)");
}
