//! Record types and enums of the data lake and the outputs; no engine or I/O code lives here.

mod day;

pub use day::Day;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A seller account of the marketplace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SellerId(pub i64);

/// A listing (an offer of one product by one seller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ListingId(pub i64);

impl fmt::Display for SellerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ListingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Declares a closed string enum: its Parquet spelling, `FromStr`, `Display` and `ALL`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in Parquet files and configuration.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A string that is not one of an enum's values. Carries no text: the value may be personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownValue;

string_enum! {
    /// The tables of the data lake (SPEC section 2).
    Table {
        Sellers => "sellers",
        SellerIdentity => "seller_identity",
        Listings => "listings",
        Orders => "orders",
        Feedback => "feedback",
        BrandPrices => "brand_prices",
        Labels => "labels",
    }
}

impl Table {
    /// Whether a day is ready without this table's partition (SPEC: `labels` is optional).
    pub fn is_optional(self) -> bool {
        matches!(self, Table::Labels)
    }

    /// The mode the SPEC gives this table when the job file does not set one.
    pub fn default_mode(self) -> TableMode {
        match self {
            Table::Sellers | Table::BrandPrices => TableMode::Snapshot,
            Table::SellerIdentity | Table::Listings => TableMode::Changes,
            Table::Orders | Table::Feedback | Table::Labels => TableMode::Events,
        }
    }

    /// The modes that make sense for this table: keyed state tables can come as changes or
    /// snapshots; event tables have no key and no `op`, so they are events only.
    pub fn allowed_modes(self) -> &'static [TableMode] {
        match self {
            Table::Sellers | Table::BrandPrices | Table::SellerIdentity | Table::Listings => {
                &[TableMode::Changes, TableMode::Snapshot]
            }
            Table::Orders | Table::Feedback | Table::Labels => &[TableMode::Events],
        }
    }
}

string_enum! {
    /// How a table's daily partition relates to the table's state (SPEC section 2, "Modes").
    TableMode {
        /// Each row is an event of the day.
        Events => "events",
        /// Rows carry `op`; the state is yesterday's with today's ops applied.
        Changes => "changes",
        /// The partition holds the whole state of the day.
        Snapshot => "snapshot",
    }
}

string_enum! {
    /// `op` of a `changes` table.
    Op {
        Add => "add",
        Remove => "remove",
    }
}

string_enum! {
    /// `sellers.status`.
    SellerStatus {
        Active => "active",
        Closed => "closed",
    }
}

string_enum! {
    /// `feedback.kind`.
    FeedbackKind {
        CounterfeitComplaint => "counterfeit_complaint",
        OtherComplaint => "other_complaint",
        UserReport => "user_report",
        Review => "review",
    }
}

string_enum! {
    /// `labels.label`: a confirmed outcome of an investigation.
    Label {
        Counterfeit => "counterfeit",
        Legit => "legit",
    }
}

string_enum! {
    /// Whether one shared value of a kind links two sellers, or only two kinds together do.
    LinkClass {
        Strong => "strong",
        Weak => "weak",
    }
}

/// A row of `sellers`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SellerRow {
    pub seller_id: SellerId,
    pub shop_name: String,
    pub region: String,
    pub registered_on: Option<Day>,
    pub status: SellerStatus,
}

/// A row of `seller_identity`: `value` is opaque and may be personal data.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IdentityRow {
    pub seller_id: SellerId,
    pub kind: String,
    pub value: String,
}

/// A row of `listings` (without its `op`).
#[derive(Clone, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ListingRow {
    pub listing_id: ListingId,
    pub seller_id: SellerId,
    pub brand: Option<String>,
    pub category: String,
    pub price_cents: i64,
    pub logo_mismatch: Option<f64>,
}

/// A row of `orders`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderRow {
    pub order_id: i64,
    pub seller_id: SellerId,
    pub listing_id: ListingId,
    pub buyer_id: i64,
    pub quantity: i32,
    pub amount_cents: i64,
    pub ship_from: String,
}

/// A row of `feedback`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FeedbackRow {
    pub seller_id: SellerId,
    pub listing_id: Option<ListingId>,
    pub kind: FeedbackKind,
    pub rating: Option<i32>,
}

/// A row of `brand_prices`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BrandPriceRow {
    pub brand: String,
    pub category: String,
    pub reference_price_cents: i64,
}

/// A row of `labels`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LabelRow {
    pub seller_id: SellerId,
    pub label: Label,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_their_spelling() {
        for t in Table::ALL {
            assert_eq!(t.as_str().parse::<Table>(), Ok(*t));
        }
        for k in FeedbackKind::ALL {
            assert_eq!(k.to_string().parse::<FeedbackKind>(), Ok(*k));
        }
        assert_eq!("Add".parse::<Op>(), Err(UnknownValue), "spellings are exact");
    }

    #[test]
    fn default_modes_are_allowed_modes() {
        for t in Table::ALL {
            assert!(t.allowed_modes().contains(&t.default_mode()), "{t}");
        }
    }
}
