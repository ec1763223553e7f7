//! Outputs: each worker's share of a day's changelogs and rejects as Parquet part files, then the
//! day's commit (a `_SUCCESS` per dataset, the run report last).
//!
//! A day counts as committed when its run report exists; anything else under the day's
//! partitions is a leftover of an interrupted run and is cleared before the day is redone.

pub mod leads;
pub mod report;

use crate::dataflow::features::Features;
use crate::dataflow::Time;
use crate::lake::read::Reject;
use crate::lake::write::{mark_success, write_parquet, Encoding, WriteError};
use crate::model::Day;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, Int8Array, RecordBatch, StringArray};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// A hub: ((kind index, value key), holders).
pub type HubRow = ((u8, u128), i64);

/// The datasets written every day.
pub const DATASETS: [&str; 7] = ["rings", "seller_features", "hubs", "rejects", "leads", "lead_changes", "ring_scores"];

/// A ring's size, ring terms and score (f64 bits): log size, strong-link share, share with
/// complaints, score.
pub type RingScoreRow = (i64, i64, [u64; 4]);

/// Errors of writing outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Report { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SinkError + '_ {
    move |source| SinkError::Io { path: path.to_owned(), source }
}

/// `<output>/<dataset>/dt=<day>`.
pub fn partition(out: &Path, dataset: &str, day: Day) -> PathBuf {
    out.join(dataset).join(format!("dt={day}"))
}

/// Updates an output collection delivered to this worker, kept until their day is written.
pub type Captured<D> = Rc<RefCell<Vec<(D, Time, isize)>>>;

/// Takes the updates of `day` out of `buf`, consolidated and sorted (later days stay).
pub fn take_day<D: Ord + Clone>(buf: &Captured<D>, day: Time) -> Vec<(D, isize)> {
    let mut today = Vec::new();
    buf.borrow_mut().retain(|(d, t, r)| {
        if *t == day {
            today.push((d.clone(), *r));
            false
        } else {
            // Every output is frontier-driven, so nothing earlier than `day` can still be here.
            *t > day
        }
    });
    differential_dataflow::consolidation::consolidate(&mut today);
    today
}

/// Removes every output partition of `day` (leftovers of an interrupted run).
pub fn clear_day(out: &Path, day: Day) -> Result<(), SinkError> {
    for d in DATASETS {
        let p = partition(out, d, day);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(io_err(&p))?;
        }
    }
    Ok(())
}

fn diffs(rows: &[impl Sized], diff: impl Fn(usize) -> isize) -> ArrayRef {
    Arc::new(Int8Array::from((0..rows.len()).map(|i| diff(i).clamp(-128, 127) as i8).collect::<Vec<_>>()))
}

fn ints(v: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v.collect::<Vec<_>>()))
}

/// The rings changelog rows.
pub fn rings_batch(rows: &[((i64, i64), isize)]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("seller_id", ints(rows.iter().map(|r| r.0 .0))),
        ("ring_id", ints(rows.iter().map(|r| r.0 .1))),
        ("diff", diffs(rows, |i| rows[i].1)),
    ])
    .expect("equal lengths")
}

/// A seller's feature row and score (f64 bits).
pub type FeatureRow = (i64, Features, u64);

/// The seller_features changelog rows.
pub fn features_batch(rows: &[(FeatureRow, isize)]) -> RecordBatch {
    let f = |get: fn(&Features) -> i64| ints(rows.iter().map(move |r| get(&r.0 .1)));
    let floats = |get: fn(&Features) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(|r| get(&r.0 .1)).collect::<Vec<_>>()))
    };
    let score: ArrayRef = Arc::new(Float64Array::from(rows.iter().map(|r| f64::from_bits(r.0 .2)).collect::<Vec<_>>()));
    RecordBatch::try_from_iter([
        ("seller_id", ints(rows.iter().map(|r| r.0 .0))),
        ("orders", f(|x| x.orders)),
        ("gmv_cents", f(|x| x.gmv_cents)),
        ("buyers", f(|x| x.buyers)),
        ("counterfeit_complaints", f(|x| x.counterfeit_complaints)),
        ("reports", f(|x| x.reports)),
        ("reviews", f(|x| x.reviews)),
        ("avg_rating", floats(|x| x.avg_rating())),
        ("active_listings", f(|x| x.active_listings)),
        ("branded_listings", f(|x| x.branded_listings)),
        ("low_price_listings", f(|x| x.low_price_listings)),
        ("new_listings", f(|x| x.new_listings)),
        ("new_brands", f(|x| x.new_brands)),
        ("logo_mismatch_max", floats(|x| x.logo_mismatch_max())),
        (
            "young_account",
            Arc::new(BooleanArray::from(rows.iter().map(|r| r.0 .1.young_account).collect::<Vec<_>>())) as ArrayRef,
        ),
        ("score", score),
        ("diff", diffs(rows, |i| rows[i].1)),
    ])
    .expect("equal lengths")
}

/// The hubs changelog rows; `kinds` names kind indices; values appear as keyed hashes only.
pub fn hubs_batch(rows: &[(HubRow, isize)], kinds: &[String]) -> RecordBatch {
    RecordBatch::try_from_iter([
        (
            "kind",
            Arc::new(StringArray::from(rows.iter().map(|r| kinds[r.0 .0 .0 as usize].clone()).collect::<Vec<_>>()))
                as ArrayRef,
        ),
        (
            "value_key",
            Arc::new(StringArray::from(rows.iter().map(|r| crate::privacy::show_key(r.0 .0 .1)).collect::<Vec<_>>()))
                as ArrayRef,
        ),
        ("sellers", ints(rows.iter().map(|r| r.0 .1))),
        ("diff", diffs(rows, |i| rows[i].1)),
    ])
    .expect("equal lengths")
}

/// The ring_scores changelog rows (rings of at least `min_ring_size`).
pub fn ring_scores_batch(rows: &[(RingScoreRow, isize)]) -> RecordBatch {
    let float = |i: usize| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(|r| f64::from_bits(r.0 .2[i])).collect::<Vec<_>>()))
    };
    RecordBatch::try_from_iter([
        ("ring_id", ints(rows.iter().map(|r| r.0 .0))),
        ("size", ints(rows.iter().map(|r| r.0 .1))),
        ("ring_strong_links", float(1)),
        ("ring_members_with_complaints", float(2)),
        ("score", float(3)),
        ("diff", diffs(rows, |i| rows[i].1)),
    ])
    .expect("equal lengths")
}

/// The rejects rows.
pub fn rejects_batch(rows: &[Reject]) -> RecordBatch {
    let s = |get: fn(&Reject) -> String| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(get).collect::<Vec<_>>()))
    };
    RecordBatch::try_from_iter([
        ("table", s(|r| r.table.to_string())),
        ("file", s(|r| r.file.clone())),
        ("row", ints(rows.iter().map(|r| r.row))),
        ("reason", s(|r| r.reason.clone())),
    ])
    .expect("equal lengths")
}

/// Writes one worker's part of a dataset's partition. Empty parts are skipped, except worker
/// 0's, so that every partition has a file that carries the schema.
pub fn write_part(out: &Path, dataset: &str, day: Day, worker: usize, batch: RecordBatch) -> Result<u64, SinkError> {
    let rows = batch.num_rows() as u64;
    if rows == 0 && worker != 0 {
        return Ok(0);
    }
    let dir = partition(out, dataset, day);
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let encoding = Encoding { row_group_rows: 256 * 1024, ..Encoding::default() };
    write_parquet(&dir.join(format!("part-{worker:05}.parquet")), &[batch], encoding)?;
    Ok(rows)
}

/// Commits `day`: `_SUCCESS` into every dataset's partition, then the run report, last.
pub fn commit_day(out: &Path, day: Day, report: &report::RunReport) -> Result<(), SinkError> {
    for d in DATASETS {
        let dir = partition(out, d, day);
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        mark_success(&dir).map_err(io_err(&dir))?;
    }
    report.write(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_day_consolidates_and_keeps_later_days() {
        let buf: Captured<u32> = Rc::new(RefCell::new(vec![(1, 5, 1), (2, 5, 1), (1, 5, -1), (3, 6, 1), (2, 5, 1)]));
        assert_eq!(take_day(&buf, 5), vec![(2, 2)]);
        assert_eq!(buf.borrow().clone(), vec![(3, 6, 1)]);
    }
}
