//! The wasm layer: a [`Session`] that JS drives one region at a time. It converts types
//! only: the driver itself (the step loop, [`crate::drive::Drive`]: opening, decode order,
//! read-ahead and read planning, output) is in the core. The core says which reads to
//! start; the JS wrapper (`pkg-template/driver.js`) fetches them from bytes, Blobs, files
//! or URLs, hands them back with [`Session::add_range`] and asks again. Encoded output leaves wasm memory
//! after every step, so linear memory stays small.

use crate::error::{Error, Kind};
use crate::layout::Layout;
use crate::region::RegionsBuilder;
use wasm_bindgen::prelude::*;

mod atomic;
// Only in the dataset module: the export module leaves Arrow out.
#[cfg(feature = "dataset")]
mod dataset;
mod from_js;
mod net;
mod options;
mod reads;
mod session;
#[cfg(feature = "test-hooks")]
mod test_hooks;
pub use atomic::{
    atomic_busy, atomic_changed_under_us, atomic_config, atomic_local_pid, atomic_may_replace,
    atomic_name, atomic_owner_gone, atomic_owner_record, atomic_parse, atomic_run_of_aside,
    atomic_token,
};
#[cfg(feature = "dataset")]
pub use dataset::DatasetPlan;
pub use net::RangeRead;
pub use options::export_options;
pub use session::Session;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// A core error as the npm package's errors are: its message, and its kind as
/// `BigwigNpyError.kind` names it. A broken rule is the package's `InternalError`, worded
/// as the package words its own.
fn js_err(e: Error) -> JsValue {
    let (kind, message) = match (&e, e.kind()) {
        (Error::Bug(b), _) => ("InternalError", format!("bigwig-npy {b}")),
        (_, Kind::Input) => ("InputError", e.to_string()),
        (_, Kind::MaxMem) => ("MaxMemError", e.to_string()),
        (_, Kind::Output) => ("OutputError", e.to_string()),
        (_, Kind::Cancelled) => ("AbortError", e.to_string()),
    };
    let err = js_sys::Error::new(&message);
    let _ = js_sys::Reflect::set(&err, &"kind".into(), &kind.into());
    err.into()
}

pub(super) fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(e.to_string()))
}

/// Whole numbers from JS numbers; `first` is the index of `v[0]` in all regions.
pub(super) fn ints(v: &[f64], what: &str, first: usize) -> Result<Vec<i64>, JsValue> {
    v.iter()
        .enumerate()
        .map(|(i, x)| {
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                Ok(*x as i64)
            } else {
                Err(js_err(Error::input(format!(
                    "regions index {}: {what} {} is not an integer",
                    first + i,
                    from_js::float_text(*x)
                ))))
            }
        })
        .collect()
}

/// Add a piece of region arrays to the builder in `slot` (made on the first piece);
/// returns the regions so far.
pub(super) fn push_region_arrays(
    slot: &mut Option<RegionsBuilder>,
    contigs: &[String],
    starts: &[f64],
    ends: &[f64],
) -> Result<usize, JsValue> {
    let b = slot.get_or_insert_with(|| RegionsBuilder::new("regions"));
    let first = b.len();
    let (starts, ends) = (ints(starts, "start", first)?, ints(ends, "end", first)?);
    b.push_arrays(contigs, &starts, &ends).map_err(js_err)?;
    Ok(b.len())
}

pub(super) fn flat(ranges: &[crate::ByteRange]) -> Vec<f64> {
    ranges
        .iter()
        .flat_map(|r| [r.source as f64, r.offset as f64, r.len as f64])
        .collect()
}

/// The NPY header of output file `name` (e.g. `intervals.npy`) holding `n` items, as the
/// exporter writes it (so merged shards are byte-identical to one export).
#[wasm_bindgen(js_name = npyHeader)]
pub fn npy_header(name: &str, n: f64) -> Result<Vec<u8>, JsValue> {
    let file = [Layout::Aos, Layout::Soa]
        .iter()
        .flat_map(|l| l.files().iter())
        .find(|f| f.name == name)
        .ok_or_else(|| js_err(Error::input(format!("no output file is called '{name}'"))))?;
    Ok(crate::layout::npy_header(file.descr, n as u64))
}

/// Part `k` (from 0) of `n` of `len` regions, as `[from, to]`: contiguous and as even as
/// can be, by the rule of `dataset --shard` (the page's and Node's workers split by it).
#[wasm_bindgen(js_name = shardRange)]
pub fn shard_range(len: usize, k: u32, n: u32) -> Result<Vec<f64>, JsValue> {
    if n == 0 || k >= n {
        return Err(js_err(Error::input(format!(
            "shard: expected 0 <= index < count, got index {k} of {n}"
        ))));
    }
    let shard = crate::dataset::shard::Shard {
        k: k + 1,
        n,
        by: crate::dataset::shard::ShardBy::Regions,
    };
    let r = shard.range(len);
    Ok(vec![r.start as f64, r.end as f64])
}

/// The region contigs that match no chromosome of a source (or more than one), by the
/// export's own rule.
#[wasm_bindgen(js_name = unmatchedContigs)]
pub fn unmatched_contigs(contigs: Vec<String>, chroms: Vec<String>) -> Vec<String> {
    crate::contig::unmatched(&contigs, &chroms)
        .into_iter()
        .map(String::from)
        .collect()
}

/// The current size of the module's linear memory in bytes.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    mem.buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// Panics on purpose, so tests can check the module stays usable after a Rust panic.
#[doc(hidden)]
#[wasm_bindgen(js_name = __provokePanicForTests)]
pub fn provoke_panic_for_tests() {
    panic!("provoked panic (test)");
}
