//! `ringlead generate`: SPEC conformance of the lake, ground truth consistent with the identity
//! data, table modes, Parquet variety, determinism, and a believable marketplace.

use crate::util::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

const TABLES: [&str; 7] = ["sellers", "seller_identity", "listings", "orders", "feedback", "brand_prices", "labels"];

/// SPEC columns: (name, integer/float/string/date, nullable).
fn spec_columns(table: &str) -> Vec<(&'static str, char, bool)> {
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
        _ => unreachable!(),
    }
}

fn family(t: &arrow_schema::DataType) -> char {
    use arrow_schema::DataType::*;
    match t {
        Int8 | Int16 | Int32 | Int64 => 'i',
        Float64 => 'f',
        Utf8 | LargeUtf8 | Dictionary(_, _) => 's',
        Date32 => 'd',
        other => panic!("unexpected type {other}"),
    }
}

#[test]
fn lake_layout_columns_and_markers_follow_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let all_days = days(&lake, "sellers");
    assert_eq!(all_days.len(), 21);
    for table in TABLES {
        let table_days = days(&lake, table);
        if table == "labels" {
            assert!(table_days.len() < all_days.len(), "labels is optional: some days have no partition");
            assert!(table_days.len() >= all_days.len() / 2);
        } else {
            assert_eq!(table_days, all_days, "{table}");
        }
        let changes = matches!(table, "seller_identity" | "listings");
        for day in &table_days {
            let dir = lake.join(table).join(format!("dt={day}"));
            assert!(dir.join("_SUCCESS").is_file(), "{table} {day}: no _SUCCESS");
            for file in data_files(&dir) {
                for b in read_file(&file) {
                    let mut expected = spec_columns(table);
                    if changes {
                        expected.push(("op", 's', false));
                    }
                    let names: Vec<_> = b.schema().fields().iter().map(|f| f.name().clone()).collect();
                    assert_eq!(names, expected.iter().map(|c| c.0).collect::<Vec<_>>(), "{}", file.display());
                    for (name, fam, nullable) in expected {
                        let col = b.column_by_name(name).unwrap();
                        assert_eq!(family(col.data_type()), fam, "{} {name}", file.display());
                        if !nullable {
                            assert_eq!(col.null_count(), 0, "{} {name} has nulls", file.display());
                        }
                    }
                    if changes {
                        assert!(req(strs(&b, "op")).iter().all(|o| o == "add" || o == "remove"));
                    }
                }
            }
        }
    }
    // Ground truth beside the tables.
    for f in ["rings.parquet", "memberships.parquet", "events.parquet", "sellers.parquet", "manifest.json"] {
        assert!(lake.join("_truth").join(f).is_file(), "{f}");
    }
}

/// Identity state per day, from a lake in either mode; rows of unknown kinds left out.
fn identity_by_day(lake: &Path) -> BTreeMap<String, BTreeSet<(i64, String, String)>> {
    let known: BTreeSet<&str> =
        ["id_card", "payment_account", "bank_card", "phone", "device", "ip", "ship_from", "return_address"].into();
    let mut state = BTreeSet::new();
    let mut out = BTreeMap::new();
    for day in days(lake, "seller_identity") {
        let batches = partition(lake, "seller_identity", &day);
        let snapshot = batches.first().is_some_and(|b| b.column_by_name("op").is_none());
        if snapshot {
            state.clear();
        }
        for b in &batches {
            let (s, k, v) = (req(ints(b, "seller_id")), req(strs(b, "kind")), req(strs(b, "value")));
            let ops = if snapshot { vec!["add".to_owned(); s.len()] } else { req(strs(b, "op")) };
            for i in 0..s.len() {
                if !known.contains(k[i].as_str()) {
                    continue;
                }
                let row = (s[i], k[i].clone(), v[i].clone());
                if ops[i] == "add" {
                    state.insert(row);
                } else {
                    state.remove(&row);
                }
            }
        }
        out.insert(day, state.clone());
    }
    out
}

/// Holders of each (kind, value), and the SPEC default cap of each kind.
fn holders(state: &BTreeSet<(i64, String, String)>) -> HashMap<(String, String), BTreeSet<i64>> {
    let mut h: HashMap<(String, String), BTreeSet<i64>> = HashMap::new();
    for (s, k, v) in state {
        h.entry((k.clone(), v.clone())).or_default().insert(*s);
    }
    h
}

fn cap(kind: &str) -> usize {
    match kind {
        "id_card" | "payment_account" | "bank_card" | "phone" => 5,
        "device" => 10,
        _ => 20,
    }
}

fn strong(kind: &str) -> bool {
    matches!(kind, "id_card" | "payment_account" | "bank_card" | "phone")
}

/// SPEC links: a shared non-hub strong value, or non-hub weak values of two kinds.
fn links(state: &BTreeSet<(i64, String, String)>) -> BTreeSet<(i64, i64)> {
    let mut weak: HashMap<(i64, i64), BTreeSet<String>> = HashMap::new();
    let mut out = BTreeSet::new();
    for ((kind, _), sellers) in holders(state) {
        if sellers.len() > cap(&kind) {
            continue;
        }
        let v: Vec<i64> = sellers.into_iter().collect();
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                if strong(&kind) {
                    out.insert((v[i], v[j]));
                } else {
                    weak.entry((v[i], v[j])).or_default().insert(kind.clone());
                }
            }
        }
    }
    out.extend(weak.into_iter().filter(|(_, k)| k.len() >= 2).map(|(p, _)| p));
    out
}

/// Whether `members` are connected using only links among themselves.
fn connected(members: &BTreeSet<i64>, links: &BTreeSet<(i64, i64)>) -> bool {
    let Some(&first) = members.iter().next() else { return true };
    let mut seen = BTreeSet::from([first]);
    let mut stack = vec![first];
    while let Some(x) = stack.pop() {
        for &(a, b) in links {
            let y = if a == x {
                b
            } else if b == x {
                a
            } else {
                continue;
            };
            if members.contains(&y) && seen.insert(y) {
                stack.push(y);
            }
        }
    }
    seen.len() == members.len()
}

struct Membership {
    ring: i64,
    seller: i64,
    since: i64,
    until: Option<i64>,
}

fn memberships(lake: &Path) -> Vec<Membership> {
    let b = &read_file(&lake.join("_truth/memberships.parquet"))[0];
    let (r, s, since, until) =
        (req(ints(b, "ring")), req(ints(b, "seller_id")), req(ints(b, "since")), ints(b, "until"));
    (0..r.len()).map(|i| Membership { ring: r[i], seller: s[i], since: since[i], until: until[i] }).collect()
}

fn day_number(day: &str) -> i64 {
    let d: ringlead::model::Day = day.parse().unwrap();
    d.0 as i64
}

#[test]
fn planted_rings_are_connected_through_non_hub_values_and_nothing_else_links() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let members = memberships(&lake);
    let mut ip_hub_days = 0;
    let mut strong_hub_days = 0;
    let mut weak_only_pairs = 0;
    for (day, state) in identity_by_day(&lake) {
        let d = day_number(&day);
        let links = links(&state);
        let mut rings: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for m in members.iter().filter(|m| m.since <= d && m.until.is_none_or(|u| d < u)) {
            rings.entry(m.ring).or_default().insert(m.seller);
        }
        assert!(rings.len() >= 5, "{day}: few planted rings ({})", rings.len());
        for (ring, sellers) in &rings {
            assert!(connected(sellers, &links), "{day}: planted ring {ring} is not connected: {sellers:?}");
        }
        // Every link joins two sellers of planted rings: hard negatives link nobody.
        let in_rings: BTreeSet<i64> = rings.values().flatten().copied().collect();
        for (a, b) in &links {
            assert!(in_rings.contains(a) && in_rings.contains(b), "{day}: unplanned link {a} - {b}");
        }
        let h = holders(&state);
        ip_hub_days += usize::from(h.iter().any(|((k, _), s)| k == "ip" && s.len() > cap(k)));
        strong_hub_days += usize::from(h.iter().any(|((k, _), s)| strong(k) && s.len() > cap(k)));
        weak_only_pairs = h.iter().filter(|((k, _), s)| !strong(k) && s.len() == 2).count();
    }
    assert_eq!(ip_hub_days, 21, "carrier NAT hubs exist every day");
    assert_eq!(strong_hub_days, 21, "a registration agency's phone is a strong hub");
    assert!(weak_only_pairs >= 3, "honest pairs sharing one weak kind");
}

#[test]
fn an_office_ip_grows_past_the_cap_and_becomes_a_hub() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let by_day = identity_by_day(&lake);
    let first = holders(by_day.values().next().unwrap());
    let last = holders(by_day.values().last().unwrap());
    let crossed = first.iter().any(|((k, v), s)| {
        k == "ip" && s.len() <= 20 && last.get(&(k.clone(), v.clone())).is_some_and(|l| l.len() > 20)
    });
    assert!(crossed, "some ip value should go from <= cap to a hub during the run");
}

#[test]
fn every_life_cycle_event_happens_in_a_tiny_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let b = &read_file(&lake.join("_truth/events.parquet"))[0];
    let events: BTreeSet<String> = req(strs(b, "event")).into_iter().collect();
    for e in ["appear", "grow", "lose", "split", "merge", "take_down", "comeback"] {
        assert!(events.contains(e), "no {e} event: {events:?}");
    }
}

/// A table's state per day from changes or snapshots, keyed by `key` columns.
fn states(
    lake: &Path,
    table: &str,
    key: &[&str],
    cols: &[&str],
) -> BTreeMap<String, BTreeMap<Vec<String>, Vec<String>>> {
    let mut state: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    let text = |b: &arrow_array::RecordBatch, c: &str| -> Vec<String> {
        let col = b.column_by_name(c).unwrap();
        (0..b.num_rows()).map(|i| display(col.as_ref(), i)).collect()
    };
    for day in days(lake, table) {
        let batches = partition(lake, table, &day);
        let snapshot = batches.first().is_some_and(|b| b.column_by_name("op").is_none());
        if snapshot {
            state.clear();
        }
        for b in &batches {
            let keys: Vec<Vec<String>> = key.iter().map(|k| text(b, k)).collect();
            let vals: Vec<Vec<String>> = cols.iter().map(|c| text(b, c)).collect();
            let ops = if snapshot { vec!["add".to_owned(); b.num_rows()] } else { text(b, "op") };
            for i in 0..b.num_rows() {
                let k: Vec<String> = keys.iter().map(|c| c[i].clone()).collect();
                if ops[i] == "add" {
                    state.insert(k, vals.iter().map(|c| c[i].clone()).collect());
                } else {
                    state.remove(&k);
                }
            }
        }
        out.insert(day, state.clone());
    }
    out
}

#[test]
fn the_same_history_as_snapshots_or_as_changes_gives_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let default = tiny_lake(dir.path(), "default", &["--variety", "false", "--bad-rows", "0"]);
    let flags = [&["--variety", "false", "--bad-rows", "0"][..], &FLIPPED_MODES[..]].concat();
    let flipped = tiny_lake(dir.path(), "flipped", &flags);
    assert!(partition(&flipped, "seller_identity", "2026-01-05")[0].column_by_name("op").is_none());
    assert!(partition(&flipped, "sellers", "2026-01-05")[0].column_by_name("op").is_some());
    let tables: [(&str, &[&str], &[&str]); 4] = [
        ("sellers", &["seller_id"], &["shop_name", "region", "registered_on", "status"]),
        ("seller_identity", &["seller_id", "kind", "value"], &[]),
        ("listings", &["listing_id"], &["seller_id", "brand", "category", "price_cents", "logo_mismatch"]),
        ("brand_prices", &["brand", "category"], &["reference_price_cents"]),
    ];
    for (table, key, cols) in tables {
        let a = states(&default, table, key, cols);
        let b = states(&flipped, table, key, cols);
        assert_eq!(a.len(), 21);
        for (day, sa) in &a {
            assert!(sa == &b[day], "{table} {day}: states differ");
        }
    }
    // Changes mode writes only what changed: far fewer rows than the state.
    let changes: usize = partition(&flipped, "sellers", "2026-01-10").iter().map(|b| b.num_rows()).sum();
    let snapshot: usize = partition(&default, "sellers", "2026-01-10").iter().map(|b| b.num_rows()).sum();
    assert!(changes * 10 < snapshot, "changes {changes} vs snapshot {snapshot}");
}

#[test]
fn same_seed_same_bytes_on_any_thread_count_and_another_seed_differs() {
    let dir = tempfile::tempdir().unwrap();
    let a = tiny_lake(dir.path(), "a", &["--threads", "1"]);
    let b = tiny_lake(dir.path(), "b", &["--threads", "2"]);
    let c = tiny_lake(dir.path(), "c", &["--seed", "7"]);
    let (fa, fb, fc) = (tree(&a), tree(&b), tree(&c));
    assert!(fa.len() > 150);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between 1 and 2 threads");
    }
    let orders = "orders/dt=2026-01-02/part-00000.parquet";
    assert_ne!(fa[orders], fc[orders], "another seed gives other data");
}

#[test]
fn tiny_lake_exercises_the_parquet_variety_readers_must_accept() {
    use parquet::basic::{Compression, Encoding};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let (mut codecs, mut dict, mut plain, mut multi_group, mut multi_file) =
        (BTreeSet::new(), false, false, false, false);
    let mut types = BTreeSet::new();
    let mut all_nullable = false;
    for table in TABLES {
        for day in days(&lake, table) {
            let files = data_files(&lake.join(table).join(format!("dt={day}")));
            multi_file |= files.len() > 1;
            for f in files {
                let r = SerializedFileReader::new(std::fs::File::open(&f).unwrap()).unwrap();
                multi_group |= r.metadata().num_row_groups() > 1;
                for rg in r.metadata().row_groups() {
                    for c in rg.columns() {
                        codecs.insert(match c.compression() {
                            Compression::SNAPPY => "snappy",
                            Compression::ZSTD(_) => "zstd",
                            Compression::GZIP(_) => "gzip",
                            Compression::UNCOMPRESSED => "none",
                            _ => "other",
                        });
                        let enc = c.encodings().collect::<Vec<_>>();
                        if enc.contains(&Encoding::RLE_DICTIONARY) || enc.contains(&Encoding::PLAIN_DICTIONARY) {
                            dict = true;
                        } else {
                            plain = true;
                        }
                    }
                }
                for b in read_file(&f).iter().take(1) {
                    for field in b.schema().fields() {
                        types.insert(format!("{}", field.data_type()));
                    }
                    all_nullable |= b.schema().fields().iter().all(|f| f.is_nullable());
                }
            }
        }
    }
    assert_eq!(codecs, BTreeSet::from(["gzip", "none", "snappy", "zstd"]));
    assert!(dict && plain, "dictionary on and off");
    assert!(multi_group && multi_file, "several row groups and several files per partition");
    for t in ["Utf8", "LargeUtf8", "Dictionary(Int32, Utf8)", "Int8", "Int16", "Int32", "Int64"] {
        assert!(types.iter().any(|x| x == t), "no {t} column in {types:?}");
    }
    assert!(all_nullable, "some files declare every column nullable, as Spark writes them");
}

#[test]
fn the_marketplace_is_believable() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--sellers", "3000", "--orders-per-day", "12000", "--days", "14"]);
    let class: HashMap<i64, String> = {
        let b = &read_file(&lake.join("_truth/sellers.parquet"))[0];
        req(ints(b, "seller_id")).into_iter().zip(req(strs(b, "class"))).collect()
    };
    let is = |s: &i64, c: &str| class.get(s).is_some_and(|x| x == c);

    // Orders: heavy-tailed sellers, busier weekends.
    let mut per_seller: HashMap<i64, u64> = HashMap::new();
    let mut by_day = Vec::new();
    for day in days(&lake, "orders") {
        let mut n = 0;
        for b in partition(&lake, "orders", &day) {
            for s in req(ints(&b, "seller_id")) {
                *per_seller.entry(s).or_default() += 1;
                n += 1;
            }
        }
        by_day.push((day_number(&day), n));
    }
    let mut counts: Vec<u64> = per_seller.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = counts.iter().sum();
    let top: u64 = counts.iter().take(counts.len() / 100).sum();
    assert!(top * 100 > total * 15, "top 1% of sellers should take > 15% of orders ({top} of {total})");
    let weekday = |d: i64| (d + 3).rem_euclid(7);
    let mean = |f: &dyn Fn(i64) -> bool| {
        let v: Vec<f64> = by_day.iter().filter(|(d, _)| f(*d)).map(|(_, n)| *n as f64).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean(&|d| weekday(d) == 5) > mean(&|d| weekday(d) <= 1) * 1.1, "Saturdays busier than Mondays/Tuesdays");

    // Listings: counterfeit shops sell branded goods far under the reference price, with logo mismatches.
    let refs: HashMap<(String, String), i64> = {
        let b = &partition(&lake, "brand_prices", "2026-01-01")[0];
        let (br, c, p) = (req(strs(b, "brand")), req(strs(b, "category")), req(ints(b, "reference_price_cents")));
        (0..br.len()).map(|i| ((br[i].clone(), c[i].clone()), p[i])).collect()
    };
    let (mut cf_ratio, mut honest_ratio, mut discount_ratio, mut cf_logo, mut honest_logo) =
        (vec![], vec![], vec![], vec![], vec![]);
    for b in partition(&lake, "listings", "2026-01-01") {
        let (s, br, c, p, logo) = (
            req(ints(&b, "seller_id")),
            strs(&b, "brand"),
            req(strs(&b, "category")),
            req(ints(&b, "price_cents")),
            floats(&b, "logo_mismatch"),
        );
        for i in 0..s.len() {
            let Some(r) = br[i].as_ref().and_then(|br| refs.get(&(br.clone(), c[i].clone()))) else { continue };
            let ratio = p[i] as f64 / *r as f64;
            if is(&s[i], "counterfeit") {
                cf_ratio.push(ratio);
                cf_logo.extend(logo[i]);
            } else if is(&s[i], "discount") {
                discount_ratio.push(ratio);
            } else if is(&s[i], "honest") {
                honest_ratio.push(ratio);
                honest_logo.extend(logo[i]);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    assert!(median(&mut cf_ratio) < 0.5 && median(&mut honest_ratio) > 0.8, "counterfeit vs honest price ratios");
    assert!(median(&mut discount_ratio) < 0.55, "honest discount sellers are low-priced too (a hard negative)");
    assert!(median(&mut cf_logo) > 0.4 && median(&mut honest_logo) < 0.15, "logo mismatch");

    // Feedback: counterfeit complaints concentrate on counterfeit sellers; reviews are worse there.
    let (mut cf_complaints, mut other_complaints, mut cf_ratings, mut honest_ratings) = (0u64, 0u64, vec![], vec![]);
    for day in days(&lake, "feedback") {
        for b in partition(&lake, "feedback", &day) {
            let (s, k, r) = (req(ints(&b, "seller_id")), req(strs(&b, "kind")), ints(&b, "rating"));
            for i in 0..s.len() {
                if k[i] == "counterfeit_complaint" {
                    if is(&s[i], "counterfeit") {
                        cf_complaints += 1;
                    } else {
                        other_complaints += 1;
                    }
                }
                if let (Some(r), "review") = (r[i], k[i].as_str()) {
                    if (1..=5).contains(&r) {
                        if is(&s[i], "counterfeit") {
                            cf_ratings.push(r as f64)
                        } else {
                            honest_ratings.push(r as f64)
                        }
                    }
                }
            }
        }
    }
    let cf_sellers = class.values().filter(|c| *c == "counterfeit").count() as u64;
    let honest_sellers = class.len() as u64 - cf_sellers;
    assert!(
        cf_complaints * honest_sellers > other_complaints * cf_sellers * 10,
        "complaints per seller: counterfeit >> honest"
    );
    let avg = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    assert!(avg(&cf_ratings) + 0.7 < avg(&honest_ratings));

    // Identity values look like personal data: valid 18-digit ID numbers, 11-digit phones.
    let b = &partition(&lake, "seller_identity", "2026-01-01")[0];
    let (k, v) = (req(strs(b, "kind")), req(strs(b, "value")));
    let mut checked = 0;
    for i in 0..k.len() {
        match k[i].as_str() {
            "id_card" => {
                assert_eq!(v[i].len(), 18);
                const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
                let sum: u32 = v[i].bytes().take(17).zip(W).map(|(b, w)| (b - b'0') as u32 * w).sum();
                assert_eq!(v[i].as_bytes()[17], b"10X98765432"[(sum % 11) as usize]);
                checked += 1;
            }
            "phone" => {
                assert!(v[i].len() == 11 && v[i].starts_with('1') && v[i].bytes().all(|c| c.is_ascii_digit()));
            }
            _ => {}
        }
    }
    assert!(checked > 100);
}

#[test]
fn generate_refuses_to_overwrite_a_lake_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--days", "2"]);
    let out =
        bin().args(["generate", "--scale", "tiny", "--days", "2", "--out", lake.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already holds a lake") && err.contains("--force"), "{err}");
    tiny_lake(dir.path(), "lake", &["--days", "3", "--force"]);
    assert_eq!(days(&lake, "orders").len(), 3, "--force replaces the old lake");
}

#[test]
fn truth_holds_no_identity_values() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--days", "3"]);
    let values: BTreeSet<String> = identity_by_day(&lake).into_values().flatten().map(|(_, _, v)| v).collect();
    for f in ["rings.parquet", "memberships.parquet", "events.parquet", "sellers.parquet", "manifest.json"] {
        let bytes = std::fs::read(lake.join("_truth").join(f)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for v in values.iter().filter(|v| v.len() >= 8) {
            assert!(!text.contains(v.as_str()), "{f} holds an identity value");
        }
    }
}
