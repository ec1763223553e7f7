//! Features: one row per known seller, assembled from the fragments the aggregates produce.
//!
//! A single reduce per seller gathers the fragments, so a day re-assembles only the sellers
//! whose fragments changed.

use super::{reduce_indexed, BySeller, Coll, Seller};
use serde::{Deserialize, Serialize};

/// One piece of a seller's features.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Frag {
    /// The seller is known.
    Known,
    /// In-window orders and GMV.
    Orders(i64, i64),
    /// In-window distinct buyers.
    Buyers(i64),
    /// In-window counterfeit complaints, reports, reviews, sum and count of ratings.
    Feedback(i64, i64, i64, i64, i64),
    /// Active, branded and low-priced listings.
    Listings(i64, i64, i64),
    /// Largest logo mismatch of the active listings (f64 bits).
    Logo(u64),
    /// New listings in the burst window and their distinct brands.
    New(i64, i64),
    /// Young account (None: registration date unknown).
    Young(Option<bool>),
}

/// SPEC section 3 seller features (without the score). Integer-valued so it can live in the
/// dataflow; `avg_rating` and `logo_mismatch_max` are derived on output.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Features {
    pub orders: i64,
    pub gmv_cents: i64,
    pub buyers: i64,
    pub counterfeit_complaints: i64,
    pub reports: i64,
    pub reviews: i64,
    pub rating_sum: i64,
    pub rated_reviews: i64,
    pub active_listings: i64,
    pub branded_listings: i64,
    pub low_price_listings: i64,
    pub new_listings: i64,
    pub new_brands: i64,
    pub logo_bits: Option<u64>,
    pub young_account: Option<bool>,
}

impl Features {
    /// Mean rating of the in-window reviews that have one.
    pub fn avg_rating(&self) -> Option<f64> {
        (self.rated_reviews > 0).then(|| self.rating_sum as f64 / self.rated_reviews as f64)
    }

    /// Largest logo mismatch among active listings.
    pub fn logo_mismatch_max(&self) -> Option<f64> {
        self.logo_bits.map(f64::from_bits)
    }

    /// Folds fragments into a row; `None` unless `Known` is among them.
    pub fn from_fragments<'a>(frags: impl IntoIterator<Item = &'a Frag>) -> Option<Features> {
        let mut f = Features::default();
        let mut known = false;
        for frag in frags {
            match *frag {
                Frag::Known => known = true,
                Frag::Orders(n, gmv) => (f.orders, f.gmv_cents) = (n, gmv),
                Frag::Buyers(n) => f.buyers = n,
                Frag::Feedback(cc, rep, rev, sum, n) => {
                    (f.counterfeit_complaints, f.reports, f.reviews, f.rating_sum, f.rated_reviews) =
                        (cc, rep, rev, sum, n)
                }
                Frag::Listings(a, b, low) => {
                    (f.active_listings, f.branded_listings, f.low_price_listings) = (a, b, low)
                }
                Frag::Logo(bits) => f.logo_bits = Some(bits),
                Frag::New(n, b) => (f.new_listings, f.new_brands) = (n, b),
                Frag::Young(y) => f.young_account = y,
            }
        }
        known.then_some(f)
    }
}

/// (seller, features) for every known seller: fragments gathered per seller. The reduce's own
/// output index is returned, so that scoring looks features up without arranging them again.
pub fn assemble<'s>(fragments: Coll<'s, (Seller, Frag)>) -> BySeller<'s, Features> {
    let by_seller = fragments.arrange_by_key_named("Arrange: SellerFeatures");
    reduce_indexed(by_seller, "Reduce: SellerFeatures", |_seller, input, output| {
        if let Some(f) = Features::from_fragments(input.iter().filter(|(_, n)| *n > 0).map(|(frag, _)| *frag)) {
            output.push((f, 1));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_fold_into_one_row_only_for_known_sellers() {
        let frags = [Frag::Orders(3, 900), Frag::Feedback(1, 0, 2, 9, 2), Frag::Logo(0.75f64.to_bits())];
        assert_eq!(Features::from_fragments(&frags), None);
        let mut with_known = frags.to_vec();
        with_known.push(Frag::Known);
        let f = Features::from_fragments(&with_known).unwrap();
        assert_eq!((f.orders, f.gmv_cents, f.reviews), (3, 900, 2));
        assert_eq!(f.avg_rating(), Some(4.5));
        assert_eq!(f.logo_mismatch_max(), Some(0.75));
        assert_eq!(f.young_account, None);
    }
}
