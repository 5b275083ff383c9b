//! The network rules for the npm package's URL sources (`pkg-template/sources/http.js`):
//! [`RangeRead`] is the core's [`crate::net::RangeRead`] with JS types. JS makes the
//! requests and reads the bodies; this judges them. A source's identity (its `size` and
//! `version`) stays in its JS object, read and updated here on each answer: sources outlive
//! no module instance that way, and concurrent reads of one source see each other's answers.

use super::{from_js, js_err};
use crate::error::Error;
use crate::net::{self, Action, Fault, Headers, Host, Identity, Rules, Version};
use wasm_bindgen::prelude::*;

/// An action for JS: `{ do: 'request', range }`, `{ do: 'read', want, whole }`,
/// `{ do: 'wait', ms }`, `{ do: 'done' }`, `{ do: 'whole' }`, `{ do: 'fail', message }`.
#[derive(serde::Serialize)]
#[serde(tag = "do", rename_all = "camelCase")]
enum ActionOut {
    Request { range: String },
    Read { want: f64, whole: bool },
    Wait { ms: f64 },
    Done,
    Whole,
    Fail { message: String },
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionJs {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// One read of a URL source, `[offset, offset + len)` (see [`crate::net::RangeRead`]).
#[wasm_bindgen]
pub struct RangeRead {
    read: net::RangeRead,
}

fn out(a: Action) -> Result<JsValue, JsValue> {
    let a = match a {
        Action::Request { from, to } => ActionOut::Request {
            range: net::range_header(from, to),
        },
        Action::Read { want, whole } => ActionOut::Read {
            want: want as f64,
            whole,
        },
        Action::Wait { ms } => ActionOut::Wait { ms: ms as f64 },
        Action::Done => ActionOut::Done,
        Action::Whole => ActionOut::Whole,
        Action::Fail(message) => ActionOut::Fail { message },
    };
    super::to_js(&a)
}

/// `src.size` and `src.version` of a JS source.
fn identity_of(src: &JsValue) -> Result<Identity, JsValue> {
    let size = js_sys::Reflect::get(src, &"size".into())?
        .as_f64()
        .filter(|s| *s >= 0.0)
        .map(|s| s as u64);
    let version = js_sys::Reflect::get(src, &"version".into())?;
    let version = if version.is_object() {
        let read = || -> Result<Version, from_js::Fail> {
            let o = from_js::object(&version, "struct VersionJs")?;
            Ok(Version {
                etag: o.opt_string("etag")?,
                last_modified: o.opt_string("lastModified")?,
            })
        };
        Some(
            read()
                .map_err(|e| e.into_js(|m| js_err(Error::input(format!("source version: {m}")))))?,
        )
    } else {
        None
    };
    Ok(Identity { size, version })
}

fn set_identity(src: &JsValue, id: Identity) -> Result<(), JsValue> {
    let size = id.size.map_or(JsValue::NULL, |s| JsValue::from(s as f64));
    js_sys::Reflect::set(src, &"size".into(), &size)?;
    let version = match id.version {
        Some(v) => super::to_js(&VersionJs {
            etag: v.etag,
            last_modified: v.last_modified,
        })?,
        None => JsValue::NULL,
    };
    js_sys::Reflect::set(src, &"version".into(), &version)?;
    Ok(())
}

/// A whole number of bytes or milliseconds from JS, `None` (the default) when absent.
fn amount(v: Option<f64>) -> Option<u64> {
    v.filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as u64)
}

#[wasm_bindgen]
impl RangeRead {
    /// `whole_file_limit` and `timeout_ms` default to the core's when undefined.
    #[wasm_bindgen(constructor)]
    pub fn new(
        offset: f64,
        len: f64,
        whole_file_limit: Option<f64>,
        timeout_ms: Option<f64>,
    ) -> RangeRead {
        let rules = Rules {
            host: Host::Fetch,
            whole_file_limit: amount(whole_file_limit).unwrap_or(net::WHOLE_FILE_LIMIT),
            timeout_ms: amount(timeout_ms).unwrap_or(net::TIMEOUT_MS),
        };
        RangeRead {
            read: net::RangeRead::new(offset as u64, len as u64, rules),
        }
    }

    /// The idle timeout JS arms for each request and each chunk (0: none).
    #[wasm_bindgen(getter, js_name = timeoutMs)]
    pub fn timeout_ms(&self) -> f64 {
        self.read.rules().timeout_ms as f64
    }

    pub fn start(&mut self) -> Result<JsValue, JsValue> {
        out(self.read.start())
    }

    pub fn resume(&mut self) -> Result<JsValue, JsValue> {
        out(self.read.resume())
    }

    /// The answer (`{ status, statusText, headers }`, `headers` a fetch `Headers` or any
    /// object with `get(name)`), judged against `src`'s identity, which it updates.
    pub fn response(&mut self, head: JsValue, src: &JsValue) -> Result<JsValue, JsValue> {
        let read = || -> Result<(f64, Option<String>), from_js::Fail> {
            let o = from_js::object(&head, "struct HeadIn")?;
            Ok((o.f64("status")?.unwrap_or(0.0), o.opt_string("statusText")?))
        };
        let (status, status_text) =
            read().map_err(|e| e.into_js(|m| js_err(Error::input(format!("response: {m}")))))?;
        // A status no HTTP answer has reads as none (`HTTP 0`).
        let status = if status.fract() == 0.0 && (0.0..=999.0).contains(&status) {
            status as u16
        } else {
            0
        };
        let headers = js_sys::Reflect::get(&head, &"headers".into())?;
        let get = js_sys::Reflect::get(&headers, &"get".into())?
            .dyn_into::<js_sys::Function>()
            .map_err(|_| js_err(Error::input("response: headers without get()")))?;
        let headers = Headers::read(|name| {
            get.call1(&headers, &name.into())
                .ok()
                .and_then(|v| v.as_string())
        });
        let head = headers.head(status, status_text.as_deref());
        let mut id = identity_of(src)?;
        let action = self.read.response(&head, &mut id);
        set_identity(src, id)?;
        out(action)
    }

    /// A chunk of `n` body bytes arrived: the action says how many of them, from the front,
    /// to keep (`keep`, whatever the action).
    pub fn body(&mut self, n: f64) -> Result<JsValue, JsValue> {
        let (keep, action) = self.read.body(n as u64);
        let action = out(action)?;
        js_sys::Reflect::set(&action, &"keep".into(), &JsValue::from(keep as f64))?;
        Ok(action)
    }

    /// The body ended; `src`'s size is set when it was the whole file.
    pub fn end(&mut self, src: &JsValue) -> Result<JsValue, JsValue> {
        let mut id = identity_of(src)?;
        let action = self.read.end(&mut id);
        set_identity(src, id)?;
        out(action)
    }

    /// fetch or the body failed: `kind` is `timeout`, `decode` or `network`, `why` its
    /// reason.
    pub fn fault(&mut self, kind: &str, why: Option<String>) -> Result<JsValue, JsValue> {
        let why = why.unwrap_or_default();
        let fault = match kind {
            "timeout" => Fault::Timeout,
            "decode" => Fault::Decode(why),
            _ => Fault::Network(why),
        };
        out(self.read.fault(fault))
    }
}

/// Why the request header `name: value` cannot be sent (the core's rule, `net::headers`),
/// or nothing when it can.
#[wasm_bindgen(js_name = checkHeader)]
pub fn check_header(name: &str, value: &str) -> Option<String> {
    net::check_header(name, value).err()
}
