//! Planning: which days to replay and which to process, the files of each day, and the checks
//! that committed days' inputs have not changed since.
//!
//! Only worker 0 plans; the plan travels to every worker, so all agree on the day and its files
//! even when processes see the lake at slightly different moments.

use crate::lake::{read, LakeListing};
use crate::model::{Day, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One data file of a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    pub table: Table,
    /// Relative to the input root.
    pub path: String,
    pub bytes: u64,
    pub row_groups: u32,
}

/// What every worker does for one day.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DayPlan {
    pub day: Day,
    /// Committed already: rebuild the state, write nothing.
    pub replay: bool,
    pub files: Vec<PlanFile>,
}

impl DayPlan {
    /// This worker's share of (file index, row group) units: round-robin over all units.
    pub fn units_of(&self, index: usize, peers: usize) -> Vec<(u32, u32)> {
        let all = self.files.iter().enumerate().flat_map(|(f, pf)| (0..pf.row_groups).map(move |g| (f as u32, g)));
        all.enumerate().filter(|(i, _)| i % peers == index).map(|(_, u)| u).collect()
    }
}

/// Errors of planning.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    #[error(transparent)]
    Lake(#[from] crate::lake::LakeError),
    #[error(transparent)]
    Read(#[from] read::ReadError),
    #[error("cannot read the run report {path}: {message}")]
    Report { path: PathBuf, message: String },
    #[error(
        "day {day} is missing: later days are ready ({next} first), but {day} is not (a partition without \
         _SUCCESS, or none at all). Days are processed strictly in order; deliver {day} or remove the later days"
    )]
    MissingDay { day: Day, next: Day },
    #[error(
        "the input of day {day}, already committed, has changed: {detail}. Its outputs were computed from \
         the old files; re-run into a new output directory to include the change"
    )]
    InputChanged { day: Day, detail: String },
    #[error("day {day} was committed to the output but is no longer ready in the input")]
    CommittedNotReady { day: Day },
}

/// The data files of every table's complete partition of `day`, with their row-group counts.
pub fn day_files(root: &Path, listing: &LakeListing, day: Day) -> Result<Vec<PlanFile>, PlanError> {
    let mut files = Vec::new();
    for &table in Table::ALL {
        let Some(part) = listing.complete_partition(table, day) else { continue };
        for f in &part.files {
            let bytes = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            let row_groups = read::row_groups(f)? as u32;
            let path = f.strip_prefix(root).unwrap_or(f).to_string_lossy().into_owned();
            files.push(PlanFile { table, path, bytes, row_groups });
        }
    }
    Ok(files)
}

/// Compares a committed day's recorded inputs with what the lake holds now.
pub fn compare_inputs(day: Day, recorded: &[PlanFile], now: &[PlanFile]) -> Result<(), PlanError> {
    let key = |f: &PlanFile| (f.path.clone(), f.bytes);
    let old: BTreeMap<String, u64> = recorded.iter().map(key).collect();
    let new: BTreeMap<String, u64> = now.iter().map(key).collect();
    for (path, bytes) in &new {
        match old.get(path) {
            None => return Err(PlanError::InputChanged { day, detail: format!("{path} appeared") }),
            Some(b) if b != bytes => {
                return Err(PlanError::InputChanged { day, detail: format!("{path} changed ({b} bytes, now {bytes})") })
            }
            _ => {}
        }
    }
    if let Some(path) = old.keys().find(|p| !new.contains_key(*p)) {
        return Err(PlanError::InputChanged { day, detail: format!("{path} disappeared") });
    }
    Ok(())
}

/// What worker 0 tells the others to do next.
pub enum Next {
    Day(DayPlan),
    /// Nothing ready yet (follow mode): ask again later.
    Wait,
    Done,
}

/// Decides the sequence of days: committed ones replayed, then every ready day in order.
pub struct Scheduler {
    root: PathBuf,
    follow: bool,
    /// Committed days with their recorded inputs, oldest first, still to replay.
    replay: Vec<(Day, Vec<PlanFile>)>,
    /// The next day to process (None: the first ready day).
    next: Option<Day>,
}

impl Scheduler {
    /// `committed`: the days the output holds, with the inputs their reports recorded.
    pub fn new(root: &Path, follow: bool, committed: BTreeMap<Day, Vec<PlanFile>>) -> Scheduler {
        let next = committed.keys().next_back().map(|d| d.plus(1));
        Scheduler { root: root.to_owned(), follow, replay: committed.into_iter().rev().collect(), next }
    }

    /// Days still to replay.
    pub fn replays_left(&self) -> usize {
        self.replay.len()
    }

    /// The next step.
    pub fn next_step(&mut self) -> Result<Next, PlanError> {
        let listing = LakeListing::scan(&self.root)?;
        if let Some((day, recorded)) = self.replay.pop() {
            if !listing.is_ready(day) {
                return Err(PlanError::CommittedNotReady { day });
            }
            let files = day_files(&self.root, &listing, day)?;
            compare_inputs(day, &recorded, &files)?;
            return Ok(Next::Day(DayPlan { day, replay: true, files }));
        }
        let ready = listing.ready_days();
        let day = match self.next {
            Some(d) => d,
            None => match ready.first() {
                Some(d) => *d,
                None if self.follow => return Ok(Next::Wait),
                None => return Ok(Next::Done),
            },
        };
        if listing.is_ready(day) {
            self.next = Some(day.plus(1));
            let files = day_files(&self.root, &listing, day)?;
            return Ok(Next::Day(DayPlan { day, replay: false, files }));
        }
        if let Some(later) = ready.iter().find(|d| **d > day) {
            if !self.follow {
                return Err(PlanError::MissingDay { day, next: *later });
            }
        }
        Ok(if self.follow { Next::Wait } else { Next::Done })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(path: &str, bytes: u64, row_groups: u32) -> PlanFile {
        PlanFile { table: Table::Orders, path: path.into(), bytes, row_groups }
    }

    #[test]
    fn units_are_shared_round_robin_and_cover_everything() {
        let plan = DayPlan { day: Day(0), replay: false, files: vec![pf("a", 1, 3), pf("b", 1, 0), pf("c", 1, 2)] };
        let mut all: Vec<_> = (0..3).flat_map(|w| plan.units_of(w, 3)).collect();
        all.sort();
        assert_eq!(all, vec![(0, 0), (0, 1), (0, 2), (2, 0), (2, 1)]);
        assert_eq!(plan.units_of(0, 3), vec![(0, 0), (2, 0)]);
    }

    #[test]
    fn changed_inputs_are_named() {
        let day = Day(20_000);
        let old = vec![pf("orders/dt=x/a.parquet", 10, 1)];
        assert!(compare_inputs(day, &old, &old).is_ok());
        let err = compare_inputs(day, &old, &[pf("orders/dt=x/a.parquet", 11, 1)]).unwrap_err().to_string();
        assert!(err.contains("a.parquet changed (10 bytes, now 11)"), "{err}");
        let err =
            compare_inputs(day, &old, &[old[0].clone(), pf("orders/dt=x/b.parquet", 5, 1)]).unwrap_err().to_string();
        assert!(err.contains("b.parquet appeared"), "{err}");
    }
}
