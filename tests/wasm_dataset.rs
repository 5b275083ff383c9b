//! The wasm DatasetPlan (what the npm package's exportDataset drives) in Node and headless
//! Chrome: GenVarLoader's regions.npy and metadata for data/gvl/named_bed6, an Arrow IPC
//! file, sorted regions handed to a Session, and bad input as errors, never traps.
#![cfg(target_arch = "wasm32")]

use bigwig_npy::wasm::{DatasetPlan, Session};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

const BED: &str = include_str!("../data/gvl/named_bed6/regions.bed");

fn message(e: JsValue) -> String {
    e.dyn_into::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default()
}

fn tracks(t: &[(&str, &[&str])]) -> JsValue {
    serde_wasm_bindgen::to_value(&t.to_vec()).unwrap()
}

fn plan(bed: &str, jitter: f64) -> Result<DatasetPlan, String> {
    let mut p = DatasetPlan::new(JsValue::from(jitter)).map_err(message)?;
    p.set_tracks(tracks(&[("sig", &["tumor", "Normal", "blood"])]))
        .map_err(message)?;
    // In two pieces, as the JS driver feeds a BED.
    let (a, b) = bed.as_bytes().split_at(bed.len() / 2);
    p.feed_regions_bed("regions.bed", a).map_err(message)?;
    p.feed_regions_bed("regions.bed", b).map_err(message)?;
    p.finish_regions().map_err(message)?;
    Ok(p)
}

#[wasm_bindgen_test]
fn named_bed6_files_are_genvarloaders() {
    let p = plan(BED, 0.0).unwrap();
    assert_eq!(p.n_regions().unwrap(), 62);
    assert_eq!(
        p.regions_npy().unwrap(),
        include_bytes!("../data/gvl/named_bed6/dataset.gvl/regions.npy").to_vec()
    );
    let meta = String::from_utf8(p.metadata_json().unwrap()).unwrap();
    let want = include_str!("../data/gvl/named_bed6/dataset.gvl/metadata.json");
    assert_eq!(
        meta,
        format!(
            "{},\"written_by\":\"bigwig-npy {}\"}}",
            want.trim_end().trim_end_matches('}'),
            env!("CARGO_PKG_VERSION")
        )
    );
    let arrow = p.input_regions_arrow().unwrap();
    assert!(arrow.starts_with(b"ARROW1") && arrow.ends_with(b"ARROW1"));
    // A session exports the sorted regions: the first is chr21's earliest.
    let mut s = Session::new(vec!["a".into()], "raw", "aos", 1e9, 1e6).unwrap();
    assert_eq!(s.set_regions_from_dataset(&p).unwrap(), 62);
    let first = serde_wasm_bindgen::from_value::<serde_json::Value>(s.regions_summary().unwrap())
        .unwrap()["first"]
        .clone();
    assert_eq!(first["contig"], "chr21");
    assert_eq!(first["start"], 0);
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_not_a_trap() {
    let e = |r: Result<DatasetPlan, String>| r.err().unwrap_or_default();
    assert_eq!(
        e(plan("chr1\t1\t5\ta\t0\t+\nchr1\t1\t5\tb\t0\t-\n", 0.0))
            .split(';')
            .next(),
        Some("regions.bed lines 1 and 2: the same region (chr1:1-5) on both strands")
    );
    assert_eq!(
        e(plan(BED, -3.0)),
        "maxJitter: expected a non-negative integer, got -3"
    );
    let mut p = DatasetPlan::new(JsValue::UNDEFINED).unwrap();
    assert_eq!(
        message(
            p.set_tracks(tracks(&[("a", &["x"]), ("b", &["y"])]))
                .unwrap_err()
        ),
        "track 'b' and track 'a' have different samples: only 'b' has 'y'; only 'a' has 'x'"
    );
    assert_eq!(
        message(p.metadata_json().unwrap_err()),
        "tracks: none given yet"
    );
    assert_eq!(
        message(p.regions_npy().unwrap_err()),
        "regions: none given yet"
    );
    // The module still works after all of that.
    assert!(plan(BED, 2.0).is_ok());
}
