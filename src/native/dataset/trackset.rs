//! The tracks of a `dataset`, `update` or `plan` run: per-sample tracks with their tables
//! read, and annotation tracks; opened together (every source opened and every contig
//! resolved before anything is written), then written one after another with progress
//! over all of them.

use super::super::Opened;
use super::super::{HttpOptions, Parallel};
use super::tracks::{open_track, write_track, TrackSource};
use super::{check_names, in_table, read_table, AnnotSpec, DatasetProgress, TrackSpec};
use crate::dataset::{dataset_samples, GvlFormat, SampleTable};
use crate::error::Result;
use crate::export::Options;
use crate::layout::Format;
use crate::region::Regions;
use std::path::{Path, PathBuf};

/// How a dataset in `format` exports its tracks: raw files in the format's layout, each
/// region within `max_mem`.
pub(super) fn track_options(format: GvlFormat, max_mem: u64) -> Options {
    Options {
        format: Format::Raw,
        layout: format.layout(),
        max_mem,
    }
}

pub(crate) struct TrackSet<'a> {
    pub tracks: &'a [TrackSpec],
    pub tables: Vec<SampleTable>,
    pub annot: &'a [AnnotSpec],
}

/// One opened track: what messages call it, its name, the directory kind it goes to.
pub(super) struct OpenedTrack {
    pub what: &'static str,
    pub name: String,
    pub kind: &'static str,
    pub export: Opened,
}

impl<'a> TrackSet<'a> {
    /// Names checked (one name space for both kinds), tables read.
    pub fn read(tracks: &'a [TrackSpec], annot: &'a [AnnotSpec]) -> Result<Self> {
        check_names(
            tracks
                .iter()
                .map(|t| (t.name.as_str(), "track"))
                .chain(annot.iter().map(|a| (a.name.as_str(), "annotation track"))),
        )?;
        let tables = tracks
            .iter()
            .map(|t| read_table(&t.table))
            .collect::<Result<Vec<_>>>()?;
        Ok(TrackSet {
            tracks,
            tables,
            annot,
        })
    }

    /// The dataset's samples: every track's (they must agree), sorted.
    pub fn samples(&self) -> Result<Vec<String>> {
        let named: Vec<(&str, &SampleTable)> = self
            .tracks
            .iter()
            .zip(&self.tables)
            .map(|(t, table)| (t.name.as_str(), table))
            .collect();
        dataset_samples(&named)
    }

    /// Every source (per-sample ones in `samples`' order), as `(its sample index or None
    /// for an annotation track, path or URL)`.
    pub fn sources(&self, samples: &[String]) -> Vec<(Option<usize>, &str)> {
        let mut out = Vec::new();
        for table in &self.tables {
            for (s, row) in table.rows_for(samples).into_iter().enumerate() {
                out.push((Some(s), row.path.as_str()));
            }
        }
        out.extend(self.annot.iter().map(|a| (None, a.source.as_str())));
        out
    }

    /// Open every track for `regions`, per-sample tracks' sources in `samples`' order,
    /// exported with `options` ([`track_options`]).
    pub(super) fn open(
        &self,
        samples: &[String],
        regions: &Regions,
        options: Options,
        http: HttpOptions,
        parallel: &Parallel,
        pool: &rayon::ThreadPool,
    ) -> Result<Vec<OpenedTrack>> {
        let mut out = Vec::new();
        // One track, opened; `place` words its errors.
        let mut opened = |what: &'static str,
                          name: &str,
                          kind: &'static str,
                          place: &dyn Fn(crate::Error) -> crate::Error,
                          sources: &[TrackSource<'_>]|
         -> Result<()> {
            let export = open_track(
                place,
                sources,
                regions,
                options,
                http.clone(),
                parallel,
                pool,
            )?;
            out.push(OpenedTrack {
                what,
                name: name.to_string(),
                kind,
                export,
            });
            Ok(())
        };
        for (t, table) in self.tracks.iter().zip(&self.tables) {
            let sources: Vec<TrackSource<'_>> = table
                .rows_for(samples)
                .into_iter()
                .map(|row| TrackSource {
                    path: &row.path,
                    place: Box::new(move |e| {
                        in_table(table, row.line, &row.sample, Path::new(&row.path), e)
                    }),
                })
                .collect();
            let place = |e: crate::Error| e.in_track("track", &t.name);
            opened("track", &t.name, "intervals", &place, &sources)?;
        }
        for a in self.annot {
            let place = |e: crate::Error| e.in_track("annotation track", &a.name);
            let sources = [TrackSource {
                path: &a.source,
                place: Box::new(place),
            }];
            opened(
                "annotation track",
                &a.name,
                "annot_intervals",
                &place,
                &sources,
            )?;
        }
        Ok(out)
    }
}

/// Write opened tracks one after another: `place(track)` gives the directory to write it
/// in and the path messages name it by. Returns (intervals, bytes).
pub(super) fn write_all(
    opened: Vec<OpenedTrack>,
    n_regions: usize,
    format: GvlFormat,
    parallel: Parallel,
    pool: &rayon::ThreadPool,
    progress: Option<&DatasetProgress<'_>>,
    mut place: impl FnMut(&OpenedTrack) -> Result<(PathBuf, PathBuf)>,
) -> Result<(u64, u64)> {
    let n = n_regions as u64;
    let total = n * opened.len() as u64;
    let (mut intervals, mut bytes) = (0u64, 0u64);
    for (k, track) in opened.into_iter().enumerate() {
        let offset = k as u64 * n;
        let tick = |done: u64| {
            if let Some(p) = progress {
                p(offset + done, total);
            }
        };
        let (dir, shown) = place(&track)?;
        let s = write_track(track.export, &dir, &shown, format, pool, &parallel, &tick)
            .map_err(|e| e.in_track(track.what, &track.name))?;
        intervals += s.intervals;
        bytes += s.bytes;
    }
    Ok((intervals, bytes))
}
