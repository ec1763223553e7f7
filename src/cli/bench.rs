//! `ringlead bench` arguments, resolved into `bench::BenchOptions`; prints the table, maps a
//! disagreement between layouts to a failure.

use crate::bench::{self, BenchOptions, LayoutSpec};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Runs the job over a lake once per worker layout and reports time, throughput, refresh,
/// memory and exchanged bytes per layout, checking that every layout gives the same outputs.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The lake to run over (e.g. `ringlead generate --scale small --out LAKE`).
    #[arg(long)]
    pub input: PathBuf,
    /// Where each layout's output and logs go (`<dir>/<layout>/`, replaced on every run), with
    /// bench.csv and bench.svg.
    #[arg(long)]
    pub output: PathBuf,
    /// Layouts THREADSxPROCESSES, comma-separated; the first is the baseline of speed-up and of
    /// the output check. Processes run on this machine over loopback.
    #[arg(long, value_delimiter = ',', default_value = "1x1,1x2,2x1,2x2")]
    pub layouts: Vec<LayoutSpec>,
    /// The per-day refresh median and p95 are taken over this many last days.
    #[arg(long, default_value_t = 10)]
    pub last_days: usize,
    /// Flags for every `ringlead run`, after `--` (e.g. `-- --job jobs/demo.toml`). Input,
    /// output and layout flags are the bench's own.
    #[arg(last = true)]
    pub run_args: Vec<String>,
}

/// Resolves the arguments, runs the benchmark and prints its table on stdout.
pub fn run(b: BenchArgs) -> Result<()> {
    if !b.input.is_dir() {
        bail!("the input {} is not a directory", b.input.display());
    }
    let owned = ["--input", "--output", "-w", "--workers", "--processes", "--process-index", "--hosts"];
    if let Some(f) = b.run_args.iter().find(|a| owned.contains(&a.split('=').next().unwrap_or(a))) {
        bail!("`{f}` after `--` is set by the bench itself for every layout");
    }
    let opts = BenchOptions {
        input: b.input,
        output: b.output,
        layouts: b.layouts,
        last_days: b.last_days.max(1),
        run_args: b.run_args,
        binary: std::env::current_exe().context("locating the ringlead binary")?,
    };
    let outcome = bench::bench(&opts)?;
    let rows = bench::table::rows(&outcome.results);
    print!("{}", bench::table::render(&rows));
    println!("wrote {} and {}", outcome.csv.display(), outcome.svg.display());
    if !outcome.agreed() {
        bail!("the layouts' outputs differ (see the table and {})", outcome.csv.display());
    }
    Ok(())
}
