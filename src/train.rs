//! `ringlead train`: fits the model's weights from `labels` with days <= D (logistic regression,
//! L2-regularised, by Newton's method) and reports the fit on the labels of later days.
//!
//! A label's inputs are the seller's model inputs on its label day, rebuilt from the job's own
//! outputs (`seller_features`, `rings`, `ring_scores`), so training sees exactly what scoring sees.

use crate::config::ModelConfig;
use crate::dataflow::scoring::{inputs_of, RawInputs, INPUTS, SELLER_INPUTS};
use crate::lake::{read, LakeListing};
use crate::model::{Day, Label, LabelRow, Table};
use crate::outputs::{self, diffs, f64s, i64s, opt_f64};
use anyhow::{Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::Array;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const N: usize = INPUTS.len() + 1;

/// One labelled example.
#[derive(Clone, Debug)]
pub struct Example {
    pub day: Day,
    pub x: [f64; 13],
    pub y: f64,
}

/// How well a model fits a set of examples.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Fit {
    pub examples: usize,
    pub positives: usize,
    pub log_loss: f64,
    pub accuracy: f64,
    pub auc: f64,
}

/// The labels of the lake, by day.
fn labels(lake: &Path) -> Result<BTreeMap<Day, Vec<LabelRow>>> {
    let listing = LakeListing::scan(lake)?;
    let mut out: BTreeMap<Day, Vec<LabelRow>> = BTreeMap::new();
    for day in listing.ready_days() {
        let Some(part) = listing.complete_partition(Table::Labels, day) else { continue };
        for f in &part.files {
            let rows = read::read_file::<LabelRow>(lake, f, false, None, &|_| true)?;
            out.entry(day).or_default().extend(rows.rows.into_iter().map(|(_, r, _)| r));
        }
    }
    Ok(out)
}

/// Every label of the lake with the seller's model inputs on its day, from the job's outputs.
pub fn examples(lake: &Path, output: &Path) -> Result<Vec<Example>> {
    let labels = labels(lake)?;
    let features = outputs::partitions(output, "seller_features")?;
    let rings = outputs::partitions(output, "rings")?;
    let scores = outputs::partitions(output, "ring_scores")?;
    let mut f_state: HashMap<i64, RawInputs> = HashMap::new();
    let mut r_state: HashMap<i64, i64> = HashMap::new();
    let mut s_state: HashMap<i64, [f64; 3]> = HashMap::new();
    let mut out = Vec::new();
    for (((day, fb), (_, rb)), (_, sb)) in features.iter().zip(&rings).zip(&scores) {
        // A day's changelog retracts old rows and adds new ones: apply retractions first.
        for positive in [false, true] {
            for b in fb {
                let d = diffs(b)?;
                let col = |n| i64s(b, n);
                let (seller, orders, cc, reports) =
                    (col("seller_id")?, col("orders")?, col("counterfeit_complaints")?, col("reports")?);
                let (active, branded, low) =
                    (col("active_listings")?, col("branded_listings")?, col("low_price_listings")?);
                let (new, brands) = (col("new_listings")?, col("new_brands")?);
                let (logo, rating) = (f64s(b, "logo_mismatch_max")?, f64s(b, "avg_rating")?);
                let young = b.column_by_name("young_account").context("no young_account")?.as_boolean();
                for (i, &di) in d.iter().enumerate() {
                    if (di > 0) != positive {
                        continue;
                    }
                    if !positive {
                        f_state.remove(&seller.value(i));
                        continue;
                    }
                    let raw = RawInputs {
                        orders: orders.value(i),
                        counterfeit_complaints: cc.value(i),
                        reports: reports.value(i),
                        active_listings: active.value(i),
                        branded_listings: branded.value(i),
                        low_price_listings: low.value(i),
                        new_listings: new.value(i),
                        new_brands: brands.value(i),
                        logo_mismatch_max: opt_f64(logo, i),
                        avg_rating: opt_f64(rating, i),
                        young_account: (!young.is_null(i)).then(|| young.value(i)),
                    };
                    f_state.insert(seller.value(i), raw);
                }
            }
            for b in rb {
                let (d, seller, ring) = (diffs(b)?, i64s(b, "seller_id")?, i64s(b, "ring_id")?);
                for (i, &di) in d.iter().enumerate() {
                    match (di > 0, positive) {
                        (true, true) => {
                            r_state.insert(seller.value(i), ring.value(i));
                        }
                        (false, false) => {
                            r_state.remove(&seller.value(i));
                        }
                        _ => {}
                    }
                }
            }
            for b in sb {
                let (d, ring, size) = (diffs(b)?, i64s(b, "ring_id")?, i64s(b, "size")?);
                let (strong, with_cc) = (f64s(b, "ring_strong_links")?, f64s(b, "ring_members_with_complaints")?);
                for (i, &di) in d.iter().enumerate() {
                    match (di > 0, positive) {
                        (true, true) => {
                            let terms = [(size.value(i) as f64).ln(), strong.value(i), with_cc.value(i)];
                            s_state.insert(ring.value(i), terms);
                        }
                        (false, false) => {
                            s_state.remove(&ring.value(i));
                        }
                        _ => {}
                    }
                }
            }
        }
        let Some(day_labels) = labels.get(day) else { continue };
        for l in day_labels {
            let Some(raw) = f_state.get(&l.seller_id.0) else { continue };
            let own = inputs_of(raw);
            let ring = r_state.get(&l.seller_id.0).copied().unwrap_or(l.seller_id.0);
            let terms =
                s_state.get(&ring).copied().unwrap_or([0.0, 0.0, f64::from(u8::from(raw.counterfeit_complaints > 0))]);
            let x = std::array::from_fn(|i| if i < SELLER_INPUTS { own[i] } else { terms[i - SELLER_INPUTS] });
            out.push(Example { day: *day, x, y: f64::from(u8::from(l.label == Label::Counterfeit)) });
        }
    }
    Ok(out)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn logit(w: &[f64; N], x: &[f64; 13]) -> f64 {
    w[0] + (0..13).map(|i| w[i + 1] * x[i]).sum::<f64>()
}

/// Fits bias and weights by Newton's method on the L2-regularised log loss.
pub fn fit(examples: &[Example], l2: f64) -> [f64; N] {
    let mut w = [0.0; N];
    for _ in 0..50 {
        let mut g = [0.0; N];
        let mut h = [[0.0; N]; N];
        for e in examples {
            let p = sigmoid(logit(&w, &e.x));
            let xs: [f64; N] = std::array::from_fn(|i| if i == 0 { 1.0 } else { e.x[i - 1] });
            for i in 0..N {
                g[i] += (p - e.y) * xs[i];
                for j in 0..N {
                    h[i][j] += p * (1.0 - p) * xs[i] * xs[j];
                }
            }
        }
        for i in 1..N {
            g[i] += l2 * w[i];
            h[i][i] += l2;
        }
        h[0][0] += 1e-9;
        let step = solve(h, g);
        let mut size = 0.0f64;
        for i in 0..N {
            w[i] -= step[i];
            size = size.max(step[i].abs());
        }
        if size < 1e-8 {
            break;
        }
    }
    w
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: [[f64; N]; N], mut b: [f64; N]) -> [f64; N] {
    for c in 0..N {
        let p = (c..N).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).expect("rows left");
        a.swap(c, p);
        b.swap(c, p);
        if a[c][c].abs() < 1e-12 {
            continue;
        }
        for r in c + 1..N {
            let f = a[r][c] / a[c][c];
            let pivot = a[c];
            for (x, p) in a[r][c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; N];
    for c in (0..N).rev() {
        if a[c][c].abs() < 1e-12 {
            continue;
        }
        let s: f64 = (c + 1..N).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    x
}

/// How well weights `w` fit `examples`.
pub fn evaluate_fit(w: &[f64; N], examples: &[Example]) -> Fit {
    let mut scored: Vec<(f64, f64)> = examples.iter().map(|e| (sigmoid(logit(w, &e.x)), e.y)).collect();
    let n = scored.len().max(1) as f64;
    let log_loss =
        -scored.iter().map(|(p, y)| y * p.max(1e-12).ln() + (1.0 - y) * (1.0 - p).max(1e-12).ln()).sum::<f64>() / n;
    let accuracy = scored.iter().filter(|(p, y)| (*p >= 0.5) == (*y == 1.0)).count() as f64 / n;
    // AUC: the chance a random positive outscores a random negative (ties count half).
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = scored.iter().filter(|s| s.1 == 1.0).count();
    let negatives = scored.len() - positives;
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < scored.len() {
        let mut j = i;
        while j < scored.len() && scored[j].0 == scored[i].0 {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0;
        rank_sum += scored[i..j].iter().filter(|s| s.1 == 1.0).count() as f64 * avg_rank;
        i = j;
    }
    let auc = if positives > 0 && negatives > 0 {
        (rank_sum - (positives * (positives + 1)) as f64 / 2.0) / (positives * negatives) as f64
    } else {
        f64::NAN
    };
    Fit { examples: scored.len(), positives, log_loss, accuracy, auc }
}

/// The model config with fitted weights (lead rules kept from `base`).
pub fn model_config(w: &[f64; N], base: &ModelConfig) -> ModelConfig {
    let round = |x: f64| (x * 1e4).round() / 1e4;
    ModelConfig {
        bias: round(w[0]),
        weights: INPUTS.iter().enumerate().map(|(i, n)| ((*n).to_owned(), round(w[i + 1]))).collect(),
        ..base.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_recovers_a_separating_direction() {
        // y depends on input 5 only; the fit must weigh it and separate the classes.
        let examples: Vec<Example> = (0..400)
            .map(|i| {
                let v = (i % 100) as f64 / 100.0;
                let mut x = [0.0; 13];
                x[5] = v;
                x[0] = ((i * 7) % 13) as f64 / 13.0;
                Example { day: Day(0), x, y: f64::from(u8::from(v + 0.1 * (((i * 31) % 7) as f64 - 3.0) / 3.0 > 0.5)) }
            })
            .collect();
        let w = fit(&examples, 1e-3);
        assert!(w[6] > 3.0, "{w:?}");
        let f = evaluate_fit(&w, &examples);
        assert!(f.auc > 0.95 && f.accuracy > 0.85, "{f:?}");
    }
}
