//! Reads and the step loop for the npm package's driver (`pkg-template/driver.js`,
//! `reads.js`): the core's [`Drive`](crate::drive::Drive) with
//! [`ReadPolicy::NPM`](crate::reads::ReadPolicy) says what to do next, and plans the reads
//! JS makes for what the stepper misses.

use super::{flat, js_err, Session};
use crate::drive::Next;
use crate::error::ByteRange;
use crate::reads::SourceInfo;
use wasm_bindgen::prelude::*;

/// What each source knows now: `sizes` (-1: unknown) and `min_reads` (0: none).
fn known<'a>(sizes: &'a [f64], min_reads: &'a [f64]) -> impl Fn(usize) -> SourceInfo + 'a {
    |s| SourceInfo {
        size: sizes.get(s).filter(|x| **x >= 0.0).map(|x| *x as u64),
        min_read: min_reads.get(s).map_or(0, |x| x.max(0.0) as u64),
    }
}

/// [`Next`] for JS: `[0]` done, `[1, source, offset, length, ...]` reads to start, `[2]`
/// output to move, `[3]` wait for a read, `[4]` let finished reads land.
fn next_js(next: Next) -> Vec<f64> {
    match next {
        Next::Done => vec![0.0],
        Next::Read(reads) => [vec![1.0], flat(&reads)].concat(),
        Next::Output => vec![2.0],
        Next::Wait => vec![3.0],
        Next::Poll => vec![4.0],
    }
}

#[wasm_bindgen]
impl Session {
    /// Opening, a round of reads at a time: what to do next (see `next`); done once the
    /// sources are open and the regions resolved. `sizes` and `min_reads` as for
    /// [`Session::plan_reads`].
    #[wasm_bindgen(js_name = openNext)]
    pub fn open_next(&mut self, sizes: &[f64], min_reads: &[f64]) -> Result<Vec<f64>, JsValue> {
        let next = self.drive.open(known(sizes, min_reads)).map_err(js_err)?;
        Ok(next_js(next))
    }

    /// Decoding (after `planOrder`): what to do next, as `[code, ...]`: `0` every region
    /// is decoded; `1` start the reads that follow (`source, offset, length` each) before
    /// anything awaits; `2` move out the output (`takeOutput` or, in genome order,
    /// `takeUnorderedInto`) and report progress; `3` wait until a read lands; `4` let reads
    /// that finished land. Steps decode until about `max_bytes` of output are buffered.
    pub fn next(
        &mut self,
        max_bytes: usize,
        sizes: &[f64],
        min_reads: &[f64],
    ) -> Result<Vec<f64>, JsValue> {
        let next = self
            .drive
            .next(max_bytes, known(sizes, min_reads))
            .map_err(js_err)?;
        Ok(next_js(next))
    }

    /// The reads to make for `ranges` (`[source, offset, length, ...]` from
    /// the stepper's open or step), as `[source, offset, length, ...]`, now under
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
        flat(&self.drive.plan(&ranges, known(sizes, min_reads)))
    }

    /// A read [`Session::plan_reads`] or `next` gave landed or failed.
    #[wasm_bindgen(js_name = readDone)]
    pub fn read_done(&mut self, source: usize, offset: f64, len: f64) {
        self.drive.read_done(ByteRange {
            source,
            offset: offset as u64,
            len: len as u64,
        });
    }

    /// Reads JS runs at once.
    #[wasm_bindgen(getter, js_name = readConcurrency)]
    pub fn read_concurrency(&self) -> usize {
        self.drive.policy().concurrency
    }
}
