//! Test harness: run the binary, generate lakes, read Parquet back with the parquet crate alone.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `ringlead` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ringlead"))
}

/// Runs the binary; panics with its output unless it succeeds.
pub fn run_ok(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("the binary runs");
    assert!(
        out.status.success(),
        "ringlead {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Generates a tiny lake in `dir/name` with extra flags; returns its root.
pub fn tiny_lake(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec!["generate", "--scale", "tiny", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_ok(&args);
    out
}

/// Every record batch of one Parquet file.
pub fn read_file(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    // Large batches: a file reads back as one batch per row group.
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().with_batch_size(1 << 20).build().unwrap();
    reader.map(|b| b.unwrap()).collect()
}

/// The data files of a partition directory, sorted.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".parquet") && !n.starts_with('.') && !n.starts_with('_')
        })
        .collect();
    files.sort();
    files
}

/// Every batch of `table`'s partition of `day`.
pub fn partition(lake: &Path, table: &str, day: &str) -> Vec<RecordBatch> {
    data_files(&lake.join(table).join(format!("dt={day}"))).iter().flat_map(|f| read_file(f)).collect()
}

/// The days (`YYYY-MM-DD`) `table` has partitions for, sorted.
pub fn days(lake: &Path, table: &str) -> Vec<String> {
    let mut d: Vec<String> = std::fs::read_dir(lake.join(table))
        .map(|rd| rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    d.retain(|n| n.starts_with("dt="));
    d.iter_mut().for_each(|n| *n = n[3..].to_owned());
    d.sort();
    d
}

/// An integer column of any signed width as i64.
pub fn ints(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
    macro_rules! prim {
        ($t:ty) => {
            c.as_primitive::<$t>().iter().map(|v| v.map(|v| v as i64)).collect()
        };
    }
    match c.data_type() {
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::Date32 => prim!(Date32Type),
        t => panic!("{name}: not an integer column: {t}"),
    }
}

/// A float column.
pub fn floats(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    b.column_by_name(name).unwrap().as_primitive::<Float64Type>().iter().collect()
}

/// A string column, plain, large or dictionary-encoded.
pub fn strs(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
    match c.data_type() {
        DataType::Utf8 => c.as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect(),
        DataType::LargeUtf8 => c.as_string::<i64>().iter().map(|v| v.map(str::to_owned)).collect(),
        DataType::Dictionary(_, _) => {
            let d = c.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i32>();
            (0..d.len()).map(|i| d.key(i).map(|k| values.value(k).to_owned())).collect()
        }
        t => panic!("{name}: not a string column: {t}"),
    }
}

/// Non-null values of a column (panics on a null).
pub fn req<T>(v: Vec<Option<T>>) -> Vec<T> {
    v.into_iter().map(|x| x.expect("no nulls")).collect()
}
