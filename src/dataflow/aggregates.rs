//! Aggregates: windows over orders and feedback, listing counts, bursts of new listings, and the
//! set of known sellers, each as per-seller feature fragments.
//!
//! Events are pre-aggregated per (seller, day) on the worker that ingested them, before they
//! are exchanged and arranged, and they leave their window by a retraction scheduled W days
//! later: state grows with sellers x days in the window, not with orders, and no day rescans
//! history.

use super::features::Frag;
use super::{window, young_flags, Coll, Feedback, IdentityKey, Listing, Order, Seller, Settings};
use crate::model::FeedbackKind;
use differential_dataflow::operators::count::CountTotal;
use differential_dataflow::operators::threshold::ThresholdTotal;

/// The state of every table the features read, as collections.
pub struct TableStates<'s> {
    /// seller_id -> registered_on.
    pub sellers: Coll<'s, (Seller, Option<i32>)>,
    pub identity: Coll<'s, IdentityKey>,
    /// listing_id -> listing, the active listings.
    pub listings: Coll<'s, (i64, Listing)>,
    /// Listings at their first appearance, on that day only.
    pub first_adds: Coll<'s, (i64, Listing)>,
    /// (brand, category) -> reference price.
    pub brand_prices: Coll<'s, ((String, String), i64)>,
    /// Each day's valid orders and feedback, on their day only.
    pub orders: Coll<'s, Order>,
    pub feedback: Coll<'s, Feedback>,
}

/// What the aggregates stage produces.
pub struct Aggregates<'s> {
    /// Every known seller, once.
    pub known: Coll<'s, Seller>,
    /// Feature fragments: (seller, fragment), at most one of each kind per seller.
    pub fragments: Coll<'s, (Seller, Frag)>,
    /// (seller, ship_from) with in-window orders as multiplicity.
    pub origins: Coll<'s, (Seller, String)>,
    /// (seller, brand) of active listings, once each.
    pub brands: Coll<'s, (Seller, String)>,
}

/// Computes the known sellers and every feature fragment.
pub fn aggregate<'s>(s: &TableStates<'s>, settings: &Settings) -> Aggregates<'s> {
    let w = settings.window_days;

    // Orders in the window: count and GMV, distinct buyers, and presence (for `known`).
    let order_sums =
        s.orders.clone().explode(|o| Some((o.seller, (1isize, o.amount_cents as isize)))).consolidate_stream();
    let orders =
        window(order_sums, w).count_total().map(|(seller, (n, gmv))| (seller, Frag::Orders(n as i64, gmv as i64)));
    let buyer_days = s.orders.clone().map(|o| (o.seller, o.buyer)).consolidate_stream();
    let buyers = window(buyer_days, w)
        .distinct_total()
        .map(|(seller, _)| seller)
        .count_total()
        .map(|(seller, n)| (seller, Frag::Buyers(n as i64)));
    let order_sellers = window(s.orders.clone().map(|o| o.seller).consolidate_stream(), w);
    let origins = window(s.orders.clone().map(|o| (o.seller, o.ship_from)).consolidate_stream(), w);
    let brands = s.listings.clone().flat_map(|(_, l)| l.brand.map(|b| (l.seller, b))).distinct_total();

    // Feedback in the window.
    let fb_sums = s
        .feedback
        .clone()
        .explode(|f| {
            let one = |k| isize::from(f.kind == k);
            let rated = f.kind == FeedbackKind::Review && f.rating.is_some();
            let rating = if rated { f.rating.unwrap_or(0) as isize } else { 0 };
            Some((
                f.seller,
                // DD implements diffs for tuples of up to four: nest them.
                (
                    (one(FeedbackKind::CounterfeitComplaint), one(FeedbackKind::UserReport)),
                    (one(FeedbackKind::Review), rating, isize::from(rated)),
                ),
            ))
        })
        .consolidate_stream();
    let feedback = window(fb_sums, w).count_total().map(|(seller, ((cc, rep), (rev, sum, n)))| {
        (seller, Frag::Feedback(cc as i64, rep as i64, rev as i64, sum as i64, n as i64))
    });
    let feedback_sellers = window(s.feedback.clone().map(|f| f.seller).consolidate_stream(), w);

    // Active listings; branded and low-priced ones through the reference prices.
    let ratio = settings.low_price_ratio;
    let branded = s
        .listings
        .clone()
        .flat_map(|(_, l)| l.brand.clone().map(|b| ((b, l.category.clone()), (l.seller, l.price_cents))))
        .join_map(s.brand_prices.clone(), move |_, &(seller, price), &reference| {
            (seller, (0isize, 1isize, isize::from((price as f64) < ratio * reference as f64)))
        });
    let listing_counts = s
        .listings
        .clone()
        .map(|(_, l)| (l.seller, (1isize, 0isize, 0isize)))
        .concat(branded)
        .explode(|(seller, counts)| Some((seller, counts)))
        .count_total()
        .map(|(seller, (a, b, low))| (seller, Frag::Listings(a as i64, b as i64, low as i64)));
    let logo = s
        .listings
        .clone()
        .flat_map(|(_, l)| l.logo_bits.map(|bits| (l.seller, bits)))
        .reduce_named("Reduce: LogoMismatchMax", |_seller, input, output| {
            // Values arrive sorted: the last is the largest.
            output.push((*input[input.len() - 1].0, 1));
        })
        .map(|(seller, bits)| (seller, Frag::Logo(bits)));

    // Bursts: listings first added in the burst window, and their distinct brands.
    let firsts = window(s.first_adds.clone().map(|(id, l)| (id, l.seller, l.brand)), settings.burst_days);
    let new_counts = firsts.clone().map(|(_, seller, _)| seller).count_total();
    let new_brands = firsts
        .clone()
        .flat_map(|(_, seller, brand)| brand.map(|b| (seller, b)))
        .distinct_total()
        .map(|(seller, _)| seller)
        .count_total();
    let new = new_counts
        .map(|(seller, n)| (seller, (n, 0isize)))
        .concat(new_brands.map(|(seller, n)| (seller, (0isize, n))))
        .explode(|(seller, c)| Some((seller, c)))
        .count_total()
        .map(|(seller, (n, b))| (seller, Frag::New(n as i64, b as i64)));

    let young = young_flags(s.sellers.clone(), settings.young_account_days).map(|(seller, y)| (seller, Frag::Young(y)));

    // Known: in any of the states or windows above.
    let known = s
        .sellers
        .clone()
        .map(|(seller, _)| seller)
        .concat(s.identity.clone().map(|(seller, _, _)| seller))
        .concat(s.listings.clone().map(|(_, l)| l.seller))
        .concat(firsts.map(|(_, seller, _)| seller))
        .concat(order_sellers)
        .concat(feedback_sellers)
        .distinct_total();

    let fragments = known
        .clone()
        .map(|seller| (seller, Frag::Known))
        .concat(orders)
        .concat(buyers)
        .concat(feedback)
        .concat(listing_counts)
        .concat(logo)
        .concat(new)
        .concat(young);
    Aggregates { known, fragments, origins, brands }
}
