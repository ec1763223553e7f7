//! Keyed table state with per-day change tracking, and rows -> Arrow batches in a chosen style.

use crate::lake::schema::{self, Family, IntWidth};
use crate::model::*;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, DictionaryArray, Float64Array, Int16Array, Int32Array, Int64Array, Int8Array,
    LargeStringArray, RecordBatch, StringArray,
};
use arrow_schema::{Field, Schema};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A keyed table's state, remembering each touched key's value at the start of the day so that
/// the day's net changes (one op per key, as SPEC requires) can be derived at its end.
#[derive(Clone, Debug)]
pub struct Keyed<K, V> {
    state: BTreeMap<K, V>,
    start_of_day: BTreeMap<K, Option<V>>,
}

impl<K: Ord + Clone, V: Clone + PartialEq> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed { state: BTreeMap::new(), start_of_day: BTreeMap::new() }
    }
}

impl<K: Ord + Clone, V: Clone + PartialEq> Keyed<K, V> {
    fn touch(&mut self, key: &K) {
        if !self.start_of_day.contains_key(key) {
            self.start_of_day.insert(key.clone(), self.state.get(key).cloned());
        }
    }

    /// Inserts or replaces.
    pub fn upsert(&mut self, key: K, value: V) {
        self.touch(&key);
        self.state.insert(key, value);
    }

    /// Deletes; returns the value it had.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.touch(key);
        self.state.remove(key)
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.state.get(key)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.state.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.state.len()
    }

    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// The whole state, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.state.iter()
    }

    /// Ends the day: the net change of every key touched since the last call, in key order.
    /// A key put back to its start-of-day value yields nothing.
    pub fn take_changes(&mut self) -> Vec<(K, V, Op)> {
        let touched = std::mem::take(&mut self.start_of_day);
        let mut out = Vec::new();
        for (key, before) in touched {
            match (before, self.state.get(&key)) {
                (None, None) => {}
                (Some(old), None) => out.push((key, old, Op::Remove)),
                (before, Some(now)) => {
                    if before.as_ref() != Some(now) {
                        out.push((key, now.clone(), Op::Add));
                    }
                }
            }
        }
        out
    }
}

/// How a file's Arrow types are chosen, so that the lake exercises what readers must accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub strings: Strings,
    /// Store small integer columns (quantity, rating) in this many bits (8 or 16) instead of 32.
    pub narrow_ints: Option<u8>,
    /// Declare every column nullable, as Spark does.
    pub all_nullable: bool,
}

/// Arrow string representation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strings {
    Plain,
    Large,
    Dictionary,
}

impl Style {
    /// The canonical style: SPEC types, nullability as SPEC marks it.
    pub const CANONICAL: Style = Style { strings: Strings::Plain, narrow_ints: None, all_nullable: false };

    /// The `i`-th of a cycle of styles covering every variation.
    pub fn varied(i: usize) -> Style {
        let strings = [Strings::Plain, Strings::Dictionary, Strings::Large][i % 3];
        let narrow_ints = [None, Some(16), None, Some(8)][i % 4];
        Style { strings, narrow_ints, all_nullable: i % 4 >= 2 }
    }
}

/// One column of values before it becomes an Arrow array.
pub enum Col<'a> {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Str(Vec<Option<&'a str>>),
    Date(Vec<Option<i32>>),
}

impl Col<'_> {
    fn into_array(self, family: Family, style: Style) -> ArrayRef {
        match self {
            Col::Int(v) => match family {
                Family::Int(IntWidth::I64) => Arc::new(Int64Array::from(v)),
                Family::Int(IntWidth::I32) if style.narrow_ints.is_some() => {
                    let max = v.iter().flatten().map(|x| x.unsigned_abs()).max().unwrap_or(0);
                    if style.narrow_ints == Some(8) && max <= i8::MAX as u64 {
                        Arc::new(Int8Array::from_iter(v.into_iter().map(|x| x.map(|x| x as i8))))
                    } else {
                        Arc::new(Int16Array::from_iter(v.into_iter().map(|x| x.map(|x| x as i16))))
                    }
                }
                _ => Arc::new(Int32Array::from_iter(v.into_iter().map(|x| x.map(|x| x as i32)))),
            },
            Col::Float(v) => Arc::new(Float64Array::from(v)),
            Col::Date(v) => Arc::new(Date32Array::from(v)),
            Col::Str(v) => match style.strings {
                Strings::Plain => Arc::new(StringArray::from(v)),
                Strings::Large => Arc::new(LargeStringArray::from(v)),
                Strings::Dictionary => Arc::new(v.into_iter().collect::<DictionaryArray<Int32Type>>()),
            },
        }
    }
}

/// A row type of the lake, as columns in `schema::columns` order.
pub trait Rows: Sized {
    const TABLE: Table;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>>;
}

fn ints<T>(rows: &[&T], f: impl Fn(&T) -> i64) -> Col<'static> {
    Col::Int(rows.iter().map(|r| Some(f(r))).collect())
}

fn strs<'a, T>(rows: &[&'a T], f: impl Fn(&'a T) -> &'a str) -> Col<'a> {
    Col::Str(rows.iter().map(|r| Some(f(r))).collect())
}

impl Rows for SellerRow {
    const TABLE: Table = Table::Sellers;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>> {
        vec![
            ints(rows, |r| r.seller_id.0),
            strs(rows, |r| &r.shop_name),
            strs(rows, |r| &r.region),
            Col::Date(rows.iter().map(|r| r.registered_on.map(|d| d.0)).collect()),
            strs(rows, |r| r.status.as_str()),
        ]
    }
}

impl Rows for IdentityRow {
    const TABLE: Table = Table::SellerIdentity;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>> {
        vec![ints(rows, |r| r.seller_id.0), strs(rows, |r| &r.kind), strs(rows, |r| &r.value)]
    }
}

impl Rows for ListingRow {
    const TABLE: Table = Table::Listings;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>> {
        vec![
            ints(rows, |r| r.listing_id.0),
            ints(rows, |r| r.seller_id.0),
            Col::Str(rows.iter().map(|r| r.brand.as_deref()).collect()),
            strs(rows, |r| &r.category),
            ints(rows, |r| r.price_cents),
            Col::Float(rows.iter().map(|r| r.logo_mismatch).collect()),
        ]
    }
}

impl Rows for OrderRow {
    const TABLE: Table = Table::Orders;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>> {
        vec![
            ints(rows, |r| r.order_id),
            ints(rows, |r| r.seller_id.0),
            ints(rows, |r| r.listing_id.0),
            ints(rows, |r| r.buyer_id),
            ints(rows, |r| r.quantity as i64),
            ints(rows, |r| r.amount_cents),
            strs(rows, |r| &r.ship_from),
        ]
    }
}

impl Rows for FeedbackRow {
    const TABLE: Table = Table::Feedback;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>> {
        vec![
            ints(rows, |r| r.seller_id.0),
            Col::Int(rows.iter().map(|r| r.listing_id.map(|l| l.0)).collect()),
            strs(rows, |r| r.kind.as_str()),
            Col::Int(rows.iter().map(|r| r.rating.map(i64::from)).collect()),
        ]
    }
}

impl Rows for BrandPriceRow {
    const TABLE: Table = Table::BrandPrices;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>> {
        vec![strs(rows, |r| &r.brand), strs(rows, |r| &r.category), ints(rows, |r| r.reference_price_cents)]
    }
}

impl Rows for LabelRow {
    const TABLE: Table = Table::Labels;
    fn columns<'a>(rows: &[&'a Self]) -> Vec<Col<'a>> {
        vec![ints(rows, |r| r.seller_id.0), strs(rows, |r| r.label.as_str())]
    }
}

/// Rows as one Arrow batch of their table's columns, with `op` last when `ops` is given.
pub fn batch<R: Rows>(rows: &[&R], ops: Option<&[Op]>, style: Style) -> RecordBatch {
    let specs = schema::columns(R::TABLE);
    let mut cols = R::columns(rows);
    let mut specs: Vec<_> = specs.to_vec();
    if let Some(ops) = ops {
        cols.push(Col::Str(ops.iter().map(|o| Some(o.as_str())).collect()));
        specs.push(schema::OP);
    }
    let arrays: Vec<ArrayRef> = cols.into_iter().zip(&specs).map(|(c, s)| c.into_array(s.family, style)).collect();
    let fields: Vec<Field> = specs
        .iter()
        .zip(&arrays)
        .map(|(s, a)| Field::new(s.name, a.data_type().clone(), s.nullable || style.all_nullable))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("columns match their schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_changes_cancel_and_replace() {
        let mut t: Keyed<i64, &str> = Keyed::default();
        t.upsert(1, "a");
        t.upsert(2, "b");
        assert_eq!(t.take_changes(), vec![(1, "a", Op::Add), (2, "b", Op::Add)]);
        t.upsert(1, "a2");
        t.remove(&2);
        t.upsert(2, "b"); // back to where it was: no change
        t.upsert(3, "c");
        t.remove(&3); // never existed at the start of the day: no change
        assert_eq!(t.take_changes(), vec![(1, "a2", Op::Add)]);
        t.remove(&1);
        assert_eq!(t.take_changes(), vec![(1, "a2", Op::Remove)]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn styles_keep_values() {
        let rows =
            [FeedbackRow { seller_id: SellerId(5), listing_id: None, kind: FeedbackKind::Review, rating: Some(4) }];
        let refs: Vec<_> = rows.iter().collect();
        for i in 0..12 {
            let b = batch(&refs, None, Style::varied(i));
            assert_eq!(b.num_rows(), 1);
            assert_eq!(b.schema().field(0).name(), "seller_id");
        }
    }
}
