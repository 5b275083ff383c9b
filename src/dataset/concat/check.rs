//! The inputs' order (parts of a sharded job by number) and GenVarLoader's preconditions.

use super::input::ConcatInput;
use super::Axis;
use crate::dataset::arrow::str_column;
use crate::error::{shown, Error, Result};
use arrow_array::RecordBatch;
use std::collections::HashMap;

/// The order to merge `inputs` in: parts of a sharded job (`dataset --shard`) by their
/// number, whatever order they were given in (a shell sorts `part10` before `part2`),
/// after checking they are all the parts of one job along `axis`; other inputs as given.
pub fn part_order(inputs: &[ConcatInput], axis: Axis) -> Result<Vec<usize>> {
    let given: Vec<usize> = (0..inputs.len()).collect();
    let Some(first) = inputs
        .iter()
        .find_map(|i| i.metadata.shard.as_ref().map(|s| (i, s)))
    else {
        return Ok(given);
    };
    let (named, info) = first;
    let mut slots: Vec<Option<usize>> = vec![None; info.n as usize];
    for (d, i) in inputs.iter().enumerate() {
        let Some(s) = &i.metadata.shard else {
            return Err(Error::input(format!(
                "{}: not a part of a sharded job, but {} is part {}/{} of job {}: merge the parts of one job",
                i.name, named.name, info.k, info.n, info.job
            )));
        };
        if s.job != info.job || s.n != info.n {
            return Err(Error::input(format!(
                "{}: part {}/{} of job {}, but {} is part {}/{} of job {}: parts of different jobs",
                i.name, s.k, s.n, s.job, named.name, info.k, info.n, info.job
            )));
        }
        let want = match axis {
            Axis::Regions => crate::dataset::shard::ShardBy::Regions,
            Axis::Samples => crate::dataset::shard::ShardBy::Samples,
        };
        if s.by != want {
            return Err(Error::input(format!(
                "{}: a part by {}, merged along {}: use --axis {}",
                i.name,
                s.by.as_str(),
                want.as_str(),
                s.by.as_str()
            )));
        }
        match slots.get_mut(s.k as usize - 1) {
            Some(slot @ None) => *slot = Some(d),
            Some(Some(other)) => {
                return Err(Error::input(format!(
                    "{} and {}: both are part {}/{} of job {}",
                    inputs[*other].name, i.name, s.k, s.n, s.job
                )))
            }
            None => {
                return Err(Error::input(format!(
                    "{}: part {}/{} is out of range",
                    i.name, s.k, s.n
                )))
            }
        }
    }
    let missing: Vec<String> = (1..=info.n)
        .filter(|k| slots[*k as usize - 1].is_none())
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "part{} {} of {} of job {} missing: merge all the parts (each is written by `dataset --shard K/{}`)",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            info.n,
            info.job,
            info.n
        )));
    }
    Ok(slots.into_iter().flatten().collect())
}

/// GenVarLoader's preconditions (`_concat_validate.py`), each naming the input.
pub(super) fn validate(inputs: &[ConcatInput], axis: Axis) -> Result<()> {
    let err = |m: String| Err(Error::input(m));
    if inputs.len() < 2 {
        return err(format!(
            "concat needs at least two datasets, got {}",
            inputs.len()
        ));
    }
    let first = &inputs[0];
    for (d, i) in inputs.iter().enumerate() {
        if inputs[..d].iter().any(|o| o.name == i.name) && axis == Axis::Samples {
            return err(format!("{}: given twice", i.name));
        }
    }
    for i in &inputs[1..] {
        let differs = |what: &str, a: String, b: String| {
            err(format!(
                "{}: {what} {a}, but {} has {b}; all inputs must agree",
                i.name, first.name
            ))
        };
        let list = |v: &[String]| {
            format!(
                "[{}]",
                v.iter()
                    .map(|s| format!("'{}'", shown(s)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        if i.format != first.format {
            return differs(
                "is in dataset format",
                i.format.format_version().into(),
                first.format.format_version().into(),
            );
        }
        if i.metadata.max_jitter != first.metadata.max_jitter {
            return differs(
                "has max_jitter",
                i.metadata.max_jitter.to_string(),
                first.metadata.max_jitter.to_string(),
            );
        }
        if i.metadata.contigs != first.metadata.contigs {
            return differs(
                "has contigs",
                list(&i.metadata.contigs),
                list(&first.metadata.contigs),
            );
        }
        if i.tracks != first.tracks {
            return differs("has tracks", list(&i.tracks), list(&first.tracks));
        }
        if i.annot != first.annot {
            return differs("has annotation tracks", list(&i.annot), list(&first.annot));
        }
    }
    match axis {
        Axis::Samples => {
            for i in &inputs[1..] {
                if i.n_regions() != first.n_regions()
                    || i.bed != first.bed
                    || i.r_idx_map != first.r_idx_map
                {
                    return err(format!(
                        "{}: its regions differ from {}'s; along samples, all inputs must have the same regions (the same BED)",
                        i.name, first.name
                    ));
                }
            }
            let mut seen: HashMap<&str, &str> = HashMap::new();
            for i in inputs {
                for s in &i.metadata.samples {
                    if let Some(other) = seen.insert(s, &i.name) {
                        return err(format!(
                            "sample '{}' is in both {other} and {}; along samples, the inputs' samples must not overlap",
                            shown(s),
                            i.name
                        ));
                    }
                }
            }
        }
        Axis::Regions => {
            for i in inputs {
                let keys = i.keys();
                let mut sorted: Vec<usize> = (0..keys.len()).collect();
                sorted.sort_unstable_by_key(|&k| keys[k]);
                if let Some(w) = sorted.windows(2).find(|w| keys[w[0]] == keys[w[1]]) {
                    let r = i.rows[i.r_idx_map[w[0]] as usize];
                    let j = i64::from(i.metadata.max_jitter);
                    return err(format!(
                        "{}: region {}:{}-{} is in it twice (BED rows {} and {}); along regions, \
                         the merged order of such rows is ambiguous (GenVarLoader refuses them too): \
                         remove the duplicate",
                        i.name,
                        shown(&i.metadata.contigs[r.contig as usize]),
                        i64::from(r.start) + j,
                        i64::from(r.end) - j,
                        w[0].min(w[1]),
                        w[0].max(w[1])
                    ));
                }
            }
            for i in &inputs[1..] {
                if i.metadata.samples != first.metadata.samples {
                    return err(format!(
                        "{}: its samples differ from {}'s; along regions, all inputs must have the same samples",
                        i.name, first.name
                    ));
                }
                let names = |b: &RecordBatch| {
                    let mut v: Vec<String> = b
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect();
                    v.sort();
                    v
                };
                if names(&i.bed) != names(&first.bed) {
                    return err(format!(
                        "{}: its BED columns {:?} differ from {}'s {:?}; all inputs must have the same BED columns",
                        i.name,
                        names(&i.bed),
                        first.name,
                        names(&first.bed)
                    ));
                }
            }
            let mut seen: HashMap<String, &str> = HashMap::new();
            for i in inputs {
                if i.bed.column_by_name("name").is_none() {
                    continue;
                }
                let at = format!("{}/input_regions.arrow", i.name);
                for name in str_column(&at, &i.bed, "name")?.into_iter().flatten() {
                    if let Some(other) = seen.insert(name.clone(), &i.name) {
                        let place = if other == i.name {
                            format!("twice in {other}")
                        } else {
                            format!("in both {other} and {}", i.name)
                        };
                        return err(format!(
                            "region name '{}' is {place}; region names must stay unique in the merged dataset",
                            shown(&name)
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}
