//! The hosts' side of the missing-range protocol, serving exactly what is asked: an open
//! round after round, and a whole export through the stepper reading the index lazily.

use crate::MAX_ROUNDS;
use bigwig_npy::stepper::{Step, Stepper};
use bigwig_npy::{IndexPolicy, Input, Options, RangeCache, Regions, Stop};
use std::sync::Arc;

/// The bytes a host serves for `r` (cut at the end of the file); asking for a range
/// that starts past the end is a failure of the asking side.
pub fn served(bytes: &[u8], r: &bigwig_npy::ByteRange) -> Result<Vec<u8>, String> {
    let (a, e) = (
        r.offset as usize,
        (r.offset + r.len).min(bytes.len() as u64) as usize,
    );
    if a >= e {
        return Err(format!(
            "asked for bytes {a}..{} past the end",
            r.offset + r.len
        ));
    }
    Ok(bytes[a..e].to_vec())
}

/// Open through the async protocol: serve exactly what `Missing` asks, round after round.
pub fn open_async(bytes: &Arc<[u8]>) -> Result<usize, String> {
    let cache = RangeCache::new();
    cache.set_size(bytes.len() as u64);
    for round in 0..MAX_ROUNDS {
        match Input::open(0, "f", &cache) {
            Ok(_) => return Ok(round),
            Err(Stop::Missing(ranges)) => {
                for r in ranges {
                    cache.insert(r.offset, served(bytes, &r)?);
                }
            }
            Err(_) => return Ok(round),
        }
    }
    Err(format!(
        "open needed more than {MAX_ROUNDS} rounds of reads"
    ))
}

/// Export through the one-region-at-a-time driver reading the index lazily, serving
/// exactly what it asks for: `Some(files)` when it succeeds in input order.
pub fn export_lazy(
    bytes: &Arc<[u8]>,
    regions: Regions,
    opts: Options,
) -> Result<Option<[Vec<u8>; 2]>, String> {
    let serve = |s: &mut Stepper, ranges: &[bigwig_npy::ByteRange]| -> Result<(), String> {
        for r in ranges {
            s.add_range(0, r.offset, served(bytes, r)?);
        }
        Ok(())
    };
    let mut s = Stepper::new(vec!["f".into()], opts, 16 << 20);
    s.set_index_policy(IndexPolicy::Lazy);
    s.set_regions(regions);
    s.set_size(0, bytes.len() as u64);
    let mut round = 0;
    loop {
        match s.open() {
            Ok(m) if m.is_empty() => break,
            Ok(m) => serve(&mut s, &m)?,
            Err(_) => return Ok(None),
        }
        round += 1;
        if round > MAX_ROUNDS {
            return Err(format!(
                "a lazy open needed more than {MAX_ROUNDS} rounds of reads"
            ));
        }
    }
    let mut files = [Vec::new(), Vec::new()];
    for _ in 0..1_000_000 {
        let step = match s.step(1 << 20, 8) {
            Ok(step) => step,
            Err(_) => return Ok(None),
        };
        if s.genome_order() {
            return Ok(None); // compared in input order only
        }
        s.writer
            .drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .map_err(|_| "drain failed".to_string())?;
        match step {
            Step::Done => return Ok(Some(files)),
            Step::Stalled(r) | Step::ReadAhead(r) => serve(&mut s, &r)?,
        }
    }
    Err("a lazy export made no progress in 1,000,000 steps".into())
}
