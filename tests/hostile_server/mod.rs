//! A misbehaving HTTP/1.1 server on 127.0.0.1 for the native URL tests, serving the files
//! under `data/`. The first path segment picks what it does (the npm package's
//! `js-tests/hostile-server.mjs` modes, plus a few of its own):
//!
//!   /range/<file>      honest 206 ranges with an ETag
//!   /cap/<file>        honest 206, bodies capped at ?cap= bytes
//!   /whole/<file>      ignores Range: 200 with the whole file and its Content-Length
//!   /endless/<file>    ignores Range: 200 without Content-Length, 8 MiB of zeros
//!   /lie/<file>        206 whose Content-Range starts a byte after what was asked
//!   /bigtotal/<file>   Content-Range total 100000 bytes larger than the file
//!   /swap/<file>       the ETag (Last-Modified with ?lm=1) changes after ?after= requests
//!   /overlong/<file>   206 announcing 64 MiB past the asked end, streamed until the client
//!                      hangs up
//!   /long/<file>       206 with a body 100 bytes longer than its Content-Range says
//!   /stall/<file>      never answers
//!   /stallbody/<file>  headers and half the body, then nothing
//!   /drop/<file>       closes every connection without an answer
//!   /flaky/<file>      closes every 3rd connection without an answer
//!   /busy/<file>       503 to every request
//!   /loop/<file>       302 to itself
//!   /redirect/<file>   302 to /range/<file>
//!
//! Every connection gets one response and is closed. Stalls end when the server is dropped
//! (or after 30 s), so a client that waits forever fails its test rather than hanging it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub requests: u64,
    pub by_mode: HashMap<String, u64>,
    /// Body bytes sent.
    pub bytes: u64,
}

pub struct Server {
    pub base: String,
    stats: Arc<Mutex<Stats>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stats = Arc::new(Mutex::new(Stats::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (stats.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let (s, st, root) = (s.clone(), st.clone(), root.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &root, &s, &st);
                });
            }
        });
        Server { base, stats, stop }
    }

    pub fn url(&self, mode: &str, rel: &str) -> String {
        format!("{}/{mode}/{rel}", self.base)
    }

    pub fn stats(&self) -> Stats {
        self.stats.lock().unwrap().clone()
    }

    pub fn reset(&self) {
        *self.stats.lock().unwrap() = Stats::default();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

/// Hold a connection open without answering, until the server stops (at most 30 s).
fn hold(stop: &AtomicBool) {
    let until = Instant::now() + Duration::from_secs(30);
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn serve(
    conn: TcpStream,
    root: &std::path::Path,
    stats: &Mutex<Stats>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let mode = parts.next().unwrap_or("").to_string();
    let rel = parts.next().unwrap_or("").to_string();
    let n_mode = {
        let mut s = stats.lock().unwrap();
        s.requests += 1;
        let n = s.by_mode.entry(mode.clone()).or_default();
        *n += 1;
        *n
    };
    let mut out = conn;
    let file = root.join(&rel);
    let body = if !rel.contains("..") && file.is_file() {
        std::fs::read(&file).ok()
    } else {
        None
    };
    let Some(body) = body else {
        return respond(&mut out, stats, "404 Not Found", &[], b"not found");
    };
    let size = body.len() as u64;
    let (start, end) = parse_range(range.as_deref(), size);
    let ranged = |a: u64, b: u64, total: u64, extra: &[(&'static str, String)]| {
        let mut h = vec![
            ("Content-Range", format!("bytes {a}-{b}/{total}")),
            ("ETag", "\"v1\"".to_string()),
        ];
        h.extend(extra.iter().cloned());
        h
    };
    let slice = |a: u64, b: u64| body[a as usize..=b as usize].to_vec();
    if range.is_some() && start >= size && !matches!(mode.as_str(), "whole" | "endless") {
        let total = if mode == "bigtotal" {
            size + 100_000
        } else {
            size
        };
        return respond(
            &mut out,
            stats,
            "416 Range Not Satisfiable",
            &[("Content-Range", format!("bytes */{total}"))],
            b"",
        );
    }
    match mode.as_str() {
        // Every third answer to a flaky server is a dropped connection; the rest are honest.
        "flaky" if n_mode % 3 == 0 => Ok(()),
        "range" | "flaky" => respond(
            &mut out,
            stats,
            "206 Partial Content",
            &ranged(start, end, size, &[]),
            &slice(start, end),
        ),
        "cap" => {
            let b = end.min(start + param("cap").unwrap_or(4096) - 1);
            respond(
                &mut out,
                stats,
                "206 Partial Content",
                &ranged(start, b, size, &[]),
                &slice(start, b),
            )
        }
        "whole" => respond(&mut out, stats, "200 OK", &[], &body),
        "endless" => {
            write!(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?;
            let zeros = vec![0u8; 64 << 10];
            for _ in 0..128 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                out.write_all(&zeros)?;
                stats.lock().unwrap().bytes += zeros.len() as u64;
            }
            Ok(())
        }
        "overlong" => {
            // 64 MiB announced past the asked end (zeros after the file), streamed until the
            // client hangs up.
            let claimed = end + (64 << 20);
            write!(
                out,
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{claimed}/{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                size + (1 << 30),
                claimed - start + 1
            )?;
            let mut at = start;
            while at <= claimed && !stop.load(Ordering::Relaxed) {
                let n = (claimed + 1 - at).min(64 << 10);
                let mut chunk = vec![0u8; n as usize];
                if at < size {
                    let k = (size - at).min(n) as usize;
                    chunk[..k].copy_from_slice(&body[at as usize..at as usize + k]);
                }
                out.write_all(&chunk)?;
                stats.lock().unwrap().bytes += n;
                at += n;
            }
            Ok(())
        }
        "lie" => {
            let h = ranged(start + 1, end, size, &[]);
            respond(
                &mut out,
                stats,
                "206 Partial Content",
                &h,
                &slice(start, end),
            )
        }
        "bigtotal" => respond(
            &mut out,
            stats,
            "206 Partial Content",
            &ranged(start, end, size + 100_000, &[]),
            &slice(start, end),
        ),
        "swap" => {
            let v = if n_mode > param("after").unwrap_or(3) {
                2
            } else {
                1
            };
            // ?lm=1: the validator is Last-Modified instead of an ETag.
            let validator = match param("lm") {
                Some(_) => ("Last-Modified", format!("Mon, 0{v} Jan 2024 00:00:00 GMT")),
                None => ("ETag", format!("\"v{v}\"")),
            };
            let h = vec![
                ("Content-Range", format!("bytes {start}-{end}/{size}")),
                validator,
            ];
            respond(
                &mut out,
                stats,
                "206 Partial Content",
                &h,
                &slice(start, end),
            )
        }
        "long" => {
            let mut bytes = slice(start, end);
            bytes.extend_from_slice(&[0u8; 100]);
            respond(
                &mut out,
                stats,
                "206 Partial Content",
                &ranged(start, end, size, &[]),
                &bytes,
            )
        }
        "stall" => {
            hold(stop);
            Ok(())
        }
        "stallbody" => {
            let bytes = slice(start, end);
            write!(
                out,
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{end}/{size}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            )?;
            let half = (bytes.len() / 2).max(1);
            out.write_all(&bytes[..half])?;
            out.flush()?;
            hold(stop);
            Ok(())
        }
        "drop" => Ok(()),
        "busy" => respond(&mut out, stats, "503 Service Unavailable", &[], b"busy"),
        "loop" => respond(
            &mut out,
            stats,
            "302 Found",
            &[("Location", path.to_string())],
            b"",
        ),
        "redirect" => respond(
            &mut out,
            stats,
            "302 Found",
            &[("Location", format!("/range/{rel}"))],
            b"",
        ),
        _ => respond(&mut out, stats, "404 Not Found", &[], b"no such mode"),
    }
}

/// `bytes=A-B` or `bytes=A-` against a file of `size` bytes; the whole file without one.
fn parse_range(range: Option<&str>, size: u64) -> (u64, u64) {
    let last = size.saturating_sub(1);
    let Some(spec) = range.and_then(|r| r.strip_prefix("bytes=")) else {
        return (0, last);
    };
    let (a, b) = spec.split_once('-').unwrap_or((spec, ""));
    let a = a.trim().parse().unwrap_or(0);
    let b = b.trim().parse().unwrap_or(last).min(last);
    (a, b)
}

fn respond(
    out: &mut TcpStream,
    stats: &Mutex<Stats>,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    stats.lock().unwrap().bytes += body.len() as u64;
    out.flush()
}
