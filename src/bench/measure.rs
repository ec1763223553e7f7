//! Measurements of one layout's run, from its wall time and its per-day run reports.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the bench needs of one day's run report (`runs/dt=D.json`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayReport {
    pub day: String,
    /// Rows decoded, all tables.
    pub rows_read: u64,
    /// read + compute + write: what a day costs once the dataflow is resident.
    pub refresh_secs: f64,
    /// Every phase the report times (plan, read, compute, write, ...).
    pub phases_secs: f64,
    /// The largest peak RSS of any process so far.
    pub peak_memory_bytes: u64,
    /// Bytes sent between processes during the day, summed over processes; `None` when the
    /// report has no such field (a job built before it was added).
    pub bytes_sent: Option<u64>,
}

/// Errors of reading run reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a run report: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("no run reports in {0}: the run committed no day")]
    Empty(PathBuf),
}

/// Every run report of an output, by day.
pub fn read_reports(out: &Path) -> Result<Vec<DayReport>, ReportError> {
    let dir = out.join("runs");
    let entries = std::fs::read_dir(&dir).map_err(|source| ReportError::Io { path: dir.clone(), source })?;
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("dt=")))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    // `dt=YYYY-MM-DD` sorts by day as text.
    paths.sort();
    let reports = paths.iter().map(|p| parse_report(p)).collect::<Result<Vec<_>, _>>()?;
    if reports.is_empty() {
        return Err(ReportError::Empty(dir));
    }
    Ok(reports)
}

fn parse_report(path: &Path) -> Result<DayReport, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io { path: path.to_owned(), source })?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| ReportError::Parse { path: path.to_owned(), message: e.to_string() })?;
    from_json(&v).map_err(|message| ReportError::Parse { path: path.to_owned(), message })
}

/// Reads the fields the bench uses; unknown fields are ignored and `bytes_sent` may be absent.
pub fn from_json(v: &Value) -> Result<DayReport, String> {
    let day = v.get("day").and_then(Value::as_str).ok_or("no `day`")?.to_owned();
    let rows = v.get("rows_read").and_then(Value::as_object).ok_or("no `rows_read`")?;
    let phases = v.get("phase_secs").and_then(Value::as_object).ok_or("no `phase_secs`")?;
    let phase = |k: &str| phases.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    Ok(DayReport {
        day,
        rows_read: rows.values().filter_map(Value::as_u64).sum(),
        refresh_secs: phase("read") + phase("compute") + phase("write"),
        phases_secs: phases.values().filter_map(Value::as_f64).sum(),
        peak_memory_bytes: v.get("peak_memory_bytes").and_then(Value::as_u64).unwrap_or(0),
        bytes_sent: v.get("bytes_sent").and_then(Value::as_u64),
    })
}

/// One layout's numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub days: usize,
    pub rows_read: u64,
    /// Wall time of the whole run, every day from scratch: the full recompute of the last day.
    pub initial_load_secs: f64,
    /// The part of the initial load outside the days' phases: process start, the cluster's
    /// connection (timely polls its sockets once a second), coordination, commits, exit.
    pub overhead_secs: f64,
    pub rows_per_sec: f64,
    /// Over the last days: the steady-state cost of one new day.
    pub refresh_median_secs: f64,
    pub refresh_p95_secs: f64,
    /// Median refresh / initial load: what a day costs incrementally, as a share of recomputing.
    pub refresh_vs_recompute: f64,
    /// The largest peak RSS of any one process.
    pub peak_rss_bytes: u64,
    /// Mean bytes sent between processes per day, all days (`None`: not reported).
    pub exchanged_bytes_per_day: Option<f64>,
    /// Median of the same over the last days.
    pub exchanged_bytes_per_refresh: Option<f64>,
}

/// Summarizes a run: `wall` is its wall time, `last_days` the refresh window.
pub fn summarize(reports: &[DayReport], wall: Duration, last_days: usize) -> Stats {
    let initial = wall.as_secs_f64();
    let rows: u64 = reports.iter().map(|r| r.rows_read).sum();
    let last = &reports[reports.len().saturating_sub(last_days.max(1))..];
    let mut refresh: Vec<f64> = last.iter().map(|r| r.refresh_secs).collect();
    refresh.sort_by(f64::total_cmp);
    let median = quantile(&refresh, 0.5);
    let bytes: Option<Vec<u64>> = reports.iter().map(|r| r.bytes_sent).collect();
    let (per_day, per_refresh) = match bytes {
        Some(b) if !b.is_empty() => {
            let mut tail: Vec<f64> = b[b.len().saturating_sub(last.len())..].iter().map(|&x| x as f64).collect();
            tail.sort_by(f64::total_cmp);
            (Some(b.iter().sum::<u64>() as f64 / b.len() as f64), Some(quantile(&tail, 0.5)))
        }
        _ => (None, None),
    };
    Stats {
        days: reports.len(),
        rows_read: rows,
        initial_load_secs: initial,
        overhead_secs: (initial - reports.iter().map(|r| r.phases_secs).sum::<f64>()).max(0.0),
        rows_per_sec: if initial > 0.0 { rows as f64 / initial } else { 0.0 },
        refresh_median_secs: median,
        refresh_p95_secs: quantile(&refresh, 0.95),
        refresh_vs_recompute: if initial > 0.0 { median / initial } else { 0.0 },
        peak_rss_bytes: reports.iter().map(|r| r.peak_memory_bytes).max().unwrap_or(0),
        exchanged_bytes_per_day: per_day,
        exchanged_bytes_per_refresh: per_refresh,
    }
}

/// The `q` quantile of sorted values: the median interpolates between the middle two, other
/// quantiles take the nearest rank (p95 of 10 values is the largest: no value is invented).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if q == 0.5 && n % 2 == 0 => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        n => sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(refresh: f64, rows: u64, peak: u64, bytes: Option<u64>) -> DayReport {
        DayReport {
            day: String::new(),
            rows_read: rows,
            refresh_secs: refresh,
            phases_secs: refresh,
            peak_memory_bytes: peak,
            bytes_sent: bytes,
        }
    }

    #[test]
    fn quantiles_take_ranks_and_the_median_interpolates() {
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 0.5), 2.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 10.0], 0.5), 2.5);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&ten, 0.95), 10.0);
        let forty: Vec<f64> = (1..=40).map(f64::from).collect();
        assert_eq!(quantile(&forty, 0.95), 38.0);
    }

    #[test]
    fn a_run_summarizes_over_its_last_days() {
        let reports = vec![
            day(5.0, 1000, 10, Some(900)),
            day(0.2, 100, 30, Some(100)),
            day(0.4, 100, 20, Some(300)),
            day(0.3, 100, 20, Some(200)),
        ];
        let s = summarize(&reports, Duration::from_secs(10), 3);
        assert_eq!((s.days, s.rows_read, s.peak_rss_bytes), (4, 1300, 30));
        assert_eq!((s.rows_per_sec, s.refresh_median_secs, s.refresh_p95_secs), (130.0, 0.3, 0.4));
        assert!((s.refresh_vs_recompute - 0.03).abs() < 1e-12);
        assert!((s.overhead_secs - 4.1).abs() < 1e-12);
        assert_eq!((s.exchanged_bytes_per_day, s.exchanged_bytes_per_refresh), (Some(375.0), Some(200.0)));
        // One report without the field: bytes are unknown, not zero.
        let mut partial = reports.clone();
        partial[1].bytes_sent = None;
        assert_eq!(summarize(&partial, Duration::from_secs(10), 3).exchanged_bytes_per_day, None);
    }

    #[test]
    fn reports_parse_with_or_without_bytes_sent() {
        let v: Value = serde_json::from_str(
            r#"{"day":"2026-01-02","workers":2,"rows_read":{"orders":10,"sellers":5},
                "phase_secs":{"plan":9.0,"read":0.5,"compute":1.0,"write":0.25},"peak_memory_bytes":7}"#,
        )
        .unwrap();
        let r = from_json(&v).unwrap();
        assert_eq!(r, DayReport { day: "2026-01-02".into(), phases_secs: 10.75, ..day(1.75, 15, 7, None) });
        let mut with = v.clone();
        with["bytes_sent"] = 42.into();
        assert_eq!(from_json(&with).unwrap().bytes_sent, Some(42));
        assert_eq!(from_json(&serde_json::json!({"day": "x"})).unwrap_err(), "no `rows_read`");
    }
}
