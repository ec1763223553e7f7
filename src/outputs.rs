//! Reading the job's outputs back (for `train` and `evaluate`): committed partitions, in day order.

use crate::model::Day;
use anyhow::{Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, Int8Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::path::Path;

/// Every committed day of `dataset` with its batches, in day order.
pub fn partitions(out: &Path, dataset: &str) -> Result<Vec<(Day, Vec<RecordBatch>)>> {
    let mut days = Vec::new();
    for day in crate::sink::report::committed(out)?.keys() {
        let dir = crate::sink::partition(out, dataset, *day);
        let listing = crate::lake::read_partition(&dir)?;
        let mut batches = Vec::new();
        for f in &listing.files {
            let file = std::fs::File::open(f).with_context(|| format!("opening {}", f.display()))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(64 * 1024).build()?;
            for b in reader {
                batches.push(b?);
            }
        }
        days.push((*day, batches));
    }
    Ok(days)
}

/// An Int64 column.
pub fn i64s<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a arrow_array::Int64Array> {
    Ok(b.column_by_name(name).with_context(|| format!("no column {name}"))?.as_primitive::<Int64Type>())
}

/// A Float64 column.
pub fn f64s<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a arrow_array::Float64Array> {
    Ok(b.column_by_name(name).with_context(|| format!("no column {name}"))?.as_primitive::<Float64Type>())
}

/// The `diff` column of a changelog.
pub fn diffs(b: &RecordBatch) -> Result<Vec<i64>> {
    let d = b.column_by_name("diff").context("no column diff")?.as_primitive::<Int8Type>();
    Ok(d.values().iter().map(|x| *x as i64).collect())
}

/// A lead as `evaluate` needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRow {
    pub ring: i64,
    pub score: f64,
    pub members: Vec<i64>,
}

/// The `leads` snapshot of every committed day.
pub fn leads(out: &Path) -> Result<BTreeMap<Day, Vec<LeadRow>>> {
    let mut all = BTreeMap::new();
    for (day, batches) in partitions(out, "leads")? {
        let mut rows = Vec::new();
        for b in &batches {
            let (ring, score) = (i64s(b, "ring_id")?, f64s(b, "score")?);
            let members = b.column_by_name("seller_ids").context("no column seller_ids")?.as_list::<i32>();
            for i in 0..b.num_rows() {
                let m = members.value(i);
                let m = m.as_primitive::<Int64Type>();
                rows.push(LeadRow { ring: ring.value(i), score: score.value(i), members: m.values().to_vec() });
            }
        }
        all.insert(day, rows);
    }
    Ok(all)
}

/// Optional f64 at row `i`.
pub fn opt_f64(a: &arrow_array::Float64Array, i: usize) -> Option<f64> {
    (!a.is_null(i)).then(|| a.value(i))
}
