//! The network rules of URL sources, with no I/O: what to ask a server for, what its answer
//! means, what to do next. The native host (ureq, threads) and the npm package (fetch,
//! promises; through `wasm::RangeRead`) only move bytes: each makes the request a
//! [`RangeRead`] asks for, hands it the status and headers, then the body's length chunk by
//! chunk, and does what it says. Every failure is worded here, once, for both.
//!
//! The rules: a range answer must be `206` with a `Content-Range` that starts where asked and
//! whose end and total agree; a shorter body is continued from where it stopped (at most
//! [`max_rounds`] requests); a body longer than asked is read as asked and dropped; a body
//! longer than its own `Content-Range` is an error. A `200` (Range ignored) is read whole,
//! once, up to a limit. A `416` where the file was said to be longer is an error. The size
//! and validators of the first answer are the file's ([`Identity`]): a later one differing
//! is a file changed while reading. Network errors, cut bodies and idle timeouts are
//! retried twice.

mod headers;
mod identity;
mod read;
#[cfg(test)]
mod tests;

pub use headers::{check_header, parse_header};
pub use identity::{Identity, Version};
pub use read::RangeRead;

/// Tries per read for network errors, timeouts, bodies cut off (and 5xx where retried).
pub const ATTEMPTS: u32 = 3;
/// Waits before the second and third try.
pub const BACKOFF_MS: [u64; 2] = [100, 400];
/// Redirects a client follows per request; a loop ends here (`too many redirects`).
pub const MAX_REDIRECTS: u32 = 5;
/// What a client that can choose asks for: byte ranges must be of the file itself, not of
/// an encoded representation.
pub const ACCEPT_ENCODING: &str = "identity";
/// A server that ignores Range is read whole only up to this many bytes (by default).
pub const WHOLE_FILE_LIMIT: u64 = 256 << 20;
/// A request with no bytes arriving for this long is retried, then fails (by default).
pub const TIMEOUT_MS: u64 = 60_000;

/// Requests one read may take: a few, plus one per KiB asked. Servers capping bodies at
/// 1 KiB or more work; one sending crumbs fails rather than being asked millions of times.
pub fn max_rounds(n: u64) -> u64 {
    8 + n.div_ceil(1024)
}

/// The `Range` header asking for bytes `from..=to`.
pub fn range_header(from: u64, to: u64) -> String {
    format!("bytes={from}-{to}")
}

/// The two hosts, for the two rules where their HTTP clients differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// ureq: asks for `identity` and has no decoders.
    Native,
    /// fetch: decodes a Content-Encoding itself, and in browsers cannot ask for `identity`.
    Fetch,
}

impl Host {
    /// Bodies arrive decoded: an encoded one is taken (its Content-Length, the encoded
    /// size, means nothing then). Otherwise an encoded body is refused.
    fn decodes(self) -> bool {
        self == Host::Fetch
    }

    /// 5xx answers are retried like network errors. The npm package fails on them at once
    /// (its tests pin that: a read failing in the background with a 500 ends the export
    /// then, with the status as its message).
    fn retries_server_errors(self) -> bool {
        self == Host::Native
    }
}

/// How one read is judged.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub host: Host,
    /// A server that ignores Range is read whole only up to this many bytes.
    pub whole_file_limit: u64,
    /// The host's idle timeout, as messages state it.
    pub timeout_ms: u64,
}

/// A response's status and headers, as the host's client gives them (values as sent;
/// `None` when absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct Head<'a> {
    pub status: u16,
    /// The reason phrase messages show after the status (`Not Found`).
    pub reason: Option<&'a str>,
    pub content_range: Option<&'a str>,
    pub content_length: Option<&'a str>,
    pub content_encoding: Option<&'a str>,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
}

/// The response headers the rules read, as the host's client gives them: looked up here,
/// by the names they are sent under, so no host lists them.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    content_range: Option<String>,
    content_length: Option<String>,
    content_encoding: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl Headers {
    /// The headers `get(name)` gives (`name` lowercase; `None` when absent).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        Headers {
            content_range: get("content-range"),
            content_length: get("content-length"),
            content_encoding: get("content-encoding"),
            etag: get("etag"),
            last_modified: get("last-modified"),
        }
    }

    /// The answer to judge: these headers with its status and reason phrase.
    pub fn head<'a>(&'a self, status: u16, reason: Option<&'a str>) -> Head<'a> {
        Head {
            status,
            reason,
            content_range: self.content_range.as_deref(),
            content_length: self.content_length.as_deref(),
            content_encoding: self.content_encoding.as_deref(),
            etag: self.etag.as_deref(),
            last_modified: self.last_modified.as_deref(),
        }
    }
}

/// What went wrong in the host's client rather than in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// No byte arrived for the timeout (before the headers or in the body).
    Timeout,
    /// The connection failed or broke; the client's reason.
    Network(String),
    /// The URL cannot be requested at all; the client's reason.
    BadUrl(String),
    Tls(String),
    /// More than [`MAX_REDIRECTS`].
    TooManyRedirects,
    /// The client could not decode the body's Content-Encoding; its reason.
    Decode(String),
}

/// What the host does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send a request with `Range: bytes=from-to` ([`range_header`]); then hand its answer
    /// to [`RangeRead::response`], or its failure to [`RangeRead::fault`].
    Request { from: u64, to: u64 },
    /// Read the body and hand each chunk's length to [`RangeRead::body`] (keeping the
    /// prefix it says), its end to [`RangeRead::end`], a failure to [`RangeRead::fault`].
    /// At most `want` more bytes are of use (a chunk may bring more); `whole`: the body is
    /// the whole file, kept apart from the read's bytes.
    Read { want: u64, whole: bool },
    /// Wait this long, then call [`RangeRead::resume`] (a retry).
    Wait { ms: u64 },
    /// The read is complete: the bytes kept (fewer than asked only at the end of the file).
    Done,
    /// The body just read is the whole file (the server ignores Range): keep it for every
    /// later read of the source and cut this one from it.
    Whole,
    /// The read failed; the one-line reason, for the host to prefix with the URL.
    Fail(String),
}

impl Action {
    /// Anything but [`Action::Read`] ends the body of the request under way: the host drops
    /// it unread (and its connection), never drains it.
    pub fn reads_body(&self) -> bool {
        matches!(self, Action::Read { .. })
    }
}
