//! The wasm layer: a [`Session`] that JS drives one region at a time. The core reports the
//! byte ranges it misses (for every sample of the region at once, plus a few regions of
//! look-ahead); the JS wrapper (`pkg-template/index.js`) fetches them from bytes, Blobs,
//! files or URLs, hands them back with [`Session::add_range`] and steps again. Encoded
//! output leaves wasm memory after every step, so linear memory stays small.

use crate::encoded::{count_regions, encode_region, push_region_encoded, region_at, region_len};
use crate::error::Error;
use crate::export::{push_region, Decoder, Export, Input};
use crate::interval::Interval;
use crate::layout::{Format, Layout, TrackWriter};
use crate::order::{DecodeOrder, OrderPlan};
use crate::region::{BedParser, Regions, RegionsBuilder};
use crate::source::{RangeCache, Source};
use crate::{open_input, Options};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// In genome order a block is needed by consecutive regions only.
const SWEEP_BLOCK_CACHE: usize = 4 << 20;
/// Small reads while opening are rounded up so one fetch covers the header and chrom tree.
const MIN_OPEN_READ: u64 = 16 << 10;

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

type Src = Rc<RangeCache>;

/// One export in progress.
#[wasm_bindgen]
pub struct Session {
    names: Vec<String>,
    caches: Vec<Src>,
    options: Options,
    regions: Option<Regions>,
    opened: Vec<Option<Input<Src>>>,
    export: Option<Export<Src>>,
    decoder: Decoder,
    writer: TrackWriter,
    recs: Vec<Interval>,
    counts: Vec<usize>,
    /// Regions decoded so far (positions in `order`).
    next: usize,
    /// Decoding order: input order, or genome order (sweep mode); planned in slices.
    order: Option<DecodeOrder>,
    plan: Option<OrderPlan>,
    /// Regions fed in pieces ([`Session::feed_regions_bed`], [`Session::add_region_arrays`]).
    bed: Option<BedParser>,
    arrays: Option<RegionsBuilder>,
    /// Decoded-block budget: when every block the export touches fits, regions are decoded
    /// in input order (linear memory never shrinks, so keep it modest).
    cache_budget: usize,
    /// Sweep mode: encoded regions (see [`crate::encoded`]) not yet taken by JS.
    swept: Vec<u8>,
    /// Sweep mode: regions pushed back into the writer, in input order.
    pushed: usize,
    /// The last step stopped on missing bytes.
    stalled: bool,
    /// Regions (positions in `order`) below this had their ranges handed out already.
    asked: usize,
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
        let n = names.len();
        Ok(Session {
            caches: (0..n).map(|_| Rc::new(RangeCache::new())).collect(),
            opened: (0..n).map(|_| None).collect(),
            names,
            options,
            regions: None,
            export: None,
            decoder: Decoder::new(cache_bytes as usize),
            writer: TrackWriter::new(options.layout, options.format),
            recs: Vec::new(),
            counts: vec![0; n],
            next: 0,
            order: None,
            plan: None,
            bed: None,
            arrays: None,
            cache_budget: cache_bytes as usize,
            swept: Vec::new(),
            pushed: 0,
            stalled: false,
            asked: 0,
        })
    }

    /// Regions from BED text or bytes (gzip detected); `name` labels BED errors.
    #[wasm_bindgen(js_name = setRegionsBed)]
    pub fn set_regions_bed(&mut self, name: &str, bytes: &[u8]) -> Result<usize, JsValue> {
        let r = Regions::from_bed(name, bytes).map_err(js_err)?;
        let n = r.len();
        self.regions = Some(r);
        Ok(n)
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
        let n = r.len();
        self.regions = Some(r);
        Ok(n)
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
        let b = self
            .arrays
            .get_or_insert_with(|| RegionsBuilder::new("regions"));
        let first = b.len();
        let (starts, ends) = (ints(&starts, "start", first)?, ints(&ends, "end", first)?);
        b.push_arrays(&contigs, &starts, &ends).map_err(js_err)?;
        Ok(b.len())
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
        let n = r.len();
        self.regions = Some(r);
        Ok(n)
    }

    /// The total size of source `i`, once known (lets the index be read in one request).
    #[wasm_bindgen(js_name = setSize)]
    pub fn set_size(&mut self, i: usize, size: f64) {
        self.caches[i].set_size(size as u64);
    }

    /// Bytes of source `i` at `offset`.
    #[wasm_bindgen(js_name = addRange)]
    pub fn add_range(&mut self, i: usize, offset: f64, bytes: Vec<u8>) {
        self.caches[i].insert(offset as u64, bytes);
    }

    /// Open every source and resolve the regions. Returns the ranges still missing as
    /// `[source, offset, length, ...]`; empty when the export is ready to step.
    pub fn open(&mut self) -> Result<Vec<f64>, JsValue> {
        if self.export.is_some() {
            return Ok(Vec::new());
        }
        let mut missing = Vec::new();
        for i in 0..self.caches.len() {
            if self.opened[i].is_some() {
                continue;
            }
            match open_input(i, self.names[i].clone(), self.caches[i].clone()) {
                Ok(input) => self.opened[i] = Some(input),
                Err(Error::Missing(ranges)) => {
                    for mut r in ranges {
                        let limit = self.caches[i]
                            .size()
                            .map_or(u64::MAX, |s| s.saturating_sub(r.offset));
                        r.len = r.len.max(MIN_OPEN_READ).min(limit.max(r.len));
                        missing.push(r);
                    }
                }
                Err(e) => return Err(js_err(e)),
            }
        }
        if !missing.is_empty() {
            return Ok(flat(&missing));
        }
        // Without regions, open() only reads the sources (to list their contigs).
        let Some(regions) = self.regions.take() else {
            return Ok(Vec::new());
        };
        let inputs = self.opened.iter_mut().map(|o| o.take().unwrap()).collect();
        let export = Export::new(inputs, regions, self.options).map_err(js_err)?;
        // The decode order is planned by `plan_order`, in slices the driver yields between.
        self.plan = Some(OrderPlan::new(&export, self.cache_budget as u64));
        self.export = Some(export);
        // What open read is kept: a read extended past the index or header may hold the
        // first data blocks. The first step that misses drops all outside its window.
        Ok(Vec::new())
    }

    /// Decode regions until at least `max_bytes` of output are buffered, all are done, or
    /// a region misses bytes ([`Session::stalled`]). Returns ranges to fetch as
    /// `[source, offset, length, ...]`: when stalled, what the current region misses plus
    /// the raw bytes of the next `lookahead` regions; otherwise those of the `2 * lookahead`
    /// regions ahead, for the driver to fetch in the background while decoding goes on.
    /// Ranges already held are left out; the driver skips those it is fetching already.
    pub fn step(&mut self, max_bytes: usize, lookahead: usize) -> Result<Vec<f64>, JsValue> {
        while !self.plan_order(usize::MAX / 2)? {}
        let export = self
            .export
            .as_ref()
            .ok_or_else(|| js_err(Error::input("step() before open() finished")))?;
        let order = self.order.as_ref().expect("planned");
        let sweep = order.is_genome();
        self.stalled = false;
        while self.next < export.n_regions() {
            let r = order.region(self.next);
            match export.decode_region(r, &mut self.decoder, &mut self.recs, &mut self.counts) {
                Ok(()) => {
                    self.next += 1;
                    let full = if sweep {
                        encode_region(r, &self.recs, &self.counts, &mut self.swept);
                        self.swept.len() >= max_bytes
                    } else {
                        push_region(&mut self.writer, &self.recs, &self.counts);
                        self.writer.pending() >= max_bytes
                    };
                    if full {
                        // Double buffering: once half the horizon is decoded, ask for the
                        // next `lookahead` regions in one go (few, large, coalesced reads),
                        // each region's ranges looked up once.
                        if self.asked >= self.next + lookahead {
                            return Ok(Vec::new());
                        }
                        let from = self.next.max(self.asked);
                        let to = self.next + 2 * lookahead;
                        self.asked = to;
                        let mut ahead = self.window(from, to);
                        // Reads land without stalls now, so this is where raw bytes behind
                        // the window go: nothing else would drop them.
                        let mut keep = self.window(self.next, from);
                        keep.extend_from_slice(&ahead);
                        self.retain_raw(&keep);
                        ahead.retain(|r| !self.holds(r));
                        return Ok(flat(&ahead));
                    }
                }
                Err(Error::Missing(_)) => {
                    self.stalled = true;
                    // This region's raw blocks stay held until it is done, and its decoded
                    // blocks are not fetched again. Should the decoded cache drop one
                    // before its use, the next stall asks for it: the raw bytes held only
                    // grow while the region is current, so it completes.
                    let all = export.region_ranges(r);
                    let mut ranges = all.clone();
                    ranges.retain(|b| !self.decoder.cache.contains(b.source, b.offset));
                    let (near, horizon) =
                        (self.next + 1 + lookahead, self.next + 1 + 2 * lookahead);
                    let soon = self.window(self.next + 1, near);
                    // Raw bytes behind the read-ahead horizon were decoded already (or
                    // are not needed again): drop them.
                    let mut keep = self.window(near, horizon);
                    keep.extend_from_slice(&all);
                    keep.extend_from_slice(&soon);
                    self.retain_raw(&keep);
                    ranges.extend(soon);
                    self.asked = self.asked.max(near);
                    ranges.sort();
                    ranges.dedup();
                    ranges.retain(|r| !self.holds(r));
                    return Ok(flat(&ranges));
                }
                Err(e) => return Err(js_err(e)),
            }
        }
        Ok(Vec::new())
    }

    /// Plan the decode order for about `work` regions' worth (call after [`Session::open`]
    /// until it returns true, yielding in between: millions of regions take seconds).
    #[wasm_bindgen(js_name = planOrder)]
    pub fn plan_order(&mut self, work: usize) -> Result<bool, JsValue> {
        if self.order.is_some() {
            return Ok(true);
        }
        let (Some(export), Some(plan)) = (self.export.as_ref(), self.plan.as_mut()) else {
            return Err(js_err(Error::input("planOrder() before open() finished")));
        };
        let Some(order) = plan.step(export, work) else {
            return Ok(false);
        };
        if order.is_genome() {
            self.decoder = Decoder::new(SWEEP_BLOCK_CACHE.min(self.cache_budget.max(1 << 20)));
        }
        self.order = Some(order);
        self.plan = None;
        Ok(true)
    }

    /// True when the last [`Session::step`] stopped because a region misses bytes: fetch
    /// what it returned (and wait for reads under way) before stepping again.
    #[wasm_bindgen(getter)]
    pub fn stalled(&self) -> bool {
        self.stalled
    }

    /// Drop raw chunks that overlap none of `keep`, oldest first, until those left
    /// outside it fit the spare budget (a quarter of the decoded-block budget): small
    /// files stay whole (nothing read twice), large ones do not pile up.
    fn retain_raw(&self, keep: &[crate::ByteRange]) {
        let mut outside = Vec::new();
        for (i, c) in self.caches.iter().enumerate() {
            let keep: Vec<(u64, u64)> = keep
                .iter()
                .filter(|r| r.source == i)
                .map(|r| (r.offset, r.len))
                .collect();
            outside.extend(c.outside(&keep).into_iter().map(|(s, n, t)| (t, i, s, n)));
        }
        let mut spare: usize = outside.iter().map(|c| c.3).sum();
        outside.sort_unstable();
        for (_, i, start, n) in outside {
            if spare <= self.cache_budget / 4 {
                break;
            }
            self.caches[i].remove(start);
            spare -= n;
        }
    }

    /// Raw source bytes held in the range caches (fetched, not yet dropped).
    #[wasm_bindgen(getter, js_name = rawBytesHeld)]
    pub fn raw_bytes_held(&self) -> usize {
        self.caches.iter().map(|c| c.held()).sum()
    }

    /// Byte ranges of the regions at positions `[from, to)` of the decoding order that
    /// are not decoded yet.
    fn window(&self, from: usize, to: usize) -> Vec<crate::ByteRange> {
        let Some(export) = self.export.as_ref() else {
            return Vec::new();
        };
        let to = to.min(export.n_regions());
        let Some(order) = self.order.as_ref() else {
            return Vec::new();
        };
        let mut ranges: Vec<crate::ByteRange> = (from.min(to)..to)
            .flat_map(|k| export.needed_ranges(order.region(k), &self.decoder.cache))
            .collect();
        ranges.sort();
        ranges.dedup();
        ranges
    }

    /// True when the raw bytes of `r` are in its source's range cache.
    fn holds(&self, r: &crate::ByteRange) -> bool {
        self.caches[r.source].has(r.offset, r.len)
    }

    /// True when regions are decoded in genome order: JS takes them with
    /// [`Session::take_swept`] and gives them back in input order with
    /// [`Session::push_encoded`].
    #[wasm_bindgen(getter)]
    pub fn sweep(&self) -> bool {
        self.order.as_ref().is_some_and(DecodeOrder::is_genome)
    }

    /// Sweep mode: the encoded regions decoded since the last call (copied out).
    #[wasm_bindgen(js_name = takeSwept)]
    pub fn take_swept(&mut self) -> js_sys::Uint8Array {
        let out = js_sys::Uint8Array::from(&self.swept[..]);
        self.swept.clear();
        out
    }

    /// Sweep mode: encoded regions in input order, continuing where the last call ended.
    #[wasm_bindgen(js_name = pushEncoded)]
    pub fn push_encoded(&mut self, bytes: &[u8]) -> Result<(), JsValue> {
        let s = self.names.len();
        let n_regions = self.n_regions();
        count_regions(bytes, s, n_regions)
            .map_err(|m| js_err(Error::Output(format!("internal error: {m}"))))?;
        let mut at = 0;
        while at < bytes.len() {
            if region_at(bytes, at) != self.pushed {
                return Err(js_err(Error::Output(format!(
                    "internal error: region {} pushed where region {} belongs",
                    region_at(bytes, at),
                    self.pushed
                ))));
            }
            push_region_encoded(&mut self.writer, bytes, at, s);
            self.pushed += 1;
            at += region_len(bytes, at, s);
        }
        Ok(())
    }

    /// Encoded output buffered so far, copied into `target` file after file when it all
    /// fits: returns `[fileIndex, length, ...]` in `target`'s order, or an empty array (and
    /// takes nothing) when it does not fit. Lets a driver reuse its buffers.
    #[wasm_bindgen(js_name = takeOutputInto)]
    pub fn take_output_into(&mut self, target: &js_sys::Uint8Array) -> Vec<u32> {
        if self.writer.pending() > target.length() as usize {
            return Vec::new();
        }
        let mut at = 0u32;
        let mut out = Vec::new();
        let _ = self.writer.drain(|i, bytes| -> Result<(), ()> {
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
        self.writer.pending()
    }

    /// Encoded output buffered so far, as `[fileIndex, Uint8Array, ...]` (copied out).
    #[wasm_bindgen(js_name = takeOutput)]
    pub fn take_output(&mut self) -> js_sys::Array {
        let out = js_sys::Array::new();
        let _ = self.writer.drain(|i, bytes| -> Result<(), ()> {
            out.push(&JsValue::from(i as u32));
            out.push(&js_sys::Uint8Array::from(bytes).into());
            Ok(())
        });
        out
    }

    /// Final headers, one per file (empty in raw format); call after the last step.
    pub fn headers(&self) -> js_sys::Array {
        self.writer
            .headers()
            .iter()
            .map(|h| JsValue::from(js_sys::Uint8Array::from(&h[..])))
            .collect()
    }

    #[wasm_bindgen(js_name = headerLength)]
    pub fn header_length(&self, i: usize) -> usize {
        self.writer.header_len(i)
    }

    #[wasm_bindgen(js_name = fileNames)]
    pub fn file_names(&self) -> Vec<String> {
        self.writer
            .files()
            .iter()
            .map(|f| f.name.to_string())
            .collect()
    }

    #[wasm_bindgen(getter, js_name = regionsDone)]
    pub fn regions_done(&self) -> usize {
        self.next
    }

    #[wasm_bindgen(getter, js_name = nRegions)]
    pub fn n_regions(&self) -> usize {
        self.export.as_ref().map_or_else(
            || self.regions.as_ref().map_or(0, Regions::len),
            Export::n_regions,
        )
    }

    #[wasm_bindgen(getter, js_name = nSamples)]
    pub fn n_samples(&self) -> usize {
        self.names.len()
    }

    #[wasm_bindgen(getter, js_name = nIntervals)]
    pub fn n_intervals(&self) -> f64 {
        self.writer.n_intervals() as f64
    }

    /// Contig names and lengths of source `i` once opened: `[name, length, ...]`.
    pub fn contigs(&self, i: usize) -> js_sys::Array {
        let bw = match (&self.export, &self.opened[i]) {
            (Some(e), _) => &e.inputs[i].bigwig,
            (None, Some(input)) => &input.bigwig,
            _ => return js_sys::Array::new(),
        };
        bw.chroms
            .iter()
            .flat_map(|c| [JsValue::from(c.name.as_str()), JsValue::from(c.length)])
            .collect()
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
