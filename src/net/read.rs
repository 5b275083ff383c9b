//! One read of a URL source, `[offset, offset + len)`, as a state machine: the host makes
//! the requests it asks for and feeds it what comes back.

use super::identity::{self, Identity};
use super::{max_rounds, Action, Fault, Head, Rules, ATTEMPTS, BACKOFF_MS, MAX_REDIRECTS};
use crate::error::shown;

/// One read: requests until the bytes are all there, the file ends, or it fails.
#[derive(Debug, Clone)]
pub struct RangeRead {
    offset: u64,
    len: u64,
    rules: Rules,
    /// Bytes of the read kept so far, over its requests (kept when a request then fails).
    got: u64,
    /// Requests made (retries included).
    rounds: u64,
    /// Retryable faults so far, over all requests.
    faults: u32,
    /// The file ended before the read did.
    eof: bool,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    /// No request under way.
    Idle,
    /// A request for `[pos, last]` was sent; its answer is due.
    Sent { pos: u64, last: u64 },
    /// A 206 body of bytes `a..=b` (of `total`); `take` of them are of use, `k` kept so far.
    Range(Range),
    /// A 200 body: the whole file, `declared` long if said, at most `cap` bytes kept (`k`
    /// so far). `encoding`, here and in [`Range`], names a decoded body's Content-Encoding.
    Whole {
        declared: Option<u64>,
        cap: u64,
        k: u64,
        encoding: Option<String>,
    },
    /// Waiting to retry.
    Backoff,
    /// Done, whole, or failed: nothing more to do.
    Over,
}

#[derive(Debug, Clone)]
struct Range {
    pos: u64,
    a: u64,
    b: u64,
    total: Option<u64>,
    take: u64,
    k: u64,
    encoding: Option<String>,
}

impl Range {
    /// The bytes its Content-Range announces; when that is all that was asked, the body is
    /// read on past them, to see it end there.
    fn announced(&self) -> u64 {
        self.b - self.a + 1
    }
}

impl RangeRead {
    pub fn new(offset: u64, len: u64, rules: Rules) -> Self {
        RangeRead {
            offset,
            len,
            rules,
            got: 0,
            rounds: 0,
            faults: 0,
            eof: false,
            state: State::Idle,
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Bytes of the read kept so far.
    pub fn got(&self) -> u64 {
        self.got
    }

    /// The first action.
    pub fn start(&mut self) -> Action {
        match self.state {
            State::Idle => self.next_request(),
            _ => self.misuse("start"),
        }
    }

    /// After an [`Action::Wait`]: the retry.
    pub fn resume(&mut self) -> Action {
        match self.state {
            State::Backoff => self.next_request(),
            _ => self.misuse("resume"),
        }
    }

    /// The answer to the request asked for: its status and headers, judged against what the
    /// file's earlier answers said (`id`, updated).
    pub fn response(&mut self, head: &Head<'_>, id: &mut Identity) -> Action {
        let State::Sent { pos, last } = self.state else {
            return self.misuse("response");
        };
        let encoding = identity::value(head.content_encoding)
            .filter(|e| !e.eq_ignore_ascii_case("identity"))
            .map(String::from);
        if let Some(e) = &encoding {
            if !self.rules.host.decodes() && head.status < 300 {
                return self.fail(format!(
                    "the server sent an encoded body (Content-Encoding: {}) instead of the file's bytes",
                    shown(e)
                ));
            }
        }
        let (etag, last_modified) = (
            identity::value(head.etag),
            identity::value(head.last_modified),
        );
        match head.status {
            206 => {
                let cr = identity::value(head.content_range);
                let Some((a, b, total)) = cr
                    .and_then(identity::content_range)
                    .filter(|&(a, b, total)| a == pos && b >= a && total.is_none_or(|t| b < t))
                else {
                    return self.fail(format!(
                        "bad Content-Range '{}' for bytes {pos}-{last}",
                        shown(cr.unwrap_or(""))
                    ));
                };
                if let Err(m) = id.check(etag, last_modified, total) {
                    return self.fail(m);
                }
                // A body longer than asked (a server ignoring the range end) is read as asked.
                let take = (b - a + 1).min(last - pos + 1);
                self.state = State::Range(Range {
                    pos,
                    a,
                    b,
                    total,
                    take,
                    k: 0,
                    encoding,
                });
                Action::Read {
                    want: take,
                    whole: false,
                }
            }
            200 => {
                if let Err(m) = id.check(etag, last_modified, None) {
                    return self.fail(m);
                }
                // A decoded body's Content-Length is the encoded size.
                let declared = match encoding {
                    Some(_) => None,
                    None => identity::value(head.content_length).and_then(identity::length),
                };
                let limit = self.rules.whole_file_limit;
                if declared.is_some_and(|d| d > limit) {
                    return self.fail(self.over_limit(declared));
                }
                let cap = declared.unwrap_or(limit);
                self.state = State::Whole {
                    declared,
                    cap,
                    k: 0,
                    encoding,
                };
                // One byte past the cap tells a body over it from one that ends there.
                Action::Read {
                    want: cap.saturating_add(1),
                    whole: true,
                }
            }
            416 => {
                if let Some(size) = id.size.filter(|&s| pos < s) {
                    return self.fail(format!(
                        "the server said the file has {size} bytes, then answered HTTP 416 for bytes {pos}-{last}"
                    ));
                }
                // A continued read of a file of unknown size ran into its end.
                if self.got > 0 {
                    let total =
                        identity::value(head.content_range).and_then(identity::unsatisfied_total);
                    id.size = Some(total.unwrap_or(pos));
                    self.eof = true;
                    return self.next_request();
                }
                self.fail(format!(
                    "HTTP 416: bytes {pos}-{last} lie past the end of the file (truncated file?)"
                ))
            }
            status => {
                let what = match identity::value(head.reason) {
                    Some(r) => format!("HTTP {status} {}", shown(r)),
                    None => format!("HTTP {status}"),
                };
                if (500..600).contains(&status) && self.rules.host.retries_server_errors() {
                    self.retry(what)
                } else {
                    self.fail(what)
                }
            }
        }
    }

    /// `n` bytes of the body arrived: returns how many of them, from the front, to keep (in
    /// the read's bytes, or the whole file's for [`Action::Read`] `whole`), and what next.
    pub fn body(&mut self, n: u64) -> (u64, Action) {
        match &mut self.state {
            State::Range(r) => {
                let keep = n.min(r.take - r.k);
                r.k += keep;
                self.got += keep;
                let (k, take, a, b) = (r.k, r.take, r.a, r.b);
                let exact = take == r.announced();
                let action = if n > keep && exact {
                    self.fail(format!(
                        "the response is longer than its Content-Range says (bytes {a}-{b})"
                    ))
                } else if k < take {
                    Action::Read {
                        want: take - k,
                        whole: false,
                    }
                } else if exact && n == keep {
                    // Read on to see the body end: what it holds past its Content-Range
                    // means the headers lie.
                    Action::Read {
                        want: 1,
                        whole: false,
                    }
                } else {
                    // Past what was asked: the rest is dropped, not drained.
                    self.range_done()
                };
                (keep, action)
            }
            State::Whole {
                declared, cap, k, ..
            } => {
                if *k + n > *cap {
                    let why = match *declared {
                        Some(d) => format!(
                            "the response is longer than its Content-Length says ({d} bytes)"
                        ),
                        None => self.over_limit(None),
                    };
                    return (0, self.fail(why));
                }
                *k += n;
                let want = cap.saturating_add(1) - *k;
                (n, Action::Read { want, whole: true })
            }
            _ => (0, self.misuse("body")),
        }
    }

    /// The body ended.
    pub fn end(&mut self, id: &mut Identity) -> Action {
        match &self.state {
            State::Range(r) if r.k < r.take => {
                let why = format!(
                    "truncated response: expected {} bytes at offset {}, got {}",
                    r.take, r.pos, r.k
                );
                self.retry(why)
            }
            State::Range(_) => self.range_done(),
            State::Whole { declared, k, .. } => {
                let k = *k;
                if let Some(d) = declared.filter(|&d| k < d) {
                    return self.retry(format!("truncated response: expected {d} bytes, got {k}"));
                }
                if let Err(m) = id.check_size(k) {
                    return self.fail(m);
                }
                self.state = State::Over;
                Action::Whole
            }
            _ => self.misuse("end"),
        }
    }

    /// The request, or its body, failed in the client.
    pub fn fault(&mut self, fault: Fault) -> Action {
        let network = match fault {
            Fault::TooManyRedirects => {
                return self.fail(format!("too many redirects (more than {MAX_REDIRECTS})"))
            }
            Fault::BadUrl(why) => return self.fail(format!("not a valid URL: {why}")),
            Fault::Tls(why) => return self.fail(format!("TLS error: {why}")),
            Fault::Decode(why) => {
                let encoding = match &self.state {
                    State::Range(r) => r.encoding.clone(),
                    State::Whole { encoding, .. } => encoding.clone(),
                    _ => None,
                };
                return self.fail(format!(
                    "cannot decode the response (Content-Encoding: {}): {why}",
                    shown(encoding.as_deref().unwrap_or(""))
                ));
            }
            Fault::Timeout => None,
            Fault::Network(why) => Some(why),
        };
        // What a body cut off had brought.
        let cut = match &self.state {
            State::Sent { .. } => None,
            // The body held all it announced: whatever happens after is no loss.
            State::Range(r) if r.k == r.take => return self.range_done(),
            State::Range(r) => Some(format!(
                "expected {} bytes at offset {}, got {}",
                r.take, r.pos, r.k
            )),
            State::Whole { declared, k, .. } => Some(match declared {
                Some(d) => format!("expected {d} bytes, got {k}"),
                None => format!("expected the whole file, got {k}"),
            }),
            _ => return self.misuse("fault"),
        };
        let why = match (network, cut) {
            (None, _) => format!("timed out: no data for {} ms", self.rules.timeout_ms),
            (Some(why), None) => format!("network error: {why}"),
            (Some(why), Some(cut)) => format!("truncated response: {cut} (network error: {why})"),
        };
        self.retry(why)
    }

    /// The next request, or the end of the read.
    fn next_request(&mut self) -> Action {
        if self.eof || self.got >= self.len {
            self.state = State::Over;
            return Action::Done;
        }
        self.rounds += 1;
        if self.rounds > max_rounds(self.len) {
            return self.fail(format!(
                "the server keeps sending short responses ({} requests for bytes {}-{}, {} bytes received)",
                self.rounds - 1,
                self.offset,
                self.offset + self.len - 1,
                self.got
            ));
        }
        let (pos, last) = (self.offset + self.got, self.offset + self.len - 1);
        self.state = State::Sent { pos, last };
        Action::Request {
            from: pos,
            to: last,
        }
    }

    /// A 206 gave what it could: a shorter answer ending at the end of the file is the end
    /// of the read; otherwise ask again from where it stopped.
    fn range_done(&mut self) -> Action {
        if let State::Range(r) = &self.state {
            if r.total.is_some_and(|t| r.b + 1 >= t) {
                self.eof = true;
            }
        }
        self.next_request()
    }

    fn over_limit(&self, declared: Option<u64>) -> String {
        format!(
            "the server ignores HTTP range requests and the file is {} the {}-byte limit for reading it whole",
            declared.map_or("over".to_string(), |d| format!("{d} bytes, over")),
            self.rules.whole_file_limit
        )
    }

    /// Worth another try, unless this was the last.
    fn retry(&mut self, why: String) -> Action {
        self.faults += 1;
        if self.faults >= ATTEMPTS {
            return self.fail(format!("{why} ({} attempts)", self.faults));
        }
        self.state = State::Backoff;
        Action::Wait {
            ms: BACKOFF_MS[self.faults as usize - 1],
        }
    }

    fn fail(&mut self, why: String) -> Action {
        self.state = State::Over;
        Action::Fail(why)
    }

    /// A host calling out of turn: a bug there, failed rather than panicking.
    fn misuse(&mut self, what: &str) -> Action {
        self.fail(format!("internal error: {what} out of turn"))
    }
}
