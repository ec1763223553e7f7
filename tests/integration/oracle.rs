//! Independent batch oracle of SPEC section 3: known sellers, hubs, rings and seller features,
//! recomputed day by day with plain sequential code (and SPEC section 2 validation) for the
//! end-to-end tests to compare the dataflow job against.
//!
//! Nothing here is shared with the crate's job (only `ringlead::model::Day` parses dates), so a
//! misreading of the SPEC in the job does not silently reappear here. Speed does not matter: the
//! oracle runs on tiny lakes and recomputes everything from scratch every day.
//!
//! Choices where the SPEC is silent (the report to the test author repeats them):
//! - Duplicate keys count every row of the partition whose key columns are non-null, whether or
//!   not the row is otherwise valid (the SPEC: "a key may occur once" in the partition).
//! - A rejected row gets one reject (its first problem), so counts per row are 0 or 1.
//! - Days processed: the run of consecutive ready days from the first candidate day; it stops at
//!   the first day that is not ready or that skips a calendar day (the job waits or fails there).
//! - A sellers row with status `closed` is still in the sellers state, so the seller is known.

use crate::util::{data_files, read_file, tiny_lake};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::Array;
use arrow_schema::DataType;
use ringlead::model::Day;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// SPEC section 3 parameters, identity kinds and table modes.
#[derive(Clone, Debug)]
pub struct OracleConfig {
    /// W: events of days [D-W+1, D] count at D.
    pub window_days: u32,
    /// New listings: first added in [D-burst_days+1, D].
    pub burst_days: u32,
    /// Young: registered_on > D - young_account_days.
    pub young_account_days: u32,
    /// Low-priced: price < ratio x reference price.
    pub low_price_ratio: f64,
    /// Weak values link two sellers only when of this many distinct kinds.
    pub min_weak_kinds: usize,
    /// (kind, strong, cap): every accepted identity kind.
    pub kinds: Vec<(String, bool, usize)>,
    /// table -> "events" | "changes" | "snapshot".
    pub modes: BTreeMap<String, String>,
}

impl Default for OracleConfig {
    fn default() -> Self {
        let kinds = [
            ("id_card", true, 5),
            ("payment_account", true, 5),
            ("bank_card", true, 5),
            ("phone", true, 5),
            ("device", false, 10),
            ("ip", false, 20),
            ("ship_from", false, 20),
            ("return_address", false, 20),
        ];
        let modes = [
            ("sellers", "snapshot"),
            ("seller_identity", "changes"),
            ("listings", "changes"),
            ("orders", "events"),
            ("feedback", "events"),
            ("brand_prices", "snapshot"),
            ("labels", "events"),
        ];
        OracleConfig {
            window_days: 30,
            burst_days: 7,
            young_account_days: 90,
            low_price_ratio: 0.5,
            min_weak_kinds: 2,
            kinds: kinds.iter().map(|(k, s, c)| (k.to_string(), *s, *c)).collect(),
            modes: modes.iter().map(|(t, m)| (t.to_string(), m.to_string())).collect(),
        }
    }
}

/// One known seller's SPEC section 3 features at a day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Features {
    pub orders: i64,
    pub gmv_cents: i64,
    pub buyers: i64,
    pub counterfeit_complaints: i64,
    pub reports: i64,
    pub reviews: i64,
    pub avg_rating: Option<f64>,
    pub active_listings: i64,
    pub branded_listings: i64,
    pub low_price_listings: i64,
    pub new_listings: i64,
    pub new_brands: i64,
    pub logo_mismatch_max: Option<f64>,
    pub young_account: Option<bool>,
}

/// The oracle's state at one day.
#[derive(Clone, Debug)]
pub struct DayState {
    /// YYYY-MM-DD.
    pub day: String,
    /// Every known seller -> its ring_id.
    pub rings: BTreeMap<i64, i64>,
    /// Every known seller -> its features.
    pub features: BTreeMap<i64, Features>,
    /// (kind, raw value) -> distinct holders, for hubs only.
    pub hubs: BTreeMap<(String, String), i64>,
    /// (table, file relative to the lake root, 0-based row in the file, reason), sorted.
    pub rejects: Vec<(String, String, i64, String)>,
}

/// Tables in the order they are read each day.
const TABLES: [&str; 7] = ["sellers", "seller_identity", "listings", "orders", "feedback", "brand_prices", "labels"];

/// SPEC columns of a table: (name, family: i integer, d date, f float, s string, nullable).
fn columns(table: &str) -> Vec<(&'static str, char, bool)> {
    match table {
        "sellers" => vec![
            ("seller_id", 'i', false),
            ("shop_name", 's', false),
            ("region", 's', false),
            ("registered_on", 'd', true),
            ("status", 's', false),
        ],
        "seller_identity" => vec![("seller_id", 'i', false), ("kind", 's', false), ("value", 's', false)],
        "listings" => vec![
            ("listing_id", 'i', false),
            ("seller_id", 'i', false),
            ("brand", 's', true),
            ("category", 's', false),
            ("price_cents", 'i', false),
            ("logo_mismatch", 'f', true),
        ],
        "orders" => vec![
            ("order_id", 'i', false),
            ("seller_id", 'i', false),
            ("listing_id", 'i', false),
            ("buyer_id", 'i', false),
            ("quantity", 'i', false),
            ("amount_cents", 'i', false),
            ("ship_from", 's', false),
        ],
        "feedback" => {
            vec![("seller_id", 'i', false), ("listing_id", 'i', true), ("kind", 's', false), ("rating", 'i', true)]
        }
        "brand_prices" => vec![("brand", 's', false), ("category", 's', false), ("reference_price_cents", 'i', false)],
        "labels" => vec![("seller_id", 'i', false), ("label", 's', false)],
        _ => panic!("unknown table {table}"),
    }
}

/// SPEC key columns; feedback and labels have none.
fn key_columns(table: &str) -> &'static [&'static str] {
    match table {
        "sellers" => &["seller_id"],
        "listings" => &["listing_id"],
        "seller_identity" => &["seller_id", "kind", "value"],
        "orders" => &["order_id"],
        "brand_prices" => &["brand", "category"],
        _ => &[],
    }
}

/// One cell as read from Parquet.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
}

/// One row by column name (only the SPEC columns, plus `op` in changes mode).
type Row = BTreeMap<&'static str, Val>;

/// (table, file relative to the lake root, 0-based row in the file, reason).
type Reject = (String, String, i64, String);

/// A key column's value; keys never hold floats, so they can be ordered.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Int(i64),
    Str(String),
}

fn int(r: &Row, c: &str) -> i64 {
    opt_int(r, c).unwrap_or_else(|| panic!("{c} is null in an accepted row"))
}

fn opt_int(r: &Row, c: &str) -> Option<i64> {
    match &r[c] {
        Val::Int(v) => Some(*v),
        Val::Null => None,
        v => panic!("{c}: {v:?} is not an integer"),
    }
}

fn string(r: &Row, c: &str) -> String {
    opt_str(r, c).unwrap_or_else(|| panic!("{c} is null in an accepted row"))
}

fn opt_str(r: &Row, c: &str) -> Option<String> {
    match &r[c] {
        Val::Str(v) => Some(v.clone()),
        Val::Null => None,
        v => panic!("{c}: {v:?} is not a string"),
    }
}

fn opt_float(r: &Row, c: &str) -> Option<f64> {
    match &r[c] {
        Val::Float(v) => Some(*v),
        Val::Null => None,
        v => panic!("{c}: {v:?} is not a float"),
    }
}

/// The key of a row; None when a key column is null (such a row is rejected for the null).
fn key_of(table: &str, r: &Row) -> Option<Vec<KeyPart>> {
    key_columns(table)
        .iter()
        .map(|c| match &r[c] {
            Val::Int(v) => Some(KeyPart::Int(*v)),
            Val::Str(v) => Some(KeyPart::Str(v.clone())),
            Val::Null => None,
            Val::Float(_) => panic!("float key column {c}"),
        })
        .collect()
}

/// Strings of a plain, large, view or dictionary-encoded (any key width) string column.
fn read_strings(c: &dyn Array, what: &str) -> Vec<Option<String>> {
    match c.data_type() {
        DataType::Utf8 => c.as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect(),
        DataType::LargeUtf8 => c.as_string::<i64>().iter().map(|v| v.map(str::to_owned)).collect(),
        DataType::Utf8View => c.as_string_view().iter().map(|v| v.map(str::to_owned)).collect(),
        DataType::Dictionary(_, _) => {
            let d = c.as_any_dictionary();
            let values = read_strings(d.values().as_ref(), what);
            let keys = d.normalized_keys();
            (0..c.len()).map(|i| if c.is_null(i) { None } else { values[keys[i]].clone() }).collect()
        }
        t => panic!("{what}: wrong type {t} for a string column"),
    }
}

/// One column of a batch as cells, checked against its SPEC family.
fn read_column(c: &dyn Array, family: char, what: &str) -> Vec<Val> {
    macro_rules! ints {
        ($t:ty) => {
            c.as_primitive::<$t>().iter().map(|v| v.map_or(Val::Null, |v| Val::Int(v as i64))).collect()
        };
    }
    match (family, c.data_type()) {
        ('i', DataType::Int8) => ints!(Int8Type),
        ('i', DataType::Int16) => ints!(Int16Type),
        ('i', DataType::Int32) => ints!(Int32Type),
        ('i', DataType::Int64) => ints!(Int64Type),
        ('d', DataType::Date32) => ints!(Date32Type),
        ('f', DataType::Float64) => {
            c.as_primitive::<Float64Type>().iter().map(|v| v.map_or(Val::Null, Val::Float)).collect()
        }
        ('f', DataType::Float32) => {
            c.as_primitive::<Float32Type>().iter().map(|v| v.map_or(Val::Null, |v| Val::Float(v as f64))).collect()
        }
        ('s', _) => read_strings(c, what).into_iter().map(|v| v.map_or(Val::Null, Val::Str)).collect(),
        (_, t) => panic!("{what}: wrong type {t}"),
    }
}

/// Why a row is invalid (SPEC section 2 "Bad input", apart from duplicate keys), if it is.
fn problem(table: &str, r: &Row, cfg: &OracleConfig) -> Option<String> {
    for (name, _, nullable) in columns(table) {
        if !nullable && r[name] == Val::Null {
            return Some(format!("null {name}"));
        }
    }
    if r.get("op").is_some_and(|op| op == &Val::Null) {
        return Some("null op".into());
    }
    let text = |c: &str| opt_str(r, c).unwrap_or_default();
    let one_of = |c: &str, allowed: &[&str]| (!allowed.contains(&text(c).as_str())).then(|| format!("unknown {c}"));
    if r.contains_key("op") {
        if let Some(p) = one_of("op", &["add", "remove"]) {
            return Some(p);
        }
    }
    match table {
        "sellers" => one_of("status", &["active", "closed"]),
        "seller_identity" => (!cfg.kinds.iter().any(|(k, _, _)| *k == text("kind"))).then(|| "unknown kind".into()),
        "listings" => {
            if int(r, "price_cents") < 0 {
                Some("negative price_cents".into())
            } else if opt_float(r, "logo_mismatch").is_some_and(|m| !(0.0..=1.0).contains(&m)) {
                // NaN is not contained in 0..=1 either.
                Some("logo_mismatch outside 0..1".into())
            } else {
                None
            }
        }
        "orders" => {
            if int(r, "amount_cents") < 0 {
                Some("negative amount_cents".into())
            } else if int(r, "quantity") < 1 {
                Some("quantity below 1".into())
            } else {
                None
            }
        }
        "feedback" => {
            one_of("kind", &["counterfeit_complaint", "other_complaint", "user_report", "review"]).or_else(|| {
                opt_int(r, "rating").is_some_and(|x| !(1..=5).contains(&x)).then(|| "rating outside 1..5".into())
            })
        }
        "brand_prices" => (int(r, "reference_price_cents") < 0).then(|| "negative reference_price_cents".into()),
        "labels" => one_of("label", &["counterfeit", "legit"]),
        _ => None,
    }
}

/// The mode `table` is read in, checked to fit the table.
fn mode<'a>(cfg: &'a OracleConfig, table: &str) -> &'a str {
    let m = cfg.modes.get(table).unwrap_or_else(|| panic!("no mode for {table}")).as_str();
    let fits = match table {
        "orders" | "feedback" | "labels" => m == "events",
        _ => m == "changes" || m == "snapshot",
    };
    assert!(fits, "mode {m} does not fit {table}");
    m
}

/// The accepted rows (in file and row order) and the rejects of one table's partition of a day.
fn read_partition(lake: &Path, table: &str, day: &str, cfg: &OracleConfig) -> (Vec<Row>, Vec<Reject>) {
    let mut cols = columns(table);
    if mode(cfg, table) == "changes" {
        cols.push(("op", 's', false));
    }
    // Every row of the partition with where it came from.
    let mut all: Vec<(String, i64, Row)> = Vec::new();
    for path in data_files(&lake.join(table).join(format!("dt={day}"))) {
        let file = format!("{table}/dt={day}/{}", path.file_name().unwrap().to_string_lossy());
        let mut row_number = 0;
        for batch in read_file(&path) {
            let mut cells: Vec<(&'static str, Vec<Val>)> = Vec::new();
            for (name, family, _) in &cols {
                let what = format!("{file} column {name}");
                let c = batch.column_by_name(name).unwrap_or_else(|| panic!("{what}: missing"));
                cells.push((name, read_column(c.as_ref(), *family, &what)));
            }
            for i in 0..batch.num_rows() {
                let row: Row = cells.iter().map(|(name, v)| (*name, v[i].clone())).collect();
                all.push((file.clone(), row_number, row));
                row_number += 1;
            }
        }
    }
    // Duplicate keys: every row with that key, valid or not, counts as an occurrence.
    let mut occurrences: BTreeMap<Vec<KeyPart>, usize> = BTreeMap::new();
    if !key_columns(table).is_empty() {
        for (_, _, r) in &all {
            if let Some(k) = key_of(table, r) {
                *occurrences.entry(k).or_default() += 1;
            }
        }
    }
    let mut accepted = Vec::new();
    let mut rejects = Vec::new();
    for (file, row_number, r) in all {
        let duplicated = !key_columns(table).is_empty() && key_of(table, &r).is_some_and(|k| occurrences[&k] > 1);
        let reason = problem(table, &r, cfg).or_else(|| duplicated.then(|| "duplicate key".to_owned()));
        match reason {
            Some(reason) => rejects.push((table.to_owned(), file, row_number, reason)),
            None => accepted.push(r),
        }
    }
    (accepted, rejects)
}

fn has_success(lake: &Path, table: &str, day: Day) -> bool {
    lake.join(table).join(format!("dt={day}")).join("_SUCCESS").is_file()
}

/// The days to process: consecutive ready days from the first day any required table has.
fn ready_days(lake: &Path) -> Vec<Day> {
    let mut candidates = BTreeSet::new();
    for table in TABLES.iter().filter(|t| **t != "labels") {
        let Ok(entries) = std::fs::read_dir(lake.join(table)) else { continue };
        for e in entries {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(day) = name.strip_prefix("dt=").and_then(|d| d.parse::<Day>().ok()) {
                candidates.insert(day);
            }
        }
    }
    let mut out: Vec<Day> = Vec::new();
    for day in candidates {
        let ready = TABLES.iter().filter(|t| **t != "labels").all(|t| has_success(lake, t, day));
        let follows = out.last().is_none_or(|prev| prev.plus(1) == day);
        if !ready || !follows {
            break;
        }
        out.push(day);
    }
    out
}

/// Keyed state of a changes/snapshot table: key -> row.
type Keyed = BTreeMap<Vec<KeyPart>, Row>;

/// Applies a day's accepted rows to a keyed table's state.
fn apply(state: &mut Keyed, table: &str, mode: &str, rows: &[Row]) {
    if mode == "snapshot" {
        // The partition is the whole state (its keys are unique: duplicates were rejected).
        state.clear();
    }
    for r in rows {
        let key = key_of(table, r).expect("accepted rows have keys");
        if mode == "changes" && string(r, "op") == "remove" {
            state.remove(&key);
        } else {
            // An add inserts or replaces; for seller_identity the row is the key, so adding a
            // present row changes nothing (set semantics) and removing an absent one is a no-op.
            state.insert(key, r.clone());
        }
    }
}

/// Where a listing was first added (first appearance in a snapshot): day, seller, brand.
struct FirstAdd {
    day: Day,
    seller: i64,
    brand: Option<String>,
}

/// Computes the SPEC section 3 state of every ready day of `lake`, in order.
pub fn compute(lake: &Path, cfg: &OracleConfig) -> Vec<DayState> {
    let mut keyed: BTreeMap<&str, Keyed> = BTreeMap::new();
    let mut events: BTreeMap<&str, Vec<(Day, Row)>> = BTreeMap::new();
    let mut first_adds: BTreeMap<i64, FirstAdd> = BTreeMap::new();
    let mut out = Vec::new();
    for day in ready_days(lake) {
        let day_text = day.to_string();
        let mut rejects = Vec::new();
        for table in TABLES {
            if table == "labels" && !has_success(lake, table, day) {
                // An optional table without a finished partition has no rows that day.
                continue;
            }
            let (rows, bad) = read_partition(lake, table, &day_text, cfg);
            rejects.extend(bad);
            let m = mode(cfg, table);
            if m == "events" {
                events.entry(table).or_default().extend(rows.iter().map(|r| (day, r.clone())));
            } else {
                apply(keyed.entry(table).or_default(), table, m, &rows);
            }
            if table == "listings" {
                // Every accepted add (every row of a snapshot) leaves its listing present, so
                // the first one seen is the listing's first add / first appearance.
                for r in rows.iter().filter(|r| r.get("op") != Some(&Val::Str("remove".into()))) {
                    first_adds.entry(int(r, "listing_id")).or_insert_with(|| FirstAdd {
                        day,
                        seller: int(r, "seller_id"),
                        brand: opt_str(r, "brand"),
                    });
                }
            }
        }
        rejects.sort();
        let empty = Keyed::new();
        let state = |t: &str| keyed.get(t).unwrap_or(&empty);
        let window_start = day.plus(1 - cfg.window_days as i32);
        let in_window = |t: &str| -> Vec<&Row> {
            events.get(t).map_or(Vec::new(), |v| {
                v.iter().filter(|(d, _)| window_start <= *d && *d <= day).map(|(_, r)| r).collect()
            })
        };
        let burst_start = day.plus(1 - cfg.burst_days as i32);
        let new_listings: Vec<&FirstAdd> =
            first_adds.values().filter(|f| burst_start <= f.day && f.day <= day).collect();
        let (rings, hubs) = rings_and_hubs(
            cfg,
            state("sellers"),
            state("seller_identity"),
            state("listings"),
            &new_listings,
            &in_window("orders"),
            &in_window("feedback"),
        );
        let features = features(
            cfg,
            day,
            &rings,
            state("sellers"),
            state("listings"),
            state("brand_prices"),
            &new_listings,
            &in_window("orders"),
            &in_window("feedback"),
        );
        out.push(DayState { day: day_text, rings, features, hubs, rejects });
    }
    out
}

/// Known sellers -> ring_id, and hubs -> holders.
fn rings_and_hubs(
    cfg: &OracleConfig,
    sellers: &Keyed,
    identity: &Keyed,
    listings: &Keyed,
    new_listings: &[&FirstAdd],
    orders: &[&Row],
    feedback: &[&Row],
) -> (BTreeMap<i64, i64>, BTreeMap<(String, String), i64>) {
    let mut known: BTreeSet<i64> = BTreeSet::new();
    known.extend(sellers.values().map(|r| int(r, "seller_id")));
    known.extend(identity.values().map(|r| int(r, "seller_id")));
    known.extend(listings.values().map(|r| int(r, "seller_id")));
    known.extend(new_listings.iter().map(|f| f.seller));
    known.extend(orders.iter().map(|r| int(r, "seller_id")));
    known.extend(feedback.iter().map(|r| int(r, "seller_id")));

    let mut holders: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
    for r in identity.values() {
        holders.entry((string(r, "kind"), string(r, "value"))).or_default().insert(int(r, "seller_id"));
    }
    let kind = |k: &str| {
        cfg.kinds
            .iter()
            .find(|(name, _, _)| name == k)
            .map(|(_, strong, cap)| (*strong, *cap))
            .expect("configured kind")
    };
    let mut hubs = BTreeMap::new();
    // Undirected links as (smaller, larger); weak pairs collect the kinds they share.
    let mut links: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut weak_kinds: BTreeMap<(i64, i64), BTreeSet<String>> = BTreeMap::new();
    for ((k, v), sellers) in &holders {
        let (strong, cap) = kind(k);
        if sellers.len() > cap {
            hubs.insert((k.clone(), v.clone()), sellers.len() as i64);
            continue;
        }
        for &a in sellers {
            for &b in sellers.iter().filter(|b| a < **b) {
                if strong {
                    links.insert((a, b));
                } else {
                    weak_kinds.entry((a, b)).or_default().insert(k.clone());
                }
            }
        }
    }
    links.extend(weak_kinds.into_iter().filter(|(_, kinds)| kinds.len() >= cfg.min_weak_kinds).map(|(pair, _)| pair));

    // Connected components by graph search from each unvisited seller, in increasing order,
    // so the seller a search starts from is its component's smallest: the ring_id.
    let mut neighbours: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &(a, b) in &links {
        neighbours.entry(a).or_default().push(b);
        neighbours.entry(b).or_default().push(a);
    }
    let mut rings = BTreeMap::new();
    for &start in &known {
        if rings.contains_key(&start) {
            continue;
        }
        rings.insert(start, start);
        let mut stack = vec![start];
        while let Some(x) = stack.pop() {
            for &y in neighbours.get(&x).map_or(&[][..], |v| v.as_slice()) {
                assert!(known.contains(&y), "an identity holder is always known");
                if let std::collections::btree_map::Entry::Vacant(e) = rings.entry(y) {
                    e.insert(start);
                    stack.push(y);
                }
            }
        }
    }
    (rings, hubs)
}

/// Features of every known seller at `day`.
#[allow(clippy::too_many_arguments)]
fn features(
    cfg: &OracleConfig,
    day: Day,
    rings: &BTreeMap<i64, i64>,
    sellers: &Keyed,
    listings: &Keyed,
    prices: &Keyed,
    new_listings: &[&FirstAdd],
    orders: &[&Row],
    feedback: &[&Row],
) -> BTreeMap<i64, Features> {
    let mut out: BTreeMap<i64, Features> = rings.keys().map(|s| (*s, Features::default())).collect();
    // Every seller an input row names is known, so indexing `out` by it cannot miss.
    let mut buyers: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for r in orders {
        let f = out.get_mut(&int(r, "seller_id")).expect("known");
        f.orders += 1;
        f.gmv_cents += int(r, "amount_cents");
        buyers.entry(int(r, "seller_id")).or_default().insert(int(r, "buyer_id"));
    }
    for (s, b) in buyers {
        out.get_mut(&s).expect("known").buyers = b.len() as i64;
    }
    let mut ratings: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for r in feedback {
        let s = int(r, "seller_id");
        let f = out.get_mut(&s).expect("known");
        match string(r, "kind").as_str() {
            "counterfeit_complaint" => f.counterfeit_complaints += 1,
            "user_report" => f.reports += 1,
            "review" => {
                f.reviews += 1;
                if let Some(x) = opt_int(r, "rating") {
                    ratings.entry(s).or_default().push(x);
                }
            }
            _ => {}
        }
    }
    for (s, v) in ratings {
        out.get_mut(&s).expect("known").avg_rating = Some(v.iter().sum::<i64>() as f64 / v.len() as f64);
    }
    for r in listings.values() {
        let f = out.get_mut(&int(r, "seller_id")).expect("known");
        f.active_listings += 1;
        let reference =
            opt_str(r, "brand").and_then(|b| prices.get(&vec![KeyPart::Str(b), KeyPart::Str(string(r, "category"))]));
        if let Some(p) = reference {
            f.branded_listings += 1;
            if (int(r, "price_cents") as f64) < cfg.low_price_ratio * (int(p, "reference_price_cents") as f64) {
                f.low_price_listings += 1;
            }
        }
        if let Some(m) = opt_float(r, "logo_mismatch") {
            f.logo_mismatch_max = Some(f.logo_mismatch_max.map_or(m, |x| x.max(m)));
        }
    }
    let mut brands: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for n in new_listings {
        out.get_mut(&n.seller).expect("known").new_listings += 1;
        if let Some(b) = &n.brand {
            brands.entry(n.seller).or_default().insert(b.clone());
        }
    }
    for (s, b) in brands {
        out.get_mut(&s).expect("known").new_brands = b.len() as i64;
    }
    let young_after = day.plus(-(cfg.young_account_days as i32)).0 as i64;
    for (s, f) in out.iter_mut() {
        let registered = sellers.get(&vec![KeyPart::Int(*s)]).and_then(|r| opt_int(r, "registered_on"));
        f.young_account = registered.map(|d| d > young_after);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests: the oracle on generated lakes against their ground truth, and on a handcrafted lake.
// ---------------------------------------------------------------------------------------------

fn day_number(day: &str) -> i32 {
    day.parse::<Day>().unwrap().0
}

/// (ring, seller, since, until) from the generator's ground truth.
fn memberships(lake: &Path) -> Vec<(i64, i64, i32, Option<i32>)> {
    let b = &read_file(&lake.join("_truth/memberships.parquet"))[0];
    let col = |name: &str| {
        read_column(
            b.column_by_name(name).unwrap().as_ref(),
            if name == "ring" || name == "seller_id" { 'i' } else { 'd' },
            name,
        )
    };
    let as_int = |v: &Val| match v {
        Val::Int(x) => Some(*x),
        _ => None,
    };
    let (r, s, since, until) = (col("ring"), col("seller_id"), col("since"), col("until"));
    (0..r.len())
        .map(|i| {
            (
                as_int(&r[i]).unwrap(),
                as_int(&s[i]).unwrap(),
                as_int(&since[i]).unwrap() as i32,
                as_int(&until[i]).map(|u| u as i32),
            )
        })
        .collect()
}

/// Seller -> class from the ground truth.
fn classes(lake: &Path) -> BTreeMap<i64, String> {
    let b = &read_file(&lake.join("_truth/sellers.parquet"))[0];
    let ids = read_column(b.column_by_name("seller_id").unwrap().as_ref(), 'i', "seller_id");
    let class = read_strings(b.column_by_name("class").unwrap().as_ref(), "class");
    ids.into_iter()
        .zip(class)
        .map(|(i, c)| match i {
            Val::Int(i) => (i, c.unwrap()),
            v => panic!("{v:?}"),
        })
        .collect()
}

/// Reject counts per (day, table).
fn reject_counts(states: &[DayState]) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for s in states {
        for (table, _, _, _) in &s.rejects {
            *out.entry((s.day.clone(), table.clone())).or_default() += 1;
        }
    }
    out
}

fn rows_in(lake: &Path, table: &str, day: &str) -> usize {
    data_files(&lake.join(table).join(format!("dt={day}")))
        .iter()
        .flat_map(|f| read_file(f))
        .map(|b| b.num_rows())
        .sum()
}

#[test]
fn oracle_on_a_generated_lake_agrees_with_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let states = compute(&lake, &OracleConfig::default());
    assert_eq!(states.len(), 21);

    // Rejects: exactly the planted bad rows, per (day, table).
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join("_truth/manifest.json")).unwrap()).unwrap();
    let mut planted = BTreeMap::new();
    for (day, tables) in manifest["bad_rows_by_day"].as_object().unwrap() {
        for (table, n) in tables.as_object().unwrap() {
            if n.as_u64().unwrap() > 0 {
                planted.insert((day.clone(), table.clone()), n.as_u64().unwrap());
            }
        }
    }
    assert!(planted.len() >= 21, "bad rows planted every day");
    assert_eq!(reject_counts(&states), planted);
    for s in &states {
        let rows: BTreeSet<_> = s.rejects.iter().map(|(t, f, r, _)| (t, f, r)).collect();
        assert_eq!(rows.len(), s.rejects.len(), "{}: one reject per row", s.day);
        for (table, file, _, _) in &s.rejects {
            assert!(file.starts_with(&format!("{table}/dt={}/", s.day)) && lake.join(file).is_file(), "{file}");
        }
    }

    let members = memberships(&lake);
    let class = classes(&lake);
    let mut valid_orders = 0;
    for s in &states {
        let d = day_number(&s.day);
        // Every known seller has one ring and one feature row; every seller of the sellers
        // snapshot is known.
        assert_eq!(s.rings.keys().collect::<Vec<_>>(), s.features.keys().collect::<Vec<_>>(), "{}", s.day);
        let snapshot_sellers = rows_in(&lake, "sellers", &s.day);
        assert!(snapshot_sellers > 300 && s.rings.len() >= snapshot_sellers, "{}: {} known", s.day, s.rings.len());
        for (seller, ring) in &s.rings {
            assert!(ring <= seller && s.rings[ring] == *ring, "{}: ring_id is a member and the smallest", s.day);
        }

        // Planted rings (counterfeit and honest multi-store) active at D each lie in one ring,
        // and nothing else is linked.
        let mut planted: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for &(ring, seller, since, until) in &members {
            if since <= d && until.is_none_or(|u| d < u) {
                planted.entry(ring).or_default().insert(seller);
            }
        }
        assert!(planted.len() >= 5, "{}", s.day);
        let in_planted: BTreeSet<i64> = planted.values().flatten().copied().collect();
        for (ring, sellers) in &planted {
            let ids: BTreeSet<i64> =
                sellers.iter().map(|x| *s.rings.get(x).unwrap_or_else(|| panic!("{}: {x} unknown", s.day))).collect();
            assert_eq!(ids.len(), 1, "{}: planted ring {ring} {sellers:?} is split over oracle rings {ids:?}", s.day);
        }
        let mut sizes: BTreeMap<i64, usize> = BTreeMap::new();
        for ring in s.rings.values() {
            *sizes.entry(*ring).or_default() += 1;
        }
        for (seller, ring) in &s.rings {
            if sizes[ring] > 1 {
                assert!(in_planted.contains(seller), "{}: {seller} linked into ring {ring} but planted in none", s.day);
            }
        }
        assert!(sizes.values().filter(|n| **n > 1).count() >= 5);

        // Hubs: a carrier NAT ip and a registration agency's phone every day.
        assert!(s.hubs.keys().any(|(k, _)| k == "ip"), "{}: no ip hub", s.day);
        assert!(
            s.hubs.keys().any(|(k, _)| k == "phone" || k == "id_card" || k == "payment_account" || k == "bank_card"),
            "{}",
            s.day
        );
        assert!(s.hubs.iter().all(|((k, _), n)| *n
            > if k == "device" {
                10
            } else if k == "ip" {
                20
            } else {
                5
            }));

        // Orders: with W = 30 over 21 days, every valid order so far counts.
        let rejected = s.rejects.iter().filter(|r| r.0 == "orders").count();
        valid_orders += rows_in(&lake, "orders", &s.day) - rejected;
        assert_eq!(s.features.values().map(|f| f.orders as usize).sum::<usize>(), valid_orders, "{}", s.day);
        assert!(s.features.values().all(|f| f.buyers <= f.orders && (f.orders == 0) == (f.buyers == 0)));
        assert!(s
            .features
            .values()
            .all(|f| f.low_price_listings <= f.branded_listings && f.branded_listings <= f.active_listings));
        assert!(s.features.values().all(|f| f.new_brands <= f.new_listings));
        assert!(s.features.values().all(|f| f.avg_rating.is_none_or(|a| (1.0..=5.0).contains(&a) && f.reviews > 0)));
    }

    // Features land on the right sellers: counterfeit shops sell far under reference prices, get
    // counterfeit complaints and worse reviews than honest ones.
    let last = states.last().unwrap();
    let mean = |c: &str, f: &dyn Fn(&Features) -> f64| {
        let v: Vec<f64> =
            last.features.iter().filter(|(s, _)| class.get(s).is_some_and(|x| x == c)).map(|(_, x)| f(x)).collect();
        assert!(!v.is_empty(), "no {c} seller");
        v.iter().sum::<f64>() / v.len() as f64
    };
    let low_share = |f: &Features| {
        if f.branded_listings == 0 {
            0.0
        } else {
            f.low_price_listings as f64 / f.branded_listings as f64
        }
    };
    assert!(mean("counterfeit", &low_share) > 0.5 && mean("honest", &low_share) < 0.2);
    assert!(
        mean("counterfeit", &|f| f.counterfeit_complaints as f64)
            > 5.0 * mean("honest", &|f| f.counterfeit_complaints as f64)
    );
    assert!(mean("counterfeit", &|f| f.logo_mismatch_max.unwrap_or(0.0)) > 0.4);
    assert!(
        last.features.values().any(|f| f.young_account == Some(true))
            && last.features.values().any(|f| f.young_account == Some(false))
    );
    assert!(states.iter().any(|s| s.features.values().any(|f| f.new_brands >= 2)), "a burst of new branded listings");
}

#[test]
fn shorter_windows_are_differences_of_cumulative_counts() {
    // W = 30 and burst 30 over 21 days count everything so far; a window of n days at D is then
    // the cumulative count at D minus the one at D-n, per seller.
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let long = compute(&lake, &OracleConfig { burst_days: 30, ..OracleConfig::default() });
    let short = compute(&lake, &OracleConfig { window_days: 5, burst_days: 3, ..OracleConfig::default() });
    let counts =
        |f: Option<&Features>| f.map_or([0; 4], |f| [f.orders, f.gmv_cents, f.counterfeit_complaints, f.reviews]);
    let mut differs = 0;
    for (i, s) in short.iter().enumerate() {
        let known_long: BTreeSet<_> = long[i].rings.keys().collect();
        assert!(s.rings.keys().all(|k| known_long.contains(k)), "{}", s.day);
        for (seller, f) in &s.features {
            let now = counts(long[i].features.get(seller));
            let before = if i >= 5 { counts(long[i - 5].features.get(seller)) } else { [0; 4] };
            let expected: Vec<i64> = (0..4).map(|k| now[k] - before[k]).collect();
            assert_eq!(counts(Some(f)).to_vec(), expected, "{} seller {seller}", s.day);
            let new_now = long[i].features.get(seller).map_or(0, |f| f.new_listings);
            let new_before = if i >= 3 { long[i - 3].features.get(seller).map_or(0, |f| f.new_listings) } else { 0 };
            assert_eq!(f.new_listings, new_now - new_before, "{} seller {seller}", s.day);
            differs += usize::from(f.orders != long[i].features[seller].orders);
        }
        // Sellers known only through expired events drop out.
        if i >= 5 {
            assert!(s.rings.len() <= long[i].rings.len());
        }
    }
    assert!(differs > 1000, "the short window really drops old orders ({differs})");
    assert!(long.iter().zip(&short).all(|(l, s)| l.hubs == s.hubs && l.rejects == s.rejects));
}

#[test]
fn the_same_history_as_snapshots_or_changes_gives_the_same_oracle_state() {
    let dir = tempfile::tempdir().unwrap();
    let default = tiny_lake(dir.path(), "default", &[]);
    let flips = ["seller_identity=snapshot", "listings=snapshot", "sellers=changes", "brand_prices=changes"];
    let mut args = Vec::new();
    for f in &flips {
        args.extend(["--mode", f]);
    }
    let flipped = tiny_lake(dir.path(), "flipped", &args);
    let mut cfg = OracleConfig::default();
    for f in &flips {
        let (t, m) = f.split_once('=').unwrap();
        cfg.modes.insert(t.to_owned(), m.to_owned());
    }
    let a = compute(&default, &OracleConfig::default());
    let b = compute(&flipped, &cfg);
    assert_eq!(a.len(), 21);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.day, y.day);
        assert!(x.rings == y.rings, "{}: rings differ", x.day);
        assert!(x.hubs == y.hubs, "{}: hubs differ", x.day);
        for (s, f) in &x.features {
            assert_eq!(Some(f), y.features.get(s), "{} seller {s}", x.day);
        }
        assert_eq!(x.features.len(), y.features.len());
    }
    assert_eq!(reject_counts(&a), reject_counts(&b));
}

// --- A handcrafted lake with hand-computed expectations. ---

/// A column to write: integers of a chosen width, dates, floats or strings.
enum Col {
    I64(Vec<Option<i64>>),
    I32(Vec<Option<i32>>),
    Date(Vec<Option<i32>>),
    F64(Vec<Option<f64>>),
    Str(Vec<Option<&'static str>>),
}

/// Writes one Parquet file `name` into `table`'s partition of `day` (creating it).
fn write(lake: &Path, table: &str, day: &str, name: &str, cols: Vec<(&str, Col)>) {
    use arrow_array::{ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let arrays: Vec<(&str, ArrayRef)> = cols
        .into_iter()
        .map(|(n, c)| {
            let a: ArrayRef = match c {
                Col::I64(v) => Arc::new(Int64Array::from(v)),
                Col::I32(v) => Arc::new(Int32Array::from(v)),
                Col::Date(v) => Arc::new(Date32Array::from(v)),
                Col::F64(v) => Arc::new(Float64Array::from(v)),
                Col::Str(v) => Arc::new(StringArray::from(v)),
            };
            (n, a)
        })
        .collect();
    let batch = RecordBatch::try_from_iter(arrays).unwrap();
    let dir = lake.join(table).join(format!("dt={day}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(dir.join(name)).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn success(lake: &Path, table: &str, day: &str) {
    let dir = lake.join(table).join(format!("dt={day}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
}

fn date(day: &str) -> Option<i32> {
    Some(day_number(day))
}

fn sellers(lake: &Path, day: &str, rows: &[(i64, Option<i32>, &'static str)]) {
    write(
        lake,
        "sellers",
        day,
        "part-0.parquet",
        vec![
            ("seller_id", Col::I64(rows.iter().map(|r| Some(r.0)).collect())),
            ("shop_name", Col::Str(rows.iter().map(|_| Some("shop")).collect())),
            ("region", Col::Str(rows.iter().map(|_| Some("CN-GD")).collect())),
            ("registered_on", Col::Date(rows.iter().map(|r| r.1).collect())),
            ("status", Col::Str(rows.iter().map(|r| Some(r.2)).collect())),
        ],
    );
}

fn identity(lake: &Path, day: &str, rows: &[(i64, &'static str, &'static str, &'static str)]) {
    write(
        lake,
        "seller_identity",
        day,
        "part-0.parquet",
        vec![
            // Column order is free: op first.
            ("op", Col::Str(rows.iter().map(|r| Some(r.3)).collect())),
            ("seller_id", Col::I64(rows.iter().map(|r| Some(r.0)).collect())),
            ("kind", Col::Str(rows.iter().map(|r| Some(r.1)).collect())),
            ("value", Col::Str(rows.iter().map(|r| Some(r.2)).collect())),
        ],
    );
}

type ListingIn = (i64, i64, Option<&'static str>, Option<&'static str>, i64, Option<f64>, &'static str);

fn listings(lake: &Path, day: &str, rows: &[ListingIn]) {
    write(
        lake,
        "listings",
        day,
        "part-0.parquet",
        vec![
            ("listing_id", Col::I64(rows.iter().map(|r| Some(r.0)).collect())),
            ("seller_id", Col::I64(rows.iter().map(|r| Some(r.1)).collect())),
            ("brand", Col::Str(rows.iter().map(|r| r.2).collect())),
            ("category", Col::Str(rows.iter().map(|r| r.3).collect())),
            ("price_cents", Col::I64(rows.iter().map(|r| Some(r.4)).collect())),
            ("logo_mismatch", Col::F64(rows.iter().map(|r| r.5).collect())),
            ("op", Col::Str(rows.iter().map(|r| Some(r.6)).collect())),
            // Extra columns are ignored.
            ("note", Col::Str(rows.iter().map(|_| Some("x")).collect())),
        ],
    );
}

/// (order_id, seller_id, buyer_id, quantity, amount_cents)
fn orders(lake: &Path, day: &str, name: &str, rows: &[(i64, i64, i64, i32, i64)]) {
    write(
        lake,
        "orders",
        day,
        name,
        vec![
            ("order_id", Col::I64(rows.iter().map(|r| Some(r.0)).collect())),
            ("seller_id", Col::I64(rows.iter().map(|r| Some(r.1)).collect())),
            ("listing_id", Col::I64(rows.iter().map(|_| Some(100)).collect())),
            ("buyer_id", Col::I64(rows.iter().map(|r| Some(r.2)).collect())),
            ("quantity", Col::I32(rows.iter().map(|r| Some(r.3)).collect())),
            ("amount_cents", Col::I64(rows.iter().map(|r| Some(r.4)).collect())),
            ("ship_from", Col::Str(rows.iter().map(|_| Some("CN-GD-WH000001")).collect())),
        ],
    );
}

fn feedback(lake: &Path, day: &str, rows: &[(i64, Option<i64>, &'static str, Option<i32>)]) {
    write(
        lake,
        "feedback",
        day,
        "part-0.parquet",
        vec![
            ("seller_id", Col::I64(rows.iter().map(|r| Some(r.0)).collect())),
            ("listing_id", Col::I64(rows.iter().map(|r| r.1).collect())),
            ("kind", Col::Str(rows.iter().map(|r| Some(r.2)).collect())),
            ("rating", Col::I32(rows.iter().map(|r| r.3).collect())),
        ],
    );
}

fn prices(lake: &Path, day: &str, rows: &[(&'static str, &'static str, i64)]) {
    write(
        lake,
        "brand_prices",
        day,
        "part-0.parquet",
        vec![
            ("brand", Col::Str(rows.iter().map(|r| Some(r.0)).collect())),
            ("category", Col::Str(rows.iter().map(|r| Some(r.1)).collect())),
            ("reference_price_cents", Col::I64(rows.iter().map(|r| Some(r.2)).collect())),
        ],
    );
}

fn labels(lake: &Path, day: &str, rows: &[(i64, &'static str)]) {
    write(
        lake,
        "labels",
        day,
        "part-0.parquet",
        vec![
            ("seller_id", Col::I64(rows.iter().map(|r| Some(r.0)).collect())),
            ("label", Col::Str(rows.iter().map(|r| Some(r.1)).collect())),
        ],
    );
}

const D1: &str = "2026-01-01";
const D2: &str = "2026-01-02";
const D3: &str = "2026-01-03";
const D4: &str = "2026-01-04";

/// Three ready days (and a fourth that is not ready) exercising every rule; see the test.
fn mini_lake(lake: &Path) {
    // Day 1.
    sellers(
        lake,
        D1,
        &[
            (1, date("2025-12-01"), "active"),
            (2, date("2020-01-01"), "active"),
            (3, None, "closed"),
            (4, date("2025-01-01"), "banned"), // row 3: unknown status
            (5, date("2025-01-01"), "active"), // rows 4, 5: duplicate seller_id
            (5, date("2025-01-01"), "active"),
        ],
    );
    identity(
        lake,
        D1,
        &[
            (1, "phone", "P1", "add"),
            (2, "phone", "P1", "add"),
            (3, "device", "DEV1", "add"),
            (3, "ip", "IP1", "add"),
            (6, "device", "DEV1", "add"),
            (6, "ip", "IP1", "add"),
            (7, "device", "DEV2", "add"),
            (8, "device", "DEV2", "add"),
            (9, "phone", "HUB", "add"),
            (10, "phone", "HUB", "add"),
            (11, "phone", "HUB", "add"),
            (1, "email", "a@b.example", "add"), // row 11: unknown kind
            (12, "phone", "Q", "add"),          // rows 12, 13: duplicate key
            (12, "phone", "Q", "add"),
            (13, "phone", "Q2", "remove"), // removing an absent row: nothing
            (1, "phone", "P9", "upsert"),  // row 15: unknown op
        ],
    );
    listings(
        lake,
        D1,
        &[
            (100, 1, Some("Nike"), Some("shoes"), 1000, Some(0.9), "add"),
            (101, 1, Some("Nike"), Some("shoes"), 6000, None, "add"),
            (102, 2, None, Some("toys"), 500, Some(0.1), "add"),
            (103, 14, Some("Acme"), Some("toys"), 100, None, "add"),
            (104, 1, Some("Nike"), Some("shoes"), -5, None, "add"), // row 4: negative price
            (105, 2, Some("Nike"), Some("shoes"), 5, Some(1.5), "add"), // row 5: logo > 1
            (106, 2, Some("Nike"), Some("shoes"), 5, Some(f64::NAN), "add"), // row 6: NaN
            (107, 2, Some("Nike"), None, 5, None, "add"),           // row 7: null category
            (111, 2, Some("Nike"), Some("shoes"), 5000, None, "add"), // exactly 0.5 x reference: not low
        ],
    );
    // Two files; order 7 occurs once in each, so both copies are rejected.
    orders(
        lake,
        D1,
        "part-0.parquet",
        &[(1, 1, 50, 1, 1000), (2, 1, 50, 2, 2000), (3, 1, 51, 1, 500), (4, 15, 52, 1, 700), (7, 2, 53, 1, 100)],
    );
    orders(lake, D1, "part-1.parquet", &[(5, 2, 53, 0, 100), (6, 2, 53, 1, -1), (7, 2, 53, 1, 100)]);
    feedback(
        lake,
        D1,
        &[
            (1, Some(100), "counterfeit_complaint", None),
            (1, None, "review", Some(2)),
            (1, Some(100), "review", Some(5)),
            (1, None, "review", None),
            (2, None, "user_report", None),
            (16, None, "other_complaint", None),
            (2, None, "review", Some(0)),          // row 6: rating outside 1..5
            (2, None, "praise", None),             // row 7: unknown kind
            (2, None, "other_complaint", Some(6)), // row 8: a rating outside 1..5 on any kind
        ],
    );
    prices(
        lake,
        D1,
        &[
            ("Nike", "shoes", 10_000),
            ("Acme", "shoes", 300),
            ("Zed", "toys", -1),
            ("Dup", "toys", 5),
            ("Dup", "toys", 5),
        ],
    );
    labels(lake, D1, &[(1, "counterfeit"), (2, "maybe")]);
    // A file whose name starts with `_` or `.` is not a data file.
    std::fs::write(lake.join("orders/dt=2026-01-01/_ignored.parquet"), "not parquet").unwrap();
    std::fs::write(lake.join("orders/dt=2026-01-01/.hidden.parquet"), "not parquet").unwrap();

    // Day 2.
    let registered_5 = Some(day_number(D2) - 89); // young at D2 (> D2-90), not at D3 (= D3-90)
    sellers(
        lake,
        D2,
        &[(1, date("2025-12-01"), "active"), (2, date("2020-01-01"), "active"), (5, registered_5, "active")],
    );
    identity(
        lake,
        D2,
        &[
            (1, "phone", "P1", "add"),  // adding a present row: nothing
            (6, "ip", "IP1", "remove"), // 3 and 6 now share one weak kind only
            (8, "device", "DEV2", "remove"),
            (8, "ip", "NOPE", "remove"), // removing an absent row: nothing
            (7, "ip", "IP7", "add"),
            (17, "device", "DEV2", "add"),
            (17, "ip", "IP7", "add"),       // 7 and 17: device and ip, linked
            (11, "phone", "HUB", "remove"), // HUB drops to 2 holders: no longer a hub, links 9-10
        ],
    );
    listings(
        lake,
        D2,
        &[
            (102, 5, Some("Nike"), Some("shoes"), 4999, Some(0.3), "add"), // replaced by seller 5
            (100, 1, Some("Nike"), Some("shoes"), 1000, Some(0.9), "remove"),
            (108, 1, Some("Puma"), Some("shoes"), 100, None, "add"),
            (109, 1, Some("Nike"), Some("shoes"), 2000, None, "add"),
            (110, 1, Some("Nike"), Some("shoes"), 2000, None, "remove"), // absent: nothing
        ],
    );
    orders(lake, D2, "part-0.parquet", &[(8, 2, 60, 1, 300)]);
    feedback(lake, D2, &[(1, None, "review", Some(4))]);
    prices(lake, D2, &[("Nike", "shoes", 10_000), ("Puma", "shoes", 1000), ("Dup", "toys", 5)]);
    // A labels partition without _SUCCESS is not read (its bad row is no reject).
    labels(lake, D2, &[(1, "maybe")]);

    // Day 3: empty partitions (marker only) for identity, listings, orders, feedback; no labels.
    sellers(
        lake,
        D3,
        &[(1, date("2025-12-01"), "active"), (2, date("2020-01-01"), "active"), (5, registered_5, "active")],
    );
    prices(lake, D3, &[("Nike", "shoes", 10_000)]);

    for day in [D1, D2, D3] {
        for table in ["sellers", "seller_identity", "listings", "orders", "feedback", "brand_prices"] {
            success(lake, table, day);
        }
    }
    success(lake, "labels", D1);
    // Day 4 is not ready: brand_prices has no marker.
    sellers(lake, D4, &[(1, date("2025-12-01"), "active")]);
    for table in ["sellers", "seller_identity", "listings", "orders", "feedback"] {
        success(lake, table, D4);
    }
}

fn mini_config() -> OracleConfig {
    let mut cfg = OracleConfig { window_days: 2, burst_days: 2, ..OracleConfig::default() };
    // A phone value held by more than two sellers is a hub here.
    for k in cfg.kinds.iter_mut().filter(|k| k.0 == "phone") {
        k.2 = 2;
    }
    cfg
}

#[test]
fn handcrafted_lake_gives_hand_computed_state() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    mini_lake(&lake);
    let states = compute(&lake, &mini_config());
    let days: Vec<&str> = states.iter().map(|s| s.day.as_str()).collect();
    assert_eq!(days, [D1, D2, D3], "day 4 is not ready");
    let (s1, s2, s3) = (&states[0], &states[1], &states[2]);
    let f = Features::default;

    // Rejects: (table, file, row).
    let rejects = |s: &DayState| -> Vec<(String, String, i64)> {
        s.rejects.iter().map(|(t, f, r, _)| (t.clone(), f.clone(), *r)).collect()
    };
    let mut expected = Vec::new();
    let mut add = |table: &str, file: &str, rows: &[i64]| {
        for r in rows {
            expected.push((table.to_owned(), format!("{table}/dt={D1}/{file}"), *r));
        }
    };
    add("brand_prices", "part-0.parquet", &[2, 3, 4]);
    add("feedback", "part-0.parquet", &[6, 7, 8]);
    add("labels", "part-0.parquet", &[1]);
    add("listings", "part-0.parquet", &[4, 5, 6, 7]);
    add("orders", "part-0.parquet", &[4]);
    add("orders", "part-1.parquet", &[0, 1, 2]);
    add("seller_identity", "part-0.parquet", &[11, 12, 13, 15]);
    add("sellers", "part-0.parquet", &[3, 4, 5]);
    expected.sort();
    assert_eq!(rejects(s1), expected);
    assert!(s2.rejects.is_empty() && s3.rejects.is_empty(), "{:?}", s2.rejects);

    // Day 1.
    let ring = |pairs: &[(i64, i64)]| pairs.iter().copied().collect::<BTreeMap<i64, i64>>();
    assert_eq!(
        s1.rings,
        ring(&[
            (1, 1),
            (2, 1),
            (3, 3),
            (6, 3),
            (7, 7),
            (8, 8),
            (9, 9),
            (10, 10),
            (11, 11),
            (14, 14),
            (15, 15),
            (16, 16)
        ])
    );
    assert_eq!(s1.hubs, BTreeMap::from([(("phone".to_owned(), "HUB".to_owned()), 3)]));
    let mut e1: BTreeMap<i64, Features> = s1.rings.keys().map(|s| (*s, f())).collect();
    e1.insert(
        1,
        Features {
            orders: 3,
            gmv_cents: 3500,
            buyers: 2,
            counterfeit_complaints: 1,
            reviews: 3,
            avg_rating: Some(3.5),
            active_listings: 2,
            branded_listings: 2,
            low_price_listings: 1,
            new_listings: 2,
            new_brands: 1,
            logo_mismatch_max: Some(0.9),
            young_account: Some(true),
            ..f()
        },
    );
    e1.insert(
        2,
        Features {
            reports: 1,
            active_listings: 2,
            branded_listings: 1,
            new_listings: 2,
            new_brands: 1,
            logo_mismatch_max: Some(0.1),
            young_account: Some(false),
            ..f()
        },
    );
    e1.insert(14, Features { active_listings: 1, new_listings: 1, new_brands: 1, ..f() });
    e1.insert(15, Features { orders: 1, gmv_cents: 700, buyers: 1, ..f() });
    assert_eq!(s1.features, e1);

    // Day 2: 8 and 11 lost their only rows; 3-6 unlinked; 7-17 and 9-10 linked; 5 is valid now.
    assert_eq!(
        s2.rings,
        ring(&[(1, 1), (2, 1), (3, 3), (5, 5), (6, 6), (7, 7), (17, 7), (9, 9), (10, 9), (14, 14), (15, 15), (16, 16)])
    );
    assert!(s2.hubs.is_empty());
    let mut e2: BTreeMap<i64, Features> = s2.rings.keys().map(|s| (*s, f())).collect();
    e2.insert(
        1,
        Features {
            orders: 3,
            gmv_cents: 3500,
            buyers: 2,
            counterfeit_complaints: 1,
            reviews: 4,
            avg_rating: Some(11.0 / 3.0),
            active_listings: 3,    // 101, 108, 109
            branded_listings: 3,   // Nike, Puma, Nike shoes
            low_price_listings: 2, // 108 (100 < 500), 109 (2000 < 5000)
            new_listings: 4,       // 100 (removed since), 101, 108, 109
            new_brands: 2,
            logo_mismatch_max: None,
            young_account: Some(true),
            ..f()
        },
    );
    // 102 moved to seller 5 but stays seller 2's new listing (its first add).
    e2.insert(
        2,
        Features {
            orders: 1,
            gmv_cents: 300,
            buyers: 1,
            reports: 1,
            active_listings: 1,
            branded_listings: 1,
            new_listings: 2,
            new_brands: 1,
            young_account: Some(false),
            ..f()
        },
    );
    e2.insert(
        5,
        Features {
            active_listings: 1,
            branded_listings: 1,
            low_price_listings: 1,
            logo_mismatch_max: Some(0.3),
            young_account: Some(true),
            ..f()
        },
    );
    e2.insert(14, Features { active_listings: 1, new_listings: 1, new_brands: 1, ..f() });
    e2.insert(15, Features { orders: 1, gmv_cents: 700, buyers: 1, ..f() });
    assert_eq!(s2.features, e2);

    // Day 3: day-1 events and first adds leave the windows; 15 and 16 are no longer known.
    assert_eq!(s3.rings, ring(&[(1, 1), (2, 1), (3, 3), (5, 5), (6, 6), (7, 7), (17, 7), (9, 9), (10, 9), (14, 14)]));
    let mut e3: BTreeMap<i64, Features> = s3.rings.keys().map(|s| (*s, f())).collect();
    e3.insert(
        1,
        Features {
            reviews: 1,
            avg_rating: Some(4.0),
            active_listings: 3,
            branded_listings: 2, // Puma's reference price is gone
            low_price_listings: 1,
            new_listings: 2,
            new_brands: 2,
            young_account: Some(true),
            ..f()
        },
    );
    e3.insert(
        2,
        Features {
            orders: 1,
            gmv_cents: 300,
            buyers: 1,
            active_listings: 1,
            branded_listings: 1,
            young_account: Some(false),
            ..f()
        },
    );
    e3.insert(
        5,
        Features {
            active_listings: 1,
            branded_listings: 1,
            low_price_listings: 1,
            logo_mismatch_max: Some(0.3),
            young_account: Some(false),
            ..f()
        },
    );
    e3.insert(14, Features { active_listings: 1, ..f() });
    assert_eq!(s3.features, e3);
}

#[test]
fn handcrafted_lake_with_a_gap_stops_before_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    mini_lake(&lake);
    // Make day 4 ready but move day 3 away: days after a missing day are not processed.
    success(&lake, "brand_prices", D4);
    for table in ["sellers", "seller_identity", "listings", "orders", "feedback", "brand_prices"] {
        std::fs::remove_dir_all(lake.join(table).join(format!("dt={D3}"))).unwrap();
    }
    let states = compute(&lake, &mini_config());
    assert_eq!(states.iter().map(|s| s.day.as_str()).collect::<Vec<_>>(), [D1, D2]);
}
