//! Atomic output for the npm package's `exportDatasetToDir` (Node): the core's names,
//! owner records and decisions ([`crate::atomic`]), so that the package and the CLI follow
//! one protocol and each understands what the other leaves. The JS host
//! (`pkg-template/sinks/atomic.js`) only looks at the file system and acts. The package
//! writes datasets only ([`Role::Dataset`]); its exports' temporary files are named by
//! [`crate::atomic::temp`] (`pkg-template/sinks/directory.js`).

use super::{from_js, js_err, to_js};
use crate::atomic::{
    aside_token, busy, changed_under_us, judge, may_replace, run_of_aside, start_time, temp, token,
    token_pid, Evidence, Found, Here, Kind, Liveness, Owner, Role, HEARTBEAT, STALE_AFTER,
};
use crate::error::Error;
use std::time::Duration;
use wasm_bindgen::prelude::*;

const ROLE: Role = Role::Dataset;
/// How JS callers say overwrite, in refusals.
const FLAG: &str = "overwrite: true";

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    heartbeat_ms: f64,
    stale_after_ms: f64,
    /// The file that makes a directory a dataset (what may be replaced).
    marker: &'static str,
}

/// `{ heartbeatMs, staleAfterMs, marker }`: how often a run touches its owner record, when
/// an untouched one is stale, and the file that makes a directory a dataset.
#[wasm_bindgen(js_name = atomicConfig)]
pub fn atomic_config() -> Result<JsValue, JsValue> {
    to_js(&Config {
        heartbeat_ms: HEARTBEAT.as_millis() as f64,
        stale_after_ms: STALE_AFTER.as_millis() as f64,
        marker: ROLE.marker(),
    })
}

/// A run's token from its pid and 32 random bits.
#[wasm_bindgen(js_name = atomicToken)]
pub fn atomic_token(pid: u32, random: u32) -> String {
    token(pid, random)
}

/// The hidden name of `kind` (`staging`, `owner`, `aside`, `stale`) for target `name` and
/// run `token`; `attempt` numbers a run's set-asides (another run's dataset may land and be
/// set aside in turn).
#[wasm_bindgen(js_name = atomicName)]
pub fn atomic_name(
    kind: &str,
    name: &str,
    token: &str,
    attempt: Option<u32>,
) -> Result<String, JsValue> {
    Ok(match kind {
        "staging" => ROLE.name(Kind::Staging, name, token),
        "owner" => ROLE.owner_name(name, token),
        "aside" => ROLE.name(Kind::Aside, name, &aside_token(token, attempt.unwrap_or(0))),
        "stale" => ROLE.name(Kind::Stale, name, token),
        _ => return Err(js_err(Error::input(format!("no entry kind '{kind}'")))),
    })
}

#[derive(serde::Serialize)]
struct Entry<'a> {
    kind: &'static str,
    name: &'a str,
    token: &'a str,
    /// The pid its token names.
    pid: Option<u32>,
}

/// A directory entry of the protocol, `{ kind, name, token, pid }` (kind `staging`,
/// `aside`, `stale` or `owner`), or undefined for anything else (the user's).
#[wasm_bindgen(js_name = atomicParse)]
pub fn atomic_parse(entry: &str) -> Result<JsValue, JsValue> {
    let parsed = match ROLE.parse_owner(entry) {
        Some((name, token)) => Some(("owner", name, token)),
        None => ROLE.parse(entry).map(|(kind, name, token)| {
            let kind = match kind {
                Kind::Staging => "staging",
                Kind::Aside => "aside",
                Kind::Stale => "stale",
            };
            (kind, name, token)
        }),
    };
    match parsed {
        Some((kind, name, token)) => to_js(&Entry {
            kind,
            name,
            token,
            pid: token_pid(token),
        }),
        None => Ok(JsValue::UNDEFINED),
    }
}

/// The run that set aside an entry with token `aside`, among `runs` (the tokens of the
/// owner records of its target), if one is left.
#[wasm_bindgen(js_name = atomicRunOfAside)]
pub fn atomic_run_of_aside(aside: &str, runs: Vec<String>) -> Option<String> {
    run_of_aside(aside, runs.iter().map(String::as_str)).map(String::from)
}

/// What JS knows of its machine: `{ bootId, pidNs }` (empty without `/proc`).
fn here(v: JsValue) -> Result<Here, JsValue> {
    let read = || -> Result<Here, from_js::Fail> {
        let o = from_js::object(&v, "struct JsHere")?;
        Ok(Here {
            boot_id: o.string("bootId")?.unwrap_or_default(),
            pid_ns: o.string("pidNs")?.unwrap_or_default(),
        })
    };
    read().map_err(|e| e.into_js(JsValue::from))
}

/// The owner record (JSON) of this process: `here`, its pid and `/proc/self/stat` text
/// (empty where there is none). Node holds no file locks (`locks: false`).
#[wasm_bindgen(js_name = atomicOwnerRecord)]
pub fn atomic_owner_record(here_: JsValue, pid: u32, self_stat: &str) -> Result<String, JsValue> {
    let h = here(here_)?;
    let owner = Owner {
        boot_id: h.boot_id,
        pid_ns: h.pid_ns,
        pid,
        start: start_time(self_stat).unwrap_or(0),
        tool: format!("{} (npm package)", crate::dataset::metadata::written_by()),
        locks: false,
    };
    Ok(String::from_utf8_lossy(&owner.to_json()).into_owned())
}

/// The pid whose `/proc/PID/stat` a sweeper on `here` reads to judge owner record
/// `record` (the owner runs on this machine, in this pid namespace), else undefined.
#[wasm_bindgen(js_name = atomicLocalPid)]
pub fn atomic_local_pid(here_: JsValue, record: &str) -> Result<Option<u32>, JsValue> {
    let h = here(here_)?;
    Ok(Owner::parse(record.as_bytes()).and_then(|o| o.local_pid(&h)))
}

/// What a sweeper found: the record's text, its age (or without one, the entry's), the
/// stat text of [`atomic_local_pid`]'s pid, and without a record whether the token's pid
/// exists (each may be left out; the last where that cannot be seen).
struct JsEvidence {
    record: Option<String>,
    age_ms: Option<f64>,
    pid_stat: Option<String>,
    pid_exists: Option<bool>,
}

fn evidence(v: &JsValue) -> Result<JsEvidence, from_js::Fail> {
    let o = from_js::object(v, "struct JsEvidence")?;
    Ok(JsEvidence {
        record: o.opt_string("record")?,
        age_ms: o.opt_f64("ageMs")?,
        pid_stat: o.opt_string("pidStat")?,
        pid_exists: o.opt_bool("pidExists")?,
    })
}

/// Whether the run that owns an entry is gone (its entries may be swept), by the core's
/// judgement of `evidence` (see [`JsEvidence`]); Node cannot test locks.
#[wasm_bindgen(js_name = atomicOwnerGone)]
pub fn atomic_owner_gone(here_: JsValue, evidence: JsValue) -> Result<bool, JsValue> {
    let h = here(here_)?;
    let e = self::evidence(&evidence).map_err(|e| e.into_js(JsValue::from))?;
    let ev = Evidence {
        owner: e.record.as_deref().and_then(|r| Owner::parse(r.as_bytes())),
        age: e
            .age_ms
            .filter(|ms| ms.is_finite())
            .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0)),
        locked: None,
        start_of_pid: e.pid_stat.as_deref().and_then(start_time),
        // Asked only without a record.
        pid_exists: e.pid_exists.filter(|_| e.record.is_none()),
    };
    Ok(judge(&h, &ev) == Liveness::Dead)
}

/// Whether a dataset may go where `found` is (`missing`, `file`, `emptyDir`, `ours`,
/// `otherDir`): undefined if so, else the one-line reason.
#[wasm_bindgen(js_name = atomicMayReplace)]
pub fn atomic_may_replace(found: &str, overwrite: bool) -> Result<Option<String>, JsValue> {
    let found = match found {
        "missing" => Found::Missing,
        "file" => Found::File,
        "emptyDir" => Found::EmptyDir,
        "ours" => Found::Ours,
        "otherDir" => Found::OtherDir,
        _ => return Err(js_err(Error::input(format!("no target state '{found}'")))),
    };
    Ok(may_replace(ROLE, found, overwrite, FLAG).err())
}

/// The message when what is at `target` changed during the export into something it may
/// not replace (`why`, from [`atomic_may_replace`]).
#[wasm_bindgen(js_name = atomicChangedUnderUs)]
pub fn atomic_changed_under_us(target: &str, why: &str) -> String {
    changed_under_us(target, why)
}

/// The message when other runs kept committing to `target` while this one tried to.
#[wasm_bindgen(js_name = atomicBusy)]
pub fn atomic_busy(target: &str) -> String {
    busy(target)
}

/// The temporary name of export output file `name` for run `run` (`<pid>-<tag>`).
#[wasm_bindgen(js_name = exportTempName)]
pub fn export_temp_name(name: &str, run: &str) -> String {
    temp::temp_name(name, run)
}

/// The scratch file of run `run`'s genome-order output.
#[wasm_bindgen(js_name = exportSpillName)]
pub fn export_spill_name(run: &str) -> String {
    temp::spill_name(run)
}

/// The process id of the run that left directory entry `entry`, when it is an export's
/// temporary or scratch file (the CLI's or the npm package's); undefined otherwise.
#[wasm_bindgen(js_name = exportLeftoverPid)]
pub fn export_leftover_pid(entry: &str) -> Option<u32> {
    temp::leftover_pid(entry)
}
