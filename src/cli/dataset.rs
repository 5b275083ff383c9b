//! `dataset`, `update` and `concat`: GenVarLoader datasets from the command line.

use super::{parallel, parse_size, progress_bar, threads, NetArgs, RunArgs};
use bigwig_npy::dataset::concat::Axis;
use bigwig_npy::dataset::shard::{Shard, ShardBy};
use bigwig_npy::dataset::GvlFormat;
use bigwig_npy::native::{
    concat_datasets, update_dataset, write_dataset, AnnotSpec, DatasetOptions, DatasetProgress,
    Parallel, TrackSpec, UpdateOptions,
};
use bigwig_npy::Error;
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use std::path::PathBuf;
use std::time::Instant;

/// The dataset format, named for the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum GvlFormatArg {
    /// Format 1.0: GenVarLoader 0.35 (intervals.npy).
    #[value(name = "1")]
    V1,
    /// Format 2.0: GenVarLoader >= 0.36 (starts/ends/values.npy).
    #[value(name = "2")]
    V2,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AxisArg {
    Regions,
    Samples,
}

/// What a dataset job is made of: `dataset` writes it, `plan` says what it will cost.
#[derive(Args)]
pub struct JobArgs {
    /// BED file of regions (tab or space separated, may be gzipped), in dataset order.
    #[arg(long, value_name = "REGIONS.bed[.gz]")]
    regions: PathBuf,
    /// A track: its name and a .csv/.tsv table with columns sample and path (relative
    /// paths from the current directory, as GenVarLoader's BigWigs.from_table; or
    /// http(s) URLs). Repeat for more tracks; all must list the same samples.
    #[arg(long = "track", value_name = "NAME=TABLE", required = true)]
    tracks: Vec<String>,
    /// An annotation track: one bigWig (file or URL) for all samples, written to
    /// annot_intervals/NAME (gvl.write's annot_tracks). Repeatable.
    #[arg(long = "annot", value_name = "NAME=BIGWIG")]
    annot: Vec<String>,
    /// Widen every region by this many bases on each side (gvl.write's max_jitter).
    #[arg(long, default_value_t = 0, value_name = "N")]
    max_jitter: u32,
}

#[derive(Args)]
pub struct DatasetArgs {
    #[command(flatten)]
    job: JobArgs,
    /// The dataset directory (must not exist, unless --overwrite).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Dataset format: 2 for GenVarLoader >= 0.36 (pip install genvarloader), 1 for 0.35.
    #[arg(long, value_enum, default_value_t = GvlFormatArg::V2, value_name = "1|2")]
    gvl_format: GvlFormatArg,
    /// Replace an existing dataset at DIR (once the new one is complete).
    #[arg(long)]
    overwrite: bool,
    /// Write only part K of N of the dataset (K = 1..N, as `sbatch --array=1-N` numbers
    /// tasks); `concat` of all N parts is the whole dataset.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// regions: a contiguous range of the BED's rows (input order); samples: a contiguous
    /// range of the sorted samples.
    #[arg(long, value_enum, default_value_t = AxisArg::Regions, requires = "shard")]
    shard_by: AxisArg,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    net: NetArgs,
}

#[derive(Args)]
pub struct UpdateArgs {
    /// The dataset to add tracks to (ours or GenVarLoader's; its format is kept).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// A per-sample track, as in `dataset`; its samples must be exactly the dataset's.
    #[arg(long = "track", value_name = "NAME=TABLE")]
    tracks: Vec<String>,
    /// An annotation track: one bigWig (file or URL) for all samples.
    #[arg(long = "annot", value_name = "NAME=BIGWIG")]
    annot: Vec<String>,
    /// Replace tracks of the same names (once all new ones are complete).
    #[arg(long)]
    overwrite: bool,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    net: NetArgs,
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    job: JobArgs,
    /// Plan this many parts (`dataset --shard K/N`); 1: the whole job.
    #[arg(long, default_value_t = 1, value_name = "N")]
    shards: u32,
    #[arg(long, value_enum, default_value_t = AxisArg::Regions)]
    shard_by: AxisArg,
    /// Threads reading the sources' indexes (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    net: NetArgs,
}

#[derive(Args)]
pub struct ConcatArgs {
    /// regions: same samples, regions merged; samples: same regions, disjoint samples merged.
    #[arg(long, value_enum)]
    axis: AxisArg,
    /// The merged dataset (must not exist, unless --overwrite).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace an existing dataset at DIR (once the merged one is complete).
    #[arg(long)]
    overwrite: bool,
    /// No summary line.
    #[arg(long, short)]
    quiet: bool,
    /// The datasets to merge (two or more).
    #[arg(value_name = "DATASET", required = true)]
    inputs: Vec<PathBuf>,
}

fn specs<T: std::str::FromStr<Err = Error>>(v: &[String]) -> Result<Vec<T>, Error> {
    v.iter().map(|s| s.parse()).collect()
}

/// Run `f` with a progress bar over regions x tracks (their total known once the regions
/// are read), cleared when it ends.
fn with_bar<T>(quiet: bool, f: impl FnOnce(&DatasetProgress<'_>) -> T) -> T {
    let bar: Option<ProgressBar> = progress_bar(quiet, 0);
    let tick = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let out = f(&tick);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub fn dataset(a: DatasetArgs) -> Result<(), Error> {
    let t0 = Instant::now();
    let tracks: Vec<TrackSpec> = specs(&a.job.tracks)?;
    let annot: Vec<AnnotSpec> = specs(&a.job.annot)?;
    let opts = DatasetOptions {
        max_jitter: a.job.max_jitter,
        overwrite: a.overwrite,
        max_mem: parse_size("--max-mem", &a.run.max_mem)?,
        http: a.net.options()?,
        format: match a.gvl_format {
            GvlFormatArg::V1 => GvlFormat::V1,
            GvlFormatArg::V2 => GvlFormat::V2,
        },
        shard: a
            .shard
            .as_deref()
            .map(|k| {
                let by = match a.shard_by {
                    AxisArg::Regions => ShardBy::Regions,
                    AxisArg::Samples => ShardBy::Samples,
                };
                Shard::parse(k, by)
            })
            .transpose()?,
    };
    let parallel = parallel(&a.run);
    let s = with_bar(a.run.quiet, |tick| {
        write_dataset(
            &a.job.regions,
            &tracks,
            &annot,
            &a.out,
            opts.clone(),
            parallel,
            Some(tick),
        )
    })?;
    if !a.run.quiet {
        let annot = if s.annot > 0 {
            format!(" + {}", plural(s.annot, "annotation track"))
        } else {
            String::new()
        };
        let part = opts.shard.map_or(String::new(), |s| {
            format!("part {}/{} by {} of ", s.k, s.n, s.by.as_str())
        });
        eprintln!(
            "wrote {part}dataset {} (format {}): {} regions x {} samples, {}{annot}: {} intervals, {:.1} MB in {:.2} s",
            a.out.display(),
            opts.format.format_version(),
            s.regions,
            s.samples,
            plural(s.tracks, "track"),
            s.intervals,
            s.bytes as f64 / 1e6,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

pub fn update(a: UpdateArgs) -> Result<(), Error> {
    let t0 = Instant::now();
    let tracks: Vec<TrackSpec> = specs(&a.tracks)?;
    let annot: Vec<AnnotSpec> = specs(&a.annot)?;
    let opts = UpdateOptions {
        overwrite: a.overwrite,
        max_mem: parse_size("--max-mem", &a.run.max_mem)?,
        http: a.net.options()?,
    };
    let parallel = parallel(&a.run);
    let s = with_bar(a.run.quiet, |tick| {
        update_dataset(&a.dir, &tracks, &annot, opts, parallel, Some(tick))
    })?;
    if !a.run.quiet {
        eprintln!(
            "updated dataset {} (format {}): added {} and {} over {} regions x {} samples: {} intervals, {:.1} MB in {:.2} s",
            a.dir.display(),
            s.format.format_version(),
            plural(s.tracks, "track"),
            plural(s.annot, "annotation track"),
            s.regions,
            s.samples,
            s.intervals,
            s.bytes as f64 / 1e6,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

pub fn concat(a: ConcatArgs) -> Result<(), Error> {
    let t0 = Instant::now();
    let axis = match a.axis {
        AxisArg::Regions => Axis::Regions,
        AxisArg::Samples => Axis::Samples,
    };
    let s = concat_datasets(&a.inputs, axis, &a.out, a.overwrite)?;
    if !a.quiet {
        eprintln!(
            "merged {} datasets into {}: {} regions x {} samples, {} and {}, {:.1} MB in {:.2} s",
            a.inputs.len(),
            a.out.display(),
            s.regions,
            s.samples,
            plural(s.tracks, "track"),
            plural(s.annot, "annotation track"),
            s.bytes as f64 / 1e6,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

pub fn plan(a: PlanArgs) -> Result<(), Error> {
    use std::io::Write;
    let tracks: Vec<TrackSpec> = specs(&a.job.tracks)?;
    let annot: Vec<AnnotSpec> = specs(&a.job.annot)?;
    if a.shards == 0 {
        return Err(Error::input("--shards: expected at least 1"));
    }
    let by = match a.shard_by {
        AxisArg::Regions => ShardBy::Regions,
        AxisArg::Samples => ShardBy::Samples,
    };
    let pool = Parallel::threads(threads(a.threads)).pool()?;
    let p = bigwig_npy::native::plan(
        &a.job.regions,
        &tracks,
        &annot,
        a.job.max_jitter,
        a.shards,
        by,
        a.net.options()?,
        &pool,
    )?;
    let mut text = serde_json::to_string_pretty(&p)
        .map_err(|e| Error::Output(format!("cannot print the plan: {e}")))?;
    text.push('\n');
    // A closed stdout (`| head`) is not an error worth a line.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}
