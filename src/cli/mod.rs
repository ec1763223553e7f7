//! The command line: clap arguments, resolved into typed options before any work starts.

use crate::config::JobConfig;
use crate::generate::{self, GenerateOptions, Scale};
use crate::lake::write::Codec;
use crate::model::{Day, Table, TableMode};
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

mod bench;
pub use bench::BenchArgs;

/// ringlead: rings of seller accounts that are likely one counterfeit operation, kept live day by
/// day from a marketplace's data lake.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    /// More log output (-v debug, -vv trace). `RINGLEAD_LOG` (an env-filter) overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a synthetic marketplace data lake with planted counterfeit rings and ground truth.
    Generate(GenerateArgs),
    /// Show what a lake holds: partitions, ready days, files, rows and bytes per table.
    Inspect(InspectArgs),
    /// Run the job: process every ready day not yet committed (and, with --follow, each new one).
    Run(RunArgs),
    /// Fit the model's weights from the lake's labels of days <= --until, using the job's outputs.
    Train(TrainArgs),
    /// Measure the job's leads against a generated lake's ground truth.
    Evaluate(EvaluateArgs),
    /// Check a job file and print it with every default filled in.
    CheckJob(CheckJobArgs),
    /// Benchmark worker layouts (threads x processes) on a lake: time, speed-up, refresh,
    /// memory, exchanged bytes; checks every layout gives the same outputs; writes CSV and SVG.
    Bench(BenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The job file; its input is the lake with labels, its output the job's outputs (run the job
    /// first: the model inputs do not depend on the weights).
    #[arg(long)]
    pub job: Option<PathBuf>,
    /// The lake (overrides the job file's input.root).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The job's outputs (overrides output.root).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Train on labels of days up to this one (YYYY-MM-DD); later labels are held out.
    #[arg(long)]
    pub until: Day,
    /// Where to write the fitted model config.
    #[arg(long, default_value = "configs/model.trained.toml")]
    pub model_out: PathBuf,
    /// L2 regularisation of the weights.
    #[arg(long, default_value_t = 1.0)]
    pub l2: f64,
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// The job file (its output.root holds the leads to evaluate).
    #[arg(long)]
    pub job: Option<PathBuf>,
    /// The job's outputs (overrides output.root).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// The ground truth: `<lake>/_truth` of a generated lake.
    #[arg(long)]
    pub truth: PathBuf,
    /// Evaluate days from this one on (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<Day>,
    /// Evaluate days up to this one.
    #[arg(long)]
    pub until: Option<Day>,
    /// Where to write the machine-readable result (default: <output>/evaluation.json).
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The lake's root directory (overrides the job file's input.root).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Where outputs go (overrides output.root).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// A job file (TOML, see jobs/default.toml); without one, SPEC defaults apply.
    #[arg(long)]
    pub job: Option<PathBuf>,
    /// Worker threads per process (overrides workers.threads).
    #[arg(short = 'w', long)]
    pub workers: Option<usize>,
    /// Processes in the cluster (overrides workers.processes); needs --hosts.
    #[arg(long)]
    pub processes: Option<usize>,
    /// This process's index, 0-based. Default: RINGLEAD_PROCESS_INDEX, SLURM_PROCID, or the
    /// ordinal of a StatefulSet hostname (`name-3`).
    #[arg(long)]
    pub process_index: Option<usize>,
    /// Hosts file: line i is process i's host:port (overrides workers.hosts).
    #[arg(long)]
    pub hosts: Option<PathBuf>,
    /// Stay resident and process each new ready day as it lands; SIGTERM finishes the day in
    /// flight, commits it and exits 0.
    #[arg(long)]
    pub follow: bool,
    /// --follow: seconds between looks for a new ready day (overrides input.poll_interval_secs).
    #[arg(long)]
    pub poll_interval: Option<u64>,
    /// Exit non-zero when a day makes no progress for this many seconds (a frozen peer).
    #[arg(long, default_value_t = 3600)]
    pub day_timeout: u64,
    /// At the end, log each worker's busiest dataflow operators (from timely's scheduling log;
    /// costs a little time while it records).
    #[arg(long)]
    pub profile_operators: bool,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Directory to write the lake into (tables, `_truth/`).
    #[arg(long)]
    pub out: PathBuf,
    /// Size preset; the flags below override its numbers.
    #[arg(long, value_enum, default_value = "small")]
    pub scale: Scale,
    /// Random seed: the same seed and flags give the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Sellers at the start (the population grows a little each day).
    #[arg(long)]
    pub sellers: Option<usize>,
    /// Days to generate.
    #[arg(long)]
    pub days: Option<u32>,
    /// First day, YYYY-MM-DD.
    #[arg(long, default_value = "2026-01-01")]
    pub start: Day,
    /// Orders on an average day.
    #[arg(long)]
    pub orders_per_day: Option<usize>,
    /// Planted counterfeit rings.
    #[arg(long)]
    pub rings: Option<usize>,
    /// Write a table in another mode, e.g. `--mode seller_identity=snapshot` (repeatable).
    #[arg(long = "mode", value_parser = parse_mode)]
    pub modes: Vec<(Table, TableMode)>,
    /// Data files per partition of the large tables.
    #[arg(long)]
    pub files: Option<usize>,
    /// Compression codec (ignored with --variety, which mixes all of them).
    #[arg(long, value_enum, default_value = "snappy")]
    pub codec: Codec,
    /// Write without dictionary encoding.
    #[arg(long)]
    pub no_dictionary: bool,
    /// Rows per row group.
    #[arg(long)]
    pub row_group_rows: Option<usize>,
    /// Vary codec, dictionary, string and integer types and nullability from file to file
    /// (default: on for the tiny preset only).
    #[arg(long)]
    pub variety: Option<bool>,
    /// Invalid rows planted per day, to be rejected by the job.
    #[arg(long)]
    pub bad_rows: Option<usize>,
    /// Threads to generate and encode with (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Replace a lake already in --out.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The lake's root directory.
    pub lake: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct CheckJobArgs {
    /// The job file (TOML).
    pub job: PathBuf,
}

fn parse_mode(s: &str) -> Result<(Table, TableMode), String> {
    let (t, m) = s.split_once('=').ok_or("expected TABLE=MODE")?;
    let table: Table = t.parse().map_err(|_| format!("unknown table `{t}`"))?;
    let mode: TableMode = m.parse().map_err(|_| format!("unknown mode `{m}` (events, changes, snapshot)"))?;
    if !table.allowed_modes().contains(&mode) {
        return Err(format!("table {table} cannot be written in mode {mode}"));
    }
    Ok((table, mode))
}

/// Sets up logging to stderr: stdout stays free for machine-readable output.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RINGLEAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// Runs a parsed command line.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Generate(g) => run_generate(g),
        Command::Inspect(i) => {
            let report =
                crate::inspect::inspect(&i.lake).with_context(|| format!("inspecting {}", i.lake.display()))?;
            print!("{report}");
            Ok(())
        }
        Command::Run(r) => {
            let opts = run_options(&r)?;
            let summary = crate::run::run(opts)?;
            tracing::info!("done: {} days processed, {} replayed", summary.days_processed, summary.days_replayed);
            Ok(())
        }
        Command::Train(t) => run_train(&t),
        Command::Evaluate(e) => run_evaluate(&e),
        Command::CheckJob(c) => {
            let job = JobConfig::load(&c.job)?;
            print!("{}", toml::to_string_pretty(&job).context("printing the job")?);
            Ok(())
        }
        Command::Bench(b) => bench::run(b),
    }
}

/// Resolves `run` flags over the job file (or SPEC defaults).
pub fn run_options(r: &RunArgs) -> Result<crate::run::RunOptions> {
    let mut job = match &r.job {
        Some(path) => JobConfig::load(path)?,
        None => JobConfig::default(),
    };
    if let Some(p) = &r.input {
        job.input.root = Some(p.clone());
    }
    if let Some(p) = &r.output {
        job.output.root = Some(p.clone());
    }
    if let Some(n) = r.workers {
        job.workers.threads = n;
    }
    if let Some(n) = r.processes {
        job.workers.processes = n;
    }
    if let Some(h) = &r.hosts {
        job.workers.hosts = Some(h.clone());
    }
    if let Some(s) = r.poll_interval {
        job.input.poll_interval_secs = s;
    }
    job.check(r.job.as_deref().unwrap_or(std::path::Path::new("<flags>")))?;
    let input = job.input.root.clone().context("no input: pass --input or set input.root in the job file")?;
    let output = job.output.root.clone().context("no output: pass --output or set output.root in the job file")?;
    if !input.is_dir() {
        bail!("the input {} is not a directory", input.display());
    }
    let w = &job.workers;
    let layout = crate::cluster::Layout::resolve(w.threads, w.processes, r.process_index, w.hosts.as_deref())?;
    let model = load_model(&job)?;
    Ok(crate::run::RunOptions {
        model,
        input,
        output,
        job,
        layout,
        follow: r.follow,
        day_timeout: std::time::Duration::from_secs(r.day_timeout.max(1)),
        profile_operators: r.profile_operators,
    })
}

/// The job's model config: the file `[model] config` names, else the built-in weights (which
/// `configs/model.toml` repeats).
pub fn load_model(job: &JobConfig) -> Result<crate::config::ModelConfig> {
    match &job.model.config {
        Some(path) => Ok(crate::config::ModelConfig::load(path)?),
        None => Ok(crate::config::ModelConfig::default()),
    }
}

fn job_or_default(path: &Option<PathBuf>) -> Result<JobConfig> {
    Ok(match path {
        Some(p) => JobConfig::load(p)?,
        None => JobConfig::default(),
    })
}

fn run_train(t: &TrainArgs) -> Result<()> {
    let job = job_or_default(&t.job)?;
    let lake = t.input.clone().or(job.input.root.clone()).context("no input: pass --input or a job with input.root")?;
    let out =
        t.output.clone().or(job.output.root.clone()).context("no output: pass --output or a job with output.root")?;
    let examples = crate::train::examples(&lake, &out).context("collecting labelled examples")?;
    let (train, held): (Vec<_>, Vec<_>) = examples.into_iter().partition(|e| e.day <= t.until);
    if train.is_empty() {
        bail!("no labels with days <= {} have features in {}", t.until, out.display());
    }
    let w = crate::train::fit(&train, t.l2);
    let base = load_model(&job)?;
    let model = crate::train::model_config(&w, &base);
    let fit_train = crate::train::evaluate_fit(&w, &train);
    let fit_held = crate::train::evaluate_fit(&w, &held);
    let text = format!(
        "# Fitted by `ringlead train --until {}` on {} labels ({} counterfeit); held out: {} labels.\n# train: log loss {:.4}, AUC {:.4}, accuracy {:.4}; held out: log loss {:.4}, AUC {:.4}, accuracy {:.4}\n{}",
        t.until,
        fit_train.examples,
        fit_train.positives,
        fit_held.examples,
        fit_train.log_loss,
        fit_train.auc,
        fit_train.accuracy,
        fit_held.log_loss,
        fit_held.auc,
        fit_held.accuracy,
        toml::to_string_pretty(&model).context("printing the model")?
    );
    if let Some(dir) = t.model_out.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&t.model_out, text).with_context(|| format!("writing {}", t.model_out.display()))?;
    println!("{:<10} {:>8} {:>9} {:>9} {:>8} {:>8}", "set", "labels", "positive", "log loss", "AUC", "accuracy");
    for (name, f) in [("train", &fit_train), ("held out", &fit_held)] {
        println!(
            "{name:<10} {:>8} {:>9} {:>9.4} {:>8.4} {:>8.4}",
            f.examples, f.positives, f.log_loss, f.auc, f.accuracy
        );
    }
    println!("wrote {}", t.model_out.display());
    Ok(())
}

fn run_evaluate(e: &EvaluateArgs) -> Result<()> {
    let job = job_or_default(&e.job)?;
    let out =
        e.output.clone().or(job.output.root.clone()).context("no output: pass --output or a job with output.root")?;
    let result = crate::evaluate::evaluate(&out, &e.truth, e.from, e.until)?;
    print!("{}", crate::evaluate::table(&result));
    let path = e.report.clone().unwrap_or_else(|| out.join("evaluation.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&result)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Resolves `generate` flags over the preset.
pub fn generate_options(g: &GenerateArgs) -> GenerateOptions {
    let mut o = GenerateOptions::preset(g.scale, g.out.clone());
    o.seed = g.seed;
    o.start = g.start;
    if let Some(n) = g.sellers {
        o.sellers = n;
        o.rings = g.rings.unwrap_or((n / 400).max(12));
    }
    o.days = g.days.unwrap_or(o.days);
    o.orders_per_day = g.orders_per_day.unwrap_or(o.orders_per_day);
    o.rings = g.rings.unwrap_or(o.rings);
    for (t, m) in &g.modes {
        o.modes.insert(*t, *m);
    }
    o.files_per_partition = g.files.unwrap_or(o.files_per_partition);
    o.codec = g.codec;
    o.dictionary = !g.no_dictionary;
    o.row_group_rows = g.row_group_rows.unwrap_or(o.row_group_rows);
    o.variety = g.variety.unwrap_or(o.variety);
    o.bad_rows_per_day = g.bad_rows.unwrap_or(o.bad_rows_per_day);
    o.threads = g.threads.unwrap_or(o.threads);
    o
}

fn run_generate(g: GenerateArgs) -> Result<()> {
    let opts = generate_options(&g);
    if opts.days == 0 || opts.sellers == 0 {
        bail!("--days and --sellers must be at least 1");
    }
    prepare_out(&opts.out, g.force)?;
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new(opts.days as u64).with_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} days {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix("generate");
    let summary = generate::generate(&opts, |day, s| {
        bar.set_message(format!("{day}: {} orders so far", s.rows.get("orders").copied().unwrap_or(0)));
        bar.inc(1);
    })
    .with_context(|| format!("generating a lake in {}", opts.out.display()))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let bytes = dir_size(&opts.out);
    tracing::info!(
        "wrote {} days to {} in {secs:.1}s: {} sellers ({} counterfeit in {} planted rings), {} files, {:.1} MiB",
        summary.days,
        opts.out.display(),
        summary.sellers,
        summary.counterfeit_sellers,
        summary.planted_rings,
        summary.files,
        bytes as f64 / (1024.0 * 1024.0),
    );
    for (table, rows) in &summary.rows {
        tracing::info!("  {table:<16} {rows:>12} rows");
    }
    Ok(())
}

/// Refuses to write over an existing lake unless forced; with `force`, removes its tables.
fn prepare_out(out: &std::path::Path, force: bool) -> Result<()> {
    let existing: Vec<String> = Table::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .chain(["_truth".to_owned()])
        .filter(|name| out.join(name).exists())
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    if !force {
        return Err(generate::GenerateError::NotEmpty(out.to_owned(), existing[0].clone()).into());
    }
    for name in existing {
        std::fs::remove_dir_all(out.join(&name)).with_context(|| format!("removing {}", out.join(&name).display()))?;
    }
    Ok(())
}

/// Total bytes of the files below `dir`.
pub fn dir_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}
