//! `ringlead run`: the resident job. Builds the dataflow on every worker, then loops over days:
//! plan (worker 0) -> read each worker's share -> compute -> write each worker's part -> commit
//! (worker 0). Committed days are replayed into the dataflow without being written again.

pub mod coord;
mod feed;
pub mod plan;
pub mod profile;

use crate::cluster::Layout;
use crate::config::JobConfig;
use crate::dataflow::{self, Coll, Inputs, KindRule, Modes, Prov, Raw, Settings, Time};
use crate::lake::read::Reject;
use crate::model::{Day, LinkClass, Table, TableMode};
use crate::privacy::ValueHasher;
use crate::sink::{self, report::RunReport, Captured};
use coord::Coord;
use plan::{DayPlan, Next, Scheduler};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timely::dataflow::operators::Probe;
use timely::dataflow::{InputHandle, ProbeHandle};
use timely::worker::Worker;

/// Everything `run` needs, resolved and checked.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub input: PathBuf,
    pub output: PathBuf,
    pub job: JobConfig,
    pub layout: Layout,
    /// Keep running and pick up each new ready day (`run --follow`).
    pub follow: bool,
    /// Give up (exit non-zero) when a day makes no progress for this long.
    pub day_timeout: Duration,
    pub model: crate::config::ModelConfig,
    /// Log each worker's busiest operators at the end (`run --profile-operators`).
    pub profile_operators: bool,
}

/// What a finished run did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunSummary {
    pub days_processed: usize,
    pub days_replayed: usize,
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    #[error(transparent)]
    Key(#[from] crate::privacy::KeyError),
    #[error("cannot start the workers: {0}")]
    Start(String),
    #[error("{0}")]
    Failed(String),
}

/// A coordination message.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Msg {
    Nothing,
    Plan(Box<DayPlan>),
    Wait,
    Stop,
    Failed(String),
    Read(ReadStats),
    Written(Box<Written>),
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ReadStats {
    rows_read: BTreeMap<Table, u64>,
    secs: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Written {
    error: Option<String>,
    rejects_by_reason: BTreeMap<String, u64>,
    changes: BTreeMap<String, u64>,
    hubs_delta: i64,
    compute_secs: f64,
    write_secs: f64,
    peak_rss: u64,
    /// Bytes this worker's process sent to other processes since the previous day; only the
    /// first worker of each process reports it (the counter is per process), others send 0.
    bytes_sent: u64,
    stop_requested: bool,
}

/// The per-worker buffers the output collections are captured into.
#[derive(Clone, Default)]
struct Captures {
    rings: Captured<(i64, i64)>,
    features: Captured<sink::FeatureRow>,
    leads: Captured<(i64, dataflow::leads::Lead)>,
    ring_scores: Captured<sink::RingScoreRow>,
    hubs: Captured<((u8, u128), i64)>,
    duplicates: Captured<(Table, Prov)>,
}

/// A timely input of records `D`.
pub type VecInput<D> = InputHandle<Time, timely::container::CapacityContainerBuilder<Vec<D>>>;

/// The timely input of every table the dataflow reads.
struct TableInputs {
    sellers: VecInput<Raw<i64, Option<i32>>>,
    identity: VecInput<Raw<dataflow::IdentityKey, ()>>,
    listings: VecInput<Raw<i64, dataflow::Listing>>,
    brand_prices: VecInput<Raw<(String, String), i64>>,
    orders: VecInput<Raw<i64, dataflow::Order>>,
    feedback: VecInput<Raw<Prov, dataflow::Feedback>>,
}

impl TableInputs {
    fn new() -> TableInputs {
        TableInputs {
            sellers: InputHandle::new(),
            identity: InputHandle::new(),
            listings: InputHandle::new(),
            brand_prices: InputHandle::new(),
            orders: InputHandle::new(),
            feedback: InputHandle::new(),
        }
    }

    /// Sends a day's rows at `day` and closes the day.
    fn feed(&mut self, day: Time, rows: feed::DayRows) {
        macro_rules! send {
            ($($t:ident),*) => {$(
                if *self.$t.time() < day {
                    self.$t.advance_to(day);
                }
                for r in rows.$t {
                    self.$t.send(r);
                }
                self.$t.advance_to(day + 1);
                self.$t.flush();
            )*};
        }
        send!(sellers, identity, listings, brand_prices, orders, feedback);
    }
}

fn capture<D: differential_dataflow::Data>(c: Coll<'_, D>, buf: &Captured<D>, probe: &ProbeHandle<Time>) {
    let buf = buf.clone();
    c.inspect_batch(move |_, updates| buf.borrow_mut().extend(updates.iter().cloned())).inner.probe_with(probe);
}

/// The dataflow settings of a job and its model.
pub fn settings(job: &JobConfig, model: &crate::config::ModelConfig) -> (Settings, Vec<String>) {
    let kinds: Vec<String> = job.identity.kinds.keys().cloned().collect();
    let rules =
        job.identity.kinds.values().map(|k| KindRule { strong: k.class == LinkClass::Strong, cap: k.cap }).collect();
    let mode = |t| job.input.mode(t);
    let settings = Settings {
        window_days: job.window.days as i32,
        burst_days: job.window.burst_days as i32,
        young_account_days: job.window.young_account_days as i32,
        low_price_ratio: job.window.low_price_ratio,
        min_weak_kinds: job.identity.min_weak_kinds,
        kinds: rules,
        model: dataflow::scoring::Model::from_config(model),
        modes: Modes {
            sellers: mode(Table::Sellers),
            seller_identity: mode(Table::SellerIdentity),
            listings: mode(Table::Listings),
            brand_prices: mode(Table::BrandPrices),
        },
    };
    (settings, kinds)
}

/// Shared, read-only context of every worker of this process.
struct Ctx {
    opts: RunOptions,
    hasher: ValueHasher,
    settings: Settings,
    kinds: Vec<String>,
    stop: Arc<AtomicBool>,
    /// Seconds since `epoch` of the last progress of any worker (the watchdog reads it).
    progress: Arc<AtomicU64>,
    epoch: Instant,
}

impl Ctx {
    fn tick(&self) {
        self.progress.store(self.epoch.elapsed().as_secs(), Ordering::Relaxed);
    }
}

/// Runs the job on this process's workers; returns when every ready day is committed (or, with
/// `follow`, when SIGTERM arrives between days).
pub fn run(opts: RunOptions) -> Result<RunSummary, RunError> {
    let hasher = ValueHasher::from_config(&opts.job.privacy)?;
    let (settings, kinds) = settings(&opts.job, &opts.model);
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| RunError::Start(e.to_string()))?;
    }
    let epoch = Instant::now();
    let progress = Arc::new(AtomicU64::new(0));
    let started = Arc::new(AtomicBool::new(false));
    watchdog(&opts, progress.clone(), started.clone(), epoch);
    install_panic_hook();
    let config = opts.layout.timely_config();
    let ctx = Arc::new(Ctx { opts, hasher, settings, kinds, stop, progress, epoch });
    let guards = crate::cluster::execute(config, move |worker| {
        started.store(true, Ordering::Relaxed);
        // worker_main builds the job's dataflow first: it gets this index.
        let job_dataflow = worker.next_dataflow_index();
        let result = worker_main(worker, &ctx);
        // Drop the job's dataflow instead of letting timely run it to completion: with its inputs
        // closed, time would advance past every scheduled window retraction and account ageing,
        // and compute them all (measured on medium: 40 s and 2.4 GB more at exit) for nothing.
        worker.drop_dataflow(job_dataflow);
        result
    })
    .map_err(RunError::Start)?;
    let mut summary = RunSummary::default();
    for result in guards.join() {
        match result {
            Ok(Ok(s)) => summary = s,
            Ok(Err(e)) => return Err(RunError::Failed(e)),
            Err(e) => return Err(RunError::Failed(format!("a worker failed: {e}"))),
        }
    }
    Ok(summary)
}

/// Exits the process with a clear message when peers do not connect in time, or when a day
/// makes no progress for `day_timeout` (a frozen peer stalls everyone: timely has no heartbeat).
fn watchdog(opts: &RunOptions, progress: Arc<AtomicU64>, started: Arc<AtomicBool>, epoch: Instant) {
    let startup = Duration::from_secs(opts.job.workers.startup_timeout_secs);
    let day_timeout = opts.day_timeout;
    let hosts = opts.layout.hosts.join(", ");
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = epoch.elapsed();
        if !started.load(Ordering::Relaxed) {
            if now > startup {
                eprintln!(
                    "error: the cluster did not start within {}s: not every process connected ({hosts})",
                    startup.as_secs()
                );
                std::process::exit(3);
            }
            continue;
        }
        let last = Duration::from_secs(progress.load(Ordering::Relaxed));
        if now.saturating_sub(last) > day_timeout {
            eprintln!(
                "error: no progress for {}s: a peer process is frozen or unreachable; stopping (nothing of the day in flight is committed)",
                day_timeout.as_secs()
            );
            std::process::exit(3);
        }
    });
}

/// A panicking worker (or a peer process that died, which makes timely panic here) ends the
/// process at once with a clear message, instead of leaving the other threads waiting.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let text = info.to_string();
        let hint = if text.contains("poison")
            || text.contains("connection")
            || text.contains("closed")
            || text.contains("Broken pipe")
        {
            " (a peer process of the cluster probably died)"
        } else {
            ""
        };
        eprintln!("error: a worker stopped{hint}; exiting without committing the day in flight");
        std::process::exit(4);
    }));
}

fn worker_main(worker: &mut Worker, ctx: &Ctx) -> Result<RunSummary, String> {
    let index = worker.index();
    let peers = worker.peers();
    let out = ctx.opts.output.clone();
    let mut inputs = TableInputs::new();
    let probe = ProbeHandle::new();
    let caps = Captures::default();
    let settings = ctx.settings.clone();
    let profiler = if ctx.opts.profile_operators { profile::Profiler::install(worker) } else { None };
    worker.dataflow::<Time, _, _>(|scope| {
        let streams = Inputs {
            sellers: inputs.sellers.to_stream(scope),
            identity: inputs.identity.to_stream(scope),
            listings: inputs.listings.to_stream(scope),
            brand_prices: inputs.brand_prices.to_stream(scope),
            orders: inputs.orders.to_stream(scope),
            feedback: inputs.feedback.to_stream(scope),
        };
        let o = dataflow::build(streams, &settings);
        capture(o.rings, &caps.rings, &probe);
        capture(o.features, &caps.features, &probe);
        capture(o.hubs, &caps.hubs, &probe);
        capture(o.leads, &caps.leads, &probe);
        capture(o.ring_scores, &caps.ring_scores, &probe);
        capture(o.duplicates, &caps.duplicates, &probe);
    });
    let mut coord: Coord<Msg> = Coord::new(worker);
    let mut scheduler = if index == 0 {
        let committed = sink::report::committed(&out).map_err(|e| e.to_string())?;
        Some(Scheduler::new(&ctx.opts.input, ctx.opts.follow, committed))
    } else {
        None
    };
    let modes = |t: Table| ctx.opts.job.input.mode(t);
    let reader = feed::Reader { root: &ctx.opts.input, modes: &modes, kinds: &ctx.kinds, hasher: &ctx.hasher };
    let mut summary = RunSummary::default();
    let mut hubs_total: i64 = 0;
    let mut book = sink::leads::LeadBook::default();
    let mut waiting_logged = false;
    let counts_bytes = index.is_multiple_of(ctx.opts.layout.threads.max(1));
    let mut bytes_mark = 0u64;
    let bar = (index == 0).then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"));
        b
    });
    let poll = Duration::from_secs(ctx.opts.job.input.poll_interval_secs.max(1));
    loop {
        ctx.tick();
        // 1. Plan (worker 0), shared with everyone.
        let t_plan = Instant::now();
        let msg = match scheduler.as_mut() {
            None => Msg::Nothing,
            Some(_) if ctx.stop.load(Ordering::Relaxed) => Msg::Stop,
            Some(s) => match s.next_step() {
                Ok(Next::Day(p)) => {
                    if !p.replay {
                        if let Err(e) = sink::clear_day(&out, p.day) {
                            Msg::Failed(e.to_string())
                        } else {
                            Msg::Plan(Box::new(p))
                        }
                    } else {
                        Msg::Plan(Box::new(p))
                    }
                }
                Ok(Next::Wait) => Msg::Wait,
                Ok(Next::Done) => Msg::Stop,
                Err(e) => Msg::Failed(e.to_string()),
            },
        };
        let plan = match coord.allgather(worker, msg).swap_remove(0) {
            Msg::Plan(p) => *p,
            Msg::Wait => {
                if index == 0 {
                    if !waiting_logged {
                        tracing::info!("waiting for the next ready day (polling every {}s)", poll.as_secs());
                        waiting_logged = true;
                    }
                    // Sleep in short steps so that SIGTERM is noticed promptly.
                    let until = Instant::now() + poll;
                    while Instant::now() < until && !ctx.stop.load(Ordering::Relaxed) {
                        ctx.tick();
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                continue;
            }
            Msg::Stop => break,
            Msg::Failed(e) => return Err(e),
            other => return Err(format!("unexpected coordination message {other:?}")),
        };
        waiting_logged = false;
        let plan_secs = t_plan.elapsed().as_secs_f64();
        let day = plan.day;
        if let Some(b) = &bar {
            b.set_message(format!("{} {day}", if plan.replay { "replaying" } else { "processing" }));
            b.tick();
        }

        // 2. Read this worker's share; the day fails as a whole if any file is unusable.
        let t_read = Instant::now();
        let read = reader.read_share(&plan, index, peers);
        let status = match &read {
            Ok(rows) => {
                Msg::Read(ReadStats { rows_read: rows.rows_read.clone(), secs: t_read.elapsed().as_secs_f64() })
            }
            Err(e) => Msg::Failed(format!("day {day} failed, nothing of it was committed: {e}")),
        };
        let statuses = coord.allgather(worker, status);
        if let Some(e) = statuses.iter().find_map(|m| if let Msg::Failed(e) = m { Some(e.clone()) } else { None }) {
            return Err(e);
        }
        let rows = read.map_err(|e| e.to_string())?;
        let mut read_rejects = rows.rejects.clone();

        // 3. Compute the day.
        ctx.tick();
        let t_compute = Instant::now();
        inputs.feed(day.0, rows);
        let next = day.0 + 1;
        worker.step_or_park_while(Some(Duration::from_millis(1)), || probe.less_than(&next));
        let compute_secs = t_compute.elapsed().as_secs_f64();

        // 4. Write this worker's part of every output.
        ctx.tick();
        let t_write = Instant::now();
        let rings = sink::take_day(&caps.rings, day.0);
        let features = sink::take_day(&caps.features, day.0);
        let hubs = sink::take_day(&caps.hubs, day.0);
        let dups = sink::take_day(&caps.duplicates, day.0);
        let ring_scores = sink::take_day(&caps.ring_scores, day.0);
        let lead_changes = book.apply(day, sink::take_day(&caps.leads, day.0), ctx.settings.model.update_step);
        for ((table, p), n) in &dups {
            let file = plan.files.get(p.file as usize).map(|f| f.path.clone()).unwrap_or_default();
            for _ in 0..*n {
                read_rejects.push(Reject {
                    table: *table,
                    file: file.clone(),
                    row: p.row as i64,
                    reason: "duplicated key".into(),
                });
            }
        }
        read_rejects.sort();
        let bytes_now = if counts_bytes { crate::cluster::bytes_sent() } else { 0 };
        let mut written = Written {
            bytes_sent: bytes_now - bytes_mark,
            hubs_delta: hubs.iter().map(|(_, r)| *r as i64).sum(),
            compute_secs,
            peak_rss: sink::report::peak_rss(),
            stop_requested: ctx.stop.load(Ordering::Relaxed),
            ..Written::default()
        };
        for r in &read_rejects {
            *written.rejects_by_reason.entry(format!("{}: {}", r.table, r.reason)).or_insert(0) += 1;
        }
        if !plan.replay {
            let result = (|| -> Result<(), sink::SinkError> {
                let w = &mut written.changes;
                w.insert("rings".into(), sink::write_part(&out, "rings", day, index, sink::rings_batch(&rings))?);
                w.insert(
                    "seller_features".into(),
                    sink::write_part(&out, "seller_features", day, index, sink::features_batch(&features))?,
                );
                w.insert(
                    "ring_scores".into(),
                    sink::write_part(&out, "ring_scores", day, index, sink::ring_scores_batch(&ring_scores))?,
                );
                w.insert("leads".into(), sink::write_part(&out, "leads", day, index, sink::leads::leads_batch(&book))?);
                w.insert(
                    "lead_changes".into(),
                    sink::write_part(&out, "lead_changes", day, index, sink::leads::changes_batch(&lead_changes))?,
                );
                w.insert(
                    "hubs".into(),
                    sink::write_part(&out, "hubs", day, index, sink::hubs_batch(&hubs, &ctx.kinds))?,
                );
                w.insert(
                    "rejects".into(),
                    sink::write_part(&out, "rejects", day, index, sink::rejects_batch(&read_rejects))?,
                );
                Ok(())
            })();
            written.error =
                result.err().map(|e| format!("day {day} failed while writing, nothing of it was committed: {e}"));
        }
        written.write_secs = t_write.elapsed().as_secs_f64();
        bytes_mark = bytes_now;

        // 5. Commit (worker 0) once every worker has written its part.
        let all = coord.allgather(worker, Msg::Written(Box::new(written)));
        let parts: Vec<Written> =
            all.into_iter().filter_map(|m| if let Msg::Written(w) = m { Some(*w) } else { None }).collect();
        if let Some(e) = parts.iter().find_map(|w| w.error.clone()) {
            return Err(e);
        }
        if parts.iter().any(|w| w.stop_requested) {
            ctx.stop.store(true, Ordering::Relaxed);
        }
        hubs_total += parts.iter().map(|w| w.hubs_delta).sum::<i64>();
        if plan.replay {
            summary.days_replayed += 1;
        } else {
            summary.days_processed += 1;
        }
        if index != 0 {
            continue;
        }
        let read_stats: Vec<ReadStats> =
            statuses.into_iter().filter_map(|m| if let Msg::Read(r) = m { Some(r) } else { None }).collect();
        let report = day_report(&plan, ctx, &read_stats, &parts, hubs_total, plan_secs);
        if !plan.replay {
            sink::commit_day(&out, day, &report).map_err(|e| format!("day {day}: cannot commit: {e}"))?;
            log_day(&report, bar.as_ref());
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(p) = profiler {
        profile::log_top(index, &p.report(worker), 15);
    }
    Ok(summary)
}

fn day_report(
    plan: &DayPlan,
    ctx: &Ctx,
    reads: &[ReadStats],
    parts: &[Written],
    hubs: i64,
    plan_secs: f64,
) -> RunReport {
    let mut r = RunReport {
        day: plan.day.to_string(),
        workers: ctx.opts.layout.peers(),
        processes: ctx.opts.layout.processes,
        hubs,
        inputs: plan.files.clone(),
        ..RunReport::default()
    };
    for s in reads {
        for (t, n) in &s.rows_read {
            *r.rows_read.entry(t.to_string()).or_insert(0) += n;
        }
    }
    for w in parts {
        for (k, n) in &w.rejects_by_reason {
            *r.rejects_by_reason.entry(k.clone()).or_insert(0) += n;
            r.rejects += n;
        }
        for (k, n) in &w.changes {
            *r.changes_out.entry(k.clone()).or_insert(0) += n;
        }
        r.peak_memory_bytes = r.peak_memory_bytes.max(w.peak_rss);
        r.bytes_sent += w.bytes_sent;
    }
    let max = |f: &dyn Fn(&Written) -> f64| parts.iter().map(f).fold(0.0, f64::max);
    r.phase_secs.insert("plan".into(), plan_secs);
    r.phase_secs.insert("read".into(), reads.iter().map(|s| s.secs).fold(0.0, f64::max));
    r.phase_secs.insert("compute".into(), max(&|w| w.compute_secs));
    r.phase_secs.insert("write".into(), max(&|w| w.write_secs));
    r
}

fn log_day(r: &RunReport, bar: Option<&indicatif::ProgressBar>) {
    let rows: u64 = r.rows_read.values().sum();
    let c = |k: &str| r.changes_out.get(k).copied().unwrap_or(0);
    let p = |k: &str| r.phase_secs.get(k).copied().unwrap_or(0.0);
    let line = format!(
        "{}: read {rows} rows ({} rejected); changes: rings {}, features {}, hubs {}; {} hubs; read {:.2}s compute {:.2}s write {:.2}s; peak {} MiB",
        r.day,
        r.rejects,
        c("rings"),
        c("seller_features"),
        c("hubs"),
        r.hubs,
        p("read"),
        p("compute"),
        p("write"),
        r.peak_memory_bytes / (1024 * 1024),
    );
    match bar {
        Some(b) => b.suspend(|| tracing::info!("{line}")),
        None => tracing::info!("{line}"),
    }
}

/// The table modes a job reads with (for callers that need them outside the dataflow).
pub fn modes(job: &JobConfig) -> BTreeMap<Table, TableMode> {
    Table::ALL.iter().map(|t| (*t, job.input.mode(*t))).collect()
}

/// The day after the last committed one of an output, if any.
pub fn last_committed(out: &std::path::Path) -> Option<Day> {
    sink::report::committed(out).ok()?.keys().next_back().copied()
}
