//! End to end: a generated lake -> `ringlead run` -> changelogs summed to the state of every day,
//! compared exactly with the independent batch computation of SPEC section 3 (`oracle`).

use crate::oracle::{self, OracleConfig};
use crate::util::*;
use ringlead::privacy::{show_key, ValueHasher};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn opt<T: std::fmt::Debug>(v: Option<T>) -> String {
    v.map_or("null".to_owned(), |x| format!("{x:?}"))
}

/// The oracle's feature row in the job's output column order, without the score.
fn feature_row(seller: i64, f: &oracle::Features) -> String {
    [
        seller.to_string(),
        f.orders.to_string(),
        f.gmv_cents.to_string(),
        f.buyers.to_string(),
        f.counterfeit_complaints.to_string(),
        f.reports.to_string(),
        f.reviews.to_string(),
        opt(f.avg_rating),
        f.active_listings.to_string(),
        f.branded_listings.to_string(),
        f.low_price_listings.to_string(),
        f.new_listings.to_string(),
        f.new_brands.to_string(),
        opt(f.logo_mismatch_max),
        opt(f.young_account),
    ]
    .join("|")
}

/// Compares the job's outputs in `out` with the oracle on `lake`, day by day.
fn assert_matches_oracle(lake: &Path, out: &Path, cfg: &OracleConfig) {
    let expected = oracle::compute(lake, cfg);
    let hasher = ValueHasher::new(KEY.as_bytes());
    let rings = states(&changelog(out, "rings"));
    // The score is the model's, not SPEC section 3's: compare every other column.
    let features: BTreeMap<String, BTreeMap<String, i64>> = states(&changelog(out, "seller_features"))
        .into_iter()
        .map(|(d, rows)| {
            let rows = rows.into_iter().map(|(r, n)| (r.rsplit_once('|').expect("a score column").0.to_owned(), n));
            (d, rows.collect())
        })
        .collect();
    let hubs = states(&changelog(out, "hubs"));
    assert_eq!(rings.len(), expected.len(), "days");
    for day in &expected {
        let d = &day.day;
        let want: BTreeMap<String, i64> = day.rings.iter().map(|(s, r)| (format!("{s}|{r}"), 1)).collect();
        assert_eq!(rings[d].len(), want.len(), "{d}: ring rows");
        assert!(rings[d] == want, "{d}: rings differ");
        let want: BTreeMap<String, i64> = day.features.iter().map(|(s, f)| (feature_row(*s, f), 1)).collect();
        if features[d] != want {
            let got: BTreeSet<_> = features[d].keys().collect();
            let exp: BTreeSet<_> = want.keys().collect();
            let missing: Vec<_> = exp.difference(&got).take(3).collect();
            let extra: Vec<_> = got.difference(&exp).take(3).collect();
            panic!("{d}: features differ\n expected, not produced: {missing:?}\n produced, not expected: {extra:?}");
        }
        let want: BTreeMap<String, i64> =
            day.hubs.iter().map(|((k, v), n)| (format!("{k}|{}|{n}", show_key(hasher.value_key(k, v))), 1)).collect();
        assert!(hubs[d] == want, "{d}: hubs differ: {:?} vs {want:?}", hubs[d]);
        // Rejects: the same rows (table, file, row), whatever the wording of the reason.
        let got: BTreeSet<(String, String, i64)> = partition(out, "rejects", d)
            .iter()
            .flat_map(|b| {
                let (t, f, r) = (req(strs(b, "table")), req(strs(b, "file")), req(ints(b, "row")));
                (0..t.len()).map(move |i| (t[i].clone(), f[i].clone(), r[i])).collect::<Vec<_>>()
            })
            .collect();
        let want: BTreeSet<(String, String, i64)> =
            day.rejects.iter().map(|(t, f, r, _)| (t.clone(), f.clone(), *r)).collect();
        assert_eq!(got, want, "{d}: rejects differ");
    }
}

#[test]
fn the_job_matches_the_batch_oracle_every_day() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let out = dir.path().join("out");
    run_job_ok(&lake, &out, &["-w", "2"]);
    assert_matches_oracle(&lake, &out, &OracleConfig::default());
}

#[test]
fn the_job_matches_the_oracle_with_short_windows_and_other_caps() {
    // Short windows make events leave them during a tiny lake; a lower device cap makes hubs.
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--seed", "11"]);
    let job = dir.path().join("job.toml");
    std::fs::write(
        &job,
        "[window]\ndays = 5\nburst_days = 3\nyoung_account_days = 4\nlow_price_ratio = 0.6\n\
         [identity]\nmin_weak_kinds = 2\n[identity.kinds]\nid_card = { class = \"strong\", cap = 5 }\n\
         payment_account = { class = \"strong\", cap = 5 }\nbank_card = { class = \"strong\", cap = 5 }\n\
         phone = { class = \"strong\", cap = 5 }\ndevice = { class = \"weak\", cap = 1 }\n\
         ip = { class = \"weak\", cap = 20 }\nship_from = { class = \"weak\", cap = 20 }\n\
         return_address = { class = \"weak\", cap = 20 }\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    run_job_ok(&lake, &out, &["--job", job.to_str().unwrap()]);
    let mut cfg = OracleConfig {
        window_days: 5,
        burst_days: 3,
        young_account_days: 4,
        low_price_ratio: 0.6,
        ..OracleConfig::default()
    };
    for k in cfg.kinds.iter_mut() {
        if k.0 == "device" {
            k.2 = 1;
        }
    }
    assert_matches_oracle(&lake, &out, &cfg);
}
