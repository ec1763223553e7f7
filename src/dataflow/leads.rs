//! Leads: rings whose score passes the threshold, with what investigators need — members,
//! brands, in-window GMV and complaints, the ship-from origins of their orders, and evidence.
//!
//! Brands and origins are gathered only for the members of leads (a join with the lead members,
//! by seller), so the many quiet rings cost nothing here.

use super::scoring::{Model, RingScore, INPUTS};
use super::{Coll, Seller};
use differential_dataflow::operators::count::CountTotal;
use serde::{Deserialize, Serialize};

/// Brands and origins a lead lists at most.
const TOP_BRANDS: usize = 10;
const TOP_ORIGINS: usize = 5;

/// A lead (SPEC section 4 `leads`, without `first_lead_day`, which the sink tracks).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Lead {
    /// f64 bits.
    pub score: u64,
    pub members: Vec<Seller>,
    pub brands: Vec<String>,
    pub gmv_cents: i64,
    pub counterfeit_complaints: i64,
    /// (ship_from, in-window orders), most orders first.
    pub origins: Vec<(String, i64)>,
    /// (input index, value bits, contribution bits), largest contribution first.
    pub evidence: Vec<(u8, u64, u64)>,
}

impl Lead {
    pub fn score(&self) -> f64 {
        f64::from_bits(self.score)
    }

    /// Evidence as (input name, value, contribution).
    pub fn evidence(&self) -> impl Iterator<Item = (&'static str, f64, f64)> + '_ {
        self.evidence.iter().map(|(i, v, c)| (INPUTS[*i as usize], f64::from_bits(*v), f64::from_bits(*c)))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Part {
    Ring(Box<RingScore>),
    Brands(Vec<String>),
    Origins(Vec<(String, i64)>),
}

/// Keeps the `k` largest (count, name) pairs of a group, most first.
fn top(input: &[(&(String, i64), isize)], k: usize) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = input.iter().map(|((s, n), _)| (s.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(k);
    v
}

/// The leads among scored rings. `brands`: (seller, brand) of active listings, distinct;
/// `origins`: (seller, ship_from) with in-window order counts as multiplicities.
pub fn leads<'s>(
    scored: Coll<'s, (Seller, RingScore)>,
    brands: Coll<'s, (Seller, String)>,
    origins: Coll<'s, (Seller, String)>,
    model: &Model,
) -> Coll<'s, (Seller, Lead)> {
    let (threshold, min_size) = (model.lead_threshold, model.min_ring_size);
    let lead_rings = scored.filter(move |(_, r)| r.agg.members.len() >= min_size && r.score() >= threshold);
    // The members of leads, by seller: the only sellers whose brands and origins are gathered.
    let members = lead_rings
        .clone()
        .flat_map(|(ring, r)| r.agg.members.into_iter().map(move |seller| (seller, ring)))
        .arrange_by_key_named("Arrange: LeadMembers");
    let ring_brands = brands
        .arrange_by_key_named("Arrange: SellerBrands")
        .join_core(members.clone(), |_seller, brand, &ring| Some((ring, brand.clone())))
        .count_total()
        .map(|((ring, brand), n)| (ring, (brand, n as i64)))
        .reduce_named("Reduce: LeadBrands", |_ring, input, output| {
            output.push((top(input, TOP_BRANDS).into_iter().map(|(b, _)| b).collect::<Vec<_>>(), 1))
        });
    let ring_origins = origins
        .arrange_by_key_named("Arrange: SellerOrigins")
        .join_core(members, |_seller, origin, &ring| Some((ring, origin.clone())))
        .count_total()
        .map(|((ring, origin), n)| (ring, (origin, n as i64)))
        .reduce_named("Reduce: LeadOrigins", |_ring, input, output| output.push((top(input, TOP_ORIGINS), 1)));
    let model = model.clone();
    lead_rings
        .map(|(ring, r)| (ring, Part::Ring(Box::new(r))))
        .concat(ring_brands.map(|(ring, b)| (ring, Part::Brands(b))))
        .concat(ring_origins.map(|(ring, o)| (ring, Part::Origins(o))))
        .reduce_named("Reduce: Leads", move |_ring, input, output| {
            let (mut ring, mut brands, mut origins) = (None, Vec::new(), Vec::new());
            for (part, _) in input {
                match part {
                    Part::Ring(r) => ring = Some(r),
                    Part::Brands(b) => brands = b.clone(),
                    Part::Origins(o) => origins = o.clone(),
                }
            }
            let Some(r) = ring else { return };
            let inputs = r.inputs();
            let contributions = model.contributions(&inputs);
            let mut evidence: Vec<(u8, u64, u64)> = (0..INPUTS.len())
                .filter(|&i| contributions[i] != 0.0)
                .map(|i| (i as u8, inputs[i].to_bits(), contributions[i].to_bits()))
                .collect();
            evidence.sort_by(|a, b| f64::from_bits(b.2).abs().total_cmp(&f64::from_bits(a.2).abs()));
            output.push((
                Lead {
                    score: r.score,
                    members: r.agg.members.clone(),
                    brands,
                    gmv_cents: r.agg.gmv_cents,
                    counterfeit_complaints: r.agg.counterfeit_complaints,
                    origins,
                    evidence,
                },
                1,
            ));
        })
}
