//! One error type for the whole crate. Every message is one line that names the input
//! (source, BED line, output path) so a user can act on it without a backtrace.
//!
//! [`Error`] is typed: a failure knows its [`Kind`] (what a host tells users apart by),
//! and context is kept as fields, not formatted into text and matched again: a source's
//! error knows the source's index ([`Error::source_index`]), a dataset track's error its
//! track, a table's its line. [`std::error::Error::source`] walks from a placed error to
//! the one it places. `Display` is the whole one-line message, context first.
//!
//! Bytes a source does not hold yet are no error: they are a [`Stop::Missing`], which only
//! operations over sources that may lack bytes return, and the stepper turns into a stall.

use std::fmt;

mod report;
pub use report::shown;

/// A byte range of one source that the core needs but the source could not serve yet.
/// Async drivers (wasm) fetch these and retry; it is not a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteRange {
    pub source: usize,
    pub offset: u64,
    pub len: u64,
}

/// What kind of failure an [`Error`] is (the npm package's `BigwigNpyError.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad input: a source, the regions, a table, an option.
    Input,
    /// A region needs more memory than allowed.
    MaxMem,
    /// Writing output failed (or the core broke one of its own rules).
    Output,
    /// The caller cancelled.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Bad input, worded for the user (a region, a table, an option). The message names it.
    Input(String),
    /// One source failed to open, read or decode: its error names it, and knows its index.
    Source(SourceError),
    /// A region needs more memory than allowed.
    MaxMem(MaxMem),
    /// Writing output failed.
    Output(String),
    /// A rule of the core was broken (by a host, a thread, a caller of the wasm module).
    Bug(Bug),
    /// The export was cancelled by the caller.
    Cancelled,
    /// An input or memory error of one dataset track, named after it.
    Track(Box<InTrack>),
    /// An error of one source of a track, placed at its sample-table line (an input error).
    TableLine(Box<AtTableLine>),
}

/// A source's failure: `{name}: {reason}`, and which region was being read when it was.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceError {
    /// Its index among the export's sources, once known ([`Error::at_source`]).
    pub index: Option<usize>,
    /// How messages name it (a path, a URL, `source N`), as shown.
    pub name: String,
    pub reason: String,
    /// The region whose decoding failed, described ([`crate::Regions::describe`]).
    pub region: Option<String>,
}

/// A region over the max-mem limit, with what it needed when it went over.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxMem {
    /// The region, described ([`crate::Regions::describe`]).
    pub region: String,
    pub bytes: u64,
    pub intervals: usize,
    /// Samples decoded when the limit was passed, of `n_samples`.
    pub samples: usize,
    pub n_samples: usize,
    pub limit: u64,
}

/// A rule of the core broken: never the user's doing, so worded as an internal error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bug {
    /// An export decoded a region before its sources' indexes were read.
    IndexNotRead {
        source: String,
    },
    /// Encoded regions handed back out of input order.
    OutOfTurn {
        got: usize,
        want: usize,
    },
    /// Bytes handed back that are not a sequence of encoded regions.
    Malformed {
        at: usize,
    },
    /// A region stalled on bytes with no read to start and none under way.
    Unfed,
    /// Encoded regions joined reorder books that were never started, or out of their range.
    Unbooked {
        region: usize,
    },
    /// A read returned an answer without a body to read.
    NoBody {
        source: String,
    },
    FetchPanicked,
    FetchStopped,
    DecodeStopped,
    DecodePanicked,
}

/// An error of a dataset track: `{what} '{name}': {error}`.
#[derive(Debug, Clone, PartialEq)]
pub struct InTrack {
    /// `track` or `annotation track`.
    pub what: &'static str,
    pub name: String,
    pub error: Error,
}

/// An error of one source of a track at its table line:
/// `{table} line {line} (sample '{sample}'): {error}{hint}`.
#[derive(Debug, Clone, PartialEq)]
pub struct AtTableLine {
    pub table: String,
    pub line: u32,
    pub sample: String,
    /// The source is a relative path that does not exist.
    pub relative_hint: bool,
    pub error: Error,
}

impl Error {
    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }

    /// An error of the source named `name` (as messages show it).
    pub fn of_source(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Source(SourceError {
            index: None,
            name: name.into(),
            reason: reason.into(),
            region: None,
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Error::Input(_) | Error::Source(_) | Error::TableLine(_) => Kind::Input,
            Error::MaxMem(_) => Kind::MaxMem,
            Error::Output(_) | Error::Bug(_) => Kind::Output,
            Error::Cancelled => Kind::Cancelled,
            Error::Track(t) => t.error.kind(),
        }
    }

    /// Which source (by index) the error is about, when it names one.
    pub fn source_index(&self) -> Option<usize> {
        match self {
            Error::Source(s) => s.index,
            _ => None,
        }
    }

    /// A source's error, now known to be about source `index`.
    pub fn at_source(mut self, index: usize) -> Self {
        if let Error::Source(s) = &mut self {
            s.index.get_or_insert(index);
        }
        self
    }

    /// Named after its dataset track (`what` is `track` or `annotation track`): input and
    /// memory errors only (output errors name their path).
    pub fn in_track(self, what: &'static str, name: &str) -> Self {
        match self.kind() {
            Kind::Input | Kind::MaxMem => Error::Track(Box::new(InTrack {
                what,
                name: name.to_string(),
                error: self,
            })),
            _ => self,
        }
    }

    /// Placed at the line of a sample table that gave the failing source.
    pub fn at_table_line(self, table: &str, line: u32, sample: &str, relative_hint: bool) -> Self {
        Error::TableLine(Box::new(AtTableLine {
            table: table.to_string(),
            line,
            sample: sample.to_string(),
            relative_hint,
            error: self,
        }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(m) | Error::Output(m) => f.write_str(m),
            Error::Source(s) => s.fmt(f),
            Error::MaxMem(m) => m.fmt(f),
            Error::Bug(b) => b.fmt(f),
            Error::Cancelled => f.write_str("export cancelled"),
            Error::Track(t) => write!(f, "{} '{}': {}", t.what, shown(&t.name), t.error),
            Error::TableLine(t) => {
                write!(
                    f,
                    "{} line {} (sample '{}'): {}",
                    t.table,
                    t.line,
                    shown(&t.sample),
                    t.error
                )?;
                if t.relative_hint {
                    f.write_str(
                        " (relative paths are taken from the current directory, as in GenVarLoader)",
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.reason)?;
        match &self.region {
            Some(r) => write!(f, " (while reading {r})"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for MaxMem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} needs more than {} bytes ({} intervals over {} of {} samples), over the max-mem limit of {} bytes",
            self.region, self.bytes, self.intervals, self.samples, self.n_samples, self.limit
        )
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("internal error: ")?;
        match self {
            Bug::IndexNotRead { source } => write!(
                f,
                "the index of {} was not read before decoding",
                shown(source)
            ),
            Bug::OutOfTurn { got, want } => {
                write!(f, "region {got} pushed where region {want} belongs")
            }
            Bug::Malformed { at } => write!(f, "malformed encoded regions at byte {at}"),
            Bug::Unfed => f.write_str("a region misses bytes that no read provides"),
            Bug::Unbooked { region } => write!(f, "region {region} is not in the reorder books"),
            Bug::NoBody { source } => write!(f, "{source}: no body to read"),
            Bug::FetchPanicked => f.write_str("a fetch thread panicked"),
            Bug::FetchStopped => f.write_str("the fetch threads stopped"),
            Bug::DecodeStopped => f.write_str("a decoding thread stopped early"),
            Bug::DecodePanicked => f.write_str("a decoding thread panicked"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Track(t) => Some(&t.error),
            Error::TableLine(t) => Some(&t.error),
            _ => None,
        }
    }
}

impl From<Bug> for Error {
    fn from(b: Bug) -> Self {
        Error::Bug(b)
    }
}

impl From<MaxMem> for Error {
    fn from(m: MaxMem) -> Self {
        Error::MaxMem(m)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an operation over sources that may not hold every byte yet did not finish: the
/// bytes it lacks (read them and call again: not a failure), or an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    Missing(Vec<ByteRange>),
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

impl From<MaxMem> for Stop {
    fn from(m: MaxMem) -> Self {
        Stop::Failed(Error::MaxMem(m))
    }
}

impl From<Bug> for Stop {
    fn from(b: Bug) -> Self {
        Stop::Failed(Error::Bug(b))
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Missing(r) => {
                let total: u64 = r.iter().map(|r| r.len).sum();
                write!(
                    f,
                    "{} byte range(s) ({total} bytes) not loaded yet",
                    r.len()
                )
            }
            Stop::Failed(e) => e.fmt(f),
        }
    }
}

impl Stop {
    /// The error of an operation over [`crate::source::Complete`] sources, which hold
    /// every byte: they never stop on missing bytes.
    pub fn complete(self) -> Error {
        match self {
            Stop::Failed(e) => e,
            Stop::Missing(_) => unreachable!("a complete source lacks no bytes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_typed_and_kept_in_the_message() {
        let e = Error::of_source("a.bw", "corrupt")
            .at_source(3)
            .at_source(5);
        assert_eq!(e.source_index(), Some(3));
        let t = e.clone().at_table_line("t.csv", 4, "s\u{feff}", true);
        assert_eq!(t.kind(), Kind::Input);
        assert_eq!(t.source_index(), None);
        assert_eq!(
            t.in_track("track", "sig").to_string(),
            "track 'sig': t.csv line 4 (sample 's\\uFEFF'): a.bw: corrupt (relative paths are \
             taken from the current directory, as in GenVarLoader)"
        );
        let out = Error::Output("x: cannot write output: Disk full".into());
        assert_eq!(out.clone().in_track("track", "sig"), out);
        let b = Error::from(Bug::Unfed).in_track("track", "sig");
        assert_eq!(b.kind(), Kind::Output);
        assert_eq!(
            b.to_string(),
            "internal error: a region misses bytes that no read provides"
        );
        use std::error::Error as _;
        let placed = e.in_track("annotation track", "a");
        assert_eq!(placed.source().unwrap().to_string(), "a.bw: corrupt");
    }
}
