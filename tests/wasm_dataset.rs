//! The wasm DatasetPlan (what the npm package's exportDataset drives) in Node and headless
//! Chrome: GenVarLoader's regions.npy and metadata for named_bed6 in both formats (0.43.1's
//! in data/gvl2, 0.35's in data/gvl), the layout and directories of every track, an Arrow
//! IPC file, sorted regions handed to a Session, and bad input as errors, never traps.
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

fn names(n: &[&str]) -> JsValue {
    serde_wasm_bindgen::to_value(&n.to_vec()).unwrap()
}

fn plan_in(bed: &str, jitter: f64, format: JsValue) -> Result<DatasetPlan, String> {
    let mut p = DatasetPlan::new(JsValue::from(jitter), format).map_err(message)?;
    p.set_tracks(tracks(&[("sig", &["tumor", "Normal", "blood"])]))
        .map_err(message)?;
    // In two pieces, as the JS driver feeds a BED.
    let (a, b) = bed.as_bytes().split_at(bed.len() / 2);
    p.feed_regions_bed("regions.bed", a).map_err(message)?;
    p.feed_regions_bed("regions.bed", b).map_err(message)?;
    p.finish_regions().map_err(message)?;
    Ok(p)
}

fn plan(bed: &str, jitter: f64) -> Result<DatasetPlan, String> {
    plan_in(bed, jitter, JsValue::UNDEFINED)
}

/// Ours is GenVarLoader's metadata.json plus `written_by`.
fn assert_metadata(p: &DatasetPlan, want: &str) {
    let meta = String::from_utf8(p.metadata_json().unwrap()).unwrap();
    assert_eq!(
        meta,
        format!(
            "{},\"written_by\":\"bigwig-npy {}\"}}",
            want.trim_end().trim_end_matches('}'),
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[wasm_bindgen_test]
fn named_bed6_files_are_genvarloaders_in_format_2_by_default() {
    let p = plan(BED, 0.0).unwrap();
    assert_eq!(p.n_regions().unwrap(), 62);
    assert_eq!((p.gvl_format(), p.layout().as_str()), (2, "soa"));
    assert_eq!(
        p.regions_npy().unwrap(),
        include_bytes!("../data/gvl2/named_bed6/dataset.gvl/regions.npy").to_vec()
    );
    assert_metadata(
        &p,
        include_str!("../data/gvl2/named_bed6/dataset.gvl/metadata.json"),
    );
    let arrow = p.input_regions_arrow().unwrap();
    assert!(arrow.starts_with(b"ARROW1") && arrow.ends_with(b"ARROW1"));
    // A session exports the sorted regions: the first is chr21's earliest.
    let mut s = Session::new(vec!["a".into()], "raw", "soa", 1e9, 1e6).unwrap();
    assert_eq!(s.set_regions_from_dataset(&p).unwrap(), 62);
    let first = serde_wasm_bindgen::from_value::<serde_json::Value>(s.regions_summary().unwrap())
        .unwrap()["first"]
        .clone();
    assert_eq!(first["contig"], "chr21");
    assert_eq!(first["start"], 0);
}

#[wasm_bindgen_test]
fn format_1_is_genvarloader_0_35s() {
    let p = plan_in(BED, 0.0, JsValue::from(1)).unwrap();
    assert_eq!((p.gvl_format(), p.layout().as_str()), (1, "aos"));
    assert_eq!(
        p.regions_npy().unwrap(),
        include_bytes!("../data/gvl/named_bed6/dataset.gvl/regions.npy").to_vec()
    );
    assert_metadata(
        &p,
        include_str!("../data/gvl/named_bed6/dataset.gvl/metadata.json"),
    );
    assert_eq!(plan_in(BED, 0.0, JsValue::from(2)).unwrap().layout(), "soa");
}

#[wasm_bindgen_test]
fn tracks_then_annotation_tracks_each_in_its_directory() {
    let mut p = DatasetPlan::new(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap();
    p.set_tracks(tracks(&[("pos", &["s2", "A"]), ("neg", &["A", "s2"])]))
        .unwrap();
    p.set_annotations(names(&["cons", "gc"])).unwrap();
    let jobs: serde_json::Value =
        serde_wasm_bindgen::from_value(p.track_exports().unwrap()).unwrap();
    assert_eq!(
        jobs,
        serde_json::json!([
            { "name": "pos", "dir": "intervals/pos", "what": "track", "perSample": true },
            { "name": "neg", "dir": "intervals/neg", "what": "track", "perSample": true },
            { "name": "cons", "dir": "annot_intervals/cons", "what": "annotation track", "perSample": false },
            { "name": "gc", "dir": "annot_intervals/gc", "what": "annotation track", "perSample": false },
        ])
    );
    // No annotation tracks: the tracks alone.
    let mut p = DatasetPlan::new(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap();
    p.set_tracks(tracks(&[("sig", &["x"])])).unwrap();
    p.set_annotations(names(&[])).unwrap();
    let jobs: serde_json::Value =
        serde_wasm_bindgen::from_value(p.track_exports().unwrap()).unwrap();
    assert_eq!(jobs.as_array().map(Vec::len), Some(1));
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
    for (bad, shown) in [
        (JsValue::from(3), "3"),
        (JsValue::from(0), "0"),
        (JsValue::from(1.5), "1.5"),
        (JsValue::from("2"), "'2'"),
        (JsValue::NULL, "null"),
        (JsValue::TRUE, "a boolean"),
    ] {
        assert_eq!(
            e(plan_in(BED, 0.0, bad)),
            format!(
                "gvlFormat: expected 1 (GenVarLoader 0.35) or 2 (GenVarLoader >= 0.36), got {shown}"
            )
        );
    }
    let mut p = DatasetPlan::new(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap();
    assert_eq!(
        message(p.track_exports().unwrap_err()),
        "tracks: none given yet"
    );
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
    // Annotation names: directory names, one name space with the tracks, in either order.
    p.set_tracks(tracks(&[("sig", &["x"])])).unwrap();
    let annot = |p: &mut DatasetPlan, n: &[&str]| message(p.set_annotations(names(n)).unwrap_err());
    assert_eq!(
        annot(&mut p, &["cons", "sig"]),
        "'sig' is both a track and an annotation track: GenVarLoader's Dataset.open refuses that"
    );
    assert_eq!(
        annot(&mut p, &["c", "c"]),
        "annotation track 'c' is given twice: track names are directory names, they must differ"
    );
    assert_eq!(
        annot(&mut p, &["a/b"]),
        "annot: track name 'a/b' cannot be a directory name (intervals/<name>/)"
    );
    assert!(message(p.set_annotations(JsValue::from(7)).unwrap_err()).starts_with("annot: "));
    let mut q = DatasetPlan::new(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap();
    q.set_annotations(names(&["sig"])).unwrap();
    assert_eq!(
        message(q.set_tracks(tracks(&[("sig", &["x"])])).unwrap_err()),
        "'sig' is both a track and an annotation track: GenVarLoader's Dataset.open refuses that"
    );
    // The module still works after all of that.
    assert!(plan(BED, 2.0).is_ok());
}
