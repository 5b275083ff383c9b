//! The export options JS gives, checked and defaulted once, here: `exportOptions(opts)`
//! returns what `new Session` takes.

use super::{from_js, js_err};
use crate::error::Error;
use wasm_bindgen::prelude::*;

/// The checked options, defaults filled in (typed in `index.d.ts` as `SessionOptions`).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionOptions {
    format: &'static str,
    layout: &'static str,
    max_mem: f64,
    block_cache_bytes: f64,
}

/// Decoded blocks kept in wasm memory unless `blockCacheBytes` says otherwise: linear
/// memory never shrinks, so modest.
const BLOCK_CACHE: f64 = (16 << 20) as f64;

/// How a value shows in messages, as the JS package shows it: strings quoted (escaped),
/// numbers as JS prints them, anything else described ("null", "a boolean", "an Object").
pub(super) fn shown_value(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        return format!("'{}'", crate::error::shown(&s));
    }
    if v.as_f64().is_some() {
        return String::from(
            js_sys::Number::from(v.clone())
                .to_string_with_radix(10)
                .unwrap_or_default(),
        );
    }
    if v.is_null() || v.is_undefined() {
        return if v.is_null() { "null" } else { "undefined" }.into();
    }
    let t = v.js_typeof().as_string().unwrap_or_default();
    let name = if t == "object" {
        js_sys::Reflect::get(v, &"constructor".into())
            .and_then(|c| js_sys::Reflect::get(&c, &"name".into()))
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_else(|| "Object".into())
    } else {
        t
    };
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

fn choice(key: &str, v: &JsValue, allowed: [&'static str; 2]) -> Result<&'static str, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(allowed[0]);
    }
    let got = v.as_string();
    allowed
        .into_iter()
        .find(|a| got.as_deref() == Some(*a))
        .ok_or_else(|| {
            js_err(Error::input(format!(
                "{key}: expected '{}' or '{}', got {}",
                allowed[0],
                allowed[1],
                shown_value(v)
            )))
        })
}

pub(super) fn whole_number(key: &str, v: &JsValue, default: f64) -> Result<f64, JsValue> {
    if v.is_undefined() {
        return Ok(default);
    }
    match v.as_f64() {
        Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_991.0 => Ok(x),
        _ => Err(js_err(Error::input(format!(
            "{key}: expected a non-negative integer, got {}",
            shown_value(v)
        )))),
    }
}

/// Check an export's core options (`format`, `layout`, `maxMem`, `blockCacheBytes`) and
/// fill in their defaults: `{ format, layout, maxMem, blockCacheBytes }` for `new Session`.
/// Other keys of the options object (`exportTrack`'s) are the JS driver's.
#[wasm_bindgen(js_name = exportOptions)]
pub fn export_options(options: JsValue) -> Result<JsValue, JsValue> {
    let o = from_js::object(&options, "struct OptionsIn")
        .map_err(|e| js_err(Error::input(format!("options: {e}"))))?;
    let (format, layout) = (o.any("format")?, o.any("layout")?);
    let (max_mem, cache) = (o.any("maxMem")?, o.any("blockCacheBytes")?);
    let checked = SessionOptions {
        format: choice("format", &format, ["npy", "raw"])?,
        layout: choice("layout", &layout, ["aos", "soa"])?,
        max_mem: whole_number("maxMem", &max_mem, crate::DEFAULT_MAX_MEM as f64)?,
        block_cache_bytes: whole_number("blockCacheBytes", &cache, BLOCK_CACHE)?,
    };
    serde_wasm_bindgen::to_value(&checked).map_err(|e| JsValue::from(e.to_string()))
}
