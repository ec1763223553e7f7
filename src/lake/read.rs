//! Decoding one Parquet data file of a lake table into typed rows, rejecting bad rows (SPEC §2).
//!
//! The file's schema is checked once (every needed column present, of the right type family);
//! then batches are decoded column by column: each column becomes a typed view (integers of any
//! width widened to `i64`, any string layout behind one accessor), and rows are assembled from
//! the views. A bad row becomes a [`Reject`] naming file, row and reason; a bad file is a
//! [`ReadError`]. No identity value ever enters an error or a reject reason.

use crate::lake::schema::{self, Column, Family};
use crate::model::*;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrowPrimitiveType, BooleanArray, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::{ArrowError, DataType, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaDataReader;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;

/// Rows per decoded batch: large enough to amortise per-batch work, small enough to stay in cache.
const BATCH_ROWS: usize = 8192;

/// A row that was read but is not valid input; it goes to the rejects output, not the dataflow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Reject {
    pub table: Table,
    /// The file, relative to the input root.
    pub file: String,
    /// 0-based row number in the whole file (whatever row groups were read).
    pub row: i64,
    /// Why; never contains a value of the row (it may be personal data).
    pub reason: String,
}

/// A file that cannot be used at all: the day it belongs to fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("cannot open {file}: {source}")]
    Open { file: String, source: io::Error },
    #[error("{file} is not a readable Parquet file: {source}")]
    NotParquet { file: String, source: ParquetError },
    #[error("{file}: column `{column}` is missing; table {table} needs it{}", op_note(column))]
    MissingColumn { file: String, table: Table, column: &'static str },
    #[error("{file}: column `{column}` occurs {count} times; it must occur once")]
    DuplicateColumn { file: String, column: &'static str, count: usize },
    #[error("{file}: column `{column}` must be {expected}, but the file stores it as Arrow type {found}")]
    WrongType { file: String, column: &'static str, expected: &'static str, found: String },
    #[error("{file}: no row group {index}; the file has {count}")]
    NoSuchRowGroup { file: String, index: usize, count: usize },
    #[error("{file}: cannot decode the rows from row {row} on: {source}")]
    Decode { file: String, row: i64, source: ArrowError },
}

fn op_note(column: &str) -> &'static str {
    if column == schema::OP.name {
        " (it is read in changes mode)"
    } else {
        ""
    }
}

/// The valid rows of (part of) a file, each with its row number and, in `changes` mode, its op;
/// and the rejected rows.
#[derive(Clone, Debug)]
pub struct FileRows<R> {
    pub rows: Vec<(i64, R, Option<Op>)>,
    pub rejects: Vec<Reject>,
    /// Rows decoded: `rows.len() + rejects.len()`.
    pub rows_read: u64,
}

/// Why a row is rejected. Names columns and rules, never values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// A null in a column SPEC does not mark nullable.
    Null(&'static str),
    /// A value the column's type cannot hold (an unsigned 64-bit integer above `i64::MAX`, say).
    OutOfRange(&'static str),
    /// A string that is none of the enum's values (or, for identity kinds, not configured).
    Unknown(&'static str),
    /// A negative amount or price.
    Negative(&'static str),
    QuantityBelowOne,
    RatingOutOfRange,
    LogoMismatchOutOfRange,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Null(c) => write!(f, "null in column {c}"),
            Invalid::OutOfRange(c) => write!(f, "value out of range in column {c}"),
            Invalid::Unknown(what) => write!(f, "unknown {what}"),
            Invalid::Negative(c) => write!(f, "negative {c}"),
            Invalid::QuantityBelowOne => f.write_str("quantity below 1"),
            Invalid::RatingOutOfRange => f.write_str("rating outside 1..5"),
            Invalid::LogoMismatchOutOfRange => f.write_str("logo_mismatch outside 0..1"),
        }
    }
}

/// A row type of one lake table, assembled from a decoded batch.
pub trait LakeRow: Sized {
    const TABLE: Table;

    /// Row `i` of `batch`, whose columns are `schema::columns(TABLE)` in order.
    fn from_batch(batch: &BatchView<'_>, i: usize) -> Result<Self, Invalid>;
}

/// The number of row groups of a Parquet file, from its footer; callers split work by
/// (file, row group) with it. Errors name the file by `path` as given.
pub fn row_groups(path: &Path) -> Result<usize, ReadError> {
    let name = || path.to_string_lossy().into_owned();
    let file = File::open(path).map_err(|source| ReadError::Open { file: name(), source })?;
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|source| ReadError::NotParquet { file: name(), source })?;
    Ok(meta.num_row_groups())
}

/// Reads the data file `path` (under the input root `root`) of table `R::TABLE`.
///
/// `with_op`: the table is read in `changes` mode, so `op` is required and returned.
/// `row_groups`: read only these row groups, in this order (all when `None`; one listed twice is
/// read twice); row numbers stay those of the whole file. `kinds`: whether an identity kind is configured.
pub fn read_file<R: LakeRow>(
    root: &Path,
    path: &Path,
    with_op: bool,
    row_groups: Option<&[usize]>,
    kinds: &dyn Fn(&str) -> bool,
) -> Result<FileRows<R>, ReadError> {
    let name = path.strip_prefix(root).unwrap_or(path).to_string_lossy().into_owned();
    let file = File::open(path).map_err(|source| ReadError::Open { file: name.clone(), source })?;
    let not_parquet = |source| ReadError::NotParquet { file: name.clone(), source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(not_parquet)?;
    let plan = Plan::resolve(R::TABLE, with_op, builder.schema(), &name)?;

    let meta = builder.metadata().clone();
    let count = meta.num_row_groups();
    let groups: Vec<usize> = match row_groups {
        Some(g) => g.to_vec(),
        None => (0..count).collect(),
    };
    if let Some(&index) = groups.iter().find(|&&g| g >= count) {
        return Err(ReadError::NoSuchRowGroup { file: name, index, count });
    }
    let mut starts = Vec::with_capacity(count);
    let mut next = 0i64;
    for rg in meta.row_groups() {
        starts.push(next);
        next += rg.num_rows();
    }
    let segments: Vec<(i64, i64)> = groups.iter().map(|&g| (starts[g], meta.row_group(g).num_rows())).collect();
    let expected: i64 = segments.iter().map(|s| s.1).sum();

    let mask = ProjectionMask::roots(builder.parquet_schema(), plan.roots.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_row_groups(groups)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(not_parquet)?;

    let mut out = FileRows { rows: Vec::with_capacity(expected.max(0) as usize), rejects: Vec::new(), rows_read: 0 };
    let mut numbers = RowNumbers::new(segments);
    for batch in reader {
        let batch = batch.map_err(|source| ReadError::Decode { file: name.clone(), row: numbers.peek(), source })?;
        let view = BatchView::new(&batch, &plan, kinds, &name)?;
        for i in 0..batch.num_rows() {
            let row = numbers.next_row();
            let decoded = R::from_batch(&view, i).and_then(|r| Ok((r, view.op(i)?)));
            match decoded {
                Ok((r, op)) => out.rows.push((row, r, op)),
                Err(why) => {
                    out.rejects.push(Reject { table: R::TABLE, file: name.clone(), row, reason: why.to_string() })
                }
            }
        }
        out.rows_read += batch.num_rows() as u64;
    }
    Ok(out)
}

/// Where each needed column sits in the file and in the projected batches.
struct Plan {
    /// The table's columns, then `op` in changes mode.
    specs: Vec<Column>,
    with_op: bool,
    /// Per spec column, its index in the projected batch.
    positions: Vec<usize>,
    /// The file's root columns to read, ascending (the order a projected batch has them in).
    roots: Vec<usize>,
}

impl Plan {
    fn resolve(table: Table, with_op: bool, schema: &Schema, file: &str) -> Result<Plan, ReadError> {
        let mut specs = schema::columns(table).to_vec();
        if with_op {
            specs.push(schema::OP);
        }
        let mut indices = Vec::with_capacity(specs.len());
        for spec in &specs {
            let mut found = schema.fields().iter().enumerate().filter(|(_, f)| f.name() == spec.name);
            let Some((index, field)) = found.next() else {
                return Err(ReadError::MissingColumn { file: file.to_owned(), table, column: spec.name });
            };
            let others = found.count();
            if others > 0 {
                return Err(ReadError::DuplicateColumn { file: file.to_owned(), column: spec.name, count: others + 1 });
            }
            if !accepts(spec.family, field.data_type()) {
                return Err(wrong_type(file, spec, field.data_type()));
            }
            indices.push(index);
        }
        let mut roots = indices.clone();
        roots.sort_unstable();
        let positions = indices.iter().map(|i| roots.partition_point(|r| r < i)).collect();
        Ok(Plan { specs, with_op, positions, roots })
    }
}

fn wrong_type(file: &str, spec: &Column, found: &DataType) -> ReadError {
    ReadError::WrongType {
        file: file.to_owned(),
        column: spec.name,
        expected: spec.family.describe(),
        found: found.to_string(),
    }
}

/// Whether an Arrow type is one of the physical forms of a column family.
fn accepts(family: Family, ty: &DataType) -> bool {
    use DataType::*;
    // pyarrow writes a column whose values are all null with the Null type; it holds no value
    // of a wrong family, so it is read as nulls (which reject the rows of a required column).
    if *ty == Null {
        return true;
    }
    match family {
        Family::Int(_) => matches!(ty, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64),
        Family::Float => matches!(ty, Float32 | Float64),
        Family::Date => matches!(ty, Date32 | Date64),
        Family::Str => match ty {
            Utf8 | LargeUtf8 | Utf8View => true,
            Dictionary(_, values) => matches!(values.as_ref(), Utf8 | LargeUtf8 | Utf8View),
            _ => false,
        },
    }
}

/// Maps the n-th row read to its row number in the file, across the selected row groups.
struct RowNumbers {
    /// (first file row, rows) of each selected row group, in reading order.
    segments: Vec<(i64, i64)>,
    segment: usize,
    /// Rows of the current segment already handed out.
    done: i64,
}

impl RowNumbers {
    fn new(segments: Vec<(i64, i64)>) -> RowNumbers {
        RowNumbers { segments, segment: 0, done: 0 }
    }

    fn skip_exhausted(&mut self) {
        while self.segments.get(self.segment).is_some_and(|s| self.done >= s.1) {
            self.segment += 1;
            self.done = 0;
        }
    }

    /// The number the next row will get (for error messages).
    fn peek(&mut self) -> i64 {
        self.skip_exhausted();
        self.segments.get(self.segment).map_or(-1, |s| s.0 + self.done)
    }

    fn next_row(&mut self) -> i64 {
        let row = self.peek();
        self.done += 1;
        row
    }
}

/// Values of a primitive column in a common type, with validity.
struct Prim<'a, T: Clone> {
    /// Borrowed when the stored type is already `T`, widened otherwise.
    values: Cow<'a, [T]>,
    /// `None`: no nulls.
    valid: Option<BooleanArray>,
    /// Rows whose stored value does not fit `T`; `None` when none.
    too_big: Option<Vec<bool>>,
}

impl<T: Copy> Prim<'_, T> {
    /// `Err(())`: the stored value does not fit.
    #[inline]
    fn get(&self, i: usize) -> Result<Option<T>, ()> {
        if self.valid.as_ref().is_some_and(|v| !v.value(i)) {
            return Ok(None);
        }
        if self.too_big.as_ref().is_some_and(|t| t[i]) {
            return Err(());
        }
        Ok(Some(self.values[i]))
    }
}

/// The logical validity of an array as a Boolean array (no nulls: `None`).
fn validity(array: &dyn Array) -> Option<BooleanArray> {
    array.logical_nulls().filter(|n| n.null_count() > 0).map(|n| BooleanArray::new(n.into_inner(), None))
}

fn widen<T>(array: &dyn Array) -> Option<Vec<i64>>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    Some(array.as_primitive_opt::<T>()?.values().iter().map(|&v| v.into()).collect())
}

fn ints(array: &dyn Array) -> Option<Prim<'_, i64>> {
    let mut too_big = None;
    let values = match array.data_type() {
        DataType::Null => Cow::Owned(vec![0; array.len()]),
        DataType::Int64 => Cow::Borrowed(&array.as_primitive_opt::<Int64Type>()?.values()[..]),
        DataType::Int32 => Cow::Owned(widen::<Int32Type>(array)?),
        DataType::Int16 => Cow::Owned(widen::<Int16Type>(array)?),
        DataType::Int8 => Cow::Owned(widen::<Int8Type>(array)?),
        DataType::UInt32 => Cow::Owned(widen::<UInt32Type>(array)?),
        DataType::UInt16 => Cow::Owned(widen::<UInt16Type>(array)?),
        DataType::UInt8 => Cow::Owned(widen::<UInt8Type>(array)?),
        DataType::UInt64 => {
            let raw = array.as_primitive_opt::<UInt64Type>()?.values();
            if raw.iter().any(|&v| v > i64::MAX as u64) {
                too_big = Some(raw.iter().map(|&v| v > i64::MAX as u64).collect());
            }
            Cow::Owned(raw.iter().map(|&v| v as i64).collect())
        }
        _ => return None,
    };
    Some(Prim { values, valid: validity(array), too_big })
}

fn floats(array: &dyn Array) -> Option<Prim<'_, f64>> {
    let values = match array.data_type() {
        DataType::Null => Cow::Owned(vec![0.0; array.len()]),
        DataType::Float64 => Cow::Borrowed(&array.as_primitive_opt::<Float64Type>()?.values()[..]),
        DataType::Float32 => {
            Cow::Owned(array.as_primitive_opt::<Float32Type>()?.values().iter().map(|&v| f64::from(v)).collect())
        }
        _ => return None,
    };
    Some(Prim { values, valid: validity(array), too_big: None })
}

fn dates(array: &dyn Array) -> Option<Prim<'_, i32>> {
    const MS_PER_DAY: i64 = 86_400_000;
    // A `Day` must be printable (chrono's calendar spans about +-262,000 years); a DATE beyond
    // that is corrupt input and would panic wherever the day is shown.
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let first = chrono::NaiveDate::MIN.signed_duration_since(epoch).num_days();
    let last = chrono::NaiveDate::MAX.signed_duration_since(epoch).num_days();
    let outside = |d: i64| d < first || d > last;
    let (values, days): (Cow<'_, [i32]>, Vec<i64>) = match array.data_type() {
        DataType::Null => (Cow::Owned(vec![0; array.len()]), Vec::new()),
        DataType::Date32 => {
            let values = &array.as_primitive_opt::<Date32Type>()?.values()[..];
            if !values.iter().any(|&d| outside(d.into())) {
                return Some(Prim { values: Cow::Borrowed(values), valid: validity(array), too_big: None });
            }
            (Cow::Borrowed(values), values.iter().map(|&d| i64::from(d)).collect())
        }
        DataType::Date64 => {
            let days: Vec<i64> =
                array.as_primitive_opt::<Date64Type>()?.values().iter().map(|&ms| ms.div_euclid(MS_PER_DAY)).collect();
            (Cow::Owned(days.iter().map(|&d| d as i32).collect()), days)
        }
        _ => return None,
    };
    let too_big = days.iter().any(|&d| outside(d)).then(|| days.iter().map(|&d| outside(d)).collect());
    Some(Prim { values, valid: validity(array), too_big })
}

/// A string column in any of its layouts.
struct Strs<'a> {
    data: StrData<'a>,
    valid: Option<BooleanArray>,
}

enum StrData<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
    Dict {
        keys: Vec<usize>,
        values: Box<StrData<'a>>,
    },
    /// A dictionary without values, or a Null-typed column: every row is null.
    Empty,
}

impl<'a> StrData<'a> {
    fn plain(array: &'a dyn Array) -> Option<StrData<'a>> {
        Some(match array.data_type() {
            DataType::Utf8 => StrData::Utf8(array.as_string_opt::<i32>()?),
            DataType::LargeUtf8 => StrData::Large(array.as_string_opt::<i64>()?),
            DataType::Utf8View => StrData::View(array.as_string_view_opt()?),
            _ => return None,
        })
    }

    #[inline]
    fn value(&self, i: usize) -> Option<&'a str> {
        match self {
            StrData::Utf8(a) => Some(a.value(i)),
            StrData::Large(a) => Some(a.value(i)),
            StrData::View(a) => Some(a.value(i)),
            StrData::Dict { keys, values } => values.value(keys[i]),
            StrData::Empty => None,
        }
    }
}

fn strs(array: &dyn Array) -> Option<Strs<'_>> {
    let data = match array.data_type() {
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary_opt()?;
            if dict.values().is_empty() {
                StrData::Empty
            } else {
                StrData::Dict {
                    keys: dict.normalized_keys(),
                    values: Box::new(StrData::plain(dict.values().as_ref())?),
                }
            }
        }
        DataType::Null => StrData::Empty,
        _ => StrData::plain(array)?,
    };
    Some(Strs { data, valid: validity(array) })
}

impl<'a> Strs<'a> {
    #[inline]
    fn get(&self, i: usize) -> Option<&'a str> {
        if self.valid.as_ref().is_some_and(|v| !v.value(i)) {
            return None;
        }
        self.data.value(i)
    }
}

enum Col<'a> {
    Int(Prim<'a, i64>),
    Float(Prim<'a, f64>),
    Date(Prim<'a, i32>),
    Str(Strs<'a>),
}

/// One decoded batch of a table: typed views of its columns in `schema::columns` order.
/// Only [`read_file`] makes one; [`LakeRow`] impls read rows from it.
pub struct BatchView<'a> {
    specs: &'a [Column],
    cols: Vec<Col<'a>>,
    op: Option<Strs<'a>>,
    kinds: &'a dyn Fn(&str) -> bool,
}

impl<'a> BatchView<'a> {
    fn new(
        batch: &'a RecordBatch,
        plan: &'a Plan,
        kinds: &'a dyn Fn(&str) -> bool,
        file: &str,
    ) -> Result<Self, ReadError> {
        let mut cols = Vec::with_capacity(plan.specs.len());
        for (spec, &pos) in plan.specs.iter().zip(&plan.positions) {
            let array = batch.column(pos).as_ref();
            // The schema was checked, so a mismatch here means the reader changed the type.
            let col = match spec.family {
                Family::Int(_) => ints(array).map(Col::Int),
                Family::Float => floats(array).map(Col::Float),
                Family::Date => dates(array).map(Col::Date),
                Family::Str => strs(array).map(Col::Str),
            };
            cols.push(col.ok_or_else(|| wrong_type(file, spec, array.data_type()))?);
        }
        let op = if plan.with_op {
            match cols.pop() {
                Some(Col::Str(s)) => Some(s),
                _ => unreachable!("`op` is a string column, checked above"),
            }
        } else {
            None
        };
        Ok(BatchView { specs: &plan.specs[..cols.len()], cols, op, kinds })
    }

    #[inline]
    fn int_at(&self, k: usize, i: usize) -> Result<Option<i64>, Invalid> {
        match &self.cols[k] {
            Col::Int(c) => c.get(i).map_err(|()| Invalid::OutOfRange(self.specs[k].name)),
            _ => wrong_family(self.specs[k].name),
        }
    }

    #[inline]
    fn str_at(&self, k: usize, i: usize) -> Option<&'a str> {
        match &self.cols[k] {
            Col::Str(c) => c.get(i),
            _ => wrong_family(self.specs[k].name),
        }
    }

    /// A required column's value: a null rejects the row.
    #[inline]
    fn required<T>(&self, k: usize, v: Option<T>) -> Result<T, Invalid> {
        debug_assert!(!self.specs[k].nullable, "{} is nullable", self.specs[k].name);
        v.ok_or(Invalid::Null(self.specs[k].name))
    }

    #[inline]
    fn optional<T>(&self, k: usize, v: Option<T>) -> Option<T> {
        debug_assert!(self.specs[k].nullable, "{} is not nullable", self.specs[k].name);
        v
    }

    #[inline]
    fn int(&self, k: usize, i: usize) -> Result<i64, Invalid> {
        self.required(k, self.int_at(k, i)?)
    }

    #[inline]
    fn opt_int(&self, k: usize, i: usize) -> Result<Option<i64>, Invalid> {
        Ok(self.optional(k, self.int_at(k, i)?))
    }

    #[inline]
    fn str(&self, k: usize, i: usize) -> Result<&'a str, Invalid> {
        self.required(k, self.str_at(k, i))
    }

    #[inline]
    fn opt_str(&self, k: usize, i: usize) -> Option<&'a str> {
        self.optional(k, self.str_at(k, i))
    }

    #[inline]
    fn opt_float(&self, k: usize, i: usize) -> Result<Option<f64>, Invalid> {
        let v = match &self.cols[k] {
            Col::Float(c) => c.get(i).map_err(|()| Invalid::OutOfRange(self.specs[k].name))?,
            _ => wrong_family(self.specs[k].name),
        };
        Ok(self.optional(k, v))
    }

    #[inline]
    fn opt_date(&self, k: usize, i: usize) -> Result<Option<Day>, Invalid> {
        let v = match &self.cols[k] {
            Col::Date(c) => c.get(i).map_err(|()| Invalid::OutOfRange(self.specs[k].name))?,
            _ => wrong_family(self.specs[k].name),
        };
        Ok(self.optional(k, v).map(Day))
    }

    /// A required enum column; `what` names it in the reason (the value itself may be personal).
    #[inline]
    fn parse<T: std::str::FromStr>(&self, k: usize, i: usize, what: &'static str) -> Result<T, Invalid> {
        self.str(k, i)?.parse().map_err(|_| Invalid::Unknown(what))
    }

    /// Row `i`'s op in changes mode; `None` otherwise.
    #[inline]
    fn op(&self, i: usize) -> Result<Option<Op>, Invalid> {
        let Some(col) = &self.op else { return Ok(None) };
        let text = col.get(i).ok_or(Invalid::Null(schema::OP.name))?;
        text.parse().map(Some).map_err(|_| Invalid::Unknown("op"))
    }
}

/// A `LakeRow` impl asked for a column in another family than `schema::columns` gives it: a bug.
#[cold]
#[inline(never)]
fn wrong_family(column: &str) -> ! {
    unreachable!("column {column} is read in another family than the schema declares")
}

#[inline]
fn non_negative(v: i64, column: &'static str) -> Result<i64, Invalid> {
    if v < 0 {
        Err(Invalid::Negative(column))
    } else {
        Ok(v)
    }
}

impl LakeRow for SellerRow {
    const TABLE: Table = Table::Sellers;
    fn from_batch(b: &BatchView<'_>, i: usize) -> Result<Self, Invalid> {
        let seller_id = SellerId(b.int(0, i)?);
        let shop_name = b.str(1, i)?;
        let region = b.str(2, i)?;
        let registered_on = b.opt_date(3, i)?;
        let status = b.parse(4, i, "status")?;
        Ok(SellerRow { seller_id, shop_name: shop_name.to_owned(), region: region.to_owned(), registered_on, status })
    }
}

impl LakeRow for IdentityRow {
    const TABLE: Table = Table::SellerIdentity;
    fn from_batch(b: &BatchView<'_>, i: usize) -> Result<Self, Invalid> {
        let seller_id = SellerId(b.int(0, i)?);
        let kind = b.str(1, i)?;
        if !(b.kinds)(kind) {
            return Err(Invalid::Unknown("kind"));
        }
        Ok(IdentityRow { seller_id, kind: kind.to_owned(), value: b.str(2, i)?.to_owned() })
    }
}

impl LakeRow for ListingRow {
    const TABLE: Table = Table::Listings;
    fn from_batch(b: &BatchView<'_>, i: usize) -> Result<Self, Invalid> {
        let listing_id = ListingId(b.int(0, i)?);
        let seller_id = SellerId(b.int(1, i)?);
        let brand = b.opt_str(2, i);
        let category = b.str(3, i)?;
        let price_cents = non_negative(b.int(4, i)?, "price_cents")?;
        let logo_mismatch = b.opt_float(5, i)?;
        // `contains` is false for NaN too.
        if logo_mismatch.is_some_and(|x| !(0.0..=1.0).contains(&x)) {
            return Err(Invalid::LogoMismatchOutOfRange);
        }
        Ok(ListingRow {
            listing_id,
            seller_id,
            brand: brand.map(str::to_owned),
            category: category.to_owned(),
            price_cents,
            logo_mismatch,
        })
    }
}

impl LakeRow for OrderRow {
    const TABLE: Table = Table::Orders;
    fn from_batch(b: &BatchView<'_>, i: usize) -> Result<Self, Invalid> {
        let order_id = b.int(0, i)?;
        let seller_id = SellerId(b.int(1, i)?);
        let listing_id = ListingId(b.int(2, i)?);
        let buyer_id = b.int(3, i)?;
        let quantity = b.int(4, i)?;
        if quantity < 1 {
            return Err(Invalid::QuantityBelowOne);
        }
        let quantity = i32::try_from(quantity).map_err(|_| Invalid::OutOfRange("quantity"))?;
        let amount_cents = non_negative(b.int(5, i)?, "amount_cents")?;
        let ship_from = b.str(6, i)?.to_owned();
        Ok(OrderRow { order_id, seller_id, listing_id, buyer_id, quantity, amount_cents, ship_from })
    }
}

impl LakeRow for FeedbackRow {
    const TABLE: Table = Table::Feedback;
    fn from_batch(b: &BatchView<'_>, i: usize) -> Result<Self, Invalid> {
        let seller_id = SellerId(b.int(0, i)?);
        let listing_id = b.opt_int(1, i)?.map(ListingId);
        let kind = b.parse(2, i, "kind")?;
        let rating = match b.opt_int(3, i)? {
            None => None,
            Some(r @ 1..=5) => Some(r as i32),
            Some(_) => return Err(Invalid::RatingOutOfRange),
        };
        Ok(FeedbackRow { seller_id, listing_id, kind, rating })
    }
}

impl LakeRow for BrandPriceRow {
    const TABLE: Table = Table::BrandPrices;
    fn from_batch(b: &BatchView<'_>, i: usize) -> Result<Self, Invalid> {
        let brand = b.str(0, i)?;
        let category = b.str(1, i)?;
        let reference_price_cents = non_negative(b.int(2, i)?, "reference_price_cents")?;
        Ok(BrandPriceRow { brand: brand.to_owned(), category: category.to_owned(), reference_price_cents })
    }
}

impl LakeRow for LabelRow {
    const TABLE: Table = Table::Labels;
    fn from_batch(b: &BatchView<'_>, i: usize) -> Result<Self, Invalid> {
        Ok(LabelRow { seller_id: SellerId(b.int(0, i)?), label: b.parse(1, i, "label")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::ArrowDictionaryKeyType;
    use arrow_array::{
        ArrayRef, Date32Array, Date64Array, DictionaryArray, Float32Array, Float64Array, Int16Array, Int32Array,
        Int64Array, Int8Array, StructArray, UInt16Array, UInt32Array, UInt64Array, UInt8Array,
    };
    use arrow_schema::Field;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;
    use std::sync::Arc;

    fn any_kind(_: &str) -> bool {
        true
    }

    /// Writes one file of `columns` (all nullable), in row groups of `group_rows` when given.
    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, group_rows: Option<usize>) {
        let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
        let props = WriterProperties::builder().set_max_row_group_row_count(group_rows).build();
        let mut writer = ArrowWriter::try_new(File::create(path).unwrap(), schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    fn int_array(v: &[Option<i64>], ty: &DataType) -> ArrayRef {
        macro_rules! prim {
            ($array:ty, $native:ty) => {
                Arc::new(<$array>::from_iter(v.iter().map(|x| x.map(|x| x as $native))))
            };
        }
        match ty {
            DataType::Int8 => prim!(Int8Array, i8),
            DataType::Int16 => prim!(Int16Array, i16),
            DataType::Int32 => prim!(Int32Array, i32),
            DataType::Int64 => prim!(Int64Array, i64),
            DataType::UInt8 => prim!(UInt8Array, u8),
            DataType::UInt16 => prim!(UInt16Array, u16),
            DataType::UInt32 => prim!(UInt32Array, u32),
            DataType::UInt64 => prim!(UInt64Array, u64),
            other => panic!("not an integer type: {other}"),
        }
    }

    fn dict<K: ArrowDictionaryKeyType>(keys: &ArrayRef, values: ArrayRef) -> ArrayRef {
        Arc::new(DictionaryArray::<K>::try_new(keys.as_primitive::<K>().clone(), values).unwrap())
    }

    fn str_array(v: &[Option<&str>], ty: &DataType) -> ArrayRef {
        match ty {
            DataType::Utf8 => Arc::new(StringArray::from(v.to_vec())),
            DataType::LargeUtf8 => Arc::new(LargeStringArray::from(v.to_vec())),
            DataType::Utf8View => Arc::new(StringViewArray::from(v.to_vec())),
            DataType::Dictionary(key, value) => {
                let distinct: Vec<&str> = v.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
                let keys: Vec<Option<i64>> =
                    v.iter().map(|s| s.map(|s| distinct.iter().position(|d| *d == s).unwrap() as i64)).collect();
                let keys = int_array(&keys, key);
                let values = str_array(&distinct.iter().map(|s| Some(*s)).collect::<Vec<_>>(), value);
                match key.as_ref() {
                    DataType::Int8 => dict::<Int8Type>(&keys, values),
                    DataType::Int16 => dict::<Int16Type>(&keys, values),
                    DataType::Int32 => dict::<Int32Type>(&keys, values),
                    DataType::Int64 => dict::<Int64Type>(&keys, values),
                    DataType::UInt8 => dict::<UInt8Type>(&keys, values),
                    DataType::UInt16 => dict::<UInt16Type>(&keys, values),
                    DataType::UInt32 => dict::<UInt32Type>(&keys, values),
                    DataType::UInt64 => dict::<UInt64Type>(&keys, values),
                    other => panic!("not a key type: {other}"),
                }
            }
            other => panic!("not a string type: {other}"),
        }
    }

    fn dict_of(key: DataType, value: DataType) -> DataType {
        DataType::Dictionary(Box::new(key), Box::new(value))
    }

    fn string_types() -> Vec<DataType> {
        use DataType::*;
        let mut out = vec![Utf8, LargeUtf8, Utf8View];
        for key in [Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64] {
            for value in [Utf8, LargeUtf8] {
                out.push(dict_of(key.clone(), value));
            }
        }
        out
    }

    fn int_types() -> Vec<DataType> {
        use DataType::*;
        vec![Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64]
    }

    /// Reads a whole file written under `dir`.
    fn read<R: LakeRow>(dir: &Path, name: &str, with_op: bool) -> Result<FileRows<R>, ReadError> {
        read_file::<R>(dir, &dir.join(name), with_op, None, &any_kind)
    }

    fn valid<R>(f: FileRows<R>) -> Vec<(i64, R, Option<Op>)> {
        assert!(f.rejects.is_empty(), "{:?}", f.rejects);
        assert_eq!(f.rows_read, f.rows.len() as u64);
        f.rows
    }

    fn reasons<R>(f: &FileRows<R>) -> Vec<(i64, &str)> {
        f.rejects.iter().map(|r| (r.row, r.reason.as_str())).collect()
    }

    /// Orders whose every value fits an Int8, so that every integer width can hold them.
    fn order_columns(int: &DataType, string: &DataType) -> Vec<(&'static str, ArrayRef)> {
        let ints = |v: &[i64]| int_array(&v.iter().map(|x| Some(*x)).collect::<Vec<_>>(), int);
        vec![
            ("order_id", ints(&[1, 2, 3, 4])),
            ("seller_id", ints(&[10, 10, 11, 12])),
            ("listing_id", ints(&[20, 21, 22, 20])),
            ("buyer_id", ints(&[30, 31, 30, 33])),
            ("quantity", ints(&[1, 2, 1, 5])),
            ("amount_cents", ints(&[99, 0, 127, 50])),
            ("ship_from", str_array(&[Some("CN-GD-WH1"), Some("CN-GD-WH1"), Some("DE-BE-P7"), Some("")], string)),
        ]
    }

    fn seller_columns(string: &DataType, date: &DataType) -> Vec<(&'static str, ArrayRef)> {
        let days = [Some(20_454), None, Some(-3)];
        let registered: ArrayRef = match date {
            DataType::Date32 => Arc::new(Date32Array::from(days.to_vec())),
            _ => Arc::new(Date64Array::from_iter(days.iter().map(|d| d.map(|d| d as i64 * 86_400_000)))),
        };
        vec![
            ("seller_id", int_array(&[Some(1), Some(2), Some(3)], &DataType::Int64)),
            ("shop_name", str_array(&[Some("Shop A"), Some("商店"), Some("Shop A")], string)),
            ("region", str_array(&[Some("CN"), Some("DE"), Some("CN")], string)),
            ("registered_on", registered),
            ("status", str_array(&[Some("active"), Some("closed"), Some("active")], string)),
        ]
    }

    #[test]
    fn every_representation_decodes_to_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("canonical.parquet"), order_columns(&DataType::Int64, &DataType::Utf8), None);
        let expected = valid(read::<OrderRow>(dir.path(), "canonical.parquet", false).unwrap());
        assert_eq!(expected.len(), 4);
        assert_eq!(expected[3].1.ship_from, "");
        for (n, int) in int_types().iter().enumerate() {
            for (m, string) in string_types().iter().enumerate() {
                let name = format!("o-{n}-{m}.parquet");
                write(&dir.path().join(&name), order_columns(int, string), None);
                // The file must come back in the layout written, or this would test nothing.
                let stored =
                    ParquetRecordBatchReaderBuilder::try_new(File::open(dir.path().join(&name)).unwrap()).unwrap();
                let stored = stored.schema();
                assert_eq!(stored.field_with_name("ship_from").unwrap().data_type(), string);
                assert_eq!(stored.field_with_name("quantity").unwrap().data_type(), int);
                let got =
                    read::<OrderRow>(dir.path(), &name, false).unwrap_or_else(|e| panic!("{int} / {string}: {e}"));
                assert_eq!(valid(got), expected, "{int} / {string}");
            }
        }

        write(&dir.path().join("s.parquet"), seller_columns(&DataType::Utf8, &DataType::Date32), None);
        let expected = valid(read::<SellerRow>(dir.path(), "s.parquet", false).unwrap());
        assert_eq!(expected[0].1.registered_on, Some(Day(20_454)));
        assert_eq!(expected[1].1.registered_on, None);
        assert_eq!(expected[1].1.shop_name, "商店");
        for (m, string) in string_types().iter().enumerate() {
            for date in [DataType::Date32, DataType::Date64] {
                let name = format!("s-{m}-{date}.parquet");
                write(&dir.path().join(&name), seller_columns(string, &date), None);
                let got = read::<SellerRow>(dir.path(), &name, false).unwrap_or_else(|e| panic!("{string}: {e}"));
                assert_eq!(valid(got), expected, "{string} / {date}");
            }
        }

        let listing = |float: ArrayRef| {
            vec![
                ("listing_id", int_array(&[Some(1), Some(2)], &DataType::Int32)),
                ("seller_id", int_array(&[Some(1), Some(1)], &DataType::Int16)),
                ("brand", str_array(&[None, Some("Acme")], &dict_of(DataType::Int32, DataType::Utf8))),
                ("category", str_array(&[Some("toys"), Some("toys")], &DataType::Utf8)),
                ("price_cents", int_array(&[Some(0), Some(1999)], &DataType::UInt32)),
                ("logo_mismatch", float),
            ]
        };
        write(&dir.path().join("l64.parquet"), listing(Arc::new(Float64Array::from(vec![Some(0.5), None]))), None);
        write(&dir.path().join("l32.parquet"), listing(Arc::new(Float32Array::from(vec![Some(0.5), None]))), None);
        let l64 = valid(read::<ListingRow>(dir.path(), "l64.parquet", false).unwrap());
        assert_eq!(l64, valid(read::<ListingRow>(dir.path(), "l32.parquet", false).unwrap()));
        assert_eq!((l64[0].1.brand.as_deref(), l64[0].1.logo_mismatch), (None, Some(0.5)));
        assert_eq!((l64[1].1.brand.as_deref(), l64[1].1.logo_mismatch), (Some("Acme"), None));
    }

    #[test]
    fn null_typed_columns_read_as_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let nulls = || -> ArrayRef { Arc::new(arrow_array::NullArray::new(2)) };
        let columns = vec![
            ("listing_id", int_array(&[Some(1), Some(2)], &DataType::Int64)),
            ("seller_id", int_array(&[Some(1), Some(1)], &DataType::Int64)),
            ("brand", nulls()),
            ("category", str_array(&[Some("toys"), Some("toys")], &DataType::Utf8)),
            ("price_cents", int_array(&[Some(5), Some(5)], &DataType::Int64)),
            ("logo_mismatch", nulls()),
        ];
        write(&dir.path().join("l.parquet"), columns, None);
        let rows = valid(read::<ListingRow>(dir.path(), "l.parquet", false).unwrap());
        assert!(rows.iter().all(|r| r.1.brand.is_none() && r.1.logo_mismatch.is_none()));

        let columns = vec![("seller_id", nulls()), ("label", str_array(&[Some("legit"); 2], &DataType::Utf8))];
        write(&dir.path().join("b.parquet"), columns, None);
        let f = read::<LabelRow>(dir.path(), "b.parquet", false).unwrap();
        assert_eq!(reasons(&f), [(0, "null in column seller_id"), (1, "null in column seller_id")]);
    }

    #[test]
    fn extra_columns_and_column_order_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let columns = order_columns(&DataType::Int64, &DataType::Utf8);
        write(&dir.path().join("a.parquet"), columns.clone(), None);
        let nested: ArrayRef = Arc::new(StructArray::from(vec![(
            Arc::new(Field::new("x", DataType::Int64, true)),
            int_array(&[Some(1), Some(2), Some(3), Some(4)], &DataType::Int64),
        )]));
        let mut shuffled =
            vec![("nested", nested), ("note", str_array(&[None, Some("x"), None, None], &DataType::Utf8))];
        shuffled.extend(columns.into_iter().rev());
        // An `op` column is an extra column too when the table is not read in changes mode.
        shuffled.push(("op", str_array(&[Some("zap"); 4], &DataType::Utf8)));
        write(&dir.path().join("b.parquet"), shuffled, None);
        let a = valid(read::<OrderRow>(dir.path(), "a.parquet", false).unwrap());
        let b = valid(read::<OrderRow>(dir.path(), "b.parquet", false).unwrap());
        assert_eq!(a, b);
    }

    #[test]
    fn missing_column_names_file_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("orders/dt=2026-01-01");
        std::fs::create_dir_all(&sub).unwrap();
        let mut columns = order_columns(&DataType::Int64, &DataType::Utf8);
        columns.retain(|c| c.0 != "buyer_id");
        write(&sub.join("part-0.parquet"), columns, None);
        let err = read_file::<OrderRow>(dir.path(), &sub.join("part-0.parquet"), false, None, &any_kind).unwrap_err();
        assert_eq!(
            err.to_string(),
            "orders/dt=2026-01-01/part-0.parquet: column `buyer_id` is missing; table orders needs it"
        );

        write(&dir.path().join("l.parquet"), vec![("seller_id", int_array(&[Some(1)], &DataType::Int64))], None);
        let err = read::<LabelRow>(dir.path(), "l.parquet", false).unwrap_err();
        assert_eq!(err.to_string(), "l.parquet: column `label` is missing; table labels needs it");

        let ids = vec![
            ("seller_id", int_array(&[Some(1)], &DataType::Int64)),
            ("kind", str_array(&[Some("phone")], &DataType::Utf8)),
            ("value", str_array(&[Some("+1 555")], &DataType::Utf8)),
        ];
        write(&dir.path().join("i.parquet"), ids, None);
        assert!(read::<IdentityRow>(dir.path(), "i.parquet", false).is_ok());
        let err = read::<IdentityRow>(dir.path(), "i.parquet", true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "i.parquet: column `op` is missing; table seller_identity needs it (it is read in changes mode)"
        );
    }

    #[test]
    fn wrong_type_names_file_column_and_types() {
        let dir = tempfile::tempdir().unwrap();
        let mut columns = order_columns(&DataType::Int64, &DataType::Utf8);
        columns[4].1 = str_array(&[Some("1"), Some("2"), Some("1"), Some("5")], &DataType::Utf8);
        write(&dir.path().join("o.parquet"), columns, None);
        let err = read::<OrderRow>(dir.path(), "o.parquet", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "o.parquet: column `quantity` must be a signed integer, but the file stores it as Arrow type Utf8"
        );

        let mut columns = order_columns(&DataType::Int64, &DataType::Utf8);
        columns[6].1 = int_array(&[Some(1), Some(2), Some(3), Some(4)], &DataType::Int32);
        write(&dir.path().join("o2.parquet"), columns, None);
        let err = read::<OrderRow>(dir.path(), "o2.parquet", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "o2.parquet: column `ship_from` must be a string, but the file stores it as Arrow type Int32"
        );

        let mut columns = seller_columns(&DataType::Utf8, &DataType::Date32);
        columns[3].1 = int_array(&[Some(1), Some(2), Some(3)], &DataType::Int32);
        write(&dir.path().join("s.parquet"), columns, None);
        let err = read::<SellerRow>(dir.path(), "s.parquet", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "s.parquet: column `registered_on` must be a DATE, but the file stores it as Arrow type Int32"
        );
    }

    #[test]
    fn unreadable_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("junk.parquet"), b"PAR1 this is not parquet").unwrap();
        let err = read::<LabelRow>(dir.path(), "junk.parquet", false).unwrap_err();
        assert!(err.to_string().starts_with("junk.parquet is not a readable Parquet file: "), "{err}");
        assert!(matches!(row_groups(&dir.path().join("junk.parquet")), Err(ReadError::NotParquet { .. })));
        let err = read::<LabelRow>(dir.path(), "gone.parquet", false).unwrap_err();
        assert!(err.to_string().starts_with("cannot open gone.parquet: "), "{err}");

        let twice = vec![
            ("seller_id", int_array(&[Some(1)], &DataType::Int64)),
            ("label", str_array(&[Some("legit")], &DataType::Utf8)),
            ("seller_id", int_array(&[Some(2)], &DataType::Int64)),
        ];
        write(&dir.path().join("twice.parquet"), twice, None);
        let err = read::<LabelRow>(dir.path(), "twice.parquet", false).unwrap_err();
        assert_eq!(err.to_string(), "twice.parquet: column `seller_id` occurs 2 times; it must occur once");
    }

    #[test]
    fn a_corrupt_page_is_a_decode_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.parquet");
        let ids: Vec<Option<i64>> = (0..4096).map(|i| Some(i * 7_919)).collect();
        let labels: Vec<Option<&str>> =
            (0..4096).map(|i| Some(if i % 3 == 0 { "legit" } else { "counterfeit" })).collect();
        let columns =
            vec![("seller_id", int_array(&ids, &DataType::Int64)), ("label", str_array(&labels, &DataType::Utf8))];
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let props = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .build();
        let mut writer = ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        // Overwrite the middle of the first column chunk's compressed data; the footer stays intact.
        let mut bytes = std::fs::read(&path).unwrap();
        for b in &mut bytes[200..2_000] {
            *b = 0xFF;
        }
        std::fs::write(&path, bytes).unwrap();
        let err = read::<LabelRow>(dir.path(), "c.parquet", false).unwrap_err();
        assert!(matches!(err, ReadError::Decode { row: 0, .. }), "{err:?}");
        assert!(err.to_string().starts_with("c.parquet: cannot decode the rows from row 0 on: "), "{err}");
    }

    #[test]
    fn bad_rows_are_rejected_with_reason_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let i64s = |v: &[Option<i64>]| int_array(v, &DataType::Int64);
        let strs = |v: &[Option<&str>]| str_array(v, &DataType::Utf8);

        write(
            &d.join("orders.parquet"),
            vec![
                ("order_id", i64s(&[Some(1), Some(2), Some(3), Some(4), Some(5), Some(6), Some(7)])),
                ("seller_id", i64s(&[Some(1), None, Some(1), Some(1), Some(1), Some(1), Some(1)])),
                ("listing_id", i64s(&[Some(1); 7])),
                ("buyer_id", i64s(&[Some(1); 7])),
                ("quantity", i64s(&[Some(1), Some(1), Some(0), Some(2), Some(1), Some(5_000_000_000), Some(-3)])),
                ("amount_cents", i64s(&[Some(0), Some(1), Some(1), Some(-1), Some(1), Some(1), Some(1)])),
                ("ship_from", strs(&[Some("W"), Some("W"), Some("W"), Some("W"), None, Some("W"), Some("W")])),
            ],
            None,
        );
        let f = read::<OrderRow>(d, "orders.parquet", false).unwrap();
        assert_eq!(
            reasons(&f),
            [
                (1, "null in column seller_id"),
                (2, "quantity below 1"),
                (3, "negative amount_cents"),
                (4, "null in column ship_from"),
                (5, "value out of range in column quantity"),
                (6, "quantity below 1"),
            ]
        );
        assert_eq!(f.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [0]);
        assert_eq!((f.rows_read, f.rejects[0].table, f.rejects[0].file.as_str()), (7, Table::Orders, "orders.parquet"));

        write(
            &d.join("sellers.parquet"),
            vec![
                (
                    "seller_id",
                    int_array(&[Some(1), Some(u64::MAX as i64), Some(3), Some(4), Some(5)], &DataType::UInt64),
                ),
                ("shop_name", strs(&[Some("a"), Some("b"), None, Some("d"), Some("e")])),
                ("region", strs(&[Some("r"); 5])),
                ("registered_on", Arc::new(Date32Array::from(vec![Some(-719_162), None, None, None, Some(i32::MAX)]))),
                ("status", strs(&[Some("active"), Some("active"), Some("active"), Some("Active"), Some("active")])),
            ],
            None,
        );
        let f = read::<SellerRow>(d, "sellers.parquet", false).unwrap();
        assert_eq!(
            reasons(&f),
            [
                (1, "value out of range in column seller_id"),
                (2, "null in column shop_name"),
                (3, "unknown status"),
                (4, "value out of range in column registered_on"),
            ]
        );
        assert_eq!(f.rows[0].1.registered_on.unwrap().to_string(), "0001-01-01");
        let mut columns = seller_columns(&DataType::Utf8, &DataType::Date64);
        columns[3].1 = Arc::new(Date64Array::from(vec![Some(i64::MAX), Some(-86_400_000), None]));
        write(&d.join("sellers64.parquet"), columns, None);
        let f = read::<SellerRow>(d, "sellers64.parquet", false).unwrap();
        assert_eq!(reasons(&f), [(0, "value out of range in column registered_on")]);
        assert_eq!(f.rows[0].1.registered_on, Some(Day(-1)));

        let secret = "ID 110101199003077777";
        write(
            &d.join("identity.parquet"),
            vec![
                ("seller_id", i64s(&[Some(1); 6])),
                ("kind", strs(&[Some("phone"), Some("email"), Some("phone"), Some("phone"), Some("id_card"), None])),
                ("value", strs(&[Some(secret), Some(secret), Some(secret), Some(secret), None, Some(secret)])),
                ("op", strs(&[Some("add"), Some("add"), Some(secret), None, Some("remove"), Some("add")])),
            ],
            None,
        );
        let kinds = |k: &str| k == "phone" || k == "id_card";
        let f = read_file::<IdentityRow>(d, &d.join("identity.parquet"), true, None, &kinds).unwrap();
        assert_eq!(
            reasons(&f),
            [
                (1, "unknown kind"),
                (2, "unknown op"),
                (3, "null in column op"),
                (4, "null in column value"),
                (5, "null in column kind"),
            ]
        );
        assert_eq!(
            f.rows,
            [(0, IdentityRow { seller_id: SellerId(1), kind: "phone".into(), value: secret.into() }, Some(Op::Add))]
        );
        assert!(f.rejects.iter().all(|r| !r.reason.contains("ID ") && !r.reason.contains("email")));

        write(
            &d.join("listings.parquet"),
            vec![
                ("listing_id", i64s(&[Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)])),
                ("seller_id", i64s(&[Some(1); 6])),
                ("brand", strs(&[None, Some("b"), None, None, None, None])),
                ("category", strs(&[Some("c"); 6])),
                ("price_cents", i64s(&[Some(0), Some(-1), Some(5), Some(5), Some(5), Some(5)])),
                (
                    "logo_mismatch",
                    Arc::new(Float64Array::from(vec![
                        Some(1.0),
                        Some(0.5),
                        Some(1.5),
                        Some(f64::NAN),
                        Some(-0.1),
                        None,
                    ])),
                ),
                ("op", strs(&[Some("add"), Some("add"), Some("add"), Some("add"), Some("add"), Some("remove")])),
            ],
            None,
        );
        let f = read::<ListingRow>(d, "listings.parquet", true).unwrap();
        assert_eq!(
            reasons(&f),
            [
                (1, "negative price_cents"),
                (2, "logo_mismatch outside 0..1"),
                (3, "logo_mismatch outside 0..1"),
                (4, "logo_mismatch outside 0..1"),
            ]
        );
        assert_eq!(f.rows.iter().map(|r| (r.0, r.2)).collect::<Vec<_>>(), [(0, Some(Op::Add)), (5, Some(Op::Remove))]);

        write(
            &d.join("feedback.parquet"),
            vec![
                ("seller_id", i64s(&[Some(1); 6])),
                ("listing_id", i64s(&[None, Some(2), None, None, None, None])),
                (
                    "kind",
                    strs(&[
                        Some("review"),
                        Some("review"),
                        Some("review"),
                        Some("praise"),
                        Some("user_report"),
                        Some("review"),
                    ]),
                ),
                ("rating", int_array(&[Some(5), Some(0), Some(6), Some(3), None, Some(1)], &DataType::Int8)),
            ],
            None,
        );
        let f = read::<FeedbackRow>(d, "feedback.parquet", false).unwrap();
        assert_eq!(reasons(&f), [(1, "rating outside 1..5"), (2, "rating outside 1..5"), (3, "unknown kind")]);
        assert_eq!(
            f.rows.iter().map(|r| (r.0, r.1.rating)).collect::<Vec<_>>(),
            [(0, Some(5)), (4, None), (5, Some(1))]
        );

        write(
            &d.join("prices.parquet"),
            vec![
                ("brand", strs(&[Some("b"), Some("b"), None])),
                ("category", strs(&[Some("c"), Some("d"), Some("c")])),
                ("reference_price_cents", i64s(&[Some(-5), Some(5), Some(5)])),
            ],
            None,
        );
        let f = read::<BrandPriceRow>(d, "prices.parquet", false).unwrap();
        assert_eq!(reasons(&f), [(0, "negative reference_price_cents"), (2, "null in column brand")]);

        write(
            &d.join("labels.parquet"),
            vec![("seller_id", i64s(&[Some(1), Some(2)])), ("label", strs(&[Some("maybe"), Some("legit")]))],
            None,
        );
        let f = read::<LabelRow>(d, "labels.parquet", false).unwrap();
        assert_eq!(reasons(&f), [(0, "unknown label")]);
        assert_eq!(f.rows, [(1, LabelRow { seller_id: SellerId(2), label: Label::Legit }, None)]);
    }

    #[test]
    fn row_group_selection_keeps_file_row_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let n = 10;
        let ids: Vec<Option<i64>> = (0..n).map(Some).collect();
        // Row 7 (in the third group) is bad, to check reject numbering too.
        let labels: Vec<Option<&str>> = (0..n).map(|i| Some(if i == 7 { "bogus" } else { "legit" })).collect();
        let columns =
            vec![("seller_id", int_array(&ids, &DataType::Int64)), ("label", str_array(&labels, &DataType::Utf8))];
        write(&dir.path().join("l.parquet"), columns, Some(3));
        let path = dir.path().join("l.parquet");
        assert_eq!(row_groups(&path).unwrap(), 4);

        let all = read::<LabelRow>(dir.path(), "l.parquet", false).unwrap();
        assert_eq!(all.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6, 8, 9]);
        assert!(all.rows.iter().all(|(n, r, _)| r.seller_id.0 == *n), "row number is the row's index in the file");

        let some = read_file::<LabelRow>(dir.path(), &path, false, Some(&[3, 0, 2]), &any_kind).unwrap();
        assert_eq!(some.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [9, 0, 1, 2, 6, 8]);
        assert!(some.rows.iter().all(|(n, r, _)| r.seller_id.0 == *n));
        assert_eq!(reasons(&some), [(7, "unknown label")]);
        assert_eq!(some.rows_read, 7);

        let none = read_file::<LabelRow>(dir.path(), &path, false, Some(&[]), &any_kind).unwrap();
        assert_eq!((none.rows.len(), none.rows_read), (0, 0));

        let err = read_file::<LabelRow>(dir.path(), &path, false, Some(&[1, 4]), &any_kind).unwrap_err();
        assert_eq!(err.to_string(), "l.parquet: no row group 4; the file has 4");
    }

    #[test]
    fn a_file_without_rows_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        let schema = crate::lake::schema::arrow_schema(Table::Orders, false);
        ArrowWriter::try_new(File::create(&path).unwrap(), schema, None).unwrap().close().unwrap();
        assert_eq!(row_groups(&path).unwrap(), 0);
        let f = read::<OrderRow>(dir.path(), "empty.parquet", false).unwrap();
        assert_eq!((f.rows.len(), f.rejects.len(), f.rows_read), (0, 0, 0));
    }

    /// Per day of one table: the valid rows and the rejects of every file. Checks along the way
    /// that each file's rows add up to its footer's count and that reading the row groups one by
    /// one gives what reading the whole file gives.
    fn read_table<R: LakeRow + PartialEq + std::fmt::Debug>(
        root: &Path,
        kinds: &dyn Fn(&str) -> bool,
    ) -> BTreeMap<Day, (Vec<R>, Vec<Reject>)> {
        let with_op = R::TABLE.default_mode() == TableMode::Changes;
        let mut out: BTreeMap<Day, (Vec<R>, Vec<Reject>)> = BTreeMap::new();
        for (day, part) in crate::lake::partitions(root, R::TABLE).unwrap() {
            let entry = out.entry(day).or_default();
            for path in &part.files {
                let footer = ParquetMetaDataReader::new().parse_and_finish(&File::open(path).unwrap()).unwrap();
                let whole = read_file::<R>(root, path, with_op, None, kinds).unwrap();
                assert_eq!(whole.rows_read, footer.file_metadata().num_rows() as u64, "{}", path.display());
                assert_eq!(whole.rows_read, (whole.rows.len() + whole.rejects.len()) as u64);
                assert!(whole.rows.iter().all(|r| r.2.is_some() == with_op));
                let groups = row_groups(path).unwrap();
                assert_eq!(groups, footer.num_row_groups());
                if groups > 1 {
                    let mut rows = Vec::new();
                    let mut rejects = Vec::new();
                    for g in (0..groups).rev() {
                        let part = read_file::<R>(root, path, with_op, Some(&[g]), kinds).unwrap();
                        rows.splice(0..0, part.rows);
                        rejects.splice(0..0, part.rejects);
                    }
                    assert_eq!(rows, whole.rows, "{}", path.display());
                    assert_eq!(rejects, whole.rejects, "{}", path.display());
                }
                entry.0.extend(whole.rows.into_iter().map(|r| r.1));
                entry.1.extend(whole.rejects);
            }
        }
        out
    }

    #[test]
    fn generated_lake_decodes_with_exactly_the_planted_rejects() {
        use crate::generate::{generate, GenerateOptions, Scale, STRONG, WEAK};
        let dir = tempfile::tempdir().unwrap();
        let root: PathBuf = dir.path().to_owned();
        generate(&GenerateOptions::preset(Scale::Tiny, root.clone()), |_, _| {}).unwrap();
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("_truth/manifest.json")).unwrap()).unwrap();
        let planted =
            |day: Day, table: Table| manifest["bad_rows_by_day"][day.to_string()][table.as_str()].as_u64().unwrap_or(0);
        let kinds = |k: &str| STRONG.contains(&k) || WEAK.contains(&k);

        let mut all_rejects = Vec::new();
        let mut days = BTreeSet::new();
        let mut check = |table: Table, by_day: BTreeMap<Day, (usize, Vec<Reject>)>, extra: &dyn Fn(Day) -> u64| {
            assert!(!by_day.is_empty(), "{table} has partitions");
            for (day, (rows, rejects)) in by_day {
                days.insert(day);
                assert!(rows > 0 || table == Table::Labels || !rejects.is_empty(), "{table} {day} has rows");
                assert_eq!(rejects.len() as u64 + extra(day), planted(day, table), "{table} {day}: {rejects:?}");
                assert!(rejects.iter().all(|r| r.table == table && r.file.starts_with(&format!("{table}/dt={day}/"))));
                all_rejects.extend(rejects);
            }
        };
        fn counts<R>(m: BTreeMap<Day, (Vec<R>, Vec<Reject>)>) -> BTreeMap<Day, (usize, Vec<Reject>)> {
            m.into_iter().map(|(d, (rows, rejects))| (d, (rows.len(), rejects))).collect()
        }
        let none = |_: Day| 0;

        check(Table::Sellers, counts(read_table::<SellerRow>(&root, &kinds)), &none);
        check(Table::SellerIdentity, counts(read_table::<IdentityRow>(&root, &kinds)), &none);
        check(Table::Listings, counts(read_table::<ListingRow>(&root, &kinds)), &none);
        check(Table::Feedback, counts(read_table::<FeedbackRow>(&root, &kinds)), &none);
        check(Table::BrandPrices, counts(read_table::<BrandPriceRow>(&root, &kinds)), &none);
        check(Table::Labels, counts(read_table::<LabelRow>(&root, &kinds)), &none);
        // Orders also plant duplicate order ids, which this reader does not judge: count the
        // rows whose id occurs more than once in the day as the rest of what was planted.
        let orders = read_table::<OrderRow>(&root, &kinds);
        let mut duplicated = BTreeMap::new();
        for (day, (rows, _)) in &orders {
            let mut seen: BTreeMap<i64, u64> = BTreeMap::new();
            for r in rows {
                *seen.entry(r.order_id).or_default() += 1;
            }
            duplicated.insert(*day, seen.values().filter(|n| **n > 1).sum::<u64>());
        }
        assert!(duplicated.values().any(|n| *n > 0), "some day plants a duplicate order id");
        check(Table::Orders, counts(orders), &|d| duplicated[&d]);

        assert_eq!(days.len(), 21);
        assert!(all_rejects.len() >= 21 * 3, "{} rejects", all_rejects.len());
        for table in [Table::Orders, Table::Feedback, Table::SellerIdentity, Table::Listings] {
            assert!(all_rejects.iter().any(|r| r.table == table), "{table} has planted rejects");
        }
        // Identity values of the planted rows look like `shop1004@mail.example`.
        assert!(all_rejects.iter().all(|r| !r.reason.contains('@') && !r.reason.contains("shop")));
    }
}
