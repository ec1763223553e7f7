//! The run report of a day (`runs/dt=D.json`): what was read, rejected and emitted, how long each
//! phase took, peak memory, and the input files (so a later run can tell if they changed).

use super::SinkError;
use crate::model::Day;
use crate::run::plan::PlanFile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One day's report; written last, it marks the day committed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub day: String,
    pub workers: usize,
    pub processes: usize,
    /// Rows decoded per table (valid and rejected).
    pub rows_read: BTreeMap<String, u64>,
    pub rejects: u64,
    /// "table: reason" -> rows.
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// Hub values at the end of the day.
    pub hubs: i64,
    /// Changelog rows written per dataset.
    pub changes_out: BTreeMap<String, u64>,
    /// Wall seconds per phase (plan, read, compute, write, commit): the slowest worker's.
    pub phase_secs: BTreeMap<String, f64>,
    /// The largest peak resident set of any process so far, in bytes.
    pub peak_memory_bytes: u64,
    /// Bytes sent between processes during the day (timely's sockets, headers included), summed
    /// over processes; 0 for one process. Absent from reports written before it existed.
    #[serde(default)]
    pub bytes_sent: u64,
    pub inputs: Vec<PlanFile>,
}

/// `<output>/runs/dt=<day>.json`.
pub fn path(out: &Path, day: Day) -> PathBuf {
    out.join("runs").join(format!("dt={day}.json"))
}

impl RunReport {
    /// Writes the report atomically (a temporary name, then rename).
    pub fn write(&self, out: &Path) -> Result<(), SinkError> {
        let day: Day =
            self.day.parse().map_err(|_| SinkError::Report { path: out.to_owned(), message: "bad day".into() })?;
        let p = path(out, day);
        let dir = p.parent().expect("runs dir");
        std::fs::create_dir_all(dir).map_err(super::io_err(dir))?;
        let tmp = dir.join(format!(".dt={day}.json.tmp"));
        let text = serde_json::to_string_pretty(self).expect("report serializes") + "\n";
        std::fs::write(&tmp, text).map_err(super::io_err(&tmp))?;
        std::fs::rename(&tmp, &p).map_err(super::io_err(&p))
    }
}

/// Every committed day of an output, with the inputs its report recorded.
pub fn committed(out: &Path) -> Result<BTreeMap<Day, Vec<PlanFile>>, SinkError> {
    let dir = out.join("runs");
    let mut days = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(days) };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(day) =
            name.strip_prefix("dt=").and_then(|n| n.strip_suffix(".json")).and_then(|d| d.parse::<Day>().ok())
        else {
            continue;
        };
        let p = entry.path();
        let text = std::fs::read_to_string(&p).map_err(super::io_err(&p))?;
        let report: RunReport =
            serde_json::from_str(&text).map_err(|e| SinkError::Report { path: p.clone(), message: e.to_string() })?;
        days.insert(day, report.inputs);
    }
    Ok(days)
}

/// This process's peak resident set (VmHWM), in bytes; 0 where /proc is not available.
pub fn peak_rss() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return 0 };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
