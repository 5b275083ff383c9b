//! One error type for the whole crate. Every message is one line that names the input
//! (source, BED line, output path) so a user can act on it without a backtrace.

use std::fmt;

/// A byte range of one source that the core needs but the source could not serve yet.
/// Async drivers (wasm) fetch these and retry; it is not a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteRange {
    pub source: usize,
    pub offset: u64,
    pub len: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Bytes the sources do not hold yet (see [`ByteRange`]).
    Missing(Vec<ByteRange>),
    /// Bad input: a source, the regions, an option. The message names it.
    Input(String),
    /// A region needs more memory than allowed.
    MaxMem(String),
    /// Writing output failed.
    Output(String),
    /// The export was cancelled by the caller.
    Cancelled,
}

impl Error {
    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }
    pub fn is_missing(&self) -> bool {
        matches!(self, Error::Missing(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(r) => {
                let total: u64 = r.iter().map(|r| r.len).sum();
                write!(
                    f,
                    "{} byte range(s) ({} bytes) not loaded yet",
                    r.len(),
                    total
                )
            }
            Error::Input(m) | Error::MaxMem(m) | Error::Output(m) => f.write_str(m),
            Error::Cancelled => f.write_str("export cancelled"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A name as messages show it: control characters, a byte-order mark and other invisible
/// characters escaped (`\x00`, `\uFEFF`; the npm package escapes URLs and paths the same
/// way), so two names that print alike can be told apart and none breaks a line.
pub fn shown(name: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{ad}' | '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}')
    };
    if !name.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut s = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        match c as u32 {
            _ if !hidden(c) => s.push(c),
            n if n < 0x100 => s.push_str(&format!("\\x{n:02X}")),
            n => s.push_str(&format!("\\u{n:04X}")),
        }
    }
    std::borrow::Cow::Owned(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_escapes_invisible_characters_only() {
        assert_eq!(super::shown("chr1"), "chr1");
        assert_eq!(super::shown("\u{feff}chr1\0"), "\\uFEFFchr1\\x00");
        assert_eq!(super::shown("a\tb\r"), "a\\x09b\\x0D");
        assert_eq!(super::shown("chrÜ"), "chrÜ");
    }
}
