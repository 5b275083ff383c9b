//! What one URL's file is, as its first answers said, and the header values that say it.

use crate::error::shown;

/// One URL's file across its requests: the size and validators of the first answers.
/// Shared by a source's reads (the host keeps it: behind a lock, or in a JS object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// From the first Content-Range total (or whole body); every later one must agree.
    pub size: Option<u64>,
    /// The validators of the first response, once one came (`None` before).
    pub version: Option<Version>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Identity {
    /// A response's validators against the first ones seen (the ETag when both have one,
    /// else Last-Modified), and its total size against the size known.
    pub fn check(
        &mut self,
        etag: Option<&str>,
        last_modified: Option<&str>,
        total: Option<u64>,
    ) -> Result<(), String> {
        match &self.version {
            None => {
                self.version = Some(Version {
                    etag: etag.map(String::from),
                    last_modified: last_modified.map(String::from),
                })
            }
            Some(v) => {
                if let (Some(was), Some(now)) = (v.etag.as_deref(), etag) {
                    if was != now {
                        return Err(changed("ETag", was, now));
                    }
                } else if let (Some(was), Some(now)) = (v.last_modified.as_deref(), last_modified) {
                    if was != now {
                        return Err(changed("Last-Modified", was, now));
                    }
                }
            }
        }
        match total {
            Some(total) => self.check_size(total),
            None => Ok(()),
        }
    }

    /// A size a response gave against the size known; the first one is the file's.
    pub fn check_size(&mut self, now: u64) -> Result<(), String> {
        if let Some(was) = self.size.filter(|&s| s != now) {
            return Err(format!("changed while reading ({was} bytes, now {now})"));
        }
        self.size = Some(now);
        Ok(())
    }
}

fn changed(what: &str, was: &str, now: &str) -> String {
    format!(
        "changed while reading ({what} {}, now {})",
        shown(was),
        shown(now)
    )
}

/// A header value as the rules read it: trimmed, and an empty one is no value.
pub(super) fn value(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// Digits only (no sign, no spaces), within u64.
fn number(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `bytes A-B/TOTAL` (TOTAL may be `*`).
pub(super) fn content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let (range, total) = v.strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let total = if total == "*" {
        None
    } else {
        Some(number(total)?)
    };
    Some((number(a)?, number(b)?, total))
}

/// The total of a 416's `bytes */TOTAL`.
pub(super) fn unsatisfied_total(v: &str) -> Option<u64> {
    number(v.strip_prefix("bytes */")?)
}

/// A Content-Length.
pub(super) fn length(v: &str) -> Option<u64> {
    number(v)
}
