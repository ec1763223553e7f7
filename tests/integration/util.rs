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

/// Formats one value of any array the generator or the job writes (without arrow-cast).
pub fn display(col: &dyn Array, i: usize) -> String {
    use DataType::*;
    if col.is_null(i) {
        return "null".into();
    }
    match col.data_type() {
        Int8 => col.as_primitive::<Int8Type>().value(i).to_string(),
        Int16 => col.as_primitive::<Int16Type>().value(i).to_string(),
        Int32 => col.as_primitive::<Int32Type>().value(i).to_string(),
        Int64 => col.as_primitive::<Int64Type>().value(i).to_string(),
        Date32 => col.as_primitive::<Date32Type>().value(i).to_string(),
        Float64 => format!("{:?}", col.as_primitive::<Float64Type>().value(i)),
        Boolean => col.as_boolean().value(i).to_string(),
        Utf8 => col.as_string::<i32>().value(i).to_owned(),
        LargeUtf8 => col.as_string::<i64>().value(i).to_owned(),
        Dictionary(_, _) => {
            let d = col.as_dictionary::<Int32Type>();
            d.values().as_string::<i32>().value(d.key(i).unwrap()).to_owned()
        }
        t => panic!("unexpected {t}"),
    }
}

/// A changelog dataset of an output, consolidated per day: day -> row (all columns but `diff`,
/// joined by `|`) -> summed diff, zero sums dropped.
pub fn changelog(
    out: &Path,
    dataset: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>> {
    let mut all = std::collections::BTreeMap::new();
    for day in days(out, dataset) {
        let mut rows: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        for b in partition(out, dataset, &day) {
            let cols: Vec<_> = b.schema().fields().iter().map(|f| f.name().clone()).filter(|n| n != "diff").collect();
            let diffs = ints(&b, "diff");
            for (i, diff) in diffs.iter().enumerate() {
                let key = cols
                    .iter()
                    .map(|c| display(b.column_by_name(c).unwrap().as_ref(), i))
                    .collect::<Vec<_>>()
                    .join("|");
                *rows.entry(key).or_insert(0) += diff.unwrap();
            }
        }
        rows.retain(|_, d| *d != 0);
        all.insert(day, rows);
    }
    all
}

/// The state at every day of a changelog: the running sum of its daily changes.
pub fn states(
    log: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>>,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>> {
    let mut state: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    let mut out = std::collections::BTreeMap::new();
    for (day, changes) in log {
        for (row, d) in changes {
            *state.entry(row.clone()).or_insert(0) += d;
        }
        state.retain(|_, d| *d != 0);
        out.insert(day.clone(), state.clone());
    }
    out
}

/// The hash key every test run uses.
pub const KEY: &str = "integration-test-key";

/// Runs `ringlead run` on `lake` into `out` with extra flags; returns the output (any status).
pub fn run_job(lake: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--input", lake.to_str().unwrap(), "--output", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    bin().args(&args).env("RINGLEAD_HASH_KEY", KEY).output().expect("the binary runs")
}

/// As `run_job`, asserting success.
pub fn run_job_ok(lake: &Path, out: &Path, extra: &[&str]) -> Output {
    let o = run_job(lake, out, extra);
    assert!(
        o.status.success(),
        "run failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Copies a lake's partitions of days `<= last` (and its ground truth) to `to`.
pub fn copy_lake_until(from: &Path, to: &Path, last: &str) {
    for entry in std::fs::read_dir(from).unwrap() {
        let table = entry.unwrap().path();
        let name = table.file_name().unwrap().to_string_lossy().into_owned();
        for part in std::fs::read_dir(&table).unwrap() {
            let part = part.unwrap().path();
            let pname = part.file_name().unwrap().to_string_lossy().into_owned();
            let keep = name == "_truth" || pname.strip_prefix("dt=").is_some_and(|d| d <= last);
            if !keep {
                continue;
            }
            let dest = to.join(&name).join(&pname);
            if part.is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
                for f in std::fs::read_dir(&part).unwrap() {
                    let f = f.unwrap().path();
                    std::fs::copy(&f, dest.join(f.file_name().unwrap())).unwrap();
                }
            } else {
                std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::fs::copy(&part, &dest).unwrap();
            }
        }
    }
}

/// Every file below `dir` with its bytes.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// `generate` flags that write every keyed table in the mode opposite to its default.
pub const FLIPPED_MODES: [&str; 8] = [
    "--mode",
    "seller_identity=snapshot",
    "--mode",
    "listings=snapshot",
    "--mode",
    "sellers=changes",
    "--mode",
    "brand_prices=changes",
];

/// The changelogs two runs over one lake must agree on exactly.
pub const DATASETS: [&str; 4] = ["rings", "seller_features", "hubs", "ring_scores"];

/// Asserts two outputs of one lake are the same: every changelog consolidated per day, and the
/// leads snapshot of every day.
pub fn assert_same_outputs(a: &Path, b: &Path, what: &str) {
    for ds in DATASETS {
        let (x, y) = (changelog(a, ds), changelog(b, ds));
        assert!(!x.is_empty(), "{what}: no {ds} days");
        assert_eq!(x.len(), y.len(), "{what}: {ds} days");
        for (day, rows) in &x {
            assert!(rows == &y[day], "{what}: {ds} {day} differs");
        }
    }
    // Leads (a snapshot): the same rings, members and scores every day.
    let (x, y) = (ringlead::outputs::leads(a).unwrap(), ringlead::outputs::leads(b).unwrap());
    let sorted = |mut v: Vec<ringlead::outputs::LeadRow>| {
        v.sort_by_key(|l| l.ring);
        v
    };
    assert_eq!(x.len(), y.len(), "{what}: leads days");
    for (day, leads) in x {
        assert_eq!(sorted(leads), sorted(y[&day].clone()), "{what}: leads {day}");
    }
}
