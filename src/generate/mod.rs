//! `ringlead generate`: a synthetic marketplace data lake with planted counterfeit rings, hard
//! negatives and ground truth, written day by day as SPEC section 2 lays it out.
//!
//! Determinism: every random draw comes from a ChaCha stream seeded by (seed, day, purpose,
//! chunk), so the same options give the same bytes on any number of cores.

mod tables;
mod traffic;
mod truth;
pub mod values;
mod world;

pub use tables::{Keyed, Style};
pub use world::{Class, CATEGORIES, STRONG, WEAK};

use crate::lake::partition_dir;
use crate::lake::write::{mark_success, write_parquet, Codec, Encoding, WriteError};
use crate::model::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tables::{batch, Rows};
use traffic::Market;
use world::{World, WorldParams};

/// Size presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 400 sellers, 21 days, 1.5k orders a day, every Parquet variation: for tests.
    Tiny,
    /// 20k sellers, 30 days, 40k orders a day.
    Small,
    /// 200k sellers, 60 days, 400k orders a day.
    Medium,
    /// 1M sellers, 60 days, 2M orders a day.
    Large,
}

impl Scale {
    /// (sellers, days, orders a day, files a partition, rows a row group, bad rows a day)
    fn sizes(self) -> (usize, u32, usize, usize, usize, usize) {
        match self {
            Scale::Tiny => (400, 21, 1_500, 2, 400, 6),
            Scale::Small => (20_000, 30, 40_000, 2, 64 * 1024, 8),
            Scale::Medium => (200_000, 60, 400_000, 4, 128 * 1024, 12),
            Scale::Large => (1_000_000, 60, 2_000_000, 8, 128 * 1024, 16),
        }
    }
}

/// Everything `generate` needs, resolved from flags.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GenerateOptions {
    /// Not in the manifest: the same lake written elsewhere has the same bytes.
    #[serde(skip)]
    pub out: PathBuf,
    pub seed: u64,
    pub scale: Scale,
    pub sellers: usize,
    pub days: u32,
    pub start: Day,
    pub orders_per_day: usize,
    pub rings: usize,
    /// Mode each table is written in.
    pub modes: BTreeMap<Table, TableMode>,
    pub files_per_partition: usize,
    pub codec: Codec,
    pub dictionary: bool,
    pub row_group_rows: usize,
    /// Vary codec, dictionary, string and integer types, nullability from file to file.
    pub variety: bool,
    /// Invalid rows planted per day (SPEC rejects), spread over tables.
    pub bad_rows_per_day: usize,
    #[serde(skip)]
    pub threads: usize,
}

impl GenerateOptions {
    /// Defaults of a preset; callers override what their flags set.
    pub fn preset(scale: Scale, out: PathBuf) -> GenerateOptions {
        let (sellers, days, orders, files, rg, bad) = scale.sizes();
        GenerateOptions {
            out,
            seed: 42,
            scale,
            sellers,
            days,
            start: Day(20_454), // 2026-01-01
            orders_per_day: orders,
            rings: (sellers / 400).max(12),
            modes: Table::ALL.iter().map(|t| (*t, t.default_mode())).collect(),
            files_per_partition: files,
            codec: Codec::Snappy,
            dictionary: true,
            row_group_rows: rg,
            variety: scale == Scale::Tiny,
            bad_rows_per_day: bad,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// Errors of `generate`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0} already holds a lake (a `{1}` directory); choose another --out or pass --force")]
    NotEmpty(PathBuf, String),
    #[error("table {table} cannot be written in mode {mode}")]
    Mode { table: Table, mode: TableMode },
}

/// What was written.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub days: u32,
    pub rows: BTreeMap<String, u64>,
    pub files: u64,
    pub bad_rows: BTreeMap<String, u64>,
    pub planted_rings: usize,
    pub counterfeit_sellers: usize,
    pub sellers: usize,
}

/// Writes the lake and its ground truth. `on_day` is called after each committed day.
pub fn generate(opts: &GenerateOptions, mut on_day: impl FnMut(Day, &Summary)) -> Result<Summary, GenerateError> {
    for (table, mode) in &opts.modes {
        if !table.allowed_modes().contains(mode) {
            return Err(GenerateError::Mode { table: *table, mode: *mode });
        }
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| GenerateError::Io { path, source }
    };
    std::fs::create_dir_all(&opts.out).map_err(io(&opts.out))?;
    let mut world = World::new(WorldParams {
        seed: opts.seed,
        sellers: opts.sellers,
        days: opts.days,
        start: opts.start,
        orders_per_day: opts.orders_per_day,
        rings: opts.rings,
    });
    let mut summary = Summary { days: opts.days, ..Summary::default() };
    let mut bad_by_day = BTreeMap::new();
    for d in 0..opts.days {
        let day = opts.start.plus(d as i32);
        world.evolve(day, d);
        let written = write_day(opts, &mut world, day, d)?;
        for (table, rows) in written.rows {
            *summary.rows.entry(table.to_string()).or_default() += rows;
        }
        for (table, rows) in &written.bad {
            *summary.bad_rows.entry(table.to_string()).or_default() += *rows;
        }
        bad_by_day.insert(day, written.bad);
        summary.files += written.files;
        world.next_order_id += written.orders;
        for r in written.rings_sold {
            world.rings[r].first_sale.get_or_insert(day);
        }
        on_day(day, &summary);
    }
    summary.sellers = world.sellers.len();
    summary.counterfeit_sellers = world.sellers.iter().filter(|s| s.class == Class::Counterfeit).count();
    summary.planted_rings = world.rings.iter().filter(|r| r.counterfeit && !r.members.is_empty()).count();
    truth::write(&opts.out.join("_truth"), opts, &world, &summary, &bad_by_day)?;
    Ok(summary)
}

struct DayWritten {
    rows: BTreeMap<Table, u64>,
    bad: BTreeMap<Table, u64>,
    files: u64,
    /// Order ids the day used.
    orders: i64,
    /// Planted rings that sold counterfeit goods that day.
    rings_sold: Vec<usize>,
}

/// A file to write: produces its rows' batch when run.
type Task<'a> = Box<dyn FnOnce() -> Result<FileDone, GenerateError> + Send + 'a>;

struct FileDone {
    table: Table,
    rows: u64,
    rings_sold: Vec<usize>,
}

/// Writes every table's partition of `day`, files in parallel, then the `_SUCCESS` markers.
fn write_day(opts: &GenerateOptions, world: &mut World, day: Day, d: u32) -> Result<DayWritten, GenerateError> {
    // The day's net changes of the keyed tables (taken every day, whatever the mode).
    let seller_changes = world.seller_rows.take_changes();
    let identity_changes = world.identity.take_changes();
    let listing_changes = world.listings.take_changes();
    let price_changes = world.brand_prices.take_changes();
    let bad = BadRows::plant(world, d, opts.bad_rows_per_day);

    let world: &World = world;
    let market = Market::new(world, day, d);
    let mode = |t: Table| opts.modes[&t];
    let price_row = |(b, c): &(String, String), p: i64| BrandPriceRow {
        brand: b.clone(),
        category: c.clone(),
        reference_price_cents: p,
    };
    let prices_state: Vec<BrandPriceRow> = match mode(Table::BrandPrices) {
        TableMode::Snapshot => world.brand_prices.iter().map(|(k, p)| price_row(k, *p)).collect(),
        _ => price_changes.iter().map(|(k, p, _)| price_row(k, *p)).collect(),
    };
    let files = opts.files_per_partition.max(1);
    let chunk_outputs: Vec<Mutex<Option<Vec<FeedbackRow>>>> = (0..files).map(|_| Mutex::new(None)).collect();
    let mut tasks: Vec<Task<'_>> = Vec::new();

    // Keyed tables: the whole state (snapshot) or the day's ops (changes).
    match mode(Table::Sellers) {
        TableMode::Snapshot => {
            let rows: Vec<&SellerRow> = world.seller_rows.iter().map(|(_, v)| v).collect();
            push_files(&mut tasks, opts, day, d, rows, None, Vec::new());
        }
        _ => {
            let (rows, ops) = unzip_changes(&seller_changes, |_, v| v);
            push_files(&mut tasks, opts, day, d, rows, Some(ops), Vec::new());
        }
    }
    match mode(Table::SellerIdentity) {
        TableMode::Snapshot => {
            let rows: Vec<&IdentityRow> = world.identity.iter().map(|(k, _)| k).collect();
            push_files(&mut tasks, opts, day, d, rows, None, bad.identity.iter().collect());
        }
        _ => {
            let (rows, ops) = unzip_changes(&identity_changes, |k, _| k);
            push_files(&mut tasks, opts, day, d, rows, Some(ops), bad.identity.iter().collect());
        }
    }
    match mode(Table::Listings) {
        TableMode::Snapshot => {
            let rows: Vec<&ListingRow> = world.listings.iter().map(|(_, v)| v).collect();
            push_files(&mut tasks, opts, day, d, rows, None, bad.listings.iter().collect());
        }
        _ => {
            let (rows, ops) = unzip_changes(&listing_changes, |_, v| v);
            push_files(&mut tasks, opts, day, d, rows, Some(ops), bad.listings.iter().collect());
        }
    }
    let price_ops =
        (mode(Table::BrandPrices) == TableMode::Changes).then(|| price_changes.iter().map(|c| c.2).collect());
    push_files(&mut tasks, opts, day, d, prices_state.iter().collect(), price_ops, Vec::new());
    // Labels: an optional table; some days have no partition at all.
    let labels_written = d % 7 != 3;
    if labels_written {
        push_files(&mut tasks, opts, day, d, world.labels_today.iter().collect(), None, Vec::new());
    }

    // Events: each orders file is one independent chunk of the day's traffic, and its feedback.
    let first_id = world.next_order_id;
    let mut offset = 0;
    let chunk_outputs = &chunk_outputs;
    let market = &market;
    let bad = &bad;
    for (c, slot) in chunk_outputs.iter().enumerate() {
        let n = market.orders / files + usize::from(c < market.orders % files);
        let start = first_id + offset as i64;
        offset += n;
        let seed = opts.seed ^ (0xC4_0000u64 + d as u64 * 1024 + c as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
        tasks.push(Box::new(move || {
            let traffic = market.chunk(seed, n, start);
            let mut rows: Vec<&OrderRow> = traffic.orders.iter().collect();
            if c == 0 {
                rows.extend(bad.orders.iter());
            }
            let dir = partition_dir(&opts.out, Table::Orders.as_str(), day);
            write_file(opts, &dir, c, d, &rows, None)?;
            *slot.lock().expect("no panics while writing") = Some(traffic.feedback);
            Ok(FileDone { table: Table::Orders, rows: rows.len() as u64, rings_sold: traffic.rings_sold })
        }));
    }
    let mut done = run_tasks(tasks, opts.threads)?;
    // Feedback files follow their chunks (written here to keep chunk memory bounded by files).
    let feedback: Vec<Vec<FeedbackRow>> =
        chunk_outputs.iter().map(|m| m.lock().expect("no panics").take().unwrap_or_default()).collect();
    let mut fb_tasks: Vec<Task<'_>> = Vec::new();
    for (c, rows) in feedback.iter().enumerate() {
        fb_tasks.push(Box::new(move || {
            let mut refs: Vec<&FeedbackRow> = rows.iter().collect();
            if c == 0 {
                refs.extend(bad.feedback.iter());
            }
            let dir = partition_dir(&opts.out, Table::Feedback.as_str(), day);
            write_file(opts, &dir, c, d, &refs, None)?;
            Ok(FileDone { table: Table::Feedback, rows: refs.len() as u64, rings_sold: Vec::new() })
        }));
    }
    done.extend(run_tasks(fb_tasks, opts.threads)?);

    // Commit: every table's partition gets its marker (empty partitions included).
    let mut rows = BTreeMap::new();
    let mut file_count = 0;
    let mut sold = Vec::new();
    for f in done {
        *rows.entry(f.table).or_insert(0) += f.rows;
        file_count += u64::from(f.rows > 0);
        sold.extend(f.rings_sold);
    }
    for &table in Table::ALL {
        if table == Table::Labels && !labels_written {
            continue;
        }
        let dir = partition_dir(&opts.out, table.as_str(), day);
        std::fs::create_dir_all(&dir).map_err(|source| GenerateError::Io { path: dir.clone(), source })?;
        mark_success(&dir).map_err(|source| GenerateError::Io { path: dir.clone(), source })?;
    }
    sold.sort_unstable();
    sold.dedup();
    Ok(DayWritten { rows, bad: bad.counts(), files: file_count, orders: market.orders as i64, rings_sold: sold })
}

fn unzip_changes<'a, K, V, R>(changes: &'a [(K, V, Op)], f: impl Fn(&'a K, &'a V) -> &'a R) -> (Vec<&'a R>, Vec<Op>) {
    changes.iter().map(|(k, v, op)| (f(k, v), *op)).unzip()
}

/// Adds the tasks writing `rows` (and `extra` bad rows, into the first file) of one table's
/// partition, split into the configured number of files. No rows: no files.
fn push_files<'a, R: Rows + Sync>(
    tasks: &mut Vec<Task<'a>>,
    opts: &'a GenerateOptions,
    day: Day,
    d: u32,
    rows: Vec<&'a R>,
    ops: Option<Vec<Op>>,
    extra: Vec<&'a R>,
) {
    let extra_ops = vec![Op::Add; extra.len()];
    let (mut rows, mut ops) = (rows, ops);
    rows.extend(extra);
    if let Some(ops) = ops.as_mut() {
        ops.extend(extra_ops);
    }
    if rows.is_empty() {
        return;
    }
    // Small tables stay in one file; large ones are split so workers can share them.
    let files = if rows.len() < 1000 { 1 } else { opts.files_per_partition.max(1) };
    let per = rows.len().div_ceil(files);
    let dir = partition_dir(&opts.out, R::TABLE.as_str(), day);
    let rows = std::sync::Arc::new(rows);
    let ops = std::sync::Arc::new(ops);
    for c in 0..files {
        let (rows, ops, dir) = (rows.clone(), ops.clone(), dir.clone());
        tasks.push(Box::new(move || {
            let range = (c * per).min(rows.len())..((c + 1) * per).min(rows.len());
            let slice = &rows[range.clone()];
            let ops = ops.as_ref().as_ref().map(|o| &o[range]);
            write_file(opts, &dir, c, d, slice, ops)?;
            Ok(FileDone { table: R::TABLE, rows: slice.len() as u64, rings_sold: Vec::new() })
        }));
    }
}

/// Writes one data file of a partition, in the encoding and style this (table, day, file) gets.
fn write_file<R: Rows>(
    opts: &GenerateOptions,
    dir: &Path,
    file: usize,
    d: u32,
    rows: &[&R],
    ops: Option<&[Op]>,
) -> Result<(), GenerateError> {
    if rows.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|source| GenerateError::Io { path: dir.to_owned(), source })?;
    let t = R::TABLE as usize;
    let i = t + d as usize + file;
    let (encoding, style) = if opts.variety {
        let codec = [Codec::Snappy, Codec::Zstd, Codec::Gzip, Codec::None][i % 4];
        (Encoding { codec, dictionary: i.is_multiple_of(2), row_group_rows: opts.row_group_rows }, Style::varied(i))
    } else {
        (
            Encoding { codec: opts.codec, dictionary: opts.dictionary, row_group_rows: opts.row_group_rows },
            Style::CANONICAL,
        )
    };
    let batch = batch(rows, ops, style);
    write_parquet(&dir.join(format!("part-{file:05}.parquet")), &[batch], encoding)?;
    Ok(())
}

/// Runs tasks on `threads` threads; the first error wins.
fn run_tasks(tasks: Vec<Task<'_>>, threads: usize) -> Result<Vec<FileDone>, GenerateError> {
    let queue: Vec<Mutex<Option<Task<'_>>>> = tasks.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1).min(queue.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = queue.get(i) else { break };
                let task = slot.lock().expect("no panics").take().expect("each task runs once");
                let r = task();
                results.lock().expect("no panics").push(r);
            });
        }
    });
    results.into_inner().expect("no panics").into_iter().collect()
}

/// Invalid rows planted in a day (SPEC section 2 "Bad input"), each for a key that is not in
/// the world's state, so that a lake read in snapshot or changes mode agrees on what is valid.
struct BadRows {
    orders: Vec<OrderRow>,
    feedback: Vec<FeedbackRow>,
    identity: Vec<IdentityRow>,
    listings: Vec<ListingRow>,
}

impl BadRows {
    fn plant(world: &World, d: u32, n: usize) -> BadRows {
        let mut bad = BadRows { orders: Vec::new(), feedback: Vec::new(), identity: Vec::new(), listings: Vec::new() };
        let Some(s) = world.sellers.iter().find(|s| s.open && !s.listings.is_empty()) else { return bad };
        let listing = ListingId(s.listings[0]);
        // Far above the order-id sequence, so a bad order never collides with a good one.
        let order_base = 90_000_000_000;
        for i in 0..n {
            let salt = (d as usize + i) % 7;
            let id = order_base + (d as i64) * 1000 + i as i64;
            let order = |amount, quantity| OrderRow {
                order_id: id,
                seller_id: s.id,
                listing_id: listing,
                buyer_id: 100_000_001,
                quantity,
                amount_cents: amount,
                ship_from: s.dispatch.first().cloned().unwrap_or_default(),
            };
            match salt {
                0 => bad.orders.push(order(-1_500, 1)),
                1 => bad.orders.push(order(2_000, 0)),
                2 => {
                    // A key that occurs twice in the day: both copies are rejected.
                    bad.orders.push(order(2_000, 1));
                    bad.orders.push(order(2_100, 1));
                }
                3 => bad.feedback.push(FeedbackRow {
                    seller_id: s.id,
                    listing_id: Some(listing),
                    kind: FeedbackKind::Review,
                    rating: Some(9),
                }),
                4 => bad.identity.push(IdentityRow {
                    seller_id: s.id,
                    kind: "email".to_owned(),
                    value: format!("shop{}@mail.example", 1000 + i),
                }),
                5 => bad.listings.push(ListingRow {
                    listing_id: ListingId(900_000_000_000 + d as i64 * 1000 + i as i64),
                    seller_id: s.id,
                    brand: None,
                    category: "toys".to_owned(),
                    price_cents: -100,
                    logo_mismatch: None,
                }),
                _ => bad.listings.push(ListingRow {
                    listing_id: ListingId(900_000_000_000 + d as i64 * 1000 + i as i64),
                    seller_id: s.id,
                    brand: Some("Unbranded".to_owned()),
                    category: "toys".to_owned(),
                    price_cents: 1_999,
                    logo_mismatch: Some(1.7),
                }),
            }
        }
        bad
    }

    /// Rows that a reader must reject, by table.
    fn counts(&self) -> BTreeMap<Table, u64> {
        [
            (Table::Orders, self.orders.len() as u64),
            (Table::Feedback, self.feedback.len() as u64),
            (Table::SellerIdentity, self.identity.len() as u64),
            (Table::Listings, self.listings.len() as u64),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}
