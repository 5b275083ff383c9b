//! `gvl.concat`: merging datasets along the region or the sample axis, as GenVarLoader
//! 0.43.1 does it, for datasets of tracks (no genotypes). Every check GenVarLoader makes
//! runs here, before a byte moves, plus the ones that keep a lying input from turning
//! into wrong data (each input's files must agree with each other and with this tool's
//! sort). The plan says which cells of which input go where; the host copies the bytes.
//!
//! Along regions the merged regions are sorted as one BED of all the inputs' rows (input
//! order, then GenVarLoader's sort); every input is sorted already, so each one's cells
//! are taken in its own order. Along samples the merged samples are sorted and, region by
//! region, each input gives its samples' cells in its own order. Either way every input's
//! track files are read once, front to back, and the output is written front to back.

mod check;
mod input;
mod plan;
mod regions;

pub use check::part_order;
pub use input::ConcatInput;
pub use plan::{ConcatPlan, Run, Runs};

use crate::error::{shown, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// Same samples, regions merged (sorted).
    Regions,
    /// Same regions, disjoint samples merged (sorted).
    Samples,
}

impl std::str::FromStr for Axis {
    type Err = Error;
    fn from_str(s: &str) -> Result<Axis> {
        match s {
            "regions" => Ok(Axis::Regions),
            "samples" => Ok(Axis::Samples),
            _ => Err(Error::input(format!(
                "axis: expected 'regions' or 'samples', got '{}'",
                shown(s)
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
