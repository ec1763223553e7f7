//! The columns of each lake table (SPEC section 2): names, type families, nullability.
//!
//! Readers accept any physical type of a column's family (any signed integer width, plain,
//! large or dictionary strings); writers use the canonical type given here.

use crate::model::Table;
use arrow_schema::{DataType, Field, Schema};
use std::sync::Arc;

/// The family of logical types a column may be stored as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Any signed integer; the canonical type is the one named.
    Int(IntWidth),
    /// 64-bit float.
    Float,
    /// UTF-8 string: plain, large or dictionary-encoded.
    Str,
    /// Parquet DATE.
    Date,
}

/// Canonical width of an integer column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntWidth {
    I32,
    I64,
}

impl Family {
    /// Human name for error messages ("expected an integer column").
    pub fn describe(self) -> &'static str {
        match self {
            Family::Int(_) => "a signed integer",
            Family::Float => "a floating-point number",
            Family::Str => "a string",
            Family::Date => "a DATE",
        }
    }

    /// The Arrow type a writer uses for this family.
    pub fn canonical(self) -> DataType {
        match self {
            Family::Int(IntWidth::I32) => DataType::Int32,
            Family::Int(IntWidth::I64) => DataType::Int64,
            Family::Float => DataType::Float64,
            Family::Str => DataType::Utf8,
            Family::Date => DataType::Date32,
        }
    }
}

/// One column of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub family: Family,
    /// Whether SPEC marks the column nullable; a null elsewhere rejects the row.
    pub nullable: bool,
}

const fn col(name: &'static str, family: Family, nullable: bool) -> Column {
    Column { name, family, nullable }
}

const I64: Family = Family::Int(IntWidth::I64);
const I32: Family = Family::Int(IntWidth::I32);
const STR: Family = Family::Str;

/// The `op` column of a table read in `changes` mode.
pub const OP: Column = col("op", STR, false);

const SELLERS: &[Column] = &[
    col("seller_id", I64, false),
    col("shop_name", STR, false),
    col("region", STR, false),
    col("registered_on", Family::Date, true),
    col("status", STR, false),
];
const SELLER_IDENTITY: &[Column] = &[col("seller_id", I64, false), col("kind", STR, false), col("value", STR, false)];
const LISTINGS: &[Column] = &[
    col("listing_id", I64, false),
    col("seller_id", I64, false),
    col("brand", STR, true),
    col("category", STR, false),
    col("price_cents", I64, false),
    col("logo_mismatch", Family::Float, true),
];
const ORDERS: &[Column] = &[
    col("order_id", I64, false),
    col("seller_id", I64, false),
    col("listing_id", I64, false),
    col("buyer_id", I64, false),
    col("quantity", I32, false),
    col("amount_cents", I64, false),
    col("ship_from", STR, false),
];
const FEEDBACK: &[Column] =
    &[col("seller_id", I64, false), col("listing_id", I64, true), col("kind", STR, false), col("rating", I32, true)];
const BRAND_PRICES: &[Column] =
    &[col("brand", STR, false), col("category", STR, false), col("reference_price_cents", I64, false)];
const LABELS: &[Column] = &[col("seller_id", I64, false), col("label", STR, false)];

/// The columns of `table`, without `op` (which only `changes` mode needs).
pub fn columns(table: Table) -> &'static [Column] {
    match table {
        Table::Sellers => SELLERS,
        Table::SellerIdentity => SELLER_IDENTITY,
        Table::Listings => LISTINGS,
        Table::Orders => ORDERS,
        Table::Feedback => FEEDBACK,
        Table::BrandPrices => BRAND_PRICES,
        Table::Labels => LABELS,
    }
}

/// The canonical Arrow schema of `table`; with `op` last when `with_op`.
pub fn arrow_schema(table: Table, with_op: bool) -> Arc<Schema> {
    let mut fields: Vec<Field> =
        columns(table).iter().map(|c| Field::new(c.name, c.family.canonical(), c.nullable)).collect();
    if with_op {
        fields.push(Field::new(OP.name, OP.family.canonical(), false));
    }
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_unique_column_names() {
        for t in Table::ALL {
            let s = arrow_schema(*t, true);
            let mut names: Vec<_> = s.fields().iter().map(|f| f.name().clone()).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), s.fields().len(), "{t}");
        }
    }
}
