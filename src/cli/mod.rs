//! The `bigwig-npy` command line: `export`, `dataset`, `update`, `concat` and `info`.

mod dataset;

use bigwig_npy::bigwig::block::BlockReader;
use bigwig_npy::error::Stop;
use bigwig_npy::native::with_read_through;
use bigwig_npy::native::{
    export_locations, read_regions, remove_partial_files, FileSource, HttpOptions, Location,
    Parallel, Traffic,
};
use bigwig_npy::{open_input, Error, Format, Input, Layout, Options, Source};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "bigwig-npy",
    version,
    about = "Export bigWig signal over regions into GenVarLoader's ragged .npy arrays"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Export every (region, sample) into intervals.npy + offsets.npy (or SoA columns).
    Export(ExportArgs),
    /// Write a GenVarLoader dataset (gvl.write with bigWig tracks): open it with
    /// genvarloader.Dataset.open(DIR).
    Dataset(dataset::DatasetArgs),
    /// Add tracks to an existing GenVarLoader dataset (gvl.update).
    Update(dataset::UpdateArgs),
    /// Merge GenVarLoader datasets along regions or samples (gvl.concat).
    Concat(dataset::ConcatArgs),
    /// What a dataset job (or each of N shards) reads and writes, as JSON, from the BED,
    /// the tables and the sources' indexes only.
    Plan(dataset::PlanArgs),
    /// Show a bigWig's contigs, zoom levels and record count.
    Info {
        /// A bigWig file or http(s) URL.
        #[arg(value_name = "FILE|URL")]
        file: PathBuf,
        #[command(flatten)]
        net: NetArgs,
    },
}

/// The core's [`Format`], named for the command line.
#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Npy,
    Raw,
}

/// The core's [`Layout`], named for the command line.
#[derive(Clone, Copy, ValueEnum)]
enum LayoutArg {
    Aos,
    Soa,
}

#[derive(Args)]
struct ExportArgs {
    /// BED file of regions (tab or space separated, may be gzipped), in output order.
    #[arg(long, value_name = "REGIONS.bed[.gz]")]
    regions: PathBuf,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// npy: NPY files numpy.load opens; raw: header-less bytes like GenVarLoader's memmaps.
    #[arg(long, value_enum, default_value_t = FormatArg::Npy)]
    format: FormatArg,
    /// aos: intervals.npy records; soa: starts.npy, ends.npy, values.npy columns.
    #[arg(long, value_enum, default_value_t = LayoutArg::Aos)]
    layout: LayoutArg,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    net: NetArgs,
    /// bigWig files or http(s) URLs, one per sample, in sample order.
    #[arg(value_name = "SOURCE")]
    sources: Vec<PathBuf>,
}

/// How URL sources are read.
#[derive(Args)]
pub struct NetArgs {
    /// URL sources: seconds without data before a request is retried (twice), then fails.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    timeout: f64,
    /// Test hook: a server ignoring range requests is read whole up to this size.
    #[cfg(feature = "test-hooks")]
    #[arg(long, hide = true, value_name = "SIZE")]
    whole_file_limit: Option<String>,
    /// URL sources: a request header sent with every request, e.g. 'Authorization: Bearer
    /// TOKEN' (repeatable). Authorization follows redirects to the same host only.
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'")]
    headers: Vec<String>,
}

impl NetArgs {
    fn options(&self) -> Result<HttpOptions, Error> {
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 1e6) {
            return Err(Error::input(format!(
                "--timeout: expected a number of seconds above 0, got {}",
                self.timeout
            )));
        }
        let headers = self
            .headers
            .iter()
            .map(|h| {
                bigwig_npy::net::parse_header(h).map_err(|e| Error::input(format!("--header: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        #[allow(unused_mut)]
        let mut http = HttpOptions {
            timeout: std::time::Duration::from_secs_f64(self.timeout),
            headers: headers.into(),
            ..HttpOptions::default()
        };
        #[cfg(feature = "test-hooks")]
        if let Some(limit) = &self.whole_file_limit {
            http.whole_file_limit = parse_size("--whole-file-limit", limit)?;
        }
        Ok(http)
    }
}

/// How `export` and `dataset` run.
#[derive(Args)]
pub struct RunArgs {
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Most memory one region's records may need over all samples (e.g. 512M, 4G).
    #[arg(long, default_value = "4G", value_name = "SIZE")]
    max_mem: String,
    /// Test hook: output staged in memory before out-of-order regions spill to a scratch
    /// file (tests set it low to exercise the spill); below the default, no block is
    /// decoded up front either, so shuffled regions go in genome order.
    #[cfg(feature = "test-hooks")]
    #[arg(long, hide = true, value_name = "BYTES")]
    staging_budget: Option<usize>,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    quiet: bool,
}

pub fn main() -> ExitCode {
    // A bug must still end in one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {info}");
    }));
    clean_up_on_signals();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Export(args) => export(args),
        Command::Dataset(args) => dataset::dataset(args),
        Command::Update(args) => dataset::update(args),
        Command::Concat(args) => dataset::concat(args),
        Command::Plan(args) => dataset::plan(args),
        Command::Info { file, net } => net.options().and_then(|http| info(file, http)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, `kill` or a closed terminal: remove the unfinished export's temporary files
/// (hundreds of MB, under hidden names) before dying, and say so.
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            remove_partial_files();
            let name = match sig {
                SIGINT => "interrupt",
                SIGTERM => "termination signal",
                _ => "hangup",
            };
            eprintln!("error: stopped by {name}; unfinished output removed");
            std::process::exit(128 + sig);
        }
    });
}

/// `4G`, `512M`, `100k`, `4GiB`, `1000` (bytes).
pub(crate) fn parse_size(flag: &str, s: &str) -> Result<u64, Error> {
    let t = s.trim();
    let digits = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => {
            return Err(Error::input(format!(
                "{flag}: cannot read size '{s}' (use e.g. 512M or 4G)"
            )))
        }
    };
    let n: f64 = num.parse().map_err(|_| {
        Error::input(format!(
            "{flag}: cannot read size '{s}' (use e.g. 512M or 4G)"
        ))
    })?;
    Ok((n * mult as f64) as u64)
}

fn export(a: ExportArgs) -> Result<(), Error> {
    let options = Options {
        format: match a.format {
            FormatArg::Npy => Format::Npy,
            FormatArg::Raw => Format::Raw,
        },
        layout: match a.layout {
            LayoutArg::Aos => Layout::Aos,
            LayoutArg::Soa => Layout::Soa,
        },
        max_mem: parse_size("--max-mem", &a.run.max_mem)?,
    };
    let http = a.net.options()?;
    let (regions, out, quiet) = (a.regions, a.out, a.run.quiet);
    let sources: Vec<Location> = a.sources.iter().map(|p| Location::new(p)).collect();
    if sources.is_empty() {
        return Err(Error::input(
            "no sources given: pass at least one bigWig after the options",
        ));
    }
    let t0 = Instant::now();
    let regions = read_regions(&regions)?;
    let n_regions = regions.len() as u64;
    let parallel = parallel(&a.run);
    let bar = progress_bar(quiet, n_regions);
    let tick = |done: u64| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    };
    let summary = export_locations(
        regions,
        &sources,
        &out,
        options,
        parallel,
        http,
        Some(&tick),
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (s, traffic) = summary?;
    if !quiet {
        eprintln!(
            "exported {} regions x {} samples: {} intervals, {:.1} MB to {} in {:.2} s{}",
            s.regions,
            s.samples,
            s.intervals,
            s.bytes as f64 / 1e6,
            out.display(),
            t0.elapsed().as_secs_f64(),
            traffic.map_or(String::new(), fetched)
        );
    }
    Ok(())
}

/// What URL sources cost, for a summary line.
fn fetched(t: Traffic) -> String {
    format!(
        "; fetched {:.1} MB in {} request{}",
        t.fetched as f64 / 1e6,
        t.requests,
        if t.requests == 1 { "" } else { "s" }
    )
}

/// `--threads`, all cores by default.
pub(crate) fn threads(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

pub(crate) fn parallel(run: &RunArgs) -> Parallel {
    #[allow(unused_mut)]
    let mut parallel = Parallel::threads(threads(run.threads));
    #[cfg(feature = "test-hooks")]
    if let Some(b) = run.staging_budget {
        parallel.staging_budget = b;
        if b < bigwig_npy::native::STAGING_BUDGET {
            parallel.block_budget = 0;
        }
    }
    parallel
}

/// A bar on a terminal (not with --quiet); its length is set once known.
pub(crate) fn progress_bar(quiet: bool, len: u64) -> Option<ProgressBar> {
    (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(len);
        b.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} regions  {elapsed_precise} (eta {eta})",
            )
            .unwrap(),
        );
        b
    })
}

fn info(file: PathBuf, http: HttpOptions) -> Result<(), Error> {
    let at = Location::new(&file);
    if at.is_url() {
        // Counting records would read every data block: the whole remote file.
        return with_read_through(&at, http, |input| print_info(input, false));
    }
    let src = FileSource::open(&file)?;
    print_info(&open_input(0, file.display().to_string(), src)?, true)
}

fn print_info<S: Source>(input: &Input<S>, count_records: bool) -> Result<(), Error> {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let mut text = String::new();
    // `println!` panics when stdout is closed early (`| head`); write once, ignore that.
    macro_rules! println {
        ($($t:tt)*) => { let _ = writeln!(text, $($t)*); };
    }
    let bw = &input.bigwig;
    let h = &bw.header;
    println!("file: {}", input.name);
    println!(
        "format: bigWig version {}, {}-endian, {}",
        h.version,
        if h.big_endian { "big" } else { "little" },
        if bw.compressed() {
            "zlib-compressed blocks"
        } else {
            "uncompressed blocks"
        }
    );
    println!("contigs: {}", bw.chroms.len());
    for c in &bw.chroms {
        println!("  {}\t{}", c.name, c.length);
    }
    println!("zoom levels: {}", bw.zooms.len());
    for z in &bw.zooms {
        println!("  reduction {} bp", z.reduction_level);
    }
    println!("data blocks: {}", bw.leaves.len());
    if count_records {
        let mut reader = BlockReader::new();
        let mut records = 0u64;
        for leaf in &bw.leaves {
            let block = input
                .read_block(0, &mut reader, leaf)
                .map_err(Stop::complete)?;
            records += block.records.len() as u64;
        }
        println!("records: {records}");
    } else {
        println!("records: not counted (that would read every data block of the URL)");
    }
    if let Some(s) = &bw.summary {
        println!(
            "bases covered: {}  min: {}  max: {}  mean: {:.6}",
            s.bases_covered,
            s.min,
            s.max,
            if s.bases_covered > 0 {
                s.sum / s.bases_covered as f64
            } else {
                0.0
            }
        );
    }
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse_size("--max-mem", "4G").unwrap(), 4 << 30);
        assert_eq!(super::parse_size("--max-mem", "512M").unwrap(), 512 << 20);
        assert_eq!(super::parse_size("--max-mem", "1.5k").unwrap(), 1536);
        assert_eq!(super::parse_size("--max-mem", "100").unwrap(), 100);
        assert!(super::parse_size("--max-mem", "lots").is_err());
    }
}
