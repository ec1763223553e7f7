//! Scores and leads: planted rings are found and explained, honest hub crowds are not leads,
//! fading evidence drops a lead, and `train` / `evaluate` work on a generated lake.

use crate::util::*;
use ringlead::config::ModelConfig;
use ringlead::outputs;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

fn classes(lake: &Path) -> BTreeMap<i64, String> {
    let b = &read_file(&lake.join("_truth/sellers.parquet"))[0];
    req(ints(b, "seller_id")).into_iter().zip(req(strs(b, "class"))).collect()
}

/// (feature, value, contribution) of a lead.
type Evidence = Vec<(String, f64, f64)>;

/// (lead ring, score, evidence) of a leads partition.
fn evidence(out: &Path, day: &str) -> Vec<(i64, f64, Evidence)> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use arrow_array::Array;
    let mut all = Vec::new();
    for b in partition(out, "leads", day) {
        let rings = req(ints(&b, "ring_id"));
        let scores = floats(&b, "score");
        let ev = b.column_by_name("evidence").unwrap().as_list::<i32>();
        for i in 0..b.num_rows() {
            let items = ev.value(i);
            let s = items.as_struct();
            let names = s.column_by_name("feature").unwrap().as_string::<i32>();
            let values = s.column_by_name("value").unwrap().as_primitive::<Float64Type>();
            let contributions = s.column_by_name("contribution").unwrap().as_primitive::<Float64Type>();
            let rows =
                (0..s.len()).map(|j| (names.value(j).to_owned(), values.value(j), contributions.value(j))).collect();
            all.push((rings[i], scores[i].unwrap(), rows));
        }
    }
    all
}

#[test]
fn planted_rings_are_found_with_origins_brands_and_evidence_that_sums_to_the_logit() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let out = dir.path().join("out");
    run_job_ok(&lake, &out, &[]);
    let class = classes(&lake);
    let leads = outputs::leads(&out).unwrap();
    let last = leads.values().last().unwrap();
    assert!(last.len() >= 5, "leads on the last day: {}", last.len());
    for l in last {
        let cf = l.members.iter().filter(|s| class[s] == "counterfeit").count();
        assert!(2 * cf > l.members.len(), "lead {} is mostly honest", l.ring);
    }
    // Evidence: bias + contributions = logit(score), and the evidence names model inputs.
    let model = ModelConfig::default();
    let day = days(&out, "leads").last().unwrap().clone();
    for (ring, score, ev) in evidence(&out, &day) {
        let logit = (score / (1.0 - score)).ln();
        let sum: f64 = model.bias + ev.iter().map(|e| e.2).sum::<f64>();
        assert!((sum - logit).abs() < 1e-6, "ring {ring}: {sum} vs {logit}");
        for (name, value, c) in &ev {
            assert!((model.weights[name] * value - c).abs() < 1e-9, "{name}");
        }
    }
    // Origins are the ring's dispatch codes, with order counts; brands are listed.
    let b = &partition(&out, "leads", &day)[0];
    use arrow_array::cast::AsArray;
    let origins = b.column_by_name("origins").unwrap().as_list::<i32>();
    let brands = b.column_by_name("brands").unwrap().as_list::<i32>();
    assert!((0..b.num_rows()).all(|i| !origins.value(i).is_empty() || ints(b, "gmv_cents")[i] == Some(0)));
    assert!((0..b.num_rows()).any(|i| !brands.value(i).is_empty()));
    let first = origins.value(0);
    let code = first.as_struct().column_by_name("ship_from").unwrap().as_string::<i32>().value(0).to_owned();
    assert!(code.starts_with("CN-"), "{code}");
}

#[test]
fn an_honest_crowd_behind_a_hub_is_never_a_lead() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let out = dir.path().join("out");
    run_job_ok(&lake, &out, &[]);
    // Honest sellers holding a hub value (a carrier NAT IP, a public warehouse) ...
    let mut holders: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
    for b in partition(&lake, "seller_identity", "2026-01-01") {
        let (s, k, v) = (req(ints(&b, "seller_id")), req(strs(&b, "kind")), req(strs(&b, "value")));
        for i in 0..s.len() {
            holders.entry((k[i].clone(), v[i].clone())).or_default().insert(s[i]);
        }
    }
    let class = classes(&lake);
    let crowd: HashSet<i64> = holders
        .iter()
        .filter(|((k, _), s)| {
            s.len()
                > if k == "device" {
                    10
                } else if k == "ip" || k == "ship_from" || k == "return_address" {
                    20
                } else {
                    5
                }
        })
        .flat_map(|(_, s)| s.iter().copied())
        .filter(|s| class[s] == "honest")
        .collect();
    assert!(crowd.len() > 50, "hub crowds exist: {}", crowd.len());
    // ... are in no lead on any day.
    for (day, leads) in outputs::leads(&out).unwrap() {
        for l in leads {
            assert!(l.members.iter().all(|s| !crowd.contains(s)), "{day}: lead {} holds an honest hub crowd", l.ring);
        }
    }
}

#[test]
fn a_ring_whose_evidence_fades_is_dropped() {
    // Short windows: once the marketplace takes a ring down its complaints leave the window
    // within days, its listings are gone, and the lead must be dropped.
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &[]);
    let job = dir.path().join("job.toml");
    std::fs::write(&job, "[window]\ndays = 3\nburst_days = 2\n").unwrap();
    let out = dir.path().join("out");
    run_job_ok(&lake, &out, &["--job", job.to_str().unwrap()]);
    let mut dropped = 0;
    for day in days(&out, "lead_changes") {
        for b in partition(&out, "lead_changes", &day) {
            let (rings, change, score, previous) =
                (req(ints(&b, "ring_id")), req(strs(&b, "change")), floats(&b, "score"), floats(&b, "previous_score"));
            let current: HashSet<i64> =
                partition(&out, "leads", &day).iter().flat_map(|l| req(ints(l, "ring_id"))).collect();
            for i in 0..rings.len() {
                match change[i].as_str() {
                    "dropped" => {
                        dropped += 1;
                        assert!(score[i].is_none() && previous[i].is_some(), "dropped: no score, a previous one");
                        assert!(!current.contains(&rings[i]), "{day}: a dropped ring is still a lead");
                    }
                    "new" => assert!(previous[i].is_none() && current.contains(&rings[i])),
                    "updated" => assert!((score[i].unwrap() - previous[i].unwrap()).abs() > 0.05),
                    other => panic!("unknown change {other}"),
                }
            }
        }
    }
    assert!(dropped >= 1, "a taken-down ring's lead is dropped once its evidence fades");
}

#[test]
fn train_fits_from_labels_and_evaluate_measures_the_leads() {
    let dir = tempfile::tempdir().unwrap();
    let lake = tiny_lake(dir.path(), "lake", &["--sellers", "3000", "--orders-per-day", "6000"]);
    let out = dir.path().join("out");
    run_job_ok(&lake, &out, &[]);
    let model = dir.path().join("model.toml");
    let o = run_ok(&[
        "train",
        "--input",
        lake.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--until",
        "2026-01-10",
        "--model-out",
        model.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("held out"), "{text}");
    let fitted = ModelConfig::load(&model).unwrap();
    assert!(fitted.weights["logo_mismatch_max"] > 0.0, "{fitted:?}");
    let report = dir.path().join("eval.json");
    let o = run_ok(&[
        "evaluate",
        "--output",
        out.to_str().unwrap(),
        "--truth",
        lake.join("_truth").to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("overall: precision"));
    let e: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(e["days"].as_array().unwrap().len(), 21);
    assert!(e["precision"].as_f64().unwrap() >= 0.9, "{}", e["precision"]);
    assert!(e["recall"].as_f64().unwrap() >= 0.6, "{}", e["recall"]);
}
