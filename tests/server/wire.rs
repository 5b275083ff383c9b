//! The wire of the test server: requests read, responses written and counted, files found
//! and read.

use super::{Config, Shared, HOLD};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub(super) struct Request {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: String,
    pub(super) range: Option<String>,
    pub(super) authorization: Option<String>,
}

impl Request {
    pub(super) fn param(&self, k: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
    }

    pub(super) fn number(&self, k: &str) -> Option<u64> {
        self.param(k).and_then(|v| v.parse().ok())
    }
}

pub(super) fn read_request(conn: &TcpStream) -> io::Result<Request> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("GET").to_string();
    let target = words.next().unwrap_or("/").to_string();
    let mut range = None;
    let mut authorization = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            } else if k.trim().eq_ignore_ascii_case("authorization") {
                authorization = Some(v.trim().to_string());
            }
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Ok(Request {
        method,
        path: percent_decode(path),
        query: query.to_string(),
        range,
        authorization,
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(x) if b[i] == b'%' => {
                out.push(x);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One connection: its response and the server's counters.
pub(super) struct Conn<'a> {
    pub(super) out: TcpStream,
    pub(super) sh: &'a Shared,
}

impl Conn<'_> {
    pub(super) fn head(
        &mut self,
        status: &str,
        len: Option<u64>,
        headers: &[(&str, String)],
    ) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
        if let Some(n) = len {
            head.push_str(&format!("Content-Length: {n}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        self.out.write_all(head.as_bytes())
    }

    /// Body bytes, counted as they are written, at the bandwidth cap's pace.
    pub(super) fn body(&mut self, bytes: &[u8]) -> io::Result<()> {
        let rate = self.sh.cfg.bandwidth;
        for chunk in bytes.chunks(if rate > 0 { 16 << 10 } else { 64 << 10 }) {
            if self.sh.stop.load(Ordering::Relaxed) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            if rate > 0 {
                let now = Instant::now();
                let wait = {
                    let mut free = self.sh.link_free.lock().unwrap();
                    *free = (*free).max(now)
                        + Duration::from_secs_f64(chunk.len() as f64 / rate as f64);
                    *free - now
                };
                std::thread::sleep(wait);
            }
            // Counted before the write: a client that has the bytes may ask for the counts
            // before this thread is scheduled again (seen under load). A write that fails
            // is not counted.
            self.sh.stats.lock().unwrap().bytes += chunk.len() as u64;
            if let Err(e) = self.out.write_all(chunk) {
                self.sh.stats.lock().unwrap().bytes -= chunk.len() as u64;
                return Err(e);
            }
        }
        Ok(())
    }

    pub(super) fn respond(
        &mut self,
        status: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> io::Result<()> {
        self.head(status, Some(body.len() as u64), headers)?;
        self.body(body)?;
        self.out.flush()
    }

    /// Hold the connection without answering until the client hangs up or the server stops
    /// (at most `HOLD`).
    pub(super) fn hold(&mut self) {
        self.sh.stats.lock().unwrap().stalled += 1;
        self.sh.live.lock().unwrap().stalled_open += 1;
        let _ = self.out.set_read_timeout(Some(Duration::from_millis(20)));
        let until = Instant::now() + HOLD;
        let mut buf = [0u8; 256];
        while !self.sh.stop.load(Ordering::Relaxed) && Instant::now() < until {
            match self.out.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        self.sh.live.lock().unwrap().stalled_open -= 1;
    }
}

/// The file `rel` names (under a mount or the root) and its size.
pub(super) fn find(cfg: &Config, rel: &str) -> Option<(PathBuf, u64)> {
    if rel.split('/').any(|s| s == "..") {
        return None;
    }
    let (first, rest) = rel.split_once('/').unwrap_or((rel, ""));
    let path = match cfg.mounts.iter().find(|(name, _)| name == first) {
        Some((_, dir)) => dir.join(rest),
        None => cfg.root.join(rel),
    };
    let meta = std::fs::metadata(&path).ok()?;
    meta.is_file().then_some((path, meta.len()))
}

/// Bytes `a..b` of the file at `path`.
pub(super) fn read_at(path: &Path, a: u64, b: u64) -> io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(a))?;
    let mut v = vec![0u8; b.saturating_sub(a) as usize];
    f.read_exact(&mut v)?;
    Ok(v)
}

pub(super) fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The bytes `Range` asks of a file of `size` (first and last, inclusive): `bytes=A-B`,
/// `bytes=A-` or `bytes=-N`; `None` when no byte of the file is asked or it does not parse.
pub(super) fn parse_range(range: &str, size: u64) -> Option<(u64, u64)> {
    let (a, b) = range.strip_prefix("bytes=")?.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let last = size.checked_sub(1)?;
    let (start, end) = match (a.is_empty(), b.is_empty()) {
        (true, false) => (size.saturating_sub(b.parse().ok()?), last),
        (false, true) => (a.parse().ok()?, last),
        (false, false) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(last)),
        (true, true) => return None,
    };
    (start <= end).then_some((start, end))
}
