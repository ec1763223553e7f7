//! The `leads` snapshot and `lead_changes` rows of a worker's rings, from the leads changelog.
//!
//! Each worker keeps the current leads of the rings hashed to it, when each first became a lead,
//! and the score last reported in `lead_changes`. A replayed day rebuilds the same state.

use crate::dataflow::leads::Lead;
use crate::model::Day;
use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder, StringBuilder, StructBuilder};
use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Fields};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A row of `lead_changes`.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadChange {
    pub ring: i64,
    pub change: &'static str,
    pub score: Option<f64>,
    pub previous: Option<f64>,
}

/// One worker's leads across days.
#[derive(Default)]
pub struct LeadBook {
    current: BTreeMap<i64, Lead>,
    first_day: BTreeMap<i64, Day>,
    reported: BTreeMap<i64, f64>,
}

impl LeadBook {
    /// Applies a day's consolidated leads changelog; returns the day's lead changes.
    pub fn apply(&mut self, day: Day, changes: Vec<((i64, Lead), isize)>, step: f64) -> Vec<LeadChange> {
        let mut touched = Vec::new();
        let before: BTreeMap<i64, Option<f64>> = BTreeMap::new();
        let mut before = before;
        for ((ring, lead), diff) in changes {
            before.entry(ring).or_insert_with(|| self.current.get(&ring).map(|l| l.score()));
            if diff > 0 {
                self.current.insert(ring, lead);
            } else if self.current.get(&ring) == Some(&lead) {
                self.current.remove(&ring);
            }
            touched.push(ring);
        }
        touched.sort_unstable();
        touched.dedup();
        let mut out = Vec::new();
        for ring in touched {
            let was = before[&ring];
            let now = self.current.get(&ring).map(|l| l.score());
            match (was, now) {
                (None, Some(s)) => {
                    self.first_day.entry(ring).or_insert(day);
                    self.reported.insert(ring, s);
                    out.push(LeadChange { ring, change: "new", score: Some(s), previous: None });
                }
                (Some(_), None) => {
                    let previous = self.reported.remove(&ring);
                    out.push(LeadChange { ring, change: "dropped", score: None, previous });
                }
                (Some(_), Some(s)) => {
                    let last = self.reported.get(&ring).copied().unwrap_or(s);
                    if (s - last).abs() > step {
                        self.reported.insert(ring, s);
                        out.push(LeadChange { ring, change: "updated", score: Some(s), previous: Some(last) });
                    }
                }
                (None, None) => {}
            }
        }
        out
    }

    /// The current leads with their first lead day, by ring id.
    pub fn snapshot(&self) -> impl Iterator<Item = (i64, &Lead, Day)> {
        self.current.iter().map(|(r, l)| (*r, l, self.first_day[r]))
    }

    /// Leads held now.
    pub fn len(&self) -> usize {
        self.current.len()
    }

    pub fn is_empty(&self) -> bool {
        self.current.is_empty()
    }
}

/// The `leads` rows of a worker.
pub fn leads_batch(book: &LeadBook) -> RecordBatch {
    let rows: Vec<(i64, &Lead, Day)> = book.snapshot().collect();
    let mut members =
        ListBuilder::new(Int64Builder::new()).with_field(Arc::new(Field::new("item", DataType::Int64, false)));
    let mut brands =
        ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("item", DataType::Utf8, false)));
    let origin_fields = Fields::from(vec![
        Field::new("ship_from", DataType::Utf8, false),
        Field::new("orders", DataType::Int64, false),
    ]);
    let evidence_fields = Fields::from(vec![
        Field::new("feature", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
        Field::new("contribution", DataType::Float64, false),
    ]);
    let mut origins = ListBuilder::new(StructBuilder::from_fields(origin_fields.clone(), 0))
        .with_field(Arc::new(Field::new("item", DataType::Struct(origin_fields), false)));
    let mut evidence = ListBuilder::new(StructBuilder::from_fields(evidence_fields.clone(), 0))
        .with_field(Arc::new(Field::new("item", DataType::Struct(evidence_fields), false)));
    for (_, lead, _) in &rows {
        for m in &lead.members {
            members.values().append_value(*m);
        }
        members.append(true);
        for b in &lead.brands {
            brands.values().append_value(b);
        }
        brands.append(true);
        for (ship_from, n) in &lead.origins {
            let s = origins.values();
            s.field_builder::<StringBuilder>(0).expect("ship_from").append_value(ship_from);
            s.field_builder::<Int64Builder>(1).expect("orders").append_value(*n);
            s.append(true);
        }
        origins.append(true);
        for (name, value, contribution) in lead.evidence() {
            let s = evidence.values();
            s.field_builder::<StringBuilder>(0).expect("feature").append_value(name);
            s.field_builder::<Float64Builder>(1).expect("value").append_value(value);
            s.field_builder::<Float64Builder>(2).expect("contribution").append_value(contribution);
            s.append(true);
        }
        evidence.append(true);
    }
    let ints = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as ArrayRef;
    RecordBatch::try_from_iter([
        ("ring_id", ints(rows.iter().map(|r| r.0).collect())),
        ("score", Arc::new(Float64Array::from(rows.iter().map(|r| r.1.score()).collect::<Vec<_>>())) as ArrayRef),
        ("size", ints(rows.iter().map(|r| r.1.members.len() as i64).collect())),
        ("seller_ids", Arc::new(members.finish()) as ArrayRef),
        ("brands", Arc::new(brands.finish()) as ArrayRef),
        ("gmv_cents", ints(rows.iter().map(|r| r.1.gmv_cents).collect())),
        ("counterfeit_complaints", ints(rows.iter().map(|r| r.1.counterfeit_complaints).collect())),
        ("origins", Arc::new(origins.finish()) as ArrayRef),
        ("evidence", Arc::new(evidence.finish()) as ArrayRef),
        ("first_lead_day", Arc::new(Date32Array::from(rows.iter().map(|r| r.2 .0).collect::<Vec<_>>())) as ArrayRef),
    ])
    .expect("equal lengths")
}

/// The `lead_changes` rows.
pub fn changes_batch(rows: &[LeadChange]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("ring_id", Arc::new(Int64Array::from(rows.iter().map(|r| r.ring).collect::<Vec<_>>())) as ArrayRef),
        ("change", Arc::new(StringArray::from(rows.iter().map(|r| r.change).collect::<Vec<_>>())) as ArrayRef),
        ("score", Arc::new(Float64Array::from(rows.iter().map(|r| r.score).collect::<Vec<_>>())) as ArrayRef),
        (
            "previous_score",
            Arc::new(Float64Array::from(rows.iter().map(|r| r.previous).collect::<Vec<_>>())) as ArrayRef,
        ),
    ])
    .expect("equal lengths")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(score: f64) -> Lead {
        Lead {
            score: score.to_bits(),
            members: vec![1, 2],
            brands: vec![],
            gmv_cents: 0,
            counterfeit_complaints: 0,
            origins: vec![],
            evidence: vec![],
        }
    }

    #[test]
    fn leads_are_new_then_updated_past_the_step_then_dropped() {
        let mut book = LeadBook::default();
        let c = book.apply(Day(10), vec![((1, lead(0.8)), 1)], 0.05);
        assert_eq!(c, vec![LeadChange { ring: 1, change: "new", score: Some(0.8), previous: None }]);
        // A small move is not reported; moves accumulate against the last reported score.
        assert!(book.apply(Day(11), vec![((1, lead(0.8)), -1), ((1, lead(0.83)), 1)], 0.05).is_empty());
        let c = book.apply(Day(12), vec![((1, lead(0.83)), -1), ((1, lead(0.86)), 1)], 0.05);
        assert_eq!(c, vec![LeadChange { ring: 1, change: "updated", score: Some(0.86), previous: Some(0.8) }]);
        let c = book.apply(Day(13), vec![((1, lead(0.86)), -1)], 0.05);
        assert_eq!(c, vec![LeadChange { ring: 1, change: "dropped", score: None, previous: Some(0.86) }]);
        assert!(book.is_empty());
        // Back again: new, with the first lead day it first had.
        book.apply(Day(20), vec![((1, lead(0.9)), 1)], 0.05);
        assert_eq!(book.snapshot().next().unwrap().2, Day(10));
        assert_eq!(leads_batch(&book).num_rows(), 1);
    }
}
