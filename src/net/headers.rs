//! Request headers a user adds to every request of URL sources (`--header` in the CLI,
//! `headers` in the npm package): for private data behind a token or a cookie. The rules:
//! a name is an HTTP token; a value has no line break or NUL; the headers the network
//! rules own are refused; messages never show a value (it may be a secret).
//!
//! On a redirect, `Authorization` goes along only to the same host (ureq's `SameHost`; fetch
//! drops it on any other origin, a port included), so a presigned URL a server redirects to
//! never receives the token. Other headers go along, as fetch sends them.

/// Headers the network rules set or the HTTP clients own.
const RESERVED: &[&str] = &[
    "range",
    "accept-encoding",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "if-range",
    "proxy-connection",
];

/// Checks one header; the reason it cannot be sent otherwise.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!(
            "header name {}: not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)",
            crate::error::shown(&format!("'{name}'"))
        ));
    }
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "header {name}: set by bigwig-npy itself (the network rules need it), not by an option"
        ));
    }
    if value.chars().any(|c| matches!(c, '\r' | '\n' | '\0')) {
        return Err(format!(
            "header {name}: its value has a line break or a NUL character"
        ));
    }
    Ok(())
}

/// Parses `Name: value` (curl's `-H` form: the value's surrounding blanks dropped).
pub fn parse_header(line: &str) -> Result<(String, String), String> {
    let Some((name, value)) = line.split_once(':') else {
        // Not shown: a token pasted without its name would land in logs.
        return Err(
            "a header without ':' (expected 'Name: value'; not shown, it may be a secret)".into(),
        );
    };
    let (name, value) = (name.trim(), value.trim_matches([' ', '\t']));
    check_header(name, value)?;
    Ok((name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_parsed_and_checked_without_showing_values() {
        assert_eq!(
            parse_header("Authorization:  Bearer abc ").unwrap(),
            ("Authorization".into(), "Bearer abc".into())
        );
        assert_eq!(
            parse_header("X-Empty:").unwrap(),
            ("X-Empty".into(), "".into())
        );
        for (line, why) in [
            ("Range: bytes=0-1", "header Range: set by bigwig-npy itself"),
            ("accept-encoding: gzip", "header accept-encoding: set by"),
            (
                "Bad Name: x",
                "header name 'Bad Name': not an HTTP header name",
            ),
            (": x", "header name '': not an HTTP header name"),
            (
                "secret-token",
                "a header without ':' (expected 'Name: value'; not shown",
            ),
        ] {
            let e = parse_header(line).unwrap_err();
            assert!(e.starts_with(why), "{line}: {e}");
        }
        let e = check_header("X-Token", "a\r\nInjected: 1").unwrap_err();
        assert_eq!(
            e,
            "header X-Token: its value has a line break or a NUL character"
        );
        let e = parse_header("Bearer s3cret").unwrap_err();
        assert!(!e.contains("s3cret") && !e.contains("Bearer"), "{e}");
    }
}
