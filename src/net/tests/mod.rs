//! Every rule against crafted answers: the actions a read asks for, step by step.

mod answers;
mod ranges;

use super::*;

fn rules(host: Host) -> Rules {
    Rules {
        host,
        whole_file_limit: WHOLE_FILE_LIMIT,
        timeout_ms: TIMEOUT_MS,
    }
}

fn read(offset: u64, len: u64) -> RangeRead {
    RangeRead::new(offset, len, rules(Host::Native))
}

/// An answer with these headers (names as the fields of [`Head`]).
fn head<'a>(status: u16, headers: &[(&str, &'a str)]) -> Head<'a> {
    let mut h = Head {
        status,
        ..Head::default()
    };
    for &(k, v) in headers {
        match k {
            "reason" => h.reason = Some(v),
            "range" => h.content_range = Some(v),
            "length" => h.content_length = Some(v),
            "encoding" => h.content_encoding = Some(v),
            "etag" => h.etag = Some(v),
            "modified" => h.last_modified = Some(v),
            _ => panic!("no header {k}"),
        }
    }
    h
}

fn ranged(range: &str) -> Head<'_> {
    head(206, &[("range", range), ("etag", "\"v1\"")])
}

fn req(from: u64, to: u64) -> Action {
    Action::Request { from, to }
}

fn body(want: u64) -> Action {
    Action::Read { want, whole: false }
}

fn whole(want: u64) -> Action {
    Action::Read { want, whole: true }
}

fn fail(m: &str) -> Action {
    Action::Fail(m.to_string())
}
