//! Output comparison across layouts: each changelog consolidated per day, read back from Parquet.
//!
//! Layouts split rows into different part files and orders, so files are not compared byte by
//! byte: a day's changelog is the multiset of its rows (all columns but `diff`) with summed diffs.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The changelogs a layout must reproduce exactly.
pub const DATASETS: [&str; 4] = ["rings", "seller_features", "hubs", "ring_scores"];

/// A consolidated changelog: day -> row (its cells joined by `|`) -> summed diff, zeros dropped.
pub type Changelog = BTreeMap<String, BTreeMap<String, i64>>;

/// Every compared changelog of one output, by dataset.
pub type Outputs = BTreeMap<&'static str, Changelog>;

/// Errors of reading an output back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("{path}: {source}")]
    Arrow { path: PathBuf, source: arrow_schema::ArrowError },
    #[error("{path}: column `{column}` has type {data_type}, which the comparer does not read")]
    Type { path: PathBuf, column: String, data_type: DataType },
    #[error("{path}: no integer `diff` column")]
    NoDiff { path: PathBuf },
}

/// Reads every compared dataset of an output.
pub fn read_outputs(out: &Path) -> Result<Outputs, CompareError> {
    DATASETS.iter().map(|&d| Ok((d, changelog(&out.join(d))?))).collect()
}

/// One dataset's changelog: every `dt=D/part-*.parquet` below `dir`, consolidated per day.
pub fn changelog(dir: &Path) -> Result<Changelog, CompareError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| CompareError::Io { path, source }
    };
    let mut log = Changelog::new();
    if !dir.exists() {
        return Ok(log);
    }
    for part in std::fs::read_dir(dir).map_err(io(dir))? {
        let part = part.map_err(io(dir))?.path();
        let name = part.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(day) = name.strip_prefix("dt=") else { continue };
        let rows = log.entry(day.to_owned()).or_default();
        for file in std::fs::read_dir(&part).map_err(io(&part))? {
            let file = file.map_err(io(&part))?.path();
            let fname = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // Part files only: markers start with `_`, temporary files with `.`.
            if !fname.ends_with(".parquet") || fname.starts_with(['.', '_']) {
                continue;
            }
            add_file(&file, rows)?;
        }
        rows.retain(|_, d| *d != 0);
    }
    Ok(log)
}

fn add_file(path: &Path, rows: &mut BTreeMap<String, i64>) -> Result<(), CompareError> {
    let file = std::fs::File::open(path).map_err(|source| CompareError::Io { path: path.to_owned(), source })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(1 << 16).build())
        .map_err(|source| CompareError::Parquet { path: path.to_owned(), source })?;
    for batch in reader {
        let batch = batch.map_err(|source| CompareError::Arrow { path: path.to_owned(), source })?;
        add_batch(path, &batch, rows)?;
    }
    Ok(())
}

fn add_batch(path: &Path, batch: &RecordBatch, rows: &mut BTreeMap<String, i64>) -> Result<(), CompareError> {
    let schema = batch.schema();
    let diff_at = schema.index_of("diff").map_err(|_| CompareError::NoDiff { path: path.to_owned() })?;
    let diff = batch.column(diff_at);
    let cells: Vec<(&str, &dyn Array)> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .enumerate()
        .filter(|(i, _)| *i != diff_at)
        .map(|(_, (f, c))| (f.name().as_str(), c.as_ref()))
        .collect();
    for i in 0..batch.num_rows() {
        let d = match cell(diff, i) {
            Ok(Cell::Int(d)) => d,
            _ => return Err(CompareError::NoDiff { path: path.to_owned() }),
        };
        let mut key = String::new();
        for (n, (name, col)) in cells.iter().enumerate() {
            if n > 0 {
                key.push('|');
            }
            let c = cell(*col, i).map_err(|data_type| CompareError::Type {
                path: path.to_owned(),
                column: (*name).to_owned(),
                data_type,
            })?;
            key.push_str(&c.to_string());
        }
        *rows.entry(key).or_insert(0) += d;
    }
    Ok(())
}

/// One value of a column, typed just enough to print it exactly.
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Null => f.write_str("null"),
            Cell::Int(v) => write!(f, "{v}"),
            // `{:?}` prints the shortest text that reads back as the same f64: exact equality.
            Cell::Float(v) => write!(f, "{v:?}"),
            Cell::Text(s) => f.write_str(s),
        }
    }
}

/// The value at row `i`, or the column's type when the comparer does not read it.
fn cell(col: &dyn Array, i: usize) -> Result<Cell, DataType> {
    use DataType::*;
    if col.is_null(i) {
        return Ok(Cell::Null);
    }
    Ok(match col.data_type() {
        Int8 => Cell::Int(col.as_primitive::<Int8Type>().value(i).into()),
        Int16 => Cell::Int(col.as_primitive::<Int16Type>().value(i).into()),
        Int32 => Cell::Int(col.as_primitive::<Int32Type>().value(i).into()),
        Int64 => Cell::Int(col.as_primitive::<Int64Type>().value(i)),
        UInt8 => Cell::Int(col.as_primitive::<UInt8Type>().value(i).into()),
        UInt16 => Cell::Int(col.as_primitive::<UInt16Type>().value(i).into()),
        UInt32 => Cell::Int(col.as_primitive::<UInt32Type>().value(i).into()),
        UInt64 => Cell::Text(col.as_primitive::<UInt64Type>().value(i).to_string()),
        Date32 => Cell::Int(col.as_primitive::<Date32Type>().value(i).into()),
        Float32 => Cell::Float(col.as_primitive::<Float32Type>().value(i).into()),
        Float64 => Cell::Float(col.as_primitive::<Float64Type>().value(i)),
        Boolean => Cell::Text(col.as_boolean().value(i).to_string()),
        Utf8 => Cell::Text(col.as_string::<i32>().value(i).to_owned()),
        LargeUtf8 => Cell::Text(col.as_string::<i64>().value(i).to_owned()),
        Dictionary(key, value) if **key == Int32 && matches!(**value, Utf8 | LargeUtf8) => {
            let d = col.as_dictionary::<Int32Type>();
            let k = d.keys().value(i) as usize;
            cell(d.values().as_ref(), k)?
        }
        t => return Err(t.clone()),
    })
}

/// How `other` differs from `base`: one line per (dataset, day) that differs, at most 20.
pub fn differences(base: &Outputs, other: &Outputs) -> Vec<String> {
    let mut out = Vec::new();
    let empty = Changelog::new();
    for ds in DATASETS {
        let (a, b) = (base.get(ds).unwrap_or(&empty), other.get(ds).unwrap_or(&empty));
        let days: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for day in days {
            let none = BTreeMap::new();
            let (x, y) = (a.get(day).unwrap_or(&none), b.get(day).unwrap_or(&none));
            if x == y {
                continue;
            }
            let missing = x.iter().filter(|(k, d)| y.get(*k) != Some(d)).count();
            let extra = y.iter().filter(|(k, d)| x.get(*k) != Some(d)).count();
            let what = match (a.contains_key(day), b.contains_key(day)) {
                (true, false) => "day missing".to_owned(),
                (false, true) => "day not in the baseline".to_owned(),
                _ => format!("{missing} baseline rows missing or changed, {extra} rows not in the baseline"),
            };
            out.push(format!("{ds} dt={day}: {what}"));
        }
    }
    out.truncate(20);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, Int64Array, Int8Array, StringArray};
    use std::sync::Arc;

    fn write(path: &Path, ids: &[i64], names: &[Option<&str>], scores: &[f64], diffs: &[i8]) {
        let batch = RecordBatch::try_from_iter([
            ("seller_id", Arc::new(Int64Array::from(ids.to_vec())) as ArrayRef),
            ("name", Arc::new(StringArray::from(names.to_vec())) as ArrayRef),
            ("score", Arc::new(Float64Array::from(scores.to_vec())) as ArrayRef),
            ("diff", Arc::new(Int8Array::from(diffs.to_vec())) as ArrayRef),
        ])
        .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut w =
            parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn changelogs_consolidate_across_part_files_and_compare_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        // Layout a: one part file. Layout b: the same rows split over two parts, with a +1/-1
        // pair that cancels and the rows in another order.
        write(&a.join("rings/dt=2026-01-01/part-00000.parquet"), &[1, 2], &[Some("x"), None], &[0.1, 0.2], &[1, 1]);
        write(&b.join("rings/dt=2026-01-01/part-00000.parquet"), &[2, 3], &[None, Some("y")], &[0.2, 0.5], &[1, 1]);
        write(
            &b.join("rings/dt=2026-01-01/part-00001.parquet"),
            &[3, 1],
            &[Some("y"), Some("x")],
            &[0.5, 0.1],
            &[-1, 1],
        );
        std::fs::write(b.join("rings/dt=2026-01-01/_SUCCESS"), "").unwrap();
        let (oa, ob) = (read_outputs(&a).unwrap(), read_outputs(&b).unwrap());
        let day = &oa["rings"]["2026-01-01"];
        assert_eq!(day.keys().collect::<Vec<_>>(), ["1|x|0.1", "2|null|0.2"]);
        assert!(differences(&oa, &ob).is_empty());
        // A score that differs in the last bit is a difference.
        let c = dir.path().join("c");
        write(
            &c.join("rings/dt=2026-01-01/part-00000.parquet"),
            &[1, 2],
            &[Some("x"), None],
            &[0.1, 0.2000000000000001],
            &[1, 1],
        );
        write(&c.join("hubs/dt=2026-01-02/part-00000.parquet"), &[9], &[None], &[0.0], &[1]);
        let d = differences(&oa, &read_outputs(&c).unwrap());
        assert_eq!(
            d,
            [
                "rings dt=2026-01-01: 1 baseline rows missing or changed, 1 rows not in the baseline",
                "hubs dt=2026-01-02: day not in the baseline"
            ]
        );
    }
}
