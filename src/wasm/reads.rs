//! Read planning for the npm package's driver (`pkg-template/reads.js`): the core's
//! [`Planner`](crate::reads::Planner) with [`ReadPolicy::NPM`](crate::reads::ReadPolicy),
//! through the [`Session`] that misses the ranges.

use super::{flat, Session};
use crate::error::ByteRange;
use crate::reads::{SourceInfo, STAGING_BUDGET};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Session {
    /// The reads to make for `ranges` (`[source, offset, length, ...]` from
    /// [`Session::open`] or [`Session::step`]), as `[source, offset, length, ...]`, now under
    /// way until [`Session::read_done`]. `sizes` (-1: unknown) and `min_reads` (0: none)
    /// are what each source knows now (see [`crate::reads::Planner::plan`]).
    #[wasm_bindgen(js_name = planReads)]
    pub fn plan_reads(&mut self, ranges: &[f64], sizes: &[f64], min_reads: &[f64]) -> Vec<f64> {
        let ranges: Vec<ByteRange> = ranges
            .chunks_exact(3)
            .map(|t| ByteRange {
                source: t[0] as usize,
                offset: t[1] as u64,
                len: t[2] as u64,
            })
            .collect();
        let info = |s: usize| SourceInfo {
            size: sizes.get(s).filter(|x| **x >= 0.0).map(|x| *x as u64),
            min_read: min_reads.get(s).map_or(0, |x| x.max(0.0) as u64),
        };
        flat(&self.planner.plan(&ranges, info))
    }

    /// A read [`Session::plan_reads`] gave landed or failed.
    #[wasm_bindgen(js_name = readDone)]
    pub fn read_done(&mut self, source: usize, offset: f64, len: f64) {
        self.planner.done(ByteRange {
            source,
            offset: offset as u64,
            len: len as u64,
        });
    }

    /// Reads JS runs at once.
    #[wasm_bindgen(getter, js_name = readConcurrency)]
    pub fn read_concurrency(&self) -> usize {
        self.planner.policy().concurrency
    }

    /// The `lookahead` for [`Session::step`]: longer in genome order (known once the order
    /// is planned).
    #[wasm_bindgen(getter)]
    pub fn lookahead(&self) -> usize {
        self.planner.policy().lookahead(self.stepper.genome_order())
    }

    /// Genome order: encoded bytes held in memory before buckets spill (when JS can).
    #[wasm_bindgen(getter, js_name = stagingBudget)]
    pub fn staging_budget(&self) -> usize {
        STAGING_BUDGET
    }
}
