//! The data lake: Hive-style partition layout, discovery of days and their readiness.

pub mod read;
pub mod schema;
pub mod write;

use crate::model::{Day, Table};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The marker file that says a partition is complete.
pub const SUCCESS: &str = "_SUCCESS";

/// `<root>/<table>/dt=<day>`.
pub fn partition_dir(root: &Path, table: &str, day: Day) -> PathBuf {
    root.join(table).join(format!("dt={day}"))
}

/// Errors of lake discovery.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LakeError {
    #[error("cannot list {path}: {source}")]
    List { path: PathBuf, source: io::Error },
    #[error("{path}: a partition directory must be named dt=YYYY-MM-DD")]
    BadPartitionName { path: PathBuf },
}

/// What one partition directory holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub dir: PathBuf,
    /// Whether `_SUCCESS` is present.
    pub complete: bool,
    /// Data files: `*.parquet` whose names do not start with `.` or `_`, sorted by name.
    pub files: Vec<PathBuf>,
}

/// Whether a file in a partition directory is a data file (SPEC section 2).
pub fn is_data_file(name: &str) -> bool {
    name.ends_with(".parquet") && !name.starts_with('.') && !name.starts_with('_')
}

/// Lists the partitions of `<root>/<table>`, by day. A missing table directory has none.
pub fn partitions(root: &Path, table: Table) -> Result<BTreeMap<Day, Partition>, LakeError> {
    let dir = root.join(table.as_str());
    let mut out = BTreeMap::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(source) => return Err(LakeError::List { path: dir, source }),
    };
    for entry in entries {
        let entry = entry.map_err(|source| LakeError::List { path: dir.clone(), source })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Spark and friends leave `_temporary`, `.spark-staging` and the like beside partitions.
        if name.starts_with('.') || name.starts_with('_') || !entry.path().is_dir() {
            continue;
        }
        let day = name
            .strip_prefix("dt=")
            .and_then(|d| d.parse::<Day>().ok())
            .ok_or_else(|| LakeError::BadPartitionName { path: entry.path() })?;
        out.insert(day, read_partition(&entry.path())?);
    }
    Ok(out)
}

/// Lists one partition directory.
pub fn read_partition(dir: &Path) -> Result<Partition, LakeError> {
    let mut files = Vec::new();
    let mut complete = false;
    let entries = std::fs::read_dir(dir).map_err(|source| LakeError::List { path: dir.to_owned(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| LakeError::List { path: dir.to_owned(), source })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == SUCCESS {
            complete = true;
        } else if is_data_file(&name) && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(Partition { dir: dir.to_owned(), complete, files })
}

/// The partitions of every table, and which days are ready.
#[derive(Clone, Debug, Default)]
pub struct LakeListing {
    pub tables: BTreeMap<Table, BTreeMap<Day, Partition>>,
}

impl LakeListing {
    /// Lists every table of the lake at `root`.
    pub fn scan(root: &Path) -> Result<LakeListing, LakeError> {
        let mut tables = BTreeMap::new();
        for &table in Table::ALL {
            tables.insert(table, partitions(root, table)?);
        }
        Ok(LakeListing { tables })
    }

    /// Whether every required table has a complete partition of `day`.
    pub fn is_ready(&self, day: Day) -> bool {
        self.tables.iter().all(|(table, parts)| table.is_optional() || parts.get(&day).is_some_and(|p| p.complete))
    }

    /// Every day some table has a partition of, ascending.
    pub fn days(&self) -> Vec<Day> {
        let mut days: Vec<Day> = self.tables.values().flat_map(|p| p.keys().copied()).collect();
        days.sort();
        days.dedup();
        days
    }

    /// The ready days, ascending.
    pub fn ready_days(&self) -> Vec<Day> {
        self.days().into_iter().filter(|d| self.is_ready(*d)).collect()
    }

    /// The partition of `table` at `day` if it is complete (an optional table may have none).
    pub fn complete_partition(&self, table: Table, day: Day) -> Option<&Partition> {
        self.tables.get(&table)?.get(&day).filter(|p| p.complete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_skip_hidden_and_markers() {
        assert!(is_data_file("part-0001.parquet"));
        assert!(!is_data_file("_SUCCESS"));
        assert!(!is_data_file(".part-0001.parquet.crc"));
        assert!(!is_data_file("_tmp.parquet"));
        assert!(!is_data_file("part-0001.csv"));
    }

    #[test]
    fn readiness_needs_every_required_table() {
        let dir = tempfile::tempdir().unwrap();
        let day: Day = "2026-01-01".parse().unwrap();
        for t in Table::ALL.iter().filter(|t| !t.is_optional()) {
            let p = partition_dir(dir.path(), t.as_str(), day);
            std::fs::create_dir_all(&p).unwrap();
            if *t != Table::Orders {
                std::fs::write(p.join(SUCCESS), b"").unwrap();
            }
        }
        let listing = LakeListing::scan(dir.path()).unwrap();
        assert!(!listing.is_ready(day), "orders has no _SUCCESS");
        std::fs::write(partition_dir(dir.path(), "orders", day).join(SUCCESS), b"").unwrap();
        let listing = LakeListing::scan(dir.path()).unwrap();
        assert_eq!(listing.ready_days(), vec![day], "labels is optional");
    }
}
