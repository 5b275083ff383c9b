//! The step loop of every host that drives a [`Stepper`] (the npm package; native exports
//! with URL sources), as a state machine without I/O: which reads to start (planned by the
//! host's [`ReadPolicy`]), when to move output out, when to wait for a read and when only
//! to let finished ones in, and when it is done. A host does what [`Drive::open`] and
//! [`Drive::next`] say: it makes the reads (fetch, pread), lands each in the stepper and
//! reports it with [`Drive::read_done`], and writes the output.

use crate::error::{Bug, ByteRange, Result};
use crate::reads::{Planner, ReadPolicy, SourceInfo};
use crate::stepper::{Step, Stepper};
use std::collections::VecDeque;

/// What the host does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Start these reads now, before anything else (a read landing meanwhile would make
    /// the plan stale); each is under way until [`Drive::read_done`].
    Read(Vec<ByteRange>),
    /// Move out the output the stepper buffered (its writer's, or in genome order its
    /// unordered regions) and report progress.
    Output,
    /// Wait until a read lands, land every read that finished, and ask again.
    Wait,
    /// Land the reads that finished meanwhile, without waiting, and ask again.
    Poll,
    /// Open: the export is open. Step: every region is decoded (reads still under way
    /// only read ahead).
    Done,
}

/// A stepper and the reads its host has under way.
pub struct Drive {
    pub stepper: Stepper,
    planner: Planner,
    /// What the last step said, still to hand out.
    queue: VecDeque<Next>,
    /// A step stalled and the policy waits for every read under way before the next.
    settling: bool,
    done: bool,
}

impl Drive {
    pub fn new(stepper: Stepper, policy: ReadPolicy) -> Self {
        Drive {
            stepper,
            planner: Planner::new(policy),
            queue: VecDeque::new(),
            settling: false,
            done: false,
        }
    }

    pub fn policy(&self) -> &ReadPolicy {
        self.planner.policy()
    }

    /// Reads planned and not yet done.
    pub fn busy(&self) -> bool {
        self.planner.busy()
    }

    /// The reads to make for `ranges` (from [`Stepper::open`] or [`Stepper::step`] called
    /// by the host itself), now under way; [`Drive::open`] and [`Drive::next`] plan theirs.
    pub fn plan(
        &mut self,
        ranges: &[ByteRange],
        source: impl Fn(usize) -> SourceInfo,
    ) -> Vec<ByteRange> {
        self.planner.plan(ranges, source)
    }

    /// A read [`Next::Read`] gave landed (its bytes are in the stepper) or failed.
    pub fn read_done(&mut self, read: ByteRange) {
        self.planner.done(read);
    }

    /// The `lookahead` of [`Stepper::step`]: the policy's, longer in genome order, also when
    /// the regions came sorted (their blocks are neighbours in the file just the same; the
    /// npm package's window of 32 split a run of neighbouring blocks between two requests
    /// about 80 times a file at 10,000 sorted loci).
    pub fn lookahead(&self) -> usize {
        self.policy().lookahead(self.stepper.sweeps())
    }

    /// Opening: every read of a round lands before the next round is asked for (headers,
    /// then chrom trees and indexes, a level at a time when lazy). `source(i)` is what the
    /// host knows of source `i` now.
    pub fn open(&mut self, source: impl Fn(usize) -> SourceInfo) -> Result<Next> {
        if self.planner.busy() {
            return Ok(Next::Wait);
        }
        let missing = self.stepper.open()?;
        if missing.is_empty() {
            return Ok(Next::Done);
        }
        let reads = self.planner.plan(&missing, source);
        if reads.is_empty() {
            return Err(Bug::Unfed.into());
        }
        Ok(Next::Read(reads))
    }

    /// Decoding (after [`Stepper::plan_order`]): step the stepper until about `max_bytes`
    /// of output are buffered, and say what follows.
    pub fn next(&mut self, max_bytes: usize, source: impl Fn(usize) -> SourceInfo) -> Result<Next> {
        if let Some(next) = self.queue.pop_front() {
            return Ok(next);
        }
        if self.settling && self.planner.busy() {
            return Ok(Next::Wait);
        }
        self.settling = false;
        if self.done {
            return Ok(Next::Done);
        }
        let (ranges, stalled, done) = match self.stepper.step(max_bytes, self.lookahead())? {
            Step::Done => (Vec::new(), false, true),
            Step::ReadAhead(r) => (r, false, false),
            Step::Stalled(r) => (r, true, false),
        };
        let reads = self.planner.plan(&ranges, source);
        // A stall with nothing to read and nothing under way would repeat forever.
        if stalled && reads.is_empty() && !self.planner.busy() {
            return Err(Bug::Unfed.into());
        }
        if !reads.is_empty() {
            self.queue.push_back(Next::Read(reads));
        }
        self.queue.push_back(Next::Output);
        if stalled {
            self.settling = self.policy().stall_settles;
            self.queue.push_back(Next::Wait);
        } else if done || self.stepper.regions_done() == self.stepper.n_regions() {
            self.done = true;
            self.queue.push_back(Next::Done);
        } else {
            self.queue.push_back(Next::Poll);
        }
        Ok(self.queue.pop_front().expect("queued above"))
    }
}
