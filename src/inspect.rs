//! `ringlead inspect`: a summary of a lake from its listing and Parquet footers (no data read).

use crate::lake::LakeListing;
use crate::model::Table;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::fmt::Write;
use std::path::Path;

/// Per-table totals of a lake.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    pub partitions: usize,
    pub complete: usize,
    pub files: usize,
    pub row_groups: usize,
    pub rows: i64,
    pub bytes: u64,
}

/// Reads every partition's file footers and sums them per table.
pub fn table_stats(root: &Path) -> anyhow::Result<(LakeListing, Vec<(Table, TableStats)>)> {
    let listing = LakeListing::scan(root)?;
    let mut out = Vec::new();
    for (table, parts) in &listing.tables {
        let mut s = TableStats { partitions: parts.len(), ..TableStats::default() };
        for p in parts.values() {
            s.complete += usize::from(p.complete);
            for f in &p.files {
                let file = std::fs::File::open(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                s.bytes += file.metadata()?.len();
                let reader = SerializedFileReader::new(file).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                s.rows += reader.metadata().file_metadata().num_rows();
                s.row_groups += reader.metadata().num_row_groups();
                s.files += 1;
            }
        }
        out.push((*table, s));
    }
    Ok((listing, out))
}

/// The text `inspect` prints.
pub fn inspect(root: &Path) -> anyhow::Result<String> {
    let (listing, stats) = table_stats(root)?;
    let mut o = String::new();
    let ready = listing.ready_days();
    let days = listing.days();
    writeln!(o, "lake {}", root.display())?;
    match (ready.first(), ready.last()) {
        (Some(a), Some(b)) => {
            writeln!(o, "ready days: {} ({a} .. {b}); days with any partition: {}", ready.len(), days.len())?
        }
        _ => writeln!(o, "ready days: none; days with any partition: {}", days.len())?,
    }
    writeln!(
        o,
        "{:<16} {:>6} {:>6} {:>6} {:>7} {:>12} {:>10}",
        "table", "parts", "done", "files", "groups", "rows", "MiB"
    )?;
    for (table, s) in &stats {
        writeln!(
            o,
            "{:<16} {:>6} {:>6} {:>6} {:>7} {:>12} {:>10.1}",
            table.as_str(),
            s.partitions,
            s.complete,
            s.files,
            s.row_groups,
            s.rows,
            s.bytes as f64 / (1024.0 * 1024.0)
        )?;
    }
    let truth = root.join("_truth").join("manifest.json");
    if truth.exists() {
        writeln!(o, "ground truth: {}", truth.parent().unwrap_or(root).display())?;
    }
    Ok(o)
}
