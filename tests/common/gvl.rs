//! GenVarLoader datasets in tests: the fixtures `gvl.write` (0.35: data/gvl, format 1)
//! and GenVarLoader 0.43.1 (data/gvl2, format 2) wrote, sample tables, and comparing a
//! dataset of ours with theirs file by file.

use super::data;
use arrow_array::{Array, RecordBatch};
use std::path::{Path, PathBuf};
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A sample table: tsv or csv by `name`'s extension, rows in the given order.
pub fn table(dir: &Path, name: &str, rows: &[(&str, &Path)]) -> PathBuf {
    let sep = if name.ends_with(".csv") { "," } else { "\t" };
    let mut text = format!("sample{sep}path\n");
    for (s, p) in rows {
        text.push_str(&format!("{s}{sep}{}\n", p.display()));
    }
    write(dir, name, &text)
}

/// Files under `dir` (relative paths, sorted); with `dirs`, directories too (ending in /).
pub fn walk(dir: &Path, dirs: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() {
                if dirs {
                    out.push(format!("{rel}/"));
                }
                todo.push(p);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

pub fn files_under(dir: &Path) -> Vec<String> {
    walk(dir, false)
}

/// The one record batch of an Arrow IPC file (gvl.write writes one; so do we).
pub fn read_arrow(path: &Path) -> RecordBatch {
    let f = std::fs::File::open(path).unwrap();
    let r = arrow_ipc::reader::FileReader::try_new(f, None).unwrap();
    let batches: Vec<RecordBatch> = r.map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), 1, "{}: one record batch", path.display());
    batches.into_iter().next().unwrap()
}

/// Our dataset at `ours` equals GenVarLoader's at `gvl`: every file present, track arrays
/// and regions.npy byte for byte, metadata fields, and the Arrow table.
pub fn assert_same_dataset(ours: &Path, gvl: &Path, what: &str) {
    let files = files_under(gvl);
    assert_eq!(files_under(ours), files, "{what}: files");
    for f in &files {
        if f.starts_with("intervals/") || f.starts_with("annot_intervals/") || f == "regions.npy" {
            let (a, b) = (
                std::fs::read(ours.join(f)).unwrap(),
                std::fs::read(gvl.join(f)).unwrap(),
            );
            assert!(
                a == b,
                "{what}: {f} differs ({} vs {} bytes)",
                a.len(),
                b.len()
            );
        }
    }
    let meta = |d: &Path| -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_slice::<serde_json::Value>(
            &std::fs::read(d.join("metadata.json")).unwrap(),
        )
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
    };
    let (mut m, g) = (meta(ours), meta(gvl));
    assert_eq!(
        m.remove("written_by")
            .and_then(|v| v.as_str().map(str::to_string)),
        Some(format!("bigwig-npy {}", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(m, g, "{what}: metadata.json");

    let (a, b) = (
        read_arrow(&ours.join("input_regions.arrow")),
        read_arrow(&gvl.join("input_regions.arrow")),
    );
    // The columns Dataset.open reads, one by one for a clear message, then all of them.
    for col in ["chrom", "chromStart", "chromEnd", "strand", "r_idx_map"] {
        let (x, y) = (a.column_by_name(col), b.column_by_name(col));
        assert_eq!(x.is_some(), y.is_some(), "{what}: column {col} present");
        if let (Some(x), Some(y)) = (x, y) {
            assert_eq!(x.data_type(), y.data_type(), "{what}: {col} type");
            assert_eq!(x.to_data(), y.to_data(), "{what}: column {col}");
        }
    }
    assert_eq!(a.schema(), b.schema(), "{what}: Arrow schema");
    assert_eq!(a, b, "{what}: Arrow table");
}

pub fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// One `gvl.write` case of a fixtures directory (data/gvl or data/gvl2): its BED, tracks
/// (name -> [(sample, bigWig)], rows reversed: the dataset's order must not depend on
/// them), annotation tracks (name -> bigWig) and max_jitter.
pub struct GvlCase {
    pub name: String,
    pub dir: PathBuf,
    pub tracks: Vec<(String, Vec<(String, PathBuf)>)>,
    pub annot: Vec<(String, PathBuf)>,
    pub max_jitter: Option<u64>,
}

/// The cases of `data/<fixtures>` written by one `gvl.write` (not update or concat ones).
pub fn gvl_cases(fixtures: &str) -> Vec<GvlCase> {
    let root = data().join(fixtures);
    let mut out = Vec::new();
    for e in std::fs::read_dir(&root).unwrap() {
        let dir = e.unwrap().path();
        if !dir.join("dataset.gvl").is_dir()
            || dir.join("steps.json").exists()
            || dir.join("parts.json").exists()
        {
            continue;
        }
        let json = |f: &str| -> serde_json::Value {
            std::fs::read(dir.join(f))
                .map(|b| serde_json::from_slice(&b).unwrap())
                .unwrap_or(serde_json::json!({}))
        };
        let bigwig = |f: &serde_json::Value| root.join("bigwig").join(f.as_str().unwrap());
        let tracks = json("tracks.json")
            .as_object()
            .unwrap()
            .iter()
            .map(|(t, m)| {
                let mut rows: Vec<(String, PathBuf)> = m
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(s, f)| (s.clone(), bigwig(f)))
                    .collect();
                rows.reverse();
                (t.clone(), rows)
            })
            .collect();
        let annot = json("annot.json")
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, f)| (n.clone(), bigwig(f)))
            .collect();
        out.push(GvlCase {
            name: dir.file_name().unwrap().to_str().unwrap().to_string(),
            max_jitter: json("args.json")["max_jitter"].as_u64(),
            dir,
            tracks,
            annot,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The `--track` and `--annot` arguments of `case`, tables written to `tmp` (csv for the
/// second track).
pub fn track_args(case: &GvlCase, tmp: &Path) -> Vec<String> {
    let mut args: Vec<String> = case
        .tracks
        .iter()
        .enumerate()
        .flat_map(|(i, (t, rows))| {
            let ext = if i == 1 { "csv" } else { "tsv" };
            let rows: Vec<(&str, &Path)> = rows
                .iter()
                .map(|(s, p)| (s.as_str(), p.as_path()))
                .collect();
            let tab = table(tmp, &format!("{}-{t}.{ext}", case.name), &rows);
            ["--track".to_string(), format!("{t}={}", tab.display())]
        })
        .collect();
    for (n, p) in &case.annot {
        args.extend(["--annot".to_string(), format!("{n}={}", p.display())]);
    }
    args
}
