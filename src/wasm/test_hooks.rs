//! Test hooks (feature `test-hooks`, which the crate's dev-dependency on itself turns on for
//! `cargo test` and `wasm-pack test`, never for the npm package's build): the stepper's own
//! protocol and its numbers, for the Rust wasm tests (`tests/wasm*.rs`), which step a
//! [`Session`] themselves; the package's driver follows the core's loop
//! ([`Session::open_next`], [`Session::next`]) and never calls these.

use super::{flat, js_err, Session};
use crate::reads::STAGING_BUDGET;
use crate::region::Regions;
use crate::stepper::Step;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Session {
    /// Regions from BED text or bytes (gzip detected); `name` labels BED errors.
    #[wasm_bindgen(js_name = setRegionsBed)]
    pub fn set_regions_bed(&mut self, name: &str, bytes: &[u8]) -> Result<usize, JsValue> {
        let r = Regions::from_bed(name, bytes).map_err(js_err)?;
        Ok(self.set_regions(r))
    }

    /// Genome order: the encoded regions decoded since the last call (copied out) and
    /// their spans, as `[Uint8Array, Uint32Array [region, length, ...]]`.
    #[wasm_bindgen(js_name = takeUnordered)]
    pub fn take_unordered(&mut self) -> js_sys::Array {
        let (bytes, spans) = self.drive.stepper.take_unordered();
        js_sys::Array::of2(
            &js_sys::Uint8Array::from(&bytes[..]),
            &js_sys::Uint32Array::from(&spans[..]),
        )
    }

    /// Open every source and resolve the regions. Returns the ranges still missing as
    /// `[source, offset, length, ...]`; empty when the export is ready to step.
    pub fn open(&mut self) -> Result<Vec<f64>, JsValue> {
        self.drive.stepper.open().map(|m| flat(&m)).map_err(js_err)
    }

    /// Decode regions until at least `max_bytes` of output are buffered, all are done, or
    /// a region misses bytes ([`Session::stalled`]). Returns ranges to fetch as
    /// `[source, offset, length, ...]`: when stalled, what the current region misses plus
    /// the raw bytes of the next `lookahead` regions; otherwise those of the `2 * lookahead`
    /// regions ahead, for the driver to fetch in the background while decoding goes on.
    pub fn step(&mut self, max_bytes: usize, lookahead: usize) -> Result<Vec<f64>, JsValue> {
        let step = self
            .drive
            .stepper
            .step(max_bytes, lookahead)
            .map_err(js_err)?;
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
        self.drive.stepper.raw_bytes_held()
    }

    /// The `lookahead` for [`Session::step`]: longer in genome order (known once the order
    /// is planned).
    #[wasm_bindgen(getter)]
    pub fn lookahead(&self) -> usize {
        self.drive.lookahead()
    }

    /// Genome order: encoded bytes held in memory before buckets spill (when JS can).
    #[wasm_bindgen(getter, js_name = stagingBudget)]
    pub fn staging_budget(&self) -> usize {
        STAGING_BUDGET
    }
}
