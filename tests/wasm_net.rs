//! The network rules and read planning as JS sees them (`wasm-pack test --node`, and in
//! headless Chrome): actions as objects, a source's identity read from and written to its
//! JS object, and the planner behind `Session.planReads`. The rules themselves are the
//! core's tests (`src/net/tests/`, `src/reads/tests.rs`).
#![cfg(target_arch = "wasm32")]

use bigwig_npy::wasm::{RangeRead, Session};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &k.into()).unwrap()
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn what(action: &JsValue) -> String {
    get(action, "do").as_string().unwrap()
}

fn source() -> JsValue {
    obj(&[("size", JsValue::NULL), ("version", JsValue::NULL)])
}

/// A 206 as fetch gives it: its headers behind `get(name)`.
fn answer(range: &str, etag: &str) -> JsValue {
    let headers = obj(&[("content-range", range.into()), ("etag", etag.into())]);
    let get = js_sys::Function::new_with_args("n", "return this.h[n] ?? null");
    obj(&[
        ("status", 206.into()),
        ("statusText", "Partial Content".into()),
        ("headers", obj(&[("h", headers), ("get", get.into())])),
    ])
}

#[wasm_bindgen_test]
fn a_read_asks_judges_and_keeps_through_js_objects() {
    let src = source();
    let mut r = RangeRead::new(100.0, 50.0, None, None);
    assert_eq!(r.timeout_ms(), 60_000.0);
    let a = r.start().unwrap();
    assert_eq!(
        (what(&a), get(&a, "range").as_string().unwrap()),
        ("request".into(), "bytes=100-149".into())
    );
    let a = r
        .response(answer("bytes 100-149/1000", "\"v1\""), &src)
        .unwrap();
    assert_eq!(
        (what(&a), get(&a, "want").as_f64()),
        ("read".into(), Some(50.0))
    );
    assert_eq!(get(&src, "size").as_f64(), Some(1000.0));
    assert_eq!(
        get(&get(&src, "version"), "etag").as_string().as_deref(),
        Some("\"v1\"")
    );
    let a = r.body(20.0).unwrap();
    assert_eq!(
        (what(&a), get(&a, "keep").as_f64()),
        ("read".into(), Some(20.0))
    );
    let a = r.body(30.0).unwrap();
    assert_eq!(
        (get(&a, "want").as_f64(), get(&a, "keep").as_f64()),
        (Some(1.0), Some(30.0))
    );
    assert_eq!(what(&r.end(&src).unwrap()), "done");
    // A chunk past what was asked: what it keeps comes with whatever the action is.
    let mut r = RangeRead::new(100.0, 50.0, None, None);
    r.start().unwrap();
    r.response(answer("bytes 100-199/1000", "\"v1\""), &src)
        .unwrap();
    let a = r.body(80.0).unwrap();
    assert_eq!(
        (what(&a), get(&a, "keep").as_f64()),
        ("done".into(), Some(50.0))
    );
}

#[wasm_bindgen_test]
fn a_source_inspected_before_it_changed_fails_on_its_first_answer() {
    // As `adopt(head)` leaves it.
    let version = obj(&[("etag", "\"v1\"".into())]);
    let src = obj(&[("size", 1000.into()), ("version", version)]);
    let mut r = RangeRead::new(0.0, 10.0, Some(1e6), Some(300.0));
    r.start().unwrap();
    let a = r
        .response(answer("bytes 0-9/1000", "\"v2\""), &src)
        .unwrap();
    assert_eq!(what(&a), "fail");
    assert_eq!(
        get(&a, "message").as_string().unwrap(),
        "changed while reading (ETag \"v1\", now \"v2\")"
    );
    // A stall: retried with the timeout given, then failed.
    let mut r = RangeRead::new(0.0, 10.0, None, Some(300.0));
    r.start().unwrap();
    assert_eq!(
        get(&r.fault("timeout", None).unwrap(), "ms").as_f64(),
        Some(100.0)
    );
    r.resume().unwrap();
    r.fault("timeout", None).unwrap();
    r.resume().unwrap();
    let a = r.fault("timeout", None).unwrap();
    assert_eq!(
        get(&a, "message").as_string().unwrap(),
        "timed out: no data for 300 ms (3 attempts)"
    );
}

#[wasm_bindgen_test]
fn sessions_plan_reads_with_the_npm_policy() {
    let mut s = Session::new(vec!["a".into(), "b".into()], "raw", "aos", 0.0, 0.0).unwrap();
    assert_eq!(
        (s.read_concurrency(), s.lookahead(), s.staging_budget()),
        (bigwig_npy::reads::CONCURRENCY, 32, 32 << 20)
    );
    // Source 1 (2000 bytes, reads of at least 1000): 0+10 and 1800+10 grow and merge.
    let flat = [
        1.0, 1800.0, 10.0, 0.0, 100.0, 50.0, 1.0, 0.0, 10.0, 0.0, 0.0, 20.0,
    ];
    let reads = s.plan_reads(&flat, &[1e6, 2000.0], &[0.0, 1000.0]);
    assert_eq!(reads, [1.0, 0.0, 2000.0, 0.0, 0.0, 150.0]);
    assert!(s
        .plan_reads(&flat, &[1e6, 2000.0], &[0.0, 1000.0])
        .is_empty());
    s.read_done(0, 0.0, 150.0);
    let reads = s.plan_reads(&[0.0, 0.0, 20.0], &[-1.0, -1.0], &[]);
    assert_eq!(reads, [0.0, 0.0, 20.0]);
}
