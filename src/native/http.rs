//! URL sources: byte ranges over HTTP(S) with a blocking client (ureq, rustls), under the
//! same network rules as the npm package's `sources/http.js`: Content-Range and body length
//! checked, short bodies continued from where they stopped, bodies longer than asked cut
//! (or an error when they contradict their own headers), a file changing between requests
//! detected, idle timeouts, a few retries on network errors and 5xx, redirects followed a
//! bounded number of times. Every failure is one line naming the URL.

use crate::error::{shown, Error, Result};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Tries per read for network errors, timeouts, bodies cut off and 5xx: two retries.
const ATTEMPTS: u32 = 3;
const BACKOFF: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(400)];
/// Redirects followed per request; a loop ends here.
const MAX_REDIRECTS: u32 = 5;
/// Bytes asked of `read` per read(2) of a body.
const BODY_CHUNK: usize = 64 << 10;

/// Requests one read may take: a few, plus one per KiB asked. Servers capping bodies at
/// 1 KiB or more work; one sending crumbs fails rather than being asked millions of times.
fn max_rounds(n: u64) -> u64 {
    8 + n.div_ceil(1024)
}

/// Whether `s` names an http(s) URL rather than a file.
pub fn is_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// How URL sources are read.
#[derive(Debug, Clone, Copy)]
pub struct HttpOptions {
    /// A request with no bytes arriving for this long is retried, then fails.
    pub timeout: Duration,
    /// A server that ignores Range is read whole only up to this many bytes.
    pub whole_file_limit: u64,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(60),
            whole_file_limit: 256 << 20,
        }
    }
}

/// One HTTP(S) bigWig, read with range requests; shared by the fetch threads.
pub struct HttpSource {
    url: String,
    /// The URL as messages show it.
    name: String,
    agent: ureq::Agent,
    whole_file_limit: u64,
    timeout: Duration,
    state: Mutex<State>,
    fetched: AtomicU64,
    requests: AtomicU64,
}

#[derive(Default)]
struct State {
    /// From the first Content-Range total (or whole body); every later one must agree.
    size: Option<u64>,
    /// The validators of the first response: a later one that differs is a changed file.
    etag: Option<String>,
    last_modified: Option<String>,
    seen: bool,
    /// The body of a server that ignored Range.
    whole: Option<Arc<Vec<u8>>>,
}

/// How one request ended, when it did not fail.
enum Got {
    /// Bytes arrived (maybe fewer than asked: ask again from there).
    More,
    /// The end of the file is reached.
    Eof,
    /// The server ignored Range and sent the whole file.
    Whole(Arc<Vec<u8>>),
}

/// Why one request failed.
enum Fault {
    /// Worth another try (network error, timeout, body cut off, 5xx).
    Retry(String),
    /// Final, already worded with the URL.
    Fatal(Error),
}

/// The connections URL sources of one export share (kept alive between requests, so a
/// read does not pay a TCP and TLS handshake), and how they are read.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    opts: HttpOptions,
}

impl HttpClient {
    /// `connections`: requests that may run at once, each kept alive for the next.
    pub fn new(opts: HttpOptions, connections: usize) -> Self {
        let t = Some(opts.timeout);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(MAX_REDIRECTS)
            .timeout_connect(t)
            .timeout_per_read(t)
            .timeout_per_write(t)
            .max_idle_connections(connections.max(1) * 4)
            .max_idle_connections_per_host(connections.max(1))
            // Byte ranges must be of the file itself, not of an encoded representation.
            .accept_encoding(ureq::config::AutoHeaderValue::Provided(Arc::new(
                "identity".to_string(),
            )))
            .build()
            .into();
        HttpClient { agent, opts }
    }
}

impl HttpSource {
    pub fn new(url: &str, client: &HttpClient) -> Self {
        HttpSource {
            url: url.to_string(),
            name: shown(url).into_owned(),
            agent: client.agent.clone(),
            whole_file_limit: client.opts.whole_file_limit,
            timeout: client.opts.timeout,
            state: Mutex::new(State::default()),
            fetched: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's size, once a response said it.
    pub fn size(&self) -> Option<u64> {
        self.state().size
    }

    /// Body bytes received and requests made so far.
    pub fn traffic(&self) -> (u64, u64) {
        (
            self.fetched.load(Ordering::Relaxed),
            self.requests.load(Ordering::Relaxed),
        )
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fail(&self, msg: impl std::fmt::Display) -> Error {
        Error::input(format!("{}: {msg}", self.name))
    }

    /// The bytes at `[offset, offset + len)`; fewer only at the end of the file.
    pub fn read(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        if let Some(w) = self.state().whole.clone() {
            return Ok(slice(&w, offset, len));
        }
        let mut out = Vec::with_capacity(len.min(64 << 20) as usize);
        let mut faults = 0;
        let mut round = 0;
        while (out.len() as u64) < len {
            round += 1;
            if round > max_rounds(len) {
                return Err(self.fail(format_args!(
                    "the server keeps sending short responses ({} requests for bytes {}-{}, {} bytes received)",
                    round - 1,
                    offset,
                    offset + len - 1,
                    out.len()
                )));
            }
            match self.request(offset, len, &mut out) {
                Ok(Got::More) => {}
                Ok(Got::Eof) => break,
                Ok(Got::Whole(w)) => return Ok(slice(&w, offset, len)),
                Err(Fault::Fatal(e)) => return Err(e),
                Err(Fault::Retry(why)) => {
                    faults += 1;
                    if faults >= ATTEMPTS {
                        return Err(self.fail(format_args!("{why} ({faults} attempts)")));
                    }
                    std::thread::sleep(BACKOFF[faults as usize - 1]);
                }
            }
        }
        Ok(out)
    }

    /// One request for bytes `[offset + out.len(), offset + len)`, appended to `out` as
    /// they arrive (kept even when the request then fails).
    fn request(&self, offset: u64, len: u64, out: &mut Vec<u8>) -> Result<Got, Fault> {
        let pos = offset + out.len() as u64;
        let last = offset + len - 1;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let res = self
            .agent
            .get(&self.url)
            .header("Range", format!("bytes={pos}-{last}"))
            .call()
            .map_err(|e| self.transport_fault(e))?;
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        };
        let encoding = header("content-encoding");
        if encoding
            .as_deref()
            .is_some_and(|e| !e.eq_ignore_ascii_case("identity"))
            && status < 300
        {
            return Err(Fault::Fatal(self.fail(format_args!(
                "the server sent an encoded body (Content-Encoding: {}) instead of the file's bytes",
                shown(encoding.as_deref().unwrap_or(""))
            ))));
        }
        let (etag, last_modified) = (header("etag"), header("last-modified"));
        let content_range = header("content-range");
        let content_length = header("content-length").and_then(|v| v.parse::<u64>().ok());
        let mut body = res.into_body().into_reader();
        match status {
            206 => {
                let (a, b, total) = content_range
                    .as_deref()
                    .and_then(parse_content_range)
                    .filter(|&(a, b, total)| a == pos && b >= a && total.is_none_or(|t| b < t))
                    .ok_or_else(|| {
                        Fault::Fatal(self.fail(format_args!(
                            "bad Content-Range '{}' for bytes {pos}-{last}",
                            shown(content_range.as_deref().unwrap_or(""))
                        )))
                    })?;
                self.check_version(etag, last_modified, total)
                    .map_err(Fault::Fatal)?;
                let announced = b - a + 1;
                // A body longer than asked (a server ignoring the range end) is read as asked.
                let take = announced.min(last - pos + 1);
                let got = self.pump(&mut body, take, out, || {
                    format!("expected {take} bytes at offset {pos}")
                })?;
                if got < take {
                    return Err(Fault::Retry(format!(
                        "truncated response: expected {take} bytes at offset {pos}, got {got}"
                    )));
                }
                // What the body holds past its Content-Range means the headers lie.
                if take == announced && more_bytes(&mut body) {
                    return Err(Fault::Fatal(self.fail(format_args!(
                        "the response is longer than its Content-Range says (bytes {a}-{b})"
                    ))));
                }
                // A shorter answer ending at the end of the file is the end of the read.
                Ok(if total.is_some_and(|t| b + 1 >= t) {
                    Got::Eof
                } else {
                    Got::More
                })
            }
            200 => {
                self.check_version(etag, last_modified, None)
                    .map_err(Fault::Fatal)?;
                let limit = self.whole_file_limit;
                let over = |declared: Option<u64>| {
                    Fault::Fatal(self.fail(format_args!(
                        "the server ignores HTTP range requests and the file is {} the {limit}-byte limit for reading it whole",
                        declared.map_or("over".to_string(), |d| format!("{d} bytes, over"))
                    )))
                };
                if content_length.is_some_and(|d| d > limit) {
                    return Err(over(content_length));
                }
                let cap = content_length.unwrap_or(limit);
                let mut whole = Vec::new();
                // One byte past the cap tells a body over it from one that ends there.
                let got = self.pump(&mut body, cap + 1, &mut whole, || match content_length {
                    Some(d) => format!("expected {d} bytes"),
                    None => "expected the whole file".to_string(),
                })?;
                if got > cap {
                    return Err(match content_length {
                        Some(d) => Fault::Fatal(self.fail(format_args!(
                            "the response is longer than its Content-Length says ({d} bytes)"
                        ))),
                        None => over(None),
                    });
                }
                if let Some(d) = content_length.filter(|&d| got < d) {
                    return Err(Fault::Retry(format!(
                        "truncated response: expected {d} bytes, got {got}"
                    )));
                }
                let mut st = self.state();
                if let Some(size) = st.size.filter(|&s| s != got) {
                    return Err(Fault::Fatal(self.fail(format_args!(
                        "changed while reading ({size} bytes, now {got})"
                    ))));
                }
                st.size = Some(got);
                let whole = Arc::new(whole);
                st.whole = Some(whole.clone());
                Ok(Got::Whole(whole))
            }
            416 => {
                let total = content_range
                    .as_deref()
                    .and_then(|v| v.strip_prefix("bytes */"))
                    .and_then(|t| t.trim().parse::<u64>().ok());
                let mut st = self.state();
                if let Some(size) = st.size.filter(|&s| pos < s) {
                    return Err(Fault::Fatal(self.fail(format_args!(
                        "the server said the file has {size} bytes, then answered HTTP 416 for bytes {pos}-{last}"
                    ))));
                }
                // A continued read of a file of unknown size ran into its end.
                if !out.is_empty() {
                    st.size = Some(total.unwrap_or(pos));
                    return Ok(Got::Eof);
                }
                Err(Fault::Fatal(self.fail(format_args!(
                    "HTTP 416: bytes {pos}-{last} lie past the end of the file (truncated file?)"
                ))))
            }
            _ => {
                let what = format!(
                    "HTTP {status}{}",
                    ureq::http::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .map_or(String::new(), |r| format!(" {r}"))
                );
                if (500..600).contains(&status) {
                    Err(Fault::Retry(what))
                } else {
                    Err(Fault::Fatal(self.fail(what)))
                }
            }
        }
    }

    /// Read up to `want` body bytes into `out`; returns how many arrived before the body
    /// ended. A body cut off by the network is a fault worth retrying.
    fn pump(
        &self,
        body: &mut impl Read,
        want: u64,
        out: &mut Vec<u8>,
        what: impl Fn() -> String,
    ) -> Result<u64, Fault> {
        let mut got = 0u64;
        let mut buf = vec![0u8; BODY_CHUNK];
        while got < want {
            let n = (want - got).min(BODY_CHUNK as u64) as usize;
            match body.read(&mut buf[..n]) {
                Ok(0) => break,
                Ok(k) => {
                    out.extend_from_slice(&buf[..k]);
                    got += k as u64;
                    self.fetched.fetch_add(k as u64, Ordering::Relaxed);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let why = io_fault(&e, self.timeout);
                    return Err(Fault::Retry(if why.starts_with("timed out") {
                        why
                    } else {
                        format!("truncated response: {}, got {got} ({why})", what())
                    }));
                }
            }
        }
        Ok(got)
    }

    /// A response's validators against the first ones seen, and its total size.
    fn check_version(
        &self,
        etag: Option<String>,
        last_modified: Option<String>,
        total: Option<u64>,
    ) -> Result<()> {
        let mut st = self.state();
        if !st.seen {
            st.seen = true;
            st.etag = etag;
            st.last_modified = last_modified;
        } else if let (Some(was), Some(now)) = (&st.etag, &etag) {
            if was != now {
                return Err(self.fail(format_args!(
                    "changed while reading (ETag {}, now {})",
                    shown(was),
                    shown(now)
                )));
            }
        } else if let (Some(was), Some(now)) = (&st.last_modified, &last_modified) {
            if was != now {
                return Err(self.fail(format_args!(
                    "changed while reading (Last-Modified {}, now {})",
                    shown(was),
                    shown(now)
                )));
            }
        }
        if let Some(total) = total {
            if let Some(size) = st.size.filter(|&s| s != total) {
                return Err(self.fail(format_args!(
                    "changed while reading ({size} bytes, now {total})"
                )));
            }
            st.size = Some(total);
        }
        Ok(())
    }

    /// A request that got no response.
    fn transport_fault(&self, e: ureq::Error) -> Fault {
        match e {
            ureq::Error::TooManyRedirects => Fault::Fatal(self.fail(format_args!(
                "too many redirects (more than {MAX_REDIRECTS})"
            ))),
            ureq::Error::BadUri(why) => {
                Fault::Fatal(self.fail(format_args!("not a valid URL: {}", shown(&why))))
            }
            ureq::Error::Http(why) => Fault::Fatal(self.fail(format_args!(
                "not a valid URL: {}",
                one_line(&why.to_string())
            ))),
            ureq::Error::Tls(why) => Fault::Fatal(self.fail(format_args!("TLS error: {why}"))),
            ureq::Error::Rustls(why) => Fault::Fatal(self.fail(format_args!("TLS error: {why}"))),
            ureq::Error::Timeout(_) => Fault::Retry(timed_out(self.timeout)),
            ureq::Error::Io(e) => Fault::Retry(io_fault(&e, self.timeout)),
            ureq::Error::HostNotFound => Fault::Retry("network error: host not found".into()),
            other => Fault::Retry(format!("network error: {}", one_line(&other.to_string()))),
        }
    }
}

fn timed_out(t: Duration) -> String {
    format!("timed out: no data for {} ms", t.as_millis())
}

/// An I/O error of a request or body, worded for a message.
fn io_fault(e: &std::io::Error, timeout: Duration) -> String {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), TimedOut | WouldBlock) {
        return timed_out(timeout);
    }
    // ureq wraps its own errors (a timeout while reading a body) in io::Error.
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        if matches!(inner, ureq::Error::Timeout(_)) {
            return timed_out(timeout);
        }
    }
    format!("network error: {}", one_line(&super::io_reason(e)))
}

fn one_line(s: &str) -> String {
    shown(&s.replace(['\n', '\r'], " ")).into_owned()
}

/// True when the body has bytes left (read one to see).
fn more_bytes(body: &mut impl Read) -> bool {
    let mut b = [0u8; 1];
    loop {
        match body.read(&mut b) {
            Ok(n) => return n > 0,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// `bytes A-B/TOTAL` (TOTAL may be `*`).
fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let num = |s: &str| {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let total = if total == "*" {
        None
    } else {
        Some(num(total)?)
    };
    Some((num(a)?, num(b)?, total))
}

/// `[offset, offset + len)` of a whole file, cut at its end.
fn slice(w: &[u8], offset: u64, len: u64) -> Vec<u8> {
    let start = (offset.min(w.len() as u64)) as usize;
    let end = (offset.saturating_add(len).min(w.len() as u64)) as usize;
    w[start..end].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse_strictly() {
        assert_eq!(
            parse_content_range("bytes 0-9/100"),
            Some((0, 9, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, 9, None)));
        assert_eq!(parse_content_range("bytes -9/100"), None);
        assert_eq!(parse_content_range("bytes 1-2"), None);
        assert_eq!(parse_content_range("bytes +1-2/3"), None);
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("http://x/a.bw") && is_url("HTTPS://x/a.bw"));
        assert!(!is_url("data/a.bw") && !is_url("http:a.bw") && !is_url("ftp://x"));
    }
}
