//! The README's command-line examples are tests: every command of its ```sh blocks runs,
//! in README order, with the built `bigwig-npy` first on PATH, in a temporary directory
//! where `data/` is the bundled data (the examples name `data/seed/...` as they would from
//! the repository's root). Each must succeed, and a `# ...` line right after a command is
//! the line it prints: the same text, but for the seconds it took.
//!
//! Not run here: `bash`, `cargo` and `npm` lines (setup, shown for the reader), and
//! commands with URLs, which `js-tests/readme.test.mjs` runs against `npm start`'s server.
//! The README's ```js blocks are run by `js-tests/readme.test.mjs`, its ```python blocks by
//! `tests/python/test_readme.py`. Every fenced block must say which kind it is.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The first words of lines shown for the reader, not run.
const SETUP: &[&str] = &["bash", "cargo", "npm"];
const KINDS: &[&str] = &["sh", "js", "python", "text"];

struct Block {
    lang: String,
    /// README line number of the opening fence.
    line: usize,
    lines: Vec<String>,
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, l) in text.lines().enumerate() {
        match (&mut open, l.strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block {
                    lang: lang.trim().to_string(),
                    line: i + 1,
                    lines: Vec::new(),
                })
            }
            (Some(_), Some("")) => out.push(open.take().unwrap()),
            (Some(b), _) => b.lines.push(l.to_string()),
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "README.md: a fence is not closed");
    out
}

/// A command (its continuation lines joined) and the output lines shown after it.
struct Example {
    line: usize,
    command: String,
    shown: Vec<String>,
}

fn examples(b: &Block) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut lines = b.lines.iter().enumerate();
    while let Some((i, l)) = lines.next() {
        let line = b.line + 1 + i;
        if l.trim().is_empty() {
            continue;
        }
        if let Some(shown) = l.strip_prefix("# ") {
            let last = out.last_mut().unwrap_or_else(|| {
                panic!("README.md line {line}: output shown before any command")
            });
            last.shown.push(shown.to_string());
            continue;
        }
        let mut command = l.to_string();
        while command.ends_with('\\') {
            command.pop();
            let (_, next) = lines.next().expect("a continuation line");
            command.push_str(next);
        }
        out.push(Example {
            line,
            command,
            shown: Vec::new(),
        });
    }
    out
}

/// `shown` as printed, but for the seconds taken (`in 0.02 s`).
fn matches(shown: &str, printed: &str) -> bool {
    let (mut s, mut p) = (shown, printed);
    loop {
        match (s.find(" in "), p.find(" in ")) {
            (Some(i), Some(j)) if s[..i] == p[..j] => {
                let (s2, p2) = (&s[i + 4..], &p[j + 4..]);
                let num = |t: &str| t.find(|c: char| !(c.is_ascii_digit() || c == '.'));
                match (num(s2), num(p2)) {
                    (Some(a), Some(b)) if a > 0 && b > 0 && s2[a..].starts_with(" s") => {
                        if !p2[b..].starts_with(" s") {
                            return false;
                        }
                        s = &s2[a..];
                        p = &p2[b..];
                    }
                    _ => {
                        s = s2;
                        p = p2;
                    }
                }
            }
            _ => return s == p,
        }
    }
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_bigwig-npy"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn every_fenced_block_says_what_it_is() {
    for b in blocks(&readme()) {
        assert!(
            KINDS.contains(&b.lang.as_str()),
            "README.md line {}: a ```{} block; use one of {KINDS:?} (```text for what is not run)",
            b.line,
            b.lang
        );
    }
}

#[test]
fn the_command_line_examples_run_as_shown() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    std::os::unix::fs::symlink(&data, dir.path().join("data")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (mut ran, mut shown) = (0, 0);
    for b in blocks(&readme()).iter().filter(|b| b.lang == "sh") {
        for e in examples(b) {
            let first = e.command.split_whitespace().next().unwrap_or("");
            if SETUP.contains(&first) || e.command.contains("http://") {
                continue;
            }
            assert!(
                e.command.contains("bigwig-npy"),
                "README.md line {}: a command that runs no bigwig-npy (mark setup as {SETUP:?}, or the block ```text): {}",
                e.line,
                e.command
            );
            let out = Command::new("bash")
                .args(["-c", &format!("set -euo pipefail\n{}", e.command)])
                .current_dir(dir.path())
                .env("PATH", &path)
                .output()
                .unwrap();
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.status.success(),
                "README.md line {}: {}\nfailed ({}):\n{printed}",
                e.line,
                e.command,
                out.status
            );
            for s in &e.shown {
                assert!(
                    printed.lines().any(|p| matches(s, p)),
                    "README.md line {}: {}\nshows `{s}` but printed:\n{printed}",
                    e.line,
                    e.command
                );
                shown += 1;
            }
            ran += 1;
        }
    }
    // The README's examples: info, export, dataset, update, plan, the shards, concat.
    assert!(ran >= 7, "only {ran} README commands ran");
    assert!(shown >= 4, "only {shown} README output lines checked");
}

#[test]
fn shown_output_may_differ_only_in_seconds() {
    let s = "exported 2 regions x 3 samples: 9 intervals, 1.0 MB to t/ in 0.02 s; fetched 0.9 MB in 32 requests";
    assert!(matches(s, &s.replace("0.02 s", "12.5 s")));
    assert!(!matches(s, &s.replace("9 intervals", "8 intervals")));
    assert!(!matches(s, &s.replace("32 requests", "31 requests")));
    assert!(!matches(s, &s.replace("0.02 s", "0.02 ms")));
    assert!(matches("a in 1 s", "a in 1 s"));
    assert!(!matches("a in 1 s", "a in 1 s more"));
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// A markdown file's lines outside fenced blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|l| {
            if l.starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashMap::new();
    prose(text)
        .into_iter()
        .filter_map(|l| {
            l.trim_start_matches('#')
                .strip_prefix(' ')
                .filter(|_| l.starts_with('#'))
        })
        .map(|h| {
            let s = slug(h);
            let n = seen.entry(s.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                s
            } else {
                format!("{s}-{}", *n - 1)
            }
        })
        .collect()
}

#[test]
fn every_markdown_link_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = ["README.md", "workflow/README.md", "pkg-template/README.md"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    for dir in ["docs", "data"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "md") {
                files.push(p);
            } else if p.join("README.md").is_file() {
                files.push(p.join("README.md"));
            }
        }
    }
    assert!(files.len() >= 8, "{files:?}");
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for line in prose(&text) {
            for (at, _) in line.match_indices("](") {
                let rest = &line[at + 2..];
                let Some(end) = rest.find(')') else { continue };
                let link = &rest[..end];
                if link.contains(char::is_whitespace)
                    || link.contains("://")
                    || link.starts_with("mailto:")
                {
                    continue;
                }
                let (path, frag) = link.split_once('#').unwrap_or((link, ""));
                let target = if path.is_empty() {
                    f.clone()
                } else {
                    f.parent().unwrap().join(path)
                };
                let shown = f.strip_prefix(root).unwrap().display();
                if !target.exists() {
                    bad.push(format!("{shown}: {link}: no such file"));
                } else if !frag.is_empty()
                    && target.extension().is_some_and(|x| x == "md")
                    && !anchors(&std::fs::read_to_string(&target).unwrap())
                        .iter()
                        .any(|a| a == frag)
                {
                    bad.push(format!("{shown}: {link}: no such heading"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(
        slug("Native CLI: `python3 bench/run.py` (best of 3, 2026-11-24)"),
        "native-cli-python3-benchrunpy-best-of-3-2026-11-24"
    );
    assert_eq!(anchors("# A\n```\n# not\n```\n## A\n#no\n"), ["a", "a-1"]);
}
