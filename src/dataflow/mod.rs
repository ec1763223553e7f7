//! The differential dataflow of SPEC section 3: `build` turns the lake's per-day input streams
//! into the live output collections (rings, seller features, hubs, duplicate-key rejects).
//!
//! Time is the day (`Day.0`, days since 1970-01-01). One stage a file: `ingest` (rows -> table
//! state changes, duplicate keys), `aggregates` (windows and feature fragments), `identity`
//! (hubs, links, rings), `features` (one feature row per known seller).

pub mod aggregates;
pub mod features;
pub mod identity;
pub mod ingest;
pub mod leads;
pub mod scoring;

use crate::model::{FeedbackKind, Op};
use differential_dataflow::difference::{Abelian, Semigroup};
use differential_dataflow::{AsCollection, VecCollection};
use serde::{Deserialize, Serialize};
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::{CapabilitySet, Operator};
use timely::dataflow::Stream;

/// The dataflow's time: a day number.
pub type Time = i32;

/// A collection of the dataflow.
pub type Coll<'s, D, R = isize> = VecCollection<'s, Time, D, R>;

/// Where a row came from: its file's index in the day's plan and its 0-based row in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Prov {
    pub file: u32,
    pub row: u64,
}

/// A row as it enters the dataflow: key, value, `op` (changes mode), provenance.
pub type Raw<K, V> = (K, V, Option<Op>, Prov);

/// A raw input stream of one table.
pub type RawStream<'s, K, V> = Stream<'s, Time, Vec<Raw<K, V>>>;

/// A seller id.
pub type Seller = i64;

/// A collection arranged by seller, for stages that share one index.
pub type BySeller<'s, V> = differential_dataflow::operators::arrange::Arranged<
    's,
    differential_dataflow::operators::arrange::TraceAgent<
        differential_dataflow::trace::implementations::ValSpine<Seller, V, Time, isize>,
    >,
>;

/// An identity row: seller, kind (index into the configured kinds), keyed hash of the value.
pub type IdentityKey = (Seller, u8, u128);

/// The value of a `listings` row (keyed by listing_id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Listing {
    pub seller: Seller,
    pub brand: Option<String>,
    pub category: String,
    pub price_cents: i64,
    /// `logo_mismatch` as the bits of a non-negative f64 (their order is the numbers' order).
    pub logo_bits: Option<u64>,
}

/// The value of an `orders` row (keyed by order_id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Order {
    pub seller: Seller,
    pub buyer: i64,
    pub amount_cents: i64,
    pub ship_from: String,
}

/// The value of a `feedback` row (keyed by its provenance: feedback has no key).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Feedback {
    pub seller: Seller,
    pub kind: FeedbackKind,
    pub rating: Option<i32>,
}

/// One identity kind as the dataflow needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindRule {
    pub strong: bool,
    pub cap: u32,
}

/// The settings `build` needs (resolved from the job config).
#[derive(Clone, Debug)]
pub struct Settings {
    pub window_days: i32,
    pub burst_days: i32,
    pub young_account_days: i32,
    pub low_price_ratio: f64,
    pub min_weak_kinds: u32,
    /// Indexed by the kind index of `IdentityKey`.
    pub kinds: Vec<KindRule>,
    pub modes: Modes,
    pub model: scoring::Model,
}

/// The mode each keyed table is read in.
#[derive(Clone, Copy, Debug)]
pub struct Modes {
    pub sellers: crate::model::TableMode,
    pub seller_identity: crate::model::TableMode,
    pub listings: crate::model::TableMode,
    pub brand_prices: crate::model::TableMode,
}

/// The dataflow's inputs: one raw stream per table it reads.
pub struct Inputs<'s> {
    /// seller_id -> registered_on (the only `sellers` column a feature needs).
    pub sellers: RawStream<'s, Seller, Option<i32>>,
    pub identity: RawStream<'s, IdentityKey, ()>,
    pub listings: RawStream<'s, i64, Listing>,
    pub brand_prices: RawStream<'s, (String, String), i64>,
    pub orders: RawStream<'s, i64, Order>,
    pub feedback: RawStream<'s, Prov, Feedback>,
}

/// The dataflow's outputs, each a collection whose changes at day D are that day's changelog.
pub struct Outputs<'s> {
    /// (seller, ring_id): one per known seller.
    pub rings: Coll<'s, (Seller, Seller)>,
    /// (seller, features, score as f64 bits): one per known seller.
    pub features: Coll<'s, (Seller, features::Features, u64)>,
    /// (ring_id, lead) for every ring that is a lead.
    pub leads: Coll<'s, (Seller, leads::Lead)>,
    /// (ring_id, size, ring terms and score as f64 bits) of every ring of at least `min_ring_size`.
    pub ring_scores: Coll<'s, (Seller, i64, [u64; 4])>,
    /// ((kind, value key), holders) of every hub value.
    pub hubs: Coll<'s, ((u8, u128), i64)>,
    /// Rows rejected for a duplicated key: (table, provenance).
    pub duplicates: Coll<'s, (crate::model::Table, Prov)>,
}

/// Builds the whole dataflow of SPEC section 3 from the raw input streams.
pub fn build<'s>(inputs: Inputs<'s>, settings: &Settings) -> Outputs<'s> {
    use crate::model::{Table, TableMode};
    let m = settings.modes;
    let sellers = ingest::ingest(inputs.sellers, m.sellers, false, "Ingest: sellers");
    let identity = ingest::ingest(inputs.identity, m.seller_identity, false, "Ingest: seller_identity");
    let listings = ingest::ingest(inputs.listings, m.listings, true, "Ingest: listings");
    let prices = ingest::ingest(inputs.brand_prices, m.brand_prices, false, "Ingest: brand_prices");
    let orders = ingest::ingest(inputs.orders, TableMode::Events, false, "Ingest: orders");
    let feedback = ingest::ingest(inputs.feedback, TableMode::Events, false, "Ingest: feedback");

    let duplicates = sellers
        .duplicates(Table::Sellers)
        .concat(identity.duplicates(Table::SellerIdentity))
        .concat(listings.duplicates(Table::Listings))
        .concat(prices.duplicates(Table::BrandPrices))
        .concat(orders.duplicates(Table::Orders))
        .concat(feedback.duplicates(Table::Feedback));

    let state = aggregates::TableStates {
        sellers: sellers.rows(),
        identity: identity.rows().map(|(k, ())| k),
        listings: listings.rows(),
        first_adds: listings.first_adds(),
        brand_prices: prices.rows(),
        orders: orders.rows().map(|(_, o)| o),
        feedback: feedback.rows().map(|(_, f)| f),
    };
    let agg = aggregates::aggregate(&state, settings);
    let linked = identity::rings(state.identity.clone(), agg.known.clone(), settings);
    let features = features::assemble(agg.fragments);
    // Scoring looks sellers' rings up twice: one shared index.
    let ring_of = linked.rings.clone().arrange_by_key_named("Arrange: RingOfSeller");
    let scored = scoring::score(features, ring_of, linked.link_ends, &settings.model);
    let min_size = settings.model.min_ring_size;
    let ring_scores = scored.rings.clone().flat_map(move |(ring, r)| {
        let size = r.agg.members.len();
        (size >= min_size).then(|| (ring, size as i64, [r.terms[0], r.terms[1], r.terms[2], r.score]))
    });
    let leads = leads::leads(scored.rings, agg.brands, agg.origins, &settings.model);
    Outputs { rings: linked.rings, features: scored.sellers, hubs: linked.hubs, leads, ring_scores, duplicates }
}

/// `reduce` over an index by seller (or ring id) that returns the output's own index, so that
/// it is joined without being arranged again.
pub fn reduce_indexed<'s, V, V2, L>(input: BySeller<'s, V>, name: &str, logic: L) -> BySeller<'s, V2>
where
    V: differential_dataflow::Data,
    V2: differential_dataflow::Data,
    L: FnMut(&Seller, &[(&V, isize)], &mut Vec<(V2, isize)>) + 'static,
{
    use differential_dataflow::trace::implementations::{ValBuilder, ValSpine};
    input.reduce_abelian::<_, ValBuilder<_, _, _, _>, ValSpine<_, _, _, _>, _, _>(name, logic, |buf, key, upds| {
        buf.clear();
        buf.extend(upds.drain(..).map(|(v, t, r)| ((*key, v), t, r)));
    })
}

/// `c` held for `days` days: each change at day D is undone at day D + days.
pub fn window<'s, D, R>(c: Coll<'s, D, R>, days: i32) -> Coll<'s, D, R>
where
    D: differential_dataflow::Data,
    R: Semigroup + Abelian + 'static,
{
    c.clone().concat(c.delay(move |t| t + days).negate())
}

/// Maps each update to updates at the same or later times (`logic` must not move time back).
/// Lets a value change on a known future day (an account stops being young) without input.
pub fn flat_map_timed<'s, D, D2, R, I, L>(c: Coll<'s, D, R>, name: &str, mut logic: L) -> Coll<'s, D2, R>
where
    D: differential_dataflow::Data,
    D2: differential_dataflow::Data,
    R: Semigroup + 'static,
    I: IntoIterator<Item = (D2, Time, R)>,
    L: FnMut(D, Time, R) -> I + 'static,
{
    c.inner
        .unary::<timely::container::CapacityContainerBuilder<Vec<(D2, Time, R)>>, _, _, _>(
            Pipeline,
            name,
            move |_, _| {
                move |input, output| {
                    input.for_each_stamp(|cap, data| {
                        let mut out: Vec<(D2, Time, R)> = Vec::new();
                        for batch in data {
                            for (d, t, r) in batch.drain(..) {
                                out.extend(logic(d, t, r));
                            }
                        }
                        out.sort_by_key(|x| x.1);
                        let mut times: Vec<Time> = out.iter().map(|x| x.1).collect();
                        times.dedup();
                        let caps: CapabilitySet<Time> =
                            times.iter().map(|t| cap.delayed(t, output.output_index())).collect();
                        let mut session = output.session(&caps);
                        for x in out {
                            session.give(x);
                        }
                    });
                }
            },
        )
        .as_collection()
}

/// A seller's registration date as the young-account flag over time: young while
/// `registered_on > D - young_days`, i.e. before day `registered_on + young_days`.
pub fn young_flags<'s>(
    registered: Coll<'s, (Seller, Option<i32>)>,
    young_days: i32,
) -> Coll<'s, (Seller, Option<bool>)> {
    flat_map_timed(registered, "YoungAccount", move |(s, reg), t, r| {
        let mut out = Vec::with_capacity(3);
        match reg {
            None => out.push(((s, None), t, r)),
            Some(reg) => {
                let ages_out = reg.saturating_add(young_days);
                if t < ages_out {
                    out.push(((s, Some(true)), t, r));
                    out.push(((s, Some(true)), ages_out, -r));
                    out.push(((s, Some(false)), ages_out, r));
                } else {
                    out.push(((s, Some(false)), t, r));
                }
            }
        }
        out
    })
}
