//! The project's one test HTTP server, on 127.0.0.1 only: honest range answers and every
//! misbehaviour the URL tests need. The native tests start it in-process
//! (`Server::start`, `tests/http*.rs`); the npm package's tests and the benchmarks run it as
//! a child process (`examples/test_server.rs`, started by `startTestServer` of
//! `js-tests/helpers.mjs`) and drive it over HTTP (the control paths below).
//!
//! `/<mode>/<file>`: `<file>` is under the root directory, or under a mount when its first
//! segment names one. The mode picks what the server does:
//!
//!   /range/<file>      honest: 206 ranges with an ETag; 200 and the whole file (with its
//!                      Content-Type) without Range, as a static file server
//!   /slow/<file>       like /range, 20 ms later
//!   /cap/<file>        honest 206, bodies capped at ?cap= bytes (default 4096)
//!   /whole/<file>      ignores Range: 200 with the whole file and its Content-Length
//!   /endless/<file>    ignores Range: 200 without Content-Length, 256 MiB of zeros
//!   /lie/<file>        206 whose Content-Range starts a byte after what was asked
//!   /bigtotal/<file>   Content-Range total 100000 bytes larger than the file
//!   /swap/<file>       after ?after= requests of this mode (default 3) the file changes:
//!                      its bytes past the header (same size) and its validator, an ETag, or
//!                      Last-Modified with ?v=lm
//!   /overlong/<file>   206 announcing 64 MiB past the asked end (zeros after the file),
//!                      streamed until the client hangs up
//!   /long/<file>       206 with a body 100 bytes longer than its Content-Range says
//!   /badgzip/<file>    honest 206 labelled Content-Encoding: gzip
//!   /truncate/<file>   206 headers, then half the body, then the connection closed
//!   /stall/<file>      never answers
//!   /stallbody/<file>  headers and half the body, then nothing
//!   /drop/<file>       closes every connection without an answer
//!   /flaky/<file>      closes every 3rd connection of this mode without an answer
//!   /busy/<file>       503 to every request
//!   /loop/<file>       302 to itself
//!   /redirect/<file>   302 to /range/<file>
//!   /auth/<file>       as /range, but 401 to a request without `Authorization: Bearer s3cret`
//!   /authredirect/<file>  302 to /auth/<file>
//!   /signed/<file>     as /range, but 403 unless the query is `modes::SIGNED` byte for byte
//!
//! Control paths (not counted): `/_stats`, the counters as JSON (`requests`, `bytes` of
//! bodies sent, `byMode`, `stalled`: connections held by a stall since the last reset, and
//! live: `open` connections, `stalledOpen` stalls the client has not hung up on), taken
//! once every connection accepted before it has been read, and reset after with
//! `?reset=1`; `/_reset`; `/_set?MODE=N` sets a mode's request count (`swap=100`: the next
//! swap request sees the changed file).
//!
//! Every connection gets one response and is closed. Every mode is bounded: a mode's
//! requests past 5000 get a 503 (a client looping on one fails its test instead of hanging
//! it), and stalls end when the client hangs up, when the server is dropped, or after
//! 30 s. For the benchmarks, `Config` adds a latency before every answer and a bandwidth
//! cap shared by all connections, like one link.
#![allow(dead_code)]

mod modes;
#[allow(unused_imports)]
pub use modes::{AUTH, SIGNED};
mod wire;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wire::{find, read_request, Conn, Request};

/// Requests of one mode past this many get a 503, so that a loop ends.
const LOOP_GUARD: u64 = 5000;
/// How long a stall holds its connection at most.
const HOLD: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The files served.
    pub root: PathBuf,
    /// Other directories, served where the first segment of `<file>` is their name.
    pub mounts: Vec<(String, PathBuf)>,
    /// Waited before every answer about a file.
    pub latency: Duration,
    /// Body bytes a second, all connections together; 0: no cap.
    pub bandwidth: u64,
    /// No loop guard (benchmarks make tens of thousands of honest requests).
    pub unguarded: bool,
}

#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub requests: u64,
    pub by_mode: BTreeMap<String, u64>,
    /// Body bytes sent.
    pub bytes: u64,
    /// Connections a stall held.
    pub stalled: u64,
}

/// What is going on now (not reset).
#[derive(Default)]
struct Live {
    /// Connections being served.
    open: u64,
    /// Stalls whose client has not hung up yet.
    stalled_open: u64,
    /// Connections accepted whose request has not been read yet, by order of acceptance.
    unread: BTreeSet<u64>,
}

struct Shared {
    cfg: Config,
    stats: Mutex<Stats>,
    live: Mutex<Live>,
    stop: AtomicBool,
    /// When the shared link is free again (the bandwidth cap).
    link_free: Mutex<Instant>,
}

pub struct Server {
    pub base: String,
    shared: Arc<Shared>,
}

impl Server {
    /// Serve `root` with no latency and no bandwidth cap.
    pub fn start(root: PathBuf) -> Server {
        Server::start_with(Config {
            root,
            ..Config::default()
        })
    }

    pub fn start_with(cfg: Config) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            cfg,
            stats: Mutex::default(),
            live: Mutex::default(),
            stop: AtomicBool::new(false),
            link_free: Mutex::new(Instant::now()),
        });
        let sh = shared.clone();
        std::thread::spawn(move || {
            for (seq, conn) in (0u64..).zip(listener.incoming()) {
                if sh.stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                {
                    let mut live = sh.live.lock().unwrap();
                    live.open += 1;
                    live.unread.insert(seq);
                }
                let sh = sh.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &sh, seq);
                    let mut live = sh.live.lock().unwrap();
                    live.open -= 1;
                    live.unread.remove(&seq);
                });
            }
        });
        Server { base, shared }
    }

    pub fn url(&self, mode: &str, rel: &str) -> String {
        format!("{}/{mode}/{rel}", self.base)
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats.lock().unwrap().clone()
    }

    pub fn reset(&self) {
        *self.shared.stats.lock().unwrap() = Stats::default();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

fn serve(conn: TcpStream, sh: &Shared, seq: u64) -> io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    conn.set_write_timeout(Some(HOLD))?;
    let req = read_request(&conn);
    sh.live.lock().unwrap().unread.remove(&seq);
    let req = req?;
    let mut c = Conn { out: conn, sh };
    if let Some(what) = req.path.strip_prefix("/_") {
        return control(&mut c, what, &req, seq);
    }
    let mut parts = req.path.trim_start_matches('/').splitn(2, '/');
    let mode = parts.next().unwrap_or("").to_string();
    let rel = parts.next().unwrap_or("").to_string();
    let n_mode = {
        let mut s = sh.stats.lock().unwrap();
        s.requests += 1;
        let n = s.by_mode.entry(mode.clone()).or_default();
        *n += 1;
        *n
    };
    let Some((path, size)) = find(&sh.cfg, &rel) else {
        return c.respond("404 Not Found", &[], b"not found");
    };
    if n_mode > LOOP_GUARD && !sh.cfg.unguarded {
        return c.respond("503 Loop Guard", &[], b"");
    }
    modes::answer(&mut c, &req, &mode, &rel, n_mode, &path, size)
}

/// `/_stats`, `/_reset`, `/_set?MODE=N`.
fn control(c: &mut Conn, what: &str, req: &Request, seq: u64) -> io::Result<()> {
    let sh = c.sh;
    match what {
        "stats" => {
            // Every connection accepted before this one is counted first (at most 1 s).
            let until = Instant::now() + Duration::from_secs(1);
            while Instant::now() < until
                && sh
                    .live
                    .lock()
                    .unwrap()
                    .unread
                    .first()
                    .is_some_and(|&s| s < seq)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            let s = {
                let mut stats = sh.stats.lock().unwrap();
                let s = stats.clone();
                if req.param("reset") == Some("1") {
                    *stats = Stats::default();
                }
                s
            };
            let live = sh.live.lock().unwrap();
            let json = serde_json::json!({
                "requests": s.requests,
                "bytes": s.bytes,
                "byMode": s.by_mode,
                "stalled": s.stalled,
                // Less this connection.
                "open": live.open - 1,
                "stalledOpen": live.stalled_open,
            });
            drop(live);
            let h = [("Content-Type", "application/json".to_string())];
            c.respond("200 OK", &h, json.to_string().as_bytes())
        }
        "reset" => {
            *sh.stats.lock().unwrap() = Stats::default();
            c.respond("200 OK", &[], b"")
        }
        "set" => {
            let mut stats = sh.stats.lock().unwrap();
            for kv in req.query.split('&').filter(|kv| !kv.is_empty()) {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                stats.by_mode.insert(k.to_string(), v.parse().unwrap_or(0));
            }
            drop(stats);
            c.respond("200 OK", &[], b"")
        }
        _ => c.respond("404 Not Found", &[], b"no such control"),
    }
}
