//! `ringlead evaluate`: the job's leads against planted ground truth — lead precision, ring recall
//! and detection delay, per day and overall.
//!
//! - A lead is *correct* when most of its sellers are planted counterfeit sellers.
//! - A planted counterfeit ring is *due* at day D when it has made its first counterfeit sale by
//!   D, has at least two current members, and is not taken down (all shops closed) at D; it is
//!   *covered* when one lead holds at least half of its current members.
//! - Detection delay: days from a ring's first counterfeit sale to the first day it is covered.

use crate::model::Day;
use crate::outputs;
use anyhow::{Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::path::Path;

/// One day's numbers.
#[derive(Clone, Debug, Serialize)]
pub struct DayEval {
    pub day: String,
    pub leads: usize,
    pub correct_leads: usize,
    pub precision: Option<f64>,
    pub rings_due: usize,
    pub rings_covered: usize,
    pub recall: Option<f64>,
}

/// The whole evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    pub days: Vec<DayEval>,
    /// Correct leads over all leads, summed over the evaluated days.
    pub precision: Option<f64>,
    /// Covered rings over due rings, summed over the evaluated days.
    pub recall: Option<f64>,
    /// Median detection delay (days) of the rings whose first sale is in the evaluated days.
    pub median_delay_days: Option<f64>,
    pub rings_detected: usize,
    pub rings_never_detected: usize,
    /// (planted ring, delay in days) of every detected ring.
    pub delays: Vec<(i64, i32)>,
}

fn read(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(1 << 20).build()?.collect::<Result<_, _>>()?)
}

fn ints(b: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    let c = b.column_by_name(name).with_context(|| format!("truth has no column {name}"))?;
    Ok(match c.data_type() {
        arrow_schema::DataType::Date32 => c.as_primitive::<Date32Type>().iter().map(|v| v.map(i64::from)).collect(),
        _ => c.as_primitive::<Int64Type>().iter().collect(),
    })
}

fn strs(b: &RecordBatch, name: &str) -> Result<Vec<String>> {
    let c = b.column_by_name(name).with_context(|| format!("truth has no column {name}"))?;
    Ok(c.as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_owned()).collect())
}

struct Truth {
    counterfeit_sellers: HashSet<i64>,
    /// ring -> (first sale, has a parent)
    rings: BTreeMap<i64, (Option<i32>, bool)>,
    /// (ring, seller, since, until)
    members: Vec<(i64, i64, i32, Option<i32>)>,
    /// ring -> (take_down days, comeback days)
    downs: HashMap<i64, (Vec<i32>, Vec<i32>)>,
}

fn load_truth(dir: &Path) -> Result<Truth> {
    let mut t = Truth {
        counterfeit_sellers: HashSet::new(),
        rings: BTreeMap::new(),
        members: Vec::new(),
        downs: HashMap::new(),
    };
    for b in read(&dir.join("sellers.parquet"))? {
        for (s, c) in ints(&b, "seller_id")?.into_iter().zip(strs(&b, "class")?) {
            if c == "counterfeit" {
                t.counterfeit_sellers.insert(s.unwrap_or_default());
            }
        }
    }
    for b in read(&dir.join("rings.parquet"))? {
        let cf = b.column_by_name("counterfeit").context("truth rings: no counterfeit")?.as_boolean().clone();
        let (ring, sale, parent) = (ints(&b, "ring")?, ints(&b, "first_sale")?, ints(&b, "parent")?);
        for i in 0..b.num_rows() {
            if cf.value(i) {
                t.rings.insert(ring[i].unwrap_or_default(), (sale[i].map(|d| d as i32), parent[i].is_some()));
            }
        }
    }
    for b in read(&dir.join("memberships.parquet"))? {
        let (ring, seller, since, until) =
            (ints(&b, "ring")?, ints(&b, "seller_id")?, ints(&b, "since")?, ints(&b, "until")?);
        for i in 0..b.num_rows() {
            let r = ring[i].unwrap_or_default();
            if t.rings.contains_key(&r) {
                t.members.push((
                    r,
                    seller[i].unwrap_or_default(),
                    since[i].unwrap_or_default() as i32,
                    until[i].map(|u| u as i32),
                ));
            }
        }
    }
    for b in read(&dir.join("events.parquet"))? {
        let (day, ring, event) = (ints(&b, "day")?, ints(&b, "ring")?, strs(&b, "event")?);
        for i in 0..b.num_rows() {
            let e = t.downs.entry(ring[i].unwrap_or_default()).or_default();
            match event[i].as_str() {
                "take_down" => e.0.push(day[i].unwrap_or_default() as i32),
                "comeback" => e.1.push(day[i].unwrap_or_default() as i32),
                _ => {}
            }
        }
    }
    Ok(t)
}

impl Truth {
    fn taken_down(&self, ring: i64, day: i32) -> bool {
        let Some((downs, backs)) = self.downs.get(&ring) else { return false };
        let last_down = downs.iter().filter(|d| **d <= day).max();
        let last_back = backs.iter().filter(|d| **d <= day).max();
        matches!((last_down, last_back), (Some(d), b) if b.is_none_or(|b| b < d))
    }
}

/// Evaluates the leads in `output` against `truth` over the committed days in [from, until].
pub fn evaluate(output: &Path, truth: &Path, from: Option<Day>, until: Option<Day>) -> Result<Evaluation> {
    let truth = load_truth(truth)?;
    let leads = outputs::leads(output)?;
    let in_range = |d: &Day| from.is_none_or(|f| *d >= f) && until.is_none_or(|u| *d <= u);
    let mut days = Vec::new();
    let (mut leads_total, mut correct_total, mut due_total, mut covered_total) = (0, 0, 0, 0);
    let mut first_covered: BTreeMap<i64, i32> = BTreeMap::new();
    for (day, rows) in &leads {
        let d = day.0;
        // Every day counts for first coverage; only evaluated days count for the rates.
        let mut members: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (ring, seller, since, until) in &truth.members {
            if *since <= d && until.is_none_or(|u| d < u) {
                members.entry(*ring).or_default().insert(*seller);
            }
        }
        let lead_sets: Vec<HashSet<i64>> = rows.iter().map(|l| l.members.iter().copied().collect()).collect();
        let correct = rows
            .iter()
            .filter(|l| {
                2 * l.members.iter().filter(|s| truth.counterfeit_sellers.contains(s)).count() > l.members.len()
            })
            .count();
        let (mut due, mut covered) = (0, 0);
        for (ring, (first_sale, _)) in &truth.rings {
            let Some(m) = members.get(ring) else { continue };
            if m.len() < 2 || first_sale.is_none_or(|s| s > d) || truth.taken_down(*ring, d) {
                continue;
            }
            due += 1;
            if lead_sets.iter().any(|l| 2 * m.iter().filter(|s| l.contains(s)).count() >= m.len()) {
                covered += 1;
                first_covered.entry(*ring).or_insert(d);
            }
        }
        if !in_range(day) {
            continue;
        }
        leads_total += rows.len();
        correct_total += correct;
        due_total += due;
        covered_total += covered;
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        days.push(DayEval {
            day: day.to_string(),
            leads: rows.len(),
            correct_leads: correct,
            precision: ratio(correct, rows.len()),
            rings_due: due,
            rings_covered: covered,
            recall: ratio(covered, due),
        });
    }
    // Delays of the rings whose first counterfeit sale falls in the evaluated days.
    let last_day = leads.keys().next_back().map(|d| d.0);
    let mut delays = Vec::new();
    let mut never = 0;
    for (ring, (first_sale, has_parent)) in &truth.rings {
        let Some(sale) = first_sale else { continue };
        if *has_parent || !in_range(&Day(*sale)) || last_day.is_none_or(|l| *sale > l) {
            continue;
        }
        // Only rings that were ever due can be detected (two members at some point).
        let ever_due = truth.members.iter().filter(|m| m.0 == *ring).count() >= 2;
        match first_covered.get(ring) {
            Some(d) => delays.push((*ring, (d - sale).max(0))),
            None if ever_due => never += 1,
            None => {}
        }
    }
    let mut sorted: Vec<i32> = delays.iter().map(|d| d.1).collect();
    sorted.sort_unstable();
    let median = (!sorted.is_empty()).then(|| {
        let n = sorted.len();
        if n % 2 == 1 {
            sorted[n / 2] as f64
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
        }
    });
    let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
    Ok(Evaluation {
        days,
        precision: ratio(correct_total, leads_total),
        recall: ratio(covered_total, due_total),
        median_delay_days: median,
        rings_detected: delays.len(),
        rings_never_detected: never,
        delays,
    })
}

/// The evaluation as a table.
pub fn table(e: &Evaluation) -> String {
    let pct = |x: Option<f64>| x.map_or("-".to_owned(), |v| format!("{:.3}", v));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<12} {:>6} {:>8} {:>9} {:>6} {:>8} {:>7}",
        "day", "leads", "correct", "precision", "due", "covered", "recall"
    );
    for d in &e.days {
        let _ = writeln!(
            o,
            "{:<12} {:>6} {:>8} {:>9} {:>6} {:>8} {:>7}",
            d.day,
            d.leads,
            d.correct_leads,
            pct(d.precision),
            d.rings_due,
            d.rings_covered,
            pct(d.recall)
        );
    }
    let _ = writeln!(
        o,
        "overall: precision {}, recall {}, median detection delay {} days ({} rings detected, {} never)",
        pct(e.precision),
        pct(e.recall),
        e.median_delay_days.map_or("-".to_owned(), |m| format!("{m:.1}")),
        e.rings_detected,
        e.rings_never_detected
    );
    o
}
