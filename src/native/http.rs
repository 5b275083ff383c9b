//! URL sources: byte ranges over HTTP(S) with a blocking client (ureq, rustls). Every network
//! rule is the core's ([`crate::net`], which the npm package follows too): this transport
//! makes the requests a [`RangeRead`] asks for, hands it each answer and body chunk, keeps
//! the bytes it says to keep, and words the client's errors. Every failure is one line
//! naming the URL.

use crate::error::{shown, Bug, Error, Result};
use crate::net::{self, Action, Fault, Headers, Host, Identity, RangeRead, Rules};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Bytes asked of `read` per read(2) of a body.
const BODY_CHUNK: usize = 64 << 10;

/// Whether `s` names an http(s) URL rather than a file.
pub fn is_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// How URL sources are read.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// A request with no bytes arriving for this long is retried, then fails.
    pub timeout: Duration,
    /// A server that ignores Range is read whole only up to this many bytes.
    pub whole_file_limit: u64,
    /// Sent with every request (checked by [`net::check_header`]).
    pub headers: Arc<[(String, String)]>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_millis(net::TIMEOUT_MS),
            whole_file_limit: net::WHOLE_FILE_LIMIT,
            headers: Arc::new([]),
        }
    }
}

/// One HTTP(S) bigWig, read with range requests; shared by the fetch threads.
pub struct HttpSource {
    url: String,
    /// The URL as messages show it.
    name: String,
    agent: ureq::Agent,
    rules: Rules,
    headers: Arc<[(String, String)]>,
    state: Mutex<State>,
    fetched: AtomicU64,
    requests: AtomicU64,
}

#[derive(Default)]
struct State {
    /// What the file's answers said it is; every answer is judged against it.
    identity: Identity,
    /// The body of a server that ignored Range.
    whole: Option<Arc<Vec<u8>>>,
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
            .max_redirects(net::MAX_REDIRECTS)
            // Authorization follows a redirect to the same host only (net::headers).
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
            .timeout_connect(t)
            .timeout_per_read(t)
            .timeout_per_write(t)
            .max_idle_connections(connections.max(1) * 4)
            .max_idle_connections_per_host(connections.max(1))
            .accept_encoding(ureq::config::AutoHeaderValue::Provided(Arc::new(
                net::ACCEPT_ENCODING.to_string(),
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
            rules: Rules {
                host: Host::Native,
                whole_file_limit: client.opts.whole_file_limit,
                timeout_ms: client.opts.timeout.as_millis() as u64,
            },
            headers: client.opts.headers.clone(),
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
        self.state().identity.size
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

    /// The bytes at `[offset, offset + len)`; fewer only at the end of the file.
    pub fn read(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        if let Some(w) = self.state().whole.clone() {
            return Ok(slice(&w, offset, len));
        }
        let mut read = RangeRead::new(offset, len, self.rules);
        let mut out = Vec::with_capacity(len.min(64 << 20) as usize);
        let mut whole = Vec::new();
        let mut body: Option<ureq::BodyReader<'static>> = None;
        let mut buf = Vec::new();
        let mut action = read.start();
        loop {
            action = match action {
                Action::Request { from, to } => {
                    whole.clear();
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    let mut req = self.agent.get(&self.url);
                    for (k, v) in self.headers.iter() {
                        req = req.header(k, v);
                    }
                    let sent = req.header("Range", net::range_header(from, to)).call();
                    match sent {
                        Err(e) => read.fault(transport_fault(e)),
                        Ok(res) => {
                            let next = self.judge(&mut read, &res);
                            body = Some(res.into_body().into_reader());
                            next
                        }
                    }
                }
                Action::Read {
                    want,
                    whole: to_whole,
                } => {
                    let Some(b) = body.as_mut() else {
                        let source = self.name.clone();
                        return Err(Bug::NoBody { source }.into());
                    };
                    buf.resize(BODY_CHUNK, 0);
                    let n = want.min(BODY_CHUNK as u64) as usize;
                    match b.read(&mut buf[..n]) {
                        Ok(0) => read.end(&mut self.state().identity),
                        Ok(k) => {
                            let (keep, next) = read.body(k as u64);
                            let to = if to_whole { &mut whole } else { &mut out };
                            to.extend_from_slice(&buf[..keep as usize]);
                            self.fetched.fetch_add(keep, Ordering::Relaxed);
                            next
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Action::Read {
                            want,
                            whole: to_whole,
                        },
                        Err(e) => read.fault(io_fault(&e)),
                    }
                }
                Action::Wait { ms } => {
                    std::thread::sleep(Duration::from_millis(ms));
                    read.resume()
                }
                Action::Done => return Ok(out),
                Action::Whole => {
                    let w = Arc::new(std::mem::take(&mut whole));
                    self.state().whole = Some(w.clone());
                    return Ok(slice(&w, offset, len));
                }
                Action::Fail(why) => return Err(Error::of_source(&self.name, why)),
            };
            if !action.reads_body() {
                // Dropped unread with its connection, never drained.
                body = None;
            }
        }
    }

    /// A response's status and headers, judged by the core against the file's identity.
    fn judge(&self, read: &mut RangeRead, res: &ureq::http::Response<ureq::Body>) -> Action {
        let headers = Headers::read(|name| {
            res.headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        });
        let head = headers.head(res.status().as_u16(), res.status().canonical_reason());
        read.response(&head, &mut self.state().identity)
    }
}

/// A request that got no response, as the core's [`Fault`].
fn transport_fault(e: ureq::Error) -> Fault {
    match e {
        ureq::Error::TooManyRedirects => Fault::TooManyRedirects,
        ureq::Error::BadUri(why) => Fault::BadUrl(shown(&why).into_owned()),
        ureq::Error::Http(why) => Fault::BadUrl(one_line(&why.to_string())),
        ureq::Error::Tls(why) => Fault::Tls(why.to_string()),
        ureq::Error::Rustls(why) => Fault::Tls(why.to_string()),
        ureq::Error::Timeout(_) => Fault::Timeout,
        ureq::Error::Io(e) => io_fault(&e),
        ureq::Error::HostNotFound => Fault::Network("host not found".into()),
        other => Fault::Network(one_line(&other.to_string())),
    }
}

/// An I/O error of a request or body.
fn io_fault(e: &std::io::Error) -> Fault {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), TimedOut | WouldBlock) {
        return Fault::Timeout;
    }
    // ureq wraps its own errors (a timeout while reading a body) in io::Error.
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        if matches!(inner, ureq::Error::Timeout(_)) {
            return Fault::Timeout;
        }
    }
    Fault::Network(one_line(&super::io_reason(e)))
}

fn one_line(s: &str) -> String {
    shown(&s.replace(['\n', '\r'], " ")).into_owned()
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
    fn urls_are_told_from_paths() {
        assert!(is_url("http://x/a.bw") && is_url("HTTPS://x/a.bw"));
        assert!(!is_url("data/a.bw") && !is_url("http:a.bw") && !is_url("ftp://x"));
    }

    #[test]
    fn a_whole_file_is_cut_at_its_end() {
        let w: Vec<u8> = (0..10).collect();
        assert_eq!(slice(&w, 8, 5), [8, 9]);
        assert!(slice(&w, 12, 5).is_empty());
    }
}
