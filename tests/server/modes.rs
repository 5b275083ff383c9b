//! What each mode of the test server answers (listed in `mod.rs`).

use super::wire::{content_type, parse_range, read_at, Conn, Request};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

/// What `auth` wants in `Authorization`.
pub const AUTH: &str = "Bearer s3cret";
/// The query `signed` wants, byte for byte (a presigned URL's, escapes and all).
pub const SIGNED: &str = "X-Amz-Expires=60&X-Amz-Signature=ab%2Fc%3D%3D&x=%20+";

/// The answer of `mode` to `req` for the file at `path` (`size` bytes), the mode's
/// `n_mode`th request.
pub(super) fn answer(
    c: &mut Conn,
    req: &Request,
    mode: &str,
    rel: &str,
    n_mode: u64,
    path: &Path,
    size: u64,
) -> io::Result<()> {
    let sh = c.sh;
    std::thread::sleep(sh.cfg.latency);
    if mode == "slow" {
        std::thread::sleep(Duration::from_millis(20));
    }
    if mode == "auth" && req.authorization.as_deref() != Some(AUTH) {
        return c.respond("401 Unauthorized", &[], b"token needed");
    }
    if mode == "signed" && req.query != SIGNED {
        return c.respond("403 Forbidden", &[], b"signature does not match");
    }
    let read = |a: u64, b: u64| read_at(path, a, b);
    let asked = req.range.as_deref().map(|r| parse_range(r, size));
    if !matches!(mode, "whole" | "endless") {
        if let Some(None) = asked {
            let total = if mode == "bigtotal" {
                size + 100_000
            } else {
                size
            };
            let h = [("Content-Range", format!("bytes */{total}"))];
            return c.respond("416 Range Not Satisfiable", &h, b"");
        }
    }
    let (start, end) = asked.flatten().unwrap_or((0, size.saturating_sub(1)));
    let ranged = |a: u64, b: u64, total: u64| {
        vec![
            ("Content-Range", format!("bytes {a}-{b}/{total}")),
            ("ETag", "\"v1\"".to_string()),
        ]
    };
    match mode {
        "range" | "slow" if asked.is_none() => {
            let h = [
                ("Content-Type", content_type(path).to_string()),
                ("Accept-Ranges", "bytes".into()),
                ("ETag", "\"v1\"".into()),
            ];
            if req.method == "HEAD" {
                return c.head("200 OK", Some(size), &h);
            }
            c.respond("200 OK", &h, &read(0, size)?)
        }
        // Every third answer to a flaky server is a dropped connection; the rest are honest.
        "flaky" if n_mode.is_multiple_of(3) => Ok(()),
        "range" | "slow" | "flaky" | "auth" | "signed" => {
            let mut h = ranged(start, end, size);
            h.push(("Accept-Ranges", "bytes".into()));
            if req.method == "HEAD" {
                return c.head("206 Partial Content", Some(end + 1 - start), &h);
            }
            c.respond("206 Partial Content", &h, &read(start, end + 1)?)
        }
        "cap" => {
            let b = end.min(start + req.number("cap").unwrap_or(4096) - 1);
            c.respond(
                "206 Partial Content",
                &ranged(start, b, size),
                &read(start, b + 1)?,
            )
        }
        "whole" => {
            let h = [("Accept-Ranges", "none".to_string())];
            c.respond("200 OK", &h, &read(0, size)?)
        }
        "endless" => {
            c.head("200 OK", None, &[])?;
            let zeros = vec![0u8; 64 << 10];
            for _ in 0..(256 << 20) / zeros.len() {
                c.body(&zeros)?;
            }
            Ok(())
        }
        "overlong" => {
            // 64 MiB announced past the asked end (zeros after the file), streamed until the
            // client hangs up.
            let claimed = end + (64 << 20);
            let h = [(
                "Content-Range",
                format!("bytes {start}-{claimed}/{}", size + (1 << 30)),
            )];
            c.head("206 Partial Content", Some(claimed - start + 1), &h)?;
            let mut at = start;
            while at <= claimed {
                let n = (claimed + 1 - at).min(64 << 10);
                let mut chunk = read(at.min(size), (at + n).min(size))?;
                chunk.resize(n as usize, 0);
                c.body(&chunk)?;
                at += n;
            }
            Ok(())
        }
        "lie" => c.respond(
            "206 Partial Content",
            &ranged(start + 1, end, size),
            &read(start, end + 1)?,
        ),
        "bigtotal" => c.respond(
            "206 Partial Content",
            &ranged(start, end, size + 100_000),
            &read(start, end + 1)?,
        ),
        "swap" => {
            let swapped = n_mode > req.number("after").unwrap_or(3);
            let mut bytes = read(start, end + 1)?;
            if swapped {
                // Same size, other values: every byte past the header changes.
                for (k, b) in (start..).zip(bytes.iter_mut()) {
                    if k >= 64 {
                        *b ^= 0x5a;
                    }
                }
            }
            let v = 1 + swapped as u8;
            let validator = match req.param("v") {
                Some("lm") => ("Last-Modified", format!("Mon, 0{v} Jan 2024 00:00:00 GMT")),
                _ => ("ETag", format!("\"v{v}\"")),
            };
            let h = [
                ("Content-Range", format!("bytes {start}-{end}/{size}")),
                validator,
            ];
            c.respond("206 Partial Content", &h, &bytes)
        }
        "long" => {
            let mut bytes = read(start, end + 1)?;
            bytes.extend_from_slice(&[0u8; 100]);
            c.respond("206 Partial Content", &ranged(start, end, size), &bytes)
        }
        "badgzip" => {
            let mut h = ranged(start, end, size);
            h.push(("Content-Encoding", "gzip".into()));
            c.respond("206 Partial Content", &h, &read(start, end + 1)?)
        }
        "truncate" | "stallbody" => {
            let bytes = read(start, end + 1)?;
            let h = [("Content-Range", format!("bytes {start}-{end}/{size}"))];
            c.head("206 Partial Content", Some(bytes.len() as u64), &h)?;
            c.out.flush()?;
            if mode == "truncate" {
                // Let the client see the headers, then send half the body and hang up.
                std::thread::sleep(Duration::from_millis(10));
                c.body(&bytes[..bytes.len() / 2])?;
                c.out.flush()?;
                std::thread::sleep(Duration::from_millis(10));
                return Ok(());
            }
            c.body(&bytes[..(bytes.len() / 2).max(1)])?;
            c.out.flush()?;
            c.hold();
            Ok(())
        }
        "stall" => {
            c.hold();
            Ok(())
        }
        "drop" => Ok(()),
        "busy" => c.respond("503 Service Unavailable", &[], b"busy"),
        "loop" => c.respond("302 Found", &[("Location", req.path.clone())], b""),
        "redirect" => c.respond("302 Found", &[("Location", format!("/range/{rel}"))], b""),
        "authredirect" => c.respond("302 Found", &[("Location", format!("/auth/{rel}"))], b""),
        _ => c.respond("404 Not Found", &[], b"no such mode"),
    }
}
