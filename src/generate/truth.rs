//! Ground truth under `<lake>/_truth/`: planted rings, memberships over time, life-cycle
//! events, every seller's class, and a manifest of what was generated.
//!
//! Truth holds seller ids and planted-ring ids only, never identity values.

use super::world::World;
use super::{GenerateError, GenerateOptions, Summary};
use crate::lake::write::{write_parquet, Encoding};
use crate::model::{Day, Table};
use arrow_array::{ArrayRef, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).expect("columns of equal length")
}

fn days(v: impl Iterator<Item = Option<Day>>) -> ArrayRef {
    Arc::new(Date32Array::from(v.map(|d| d.map(|d| d.0)).collect::<Vec<_>>()))
}

fn ints(v: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(v.collect::<Vec<_>>()))
}

/// Writes the truth files.
pub fn write(
    dir: &Path,
    opts: &GenerateOptions,
    world: &World,
    summary: &Summary,
    bad_by_day: &BTreeMap<Day, BTreeMap<Table, u64>>,
) -> Result<(), GenerateError> {
    std::fs::create_dir_all(dir).map_err(|source| GenerateError::Io { path: dir.to_owned(), source })?;
    let enc = Encoding::default();

    let rings: Vec<_> = world
        .rings
        .iter()
        .filter(|r| r.start <= opts.start.plus(opts.days as i32 - 1) && (r.counterfeit || !r.members.is_empty()))
        .collect();
    let started: Vec<_> = rings.iter().filter(|r| !r.members.is_empty() || r.parent.is_some()).collect();
    write_parquet(
        &dir.join("rings.parquet"),
        &[batch(vec![
            ("ring", ints(started.iter().map(|r| Some(r.id)))),
            ("operation", ints(started.iter().map(|r| Some(r.operation)))),
            ("counterfeit", Arc::new(BooleanArray::from(started.iter().map(|r| r.counterfeit).collect::<Vec<_>>()))),
            ("parent", ints(started.iter().map(|r| r.parent))),
            ("start", days(started.iter().map(|r| Some(r.start)))),
            ("first_sale", days(started.iter().map(|r| r.first_sale))),
            ("stealthy", Arc::new(BooleanArray::from(started.iter().map(|r| r.stealthy).collect::<Vec<_>>()))),
        ])],
        enc,
    )?;

    let m = &world.memberships;
    write_parquet(
        &dir.join("memberships.parquet"),
        &[batch(vec![
            ("ring", ints(m.iter().map(|m| Some(m.ring)))),
            ("operation", ints(m.iter().map(|m| Some(m.operation)))),
            ("seller_id", ints(m.iter().map(|m| Some(m.seller.0)))),
            ("since", days(m.iter().map(|m| Some(m.since)))),
            ("until", days(m.iter().map(|m| m.until))),
        ])],
        enc,
    )?;

    let e = &world.events;
    write_parquet(
        &dir.join("events.parquet"),
        &[batch(vec![
            ("day", days(e.iter().map(|e| Some(e.day)))),
            ("ring", ints(e.iter().map(|e| Some(e.ring)))),
            ("event", Arc::new(StringArray::from(e.iter().map(|e| e.event).collect::<Vec<_>>()))),
            ("other_ring", ints(e.iter().map(|e| e.other_ring))),
            ("seller_id", ints(e.iter().map(|e| e.seller.map(|s| s.0)))),
        ])],
        enc,
    )?;

    let classes = world.classes();
    write_parquet(
        &dir.join("sellers.parquet"),
        &[batch(vec![
            ("seller_id", ints(classes.keys().map(|s| Some(s.0)))),
            ("class", Arc::new(StringArray::from(classes.values().map(|c| c.as_str()).collect::<Vec<_>>()))),
        ])],
        enc,
    )?;

    let bad: BTreeMap<String, BTreeMap<String, u64>> =
        bad_by_day.iter().map(|(d, t)| (d.to_string(), t.iter().map(|(t, n)| (t.to_string(), *n)).collect())).collect();
    let manifest = serde_json::json!({
        "generator": "ringlead generate",
        "options": opts,
        "summary": summary,
        "bad_rows_by_day": bad,
        "files": {
            "rings.parquet": "one row per planted ring: counterfeit rings and honest multi-store owners; a split creates a ring with `parent`",
            "memberships.parquet": "seller_id in ring from `since` until `until` (exclusive; null = still a member)",
            "events.parquet": "life-cycle events: appear, grow, lose, split, merge, take_down, comeback",
            "sellers.parquet": "every seller's class: honest, discount, new_burst, multistore, counterfeit",
        },
    });
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    std::fs::write(&path, text + "\n").map_err(|source| GenerateError::Io { path, source })
}
