//! Identity: hub values, links between sellers, and rings (connected components).
//!
//! A value held by more than its kind's cap is a hub and links nobody; a value held by one seller
//! links nobody either, so only values with 2..=cap holders are joined with themselves. The caps
//! bound the pairs a value can produce (at most cap^2/2), which keeps a day's work proportional
//! to the identity rows that changed.

use super::{Coll, IdentityKey, Seller, Settings};
use differential_dataflow::algorithms::graphs::propagate::propagate;
use differential_dataflow::operators::count::CountTotal;
use differential_dataflow::operators::threshold::ThresholdTotal;

/// What the identity stage produces.
pub struct Linked<'s> {
    /// ((kind, value key), holders) for every hub value.
    pub hubs: Coll<'s, ((u8, u128), i64)>,
    /// (seller, ring_id) for every known seller; ring_id is the smallest seller id of the ring.
    pub rings: Coll<'s, (Seller, Seller)>,
    /// Both ends of every link, with whether the link is strong (a pair linked both ways
    /// counts once as strong and once as weak).
    pub link_ends: Coll<'s, (Seller, bool)>,
}

/// Hubs, links and rings from the active identity rows and the known sellers.
pub fn rings<'s>(identity: Coll<'s, IdentityKey>, known: Coll<'s, Seller>, settings: &Settings) -> Linked<'s> {
    let kinds = settings.kinds.clone();
    let cap = move |k: u8| kinds[k as usize].cap as i64;
    let kinds = settings.kinds.clone();
    let strong = move |k: u8| kinds[k as usize].strong;
    let min_weak = settings.min_weak_kinds as isize;

    let by_value = identity.map(|(seller, kind, value)| ((kind, value), seller));
    let holders = by_value.clone().map(|(kv, _)| kv).count_total().map(|(kv, n)| (kv, n as i64));
    let cap2 = cap.clone();
    let hubs = holders.clone().filter(move |((k, _), n)| *n > cap2(*k));
    let linking = holders.filter(move |((k, _), n)| *n >= 2 && *n <= cap(*k)).map(|(kv, _)| kv);
    let shared = by_value.semijoin(linking).arrange_by_key_named("Arrange: LinkingValues");
    let pairs = shared.clone().join_core(shared, |&(kind, _), &a, &b| (a < b).then_some((a, b, kind)));

    let strong2 = strong.clone();
    let strong_links = pairs.clone().filter(move |(_, _, k)| strong2(*k)).map(|(a, b, _)| (a, b)).distinct_total();
    let weak_links = pairs
        .filter(move |(_, _, k)| !strong(*k))
        .map(|(a, b, k)| ((a, b), k))
        .distinct_total()
        .map(|((a, b), _)| (a, b))
        .count_total()
        .filter(move |(_, n)| *n >= min_weak)
        .map(|(pair, _)| pair);
    let link_ends = strong_links
        .clone()
        .flat_map(|(a, b)| [(a, true), (b, true)])
        .concat(weak_links.clone().flat_map(|(a, b)| [(a, false), (b, false)]));
    let edges = strong_links.concat(weak_links).distinct_total().flat_map(|(a, b)| [(a, b), (b, a)]);

    // Every known seller starts as its own label; labels flow along links, the least wins.
    let nodes = known.map(|s| (s, s));
    let rings = propagate(edges, nodes).consolidate();
    Linked { hubs, rings, link_ends }
}
