//! The wasm face of atomic output (what the npm package's exportDatasetToDir drives) in
//! Node and headless Chrome: the CLI's names and owner records, judged by the core's rules
//! (a pid 1 that is a later process is dead, another machine by its heartbeat, a machine
//! without /proc never as "here"), what may be replaced and the messages, and bad input as
//! errors, never traps.
#![cfg(target_arch = "wasm32")]

use bigwig_npy::wasm::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn value(v: JsValue) -> serde_json::Value {
    serde_wasm_bindgen::from_value(v).unwrap()
}

const HERE: &str = r#"{"bootId":"b","pidNs":"pid:[4026531836]"}"#;

/// `/proc/PID/stat` of a process started at `start` ticks (its name has a `) ` in it).
fn stat(start: u64) -> String {
    format!("7 (a) b) S 1 7 7 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {start} 1000 1")
}

#[wasm_bindgen_test]
fn names_are_the_clis_and_parse_back() {
    let t = atomic_token(42, 0xab);
    assert_eq!(t, "42-000000ab");
    let name = |k: &str, a: Option<u32>| atomic_name(k, "x.gvl", &t, a).unwrap();
    assert_eq!(name("staging", None), ".x.gvl.partial-42-000000ab");
    assert_eq!(name("owner", None), ".x.gvl.partial-42-000000ab.owner");
    assert_eq!(name("aside", Some(10)), ".x.gvl.old-42-000000aba");
    assert_eq!(name("stale", None), ".x.gvl.stale-42-000000ab");
    assert!(atomic_name("other", "x.gvl", &t, None).is_err());
    for (kind, entry) in [
        ("staging", name("staging", None)),
        ("owner", name("owner", None)),
        ("stale", name("stale", None)),
    ] {
        let e = value(atomic_parse(&entry).unwrap());
        assert_eq!(
            e,
            serde_json::json!({"kind": kind, "name": "x.gvl", "token": t, "pid": 42}),
            "{entry}"
        );
    }
    let aside = value(atomic_parse(&name("aside", Some(10))).unwrap());
    assert_eq!(aside["kind"], "aside");
    let token = aside["token"].as_str().unwrap();
    assert_eq!(
        atomic_run_of_aside(token, vec!["4-00000000".into(), t.clone()]),
        Some(t.clone())
    );
    assert_eq!(atomic_run_of_aside(token, vec!["4-00000000".into()]), None);
    // An older npm package's name is ours; the user's are not.
    assert_eq!(
        value(atomic_parse(".x.gvl.partial-7-a1b2c3").unwrap())["pid"],
        7
    );
    for foreign in ["x.gvl", ".x.gvl.notes", ".partial-1", ".x.gvl.partial-a1"] {
        assert!(atomic_parse(foreign).unwrap().is_undefined(), "{foreign}");
    }
}

#[wasm_bindgen_test]
fn owner_records_are_judged_by_the_cores_rules() {
    let here = || js(HERE);
    let record = atomic_owner_record(here(), 1, &stat(500)).unwrap();
    let r: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(r["boot_id"], "b");
    assert_eq!(r["pid_ns"], "pid:[4026531836]");
    assert_eq!(
        (r["pid"].as_u64(), r["start"].as_u64()),
        (Some(1), Some(500))
    );
    assert_eq!(r["locks"], false);
    assert!(r["tool"].as_str().unwrap().ends_with("(npm package)"));
    assert_eq!(atomic_local_pid(here(), &record).unwrap(), Some(1));
    let gone = |ev: serde_json::Value| atomic_owner_gone(here(), js(&ev.to_string())).unwrap();
    // Here: the process decides (pid 1 again, but a later process, is dead).
    assert!(!gone(
        serde_json::json!({"record": record, "ageMs": 1e9, "pidStat": stat(500)})
    ));
    assert!(gone(
        serde_json::json!({"record": record, "ageMs": 0, "pidStat": stat(900)})
    ));
    assert!(gone(serde_json::json!({"record": record, "ageMs": 0})));
    // Another machine (a record the CLI wrote there, with its lock): the heartbeat decides,
    // as Node cannot test locks.
    let remote = r#"{"boot_id":"other","pid_ns":"pid:[1]","pid":9,"start":1,"tool":"bigwig-npy","locks":true}"#;
    assert_eq!(atomic_local_pid(here(), remote).unwrap(), None);
    assert!(!gone(serde_json::json!({"record": remote, "ageMs": 5000})));
    assert!(gone(serde_json::json!({"record": remote, "ageMs": 61000})));
    // No record (an older version's): its pid, else its age.
    assert!(gone(serde_json::json!({"pidExists": false, "ageMs": 0})));
    assert!(!gone(serde_json::json!({"pidExists": true, "ageMs": 1e9})));
    assert!(!gone(serde_json::json!({"ageMs": 10})));
    assert!(gone(serde_json::json!({"ageMs": 1e6})));
    // A record being written (empty yet) is fresh, not dead.
    assert!(!gone(serde_json::json!({"record": "", "ageMs": 0})));
    // Without /proc nothing is "here": a record is judged by its age alone.
    let blind = atomic_owner_record(js("{}"), 3, "").unwrap();
    assert_eq!(atomic_local_pid(js("{}"), &blind).unwrap(), None);
    let blind_gone = |age: f64| {
        atomic_owner_gone(
            js("{}"),
            js(&serde_json::json!({"record": blind, "ageMs": age}).to_string()),
        )
        .unwrap()
    };
    assert!(!blind_gone(1000.0));
    assert!(blind_gone(120_000.0));
    assert!(atomic_owner_gone(js("5"), js("{}")).is_err());
}

#[wasm_bindgen_test]
fn what_may_be_replaced_and_the_messages() {
    let config = value(atomic_config().unwrap());
    assert_eq!(
        config,
        serde_json::json!({"heartbeatMs": 10000, "staleAfterMs": 60000, "marker": "metadata.json"})
    );
    let may = |f: &str, o: bool| atomic_may_replace(f, o).unwrap();
    assert_eq!(may("missing", false), None);
    assert_eq!(may("ours", true), None);
    assert_eq!(may("emptyDir", true), None);
    assert_eq!(
        may("ours", false).unwrap(),
        "already exists; pass overwrite: true to replace it"
    );
    assert_eq!(
        may("otherDir", true).unwrap(),
        "is not a GenVarLoader dataset (no metadata.json); not replacing it"
    );
    assert_eq!(
        may("file", true).unwrap(),
        "exists and is not a directory; not replacing it"
    );
    assert!(atomic_may_replace("dir", true).is_err());
    assert_eq!(
        atomic_changed_under_us("d/x.gvl", "exists and is not a directory; not replacing it"),
        "d/x.gvl: exists and is not a directory; not replacing it (it changed while the output was being written; nothing was replaced)"
    );
    assert_eq!(
        atomic_busy("x\u{7}.gvl"),
        "x\\x07.gvl: another run is writing it at the same time and kept replacing it; not replaced"
    );
}
