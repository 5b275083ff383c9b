//! The test server of `tests/server/` as a program, for the npm package's tests and the
//! benchmarks (`startTestServer` of `js-tests/helpers.mjs` starts it as a child process).
//! Its modes and control paths (`/_stats`, `/_reset`, `/_set`) are described there.
//!
//! usage: cargo run --example test_server -- [--root DIR] [--mount NAME=DIR]...
//!          [--latency MS] [--bandwidth MBIT] [--max-seconds S] [--unguarded]
//!
//!   --root DIR         the files served (default: data/)
//!   --mount NAME=DIR   also serve DIR where a file's path starts with NAME/
//!   --latency MS       waited before every answer about a file (default 0)
//!   --unguarded        no 503 past 5000 requests of a mode (for benchmarks)
//!   --bandwidth MBIT   Mbit/s shared by all connections, like one link (default 0: no cap)
//!   --max-seconds S    exit after S seconds (default 3600)
//!
//! Listens on 127.0.0.1 (a free port) and prints its base URL (`http://127.0.0.1:PORT`) as
//! the first line of its standard output; exits when its standard input ends (its parent
//! closed it or exited), or after --max-seconds.

#[path = "../tests/server/mod.rs"]
mod server;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let mut cfg = server::Config {
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data"),
        ..server::Config::default()
    };
    let mut max_seconds = 3600;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--unguarded" {
            cfg.unguarded = true;
            continue;
        }
        let value = args
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let number = || -> f64 {
            value
                .parse()
                .unwrap_or_else(|_| usage(&format!("{flag}: not a number: {value}")))
        };
        match flag.as_str() {
            "--root" => cfg.root = PathBuf::from(&value),
            "--mount" => match value.split_once('=') {
                Some((name, dir)) => cfg.mounts.push((name.to_string(), PathBuf::from(dir))),
                None => usage(&format!("--mount NAME=DIR, not {value}")),
            },
            "--latency" => cfg.latency = Duration::from_secs_f64(number() / 1000.0),
            "--bandwidth" => cfg.bandwidth = (number() * 1e6 / 8.0) as u64,
            "--max-seconds" => max_seconds = number() as u64,
            _ => usage(&format!("unknown option {flag}")),
        }
    }
    let s = server::Server::start_with(cfg);
    let mut out = std::io::stdout();
    writeln!(out, "{}", s.base).unwrap();
    out.flush().unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(max_seconds));
        std::process::exit(0);
    });
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn usage(why: &str) -> ! {
    eprintln!("test_server: {why}");
    eprintln!("usage: test_server [--root DIR] [--mount NAME=DIR]... [--latency MS] [--bandwidth MBIT] [--max-seconds S] [--unguarded]");
    std::process::exit(2);
}
