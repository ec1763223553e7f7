//! Ingest: a table's raw rows of each day -> the changes of its state, whatever the table's mode,
//! with duplicated keys rejected and (for listings) each key's first appearance.
//!
//! Rows are exchanged by key, so a key's rows of a day meet on one worker even when they come
//! from different files. The operator waits until a day is complete (the frontier has passed
//! it), then: rejects every row of a key that occurs more than once that day; applies `changes`
//! ops to the worker's share of the state; turns a `snapshot` into the difference to yesterday's
//! state. Downstream operators see only the net changes: a snapshot of a million unchanged
//! sellers produces no update at all.

use super::{Coll, Prov, Raw, RawStream, Time};
use crate::model::{Op, Table, TableMode};
use differential_dataflow::hashable::Hashable;
use differential_dataflow::{AsCollection, ExchangeData};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::{Capability, Operator};

/// What ingest emits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ingested<K, V> {
    /// A change of the table's state (events: one event of the day).
    Row(K, V),
    /// A key seen for the first time ever, with the value it first had.
    First(K, V),
    /// A row rejected because its key occurs more than once in the day's partition.
    Duplicate(Prov),
}

/// The ingested updates of one table.
pub struct IngestedTable<'s, K: ExchangeData, V: ExchangeData> {
    pub updates: Coll<'s, Ingested<K, V>>,
}

impl<'s, K: ExchangeData, V: ExchangeData> IngestedTable<'s, K, V> {
    /// The table's state (events: each day's events, never retracted).
    pub fn rows(&self) -> Coll<'s, (K, V)> {
        self.updates.clone().flat_map(|x| match x {
            Ingested::Row(k, v) => Some((k, v)),
            _ => None,
        })
    }

    /// Keys at their first appearance, on that day only (never retracted).
    pub fn first_adds(&self) -> Coll<'s, (K, V)> {
        self.updates.clone().flat_map(|x| match x {
            Ingested::First(k, v) => Some((k, v)),
            _ => None,
        })
    }

    /// Rows rejected for a duplicated key.
    pub fn duplicates(&self, table: Table) -> Coll<'s, (Table, Prov)> {
        self.updates.clone().flat_map(move |x| match x {
            Ingested::Duplicate(p) => Some((table, p)),
            _ => None,
        })
    }
}

/// Each pending day's rows, with the capability to emit that day's changes.
type Stash<K, V> = BTreeMap<Time, (Capability<Time>, Vec<Raw<K, V>>)>;

/// The per-worker state of one table: its share of the keys.
struct TableState<K, V> {
    mode: TableMode,
    current: HashMap<K, V>,
    /// Every key ever present (only kept when first appearances are wanted).
    seen: Option<HashSet<K>>,
}

impl<K: Hash + Eq + Ord + Clone, V: Clone + PartialEq> TableState<K, V> {
    /// Applies one complete day's rows; pushes the resulting updates to `out`.
    fn apply_day(&mut self, mut rows: Vec<Raw<K, V>>, out: &mut Vec<(Ingested<K, V>, isize)>) {
        // Sorting makes duplicate keys adjacent and the output independent of arrival order.
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.3.cmp(&b.3)));
        let mut valid: Vec<(K, V, Option<Op>)> = Vec::with_capacity(rows.len());
        let mut i = 0;
        while i < rows.len() {
            let mut j = i + 1;
            while j < rows.len() && rows[j].0 == rows[i].0 {
                j += 1;
            }
            if j - i > 1 {
                out.extend(rows[i..j].iter().map(|r| (Ingested::Duplicate(r.3), 1)));
            } else {
                let (k, v, op, _) = rows[i].clone();
                valid.push((k, v, op));
            }
            i = j;
        }
        match self.mode {
            TableMode::Events => out.extend(valid.into_iter().map(|(k, v, _)| (Ingested::Row(k, v), 1))),
            TableMode::Changes => {
                for (k, v, op) in valid {
                    match op {
                        Some(Op::Remove) => {
                            if let Some(old) = self.current.remove(&k) {
                                out.push((Ingested::Row(k, old), -1));
                            }
                        }
                        // The reader requires `op` in changes mode; a missing one cannot reach here.
                        Some(Op::Add) | None => self.upsert(k, v, out),
                    }
                }
            }
            TableMode::Snapshot => {
                let today: HashMap<K, V> = valid.into_iter().map(|(k, v, _)| (k, v)).collect();
                let gone: Vec<K> = self.current.keys().filter(|k| !today.contains_key(*k)).cloned().collect();
                for k in gone {
                    let old = self.current.remove(&k).expect("listed key");
                    out.push((Ingested::Row(k, old), -1));
                }
                for (k, v) in today {
                    self.upsert(k, v, out);
                }
            }
        }
    }

    fn upsert(&mut self, k: K, v: V, out: &mut Vec<(Ingested<K, V>, isize)>) {
        if let Some(seen) = self.seen.as_mut() {
            if seen.insert(k.clone()) {
                out.push((Ingested::First(k.clone(), v.clone()), 1));
            }
        }
        match self.current.get(&k) {
            Some(old) if *old == v => {}
            Some(old) => {
                out.push((Ingested::Row(k.clone(), old.clone()), -1));
                out.push((Ingested::Row(k.clone(), v.clone()), 1));
                self.current.insert(k, v);
            }
            None => {
                out.push((Ingested::Row(k.clone(), v.clone()), 1));
                self.current.insert(k, v);
            }
        }
    }
}

/// Ingests one table read in `mode`; with `first_adds`, also reports each key's first appearance.
pub fn ingest<'s, K, V>(
    raw: RawStream<'s, K, V>,
    mode: TableMode,
    first_adds: bool,
    name: &str,
) -> IngestedTable<'s, K, V>
where
    K: ExchangeData + Hash + Hashable,
    V: ExchangeData,
{
    let exchange = Exchange::new(|r: &Raw<K, V>| r.0.hashed().into());
    let updates = raw
        .unary_frontier::<CapacityContainerBuilder<Vec<(Ingested<K, V>, Time, isize)>>, _, _, _>(
            exchange,
            name,
            move |_cap, _info| {
                let mut stash: Stash<K, V> = BTreeMap::new();
                let mut state = TableState { mode, current: HashMap::new(), seen: first_adds.then(HashSet::new) };
                let mut out = Vec::new();
                move |(input, frontier), output| {
                    input.for_each_stamp(|cap, data| {
                        let Some(cap) = cap.retain_least(output.output_index()) else { return };
                        let entry = stash.entry(*cap.time()).or_insert_with(|| (cap.clone(), Vec::new()));
                        for batch in data {
                            entry.1.append(batch);
                        }
                    });
                    // Days complete in order: the frontier has passed them.
                    while let Some((&day, _)) = stash.first_key_value() {
                        if frontier.less_equal(&day) {
                            break;
                        }
                        let (cap, rows) = stash.remove(&day).expect("first key");
                        state.apply_day(rows, &mut out);
                        let mut session = output.session(&cap);
                        for (x, diff) in out.drain(..) {
                            session.give((x, day, diff));
                        }
                    }
                }
            },
        )
        .as_collection();
    IngestedTable { updates }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(row: u64) -> Prov {
        Prov { file: 0, row }
    }

    fn day(
        state: &mut TableState<i64, &'static str>,
        rows: Vec<Raw<i64, &'static str>>,
    ) -> Vec<(Ingested<i64, &'static str>, isize)> {
        let mut out = Vec::new();
        state.apply_day(rows, &mut out);
        out.sort();
        out
    }

    #[test]
    fn changes_have_set_and_replace_semantics() {
        let mut s = TableState { mode: TableMode::Changes, current: HashMap::new(), seen: Some(HashSet::new()) };
        let out = day(&mut s, vec![(1, "a", Some(Op::Add), p(0)), (2, "b", Some(Op::Remove), p(1))]);
        assert_eq!(out, vec![(Ingested::Row(1, "a"), 1), (Ingested::First(1, "a"), 1)]);
        // Adding what is present changes nothing; a replacement retracts the old value.
        assert_eq!(day(&mut s, vec![(1, "a", Some(Op::Add), p(0))]), vec![]);
        let out = day(&mut s, vec![(1, "z", Some(Op::Add), p(0))]);
        assert_eq!(out, vec![(Ingested::Row(1, "a"), -1), (Ingested::Row(1, "z"), 1)]);
        let out = day(&mut s, vec![(1, "z", Some(Op::Remove), p(0))]);
        assert_eq!(out, vec![(Ingested::Row(1, "z"), -1)]);
        // Back again: not a first appearance.
        assert_eq!(day(&mut s, vec![(1, "y", Some(Op::Add), p(0))]), vec![(Ingested::Row(1, "y"), 1)]);
    }

    #[test]
    fn duplicated_keys_reject_every_row_of_the_key() {
        let mut s = TableState { mode: TableMode::Changes, current: HashMap::new(), seen: None };
        let out = day(
            &mut s,
            vec![(1, "a", Some(Op::Add), p(3)), (1, "a", Some(Op::Add), p(7)), (2, "b", Some(Op::Add), p(5))],
        );
        assert_eq!(
            out,
            vec![(Ingested::Row(2, "b"), 1), (Ingested::Duplicate(p(3)), 1), (Ingested::Duplicate(p(7)), 1)]
        );
    }

    #[test]
    fn snapshots_emit_only_the_difference() {
        let mut s = TableState { mode: TableMode::Snapshot, current: HashMap::new(), seen: Some(HashSet::new()) };
        day(&mut s, vec![(1, "a", None, p(0)), (2, "b", None, p(1)), (3, "c", None, p(2))]);
        let out = day(&mut s, vec![(1, "a", None, p(0)), (2, "B", None, p(1)), (4, "d", None, p(2))]);
        assert_eq!(
            out,
            vec![
                (Ingested::Row(2, "B"), 1),
                (Ingested::Row(2, "b"), -1),
                (Ingested::Row(3, "c"), -1),
                (Ingested::Row(4, "d"), 1),
                (Ingested::First(4, "d"), 1),
            ]
        );
        // A key whose rows are duplicated is absent that day.
        let out =
            day(&mut s, vec![(1, "a", None, p(0)), (1, "a", None, p(1)), (2, "B", None, p(2)), (4, "d", None, p(3))]);
        assert_eq!(
            out,
            vec![(Ingested::Row(1, "a"), -1), (Ingested::Duplicate(p(0)), 1), (Ingested::Duplicate(p(1)), 1)]
        );
    }
}
