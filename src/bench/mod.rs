//! `ringlead bench`: runs the real job over one lake for several worker layouts and measures each.
//!
//! Per layout (T threads per process x P processes on loopback): the initial load (every day
//! from scratch) wall time and throughput, the median and p95 per-day refresh over the last days,
//! the ratio of that refresh to the full recompute, peak memory per process and bytes exchanged
//! between processes per day. Every layout's outputs are compared with the first layout's.
//! Writes `<dir>/bench.csv` and `<dir>/bench.svg`; the caller prints the table.

pub mod compare;
pub mod launch;
pub mod measure;
pub mod plot;
pub mod table;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A worker layout: `threads` per process, `processes` over TCP. Written `TxP` (`2x1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayoutSpec {
    pub threads: usize,
    pub processes: usize,
}

impl LayoutSpec {
    /// Workers in the whole cluster.
    pub fn workers(&self) -> usize {
        self.threads * self.processes
    }
}

impl fmt::Display for LayoutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.threads, self.processes)
    }
}

impl FromStr for LayoutSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<LayoutSpec, String> {
        let bad = || format!("bad layout `{s}`: expected THREADSxPROCESSES, e.g. 2x1 (2 threads, 1 process)");
        let (t, p) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let threads: usize = t.parse().map_err(|_| bad())?;
        let processes: usize = p.parse().map_err(|_| bad())?;
        if threads == 0 || processes == 0 {
            return Err(bad());
        }
        Ok(LayoutSpec { threads, processes })
    }
}

/// Everything `bench` needs, resolved and checked.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// The lake every layout runs over.
    pub input: PathBuf,
    /// Where layouts' outputs and logs, `bench.csv` and `bench.svg` go.
    pub output: PathBuf,
    /// The layouts, in order; the first is the baseline for speed-up and the output check.
    pub layouts: Vec<LayoutSpec>,
    /// Refresh statistics over this many last days.
    pub last_days: usize,
    /// Extra flags for every `ringlead run`.
    pub run_args: Vec<String>,
    /// The `ringlead` binary to launch (normally this one).
    pub binary: PathBuf,
}

/// Errors of a benchmark.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    #[error("no layouts to run")]
    NoLayouts,
    #[error("layout {layout}: {source}")]
    Launch { layout: LayoutSpec, source: launch::LaunchError },
    #[error("layout {layout}: {source}")]
    Reports { layout: LayoutSpec, source: measure::ReportError },
    #[error("layout {layout}: {source}")]
    Outputs { layout: LayoutSpec, source: compare::CompareError },
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot draw {path}: {message}")]
    Plot { path: PathBuf, message: String },
}

/// One layout's measurements and how its outputs compare with the baseline's.
#[derive(Clone, Debug)]
pub struct LayoutResult {
    pub layout: LayoutSpec,
    pub stats: measure::Stats,
    /// Differences from the baseline layout's outputs (empty: identical).
    pub differences: Vec<String>,
}

/// A finished benchmark.
#[derive(Clone, Debug)]
pub struct BenchOutcome {
    pub results: Vec<LayoutResult>,
    pub csv: PathBuf,
    pub svg: PathBuf,
}

impl BenchOutcome {
    /// Whether every layout produced the baseline's outputs.
    pub fn agreed(&self) -> bool {
        self.results.iter().all(|r| r.differences.is_empty())
    }
}

/// Where a layout's run writes: `<dir>/<layout>/out`, its hosts file and process logs beside it.
pub fn layout_dir(output: &Path, layout: LayoutSpec) -> PathBuf {
    output.join(layout.to_string())
}

/// Runs every layout, measures it, compares its outputs with the first layout's, and writes the
/// CSV and the plot. Disagreeing outputs are reported in the outcome, not as an error, so the
/// caller still gets the numbers.
pub fn bench(opts: &BenchOptions) -> Result<BenchOutcome, BenchError> {
    if opts.layouts.is_empty() {
        return Err(BenchError::NoLayouts);
    }
    std::fs::create_dir_all(&opts.output).map_err(|source| BenchError::Io { path: opts.output.clone(), source })?;
    if let Some((load, cores)) = busy_machine() {
        tracing::warn!(
            "the machine is busy ({load:.1} of {cores} cores in use): other work competes for the cores, \
             so times and speed-ups will be noisy"
        );
    }
    let mut baseline: Option<compare::Outputs> = None;
    let mut results = Vec::new();
    for (i, &layout) in opts.layouts.iter().enumerate() {
        tracing::info!(
            "bench {}/{}: layout {layout} ({} thread(s) x {} process(es))",
            i + 1,
            opts.layouts.len(),
            layout.threads,
            layout.processes
        );
        let dir = layout_dir(&opts.output, layout);
        let wall = launch::run_layout(&launch::LaunchSpec {
            binary: &opts.binary,
            layout,
            input: &opts.input,
            dir: &dir,
            run_args: &opts.run_args,
        })
        .map_err(|source| BenchError::Launch { layout, source })?;
        let out = dir.join("out");
        let reports = measure::read_reports(&out).map_err(|source| BenchError::Reports { layout, source })?;
        let stats = measure::summarize(&reports, wall, opts.last_days);
        let outputs = compare::read_outputs(&out).map_err(|source| BenchError::Outputs { layout, source })?;
        let differences = match &baseline {
            None => Vec::new(),
            Some(base) => compare::differences(base, &outputs),
        };
        tracing::info!(
            "layout {layout}: {} days in {:.2}s ({:.0} rows/s), refresh median {:.3}s, outputs {}",
            stats.days,
            stats.initial_load_secs,
            stats.rows_per_sec,
            stats.refresh_median_secs,
            if baseline.is_none() {
                "are the baseline"
            } else if differences.is_empty() {
                "match"
            } else {
                "DIFFER"
            }
        );
        if baseline.is_none() {
            baseline = Some(outputs);
        }
        results.push(LayoutResult { layout, stats, differences });
    }
    let csv = opts.output.join("bench.csv");
    let rows = table::rows(&results);
    std::fs::write(&csv, table::csv(&rows)).map_err(|source| BenchError::Io { path: csv.clone(), source })?;
    let svg = opts.output.join("bench.svg");
    plot::draw(&svg, &rows).map_err(|message| BenchError::Plot { path: svg.clone(), message })?;
    Ok(BenchOutcome { results, csv, svg })
}

/// The cores other work keeps busy and the core count, when that is over a quarter of the
/// machine: CPU time not idle over one second, from `/proc/stat` (Linux; elsewhere, never). Not
/// the load average: it trails the last minute and would blame a build that has just finished.
/// Checked once at the start: later, our own runs keep the cores busy.
fn busy_machine() -> Option<(f64, usize)> {
    // (all, idle) jiffies: the first eight fields of the `cpu` line; idle and iowait are idle.
    fn sample() -> Option<(u64, u64)> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> =
            text.lines().next()?.split_whitespace().skip(1).take(8).filter_map(|x| x.parse().ok()).collect();
        Some((fields.iter().sum(), fields.get(3)? + fields.get(4).copied().unwrap_or(0)))
    }
    let (all0, idle0) = sample()?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (all1, idle1) = sample()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let busy = (1.0 - idle1.saturating_sub(idle0) as f64 / all1.saturating_sub(all0).max(1) as f64) * cores as f64;
    (busy > 0.25 * cores as f64).then_some((busy, cores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_parse_as_threads_x_processes() {
        assert_eq!("2x1".parse::<LayoutSpec>(), Ok(LayoutSpec { threads: 2, processes: 1 }));
        assert_eq!(" 4X16 ".parse::<LayoutSpec>().map(|l| (l.workers(), l.to_string())), Ok((64, "4x16".into())));
        let err = "2".parse::<LayoutSpec>().unwrap_err();
        assert_eq!(err, "bad layout `2`: expected THREADSxPROCESSES, e.g. 2x1 (2 threads, 1 process)");
        assert!("0x1".parse::<LayoutSpec>().is_err());
        assert!("1x".parse::<LayoutSpec>().is_err());
    }
}
