//! Scoring: a logistic model over transformed seller features and the ring's identity structure;
//! a ring scores as its average member, plus the ring terms. Every score is the sigmoid of
//! `bias + sum(weight x input)`, so its explanation (one contribution per input) sums to its logit.
//!
//! Most sellers have no link and are rings of one, scored by a map of their feature row. Rings
//! of two or more are re-scored by a reduce keyed by ring id: a day re-scores only the rings
//! whose members' features, membership or links changed.

use super::features::Features;
use super::{reduce_indexed, BySeller, Coll, Seller};
use crate::config::ModelConfig;
use differential_dataflow::operators::count::CountTotal;
use differential_dataflow::operators::threshold::ThresholdTotal;
use serde::{Deserialize, Serialize};

/// The model's inputs, in order: seller inputs first, then ring terms.
pub const INPUTS: [&str; 13] = [
    "counterfeit_complaints",
    "complaint_rate",
    "reports",
    "low_price_share",
    "branded_share",
    "logo_mismatch_max",
    "new_brands",
    "new_listings",
    "rating_gap",
    "young_account",
    "ring_size",
    "ring_strong_links",
    "ring_members_with_complaints",
];

/// What each input means, for investigators reading the evidence.
pub const INPUT_DOCS: [&str; 13] = [
    "log(1 + counterfeit complaints in the window)",
    "counterfeit complaints per 100 in-window orders (smoothed: / (orders + 20))",
    "log(1 + user reports in the window)",
    "share of branded listings priced under low_price_ratio x the brand's reference price",
    "share of active listings with a brand that has a reference price",
    "largest logo-mismatch score of the active listings",
    "log(1 + distinct brands among listings first added in the burst window)",
    "log(1 + listings first added in the burst window)",
    "how far the average review rating is below 4.5 (0 when none)",
    "1 when the account was registered within young_account_days",
    "log(ring size)",
    "share of the ring's links made by a shared strong value (ID card, payment account, bank card, phone)",
    "share of the ring's sellers with counterfeit complaints in the window",
];

/// Seller inputs (the first ten of `INPUTS`).
pub const SELLER_INPUTS: usize = 10;

/// Fixed-point scale of inputs inside the dataflow (data must be `Ord`; f64 is not).
const SCALE: f64 = 1e6;

/// A seller's inputs, fixed-point.
pub type SellerInputs = [i64; SELLER_INPUTS];

/// The transformed seller inputs of a feature row.
pub fn seller_inputs(f: &Features) -> [f64; SELLER_INPUTS] {
    inputs_of(&RawInputs {
        orders: f.orders,
        counterfeit_complaints: f.counterfeit_complaints,
        reports: f.reports,
        active_listings: f.active_listings,
        branded_listings: f.branded_listings,
        low_price_listings: f.low_price_listings,
        new_listings: f.new_listings,
        new_brands: f.new_brands,
        logo_mismatch_max: f.logo_mismatch_max(),
        avg_rating: f.avg_rating(),
        young_account: f.young_account,
    })
}

/// The SPEC features a seller's inputs are made of (as `seller_features` holds them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawInputs {
    pub orders: i64,
    pub counterfeit_complaints: i64,
    pub reports: i64,
    pub active_listings: i64,
    pub branded_listings: i64,
    pub low_price_listings: i64,
    pub new_listings: i64,
    pub new_brands: i64,
    pub logo_mismatch_max: Option<f64>,
    pub avg_rating: Option<f64>,
    pub young_account: Option<bool>,
}

/// The transformed seller inputs (the first ten of `INPUTS`).
pub fn inputs_of(f: &RawInputs) -> [f64; SELLER_INPUTS] {
    let ln1p = |x: i64| (x.max(0) as f64).ln_1p();
    [
        ln1p(f.counterfeit_complaints),
        100.0 * f.counterfeit_complaints as f64 / (f.orders as f64 + 20.0),
        ln1p(f.reports),
        f.low_price_listings as f64 / f.branded_listings.max(1) as f64,
        f.branded_listings as f64 / f.active_listings.max(1) as f64,
        f.logo_mismatch_max.unwrap_or(0.0),
        ln1p(f.new_brands),
        ln1p(f.new_listings),
        f.avg_rating.map_or(0.0, |r| (4.5 - r).max(0.0)),
        if f.young_account == Some(true) { 1.0 } else { 0.0 },
    ]
}

fn fixed(x: [f64; SELLER_INPUTS]) -> SellerInputs {
    x.map(|v| (v * SCALE).round() as i64)
}

/// The model: bias, one weight per input, lead rules.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub bias: f64,
    pub weights: [f64; 13],
    pub lead_threshold: f64,
    pub update_step: f64,
    pub min_ring_size: usize,
}

impl Model {
    /// The model of a model config (inputs it does not name weigh 0).
    pub fn from_config(c: &ModelConfig) -> Model {
        let mut weights = [0.0; 13];
        for (i, name) in INPUTS.iter().enumerate() {
            weights[i] = c.weights.get(*name).copied().unwrap_or(0.0);
        }
        Model {
            bias: c.bias,
            weights,
            lead_threshold: c.lead_threshold,
            update_step: c.update_step,
            min_ring_size: c.min_ring_size,
        }
    }

    /// Contributions of `inputs` (weight x input), in `INPUTS` order.
    pub fn contributions(&self, inputs: &[f64; 13]) -> [f64; 13] {
        std::array::from_fn(|i| self.weights[i] * inputs[i])
    }

    /// The logit of `inputs`.
    pub fn logit(&self, inputs: &[f64; 13]) -> f64 {
        self.bias + self.contributions(inputs).iter().sum::<f64>()
    }
}

/// The logistic function.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// A ring's members and aggregates, before scoring.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RingAgg {
    pub members: Vec<Seller>,
    /// Sum over members of each seller input (fixed-point).
    pub sums: SellerInputs,
    pub with_complaints: i64,
    pub gmv_cents: i64,
    pub counterfeit_complaints: i64,
}

/// A scored ring: its inputs (ring terms included) and score, as f64 bits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RingScore {
    pub agg: RingAgg,
    /// The three ring terms (f64 bits): log size, strong-link share, share with complaints.
    pub terms: [u64; 3],
    /// Score of the average member plus ring terms (f64 bits).
    pub score: u64,
}

impl RingScore {
    /// The ring's 13 inputs: member averages, then ring terms.
    pub fn inputs(&self) -> [f64; 13] {
        let n = self.agg.members.len().max(1) as f64;
        std::array::from_fn(|i| {
            if i < SELLER_INPUTS {
                self.agg.sums[i] as f64 / SCALE / n
            } else {
                f64::from_bits(self.terms[i - SELLER_INPUTS])
            }
        })
    }

    pub fn score(&self) -> f64 {
        f64::from_bits(self.score)
    }
}

/// What scoring produces.
pub struct Scored<'s> {
    /// (seller, features, score bits) for every known seller.
    pub sellers: Coll<'s, (Seller, Features, u64)>,
    /// (ring_id, scored ring) for every ring.
    pub rings: Coll<'s, (Seller, RingScore)>,
}

/// Scores sellers and rings from the feature rows, ring membership and the ring's links
/// (`links`: (seller, strong) per link end).
///
/// A seller with no link is a ring of one: its seller and ring scores are a map of its feature
/// row. Only the members of rings of two or more (the sellers with a link: a few per cent) are
/// gathered per ring, so a day's features changes cost a map each, not two reduces and a join.
pub fn score<'s>(
    features: BySeller<'s, Features>,
    ring_of: BySeller<'s, Seller>,
    links: Coll<'s, (Seller, bool)>,
    model: &Model,
) -> Scored<'s> {
    let linked =
        links.clone().map(|(seller, _)| seller).distinct_total().arrange_by_self_named("Arrange: LinkedSellers");
    let grouped = ring_of
        .clone()
        .join_core(linked, |&seller, &ring, &()| Some((seller, ring)))
        .arrange_by_key_named("Arrange: GroupedSellers");
    let by_ring = features.clone().join_core(grouped, |&seller, f, &ring| Some((ring, (seller, f.clone()))));

    // Rings of one: every feature row, less those of grouped sellers. Their ring terms are known
    // without gathering anything; their ring scores matter only when a ring of one can be a lead.
    let singles = features
        .as_collection(|&seller, f| (seller, f.clone()))
        .concat(by_ring.clone().map(|(_, member)| member).negate());
    let model_1 = model.clone();
    let single_sellers = singles.clone().map(move |(seller, f)| {
        let score = seller_score(&f, &ring_terms(1, (0, 0), i64::from(f.counterfeit_complaints > 0)), &model_1);
        (seller, f, score)
    });
    let model_1 = model.clone();
    let single_rings = (model.min_ring_size <= 1).then(|| {
        singles.map(move |(seller, f)| (seller, ring_score(RingAgg::of([member(seller, &f)]), (0, 0), &model_1)))
    });

    // Rings of two or more: members' rows and link counts in one index by ring, which both the
    // ring score and the members' scores read.
    // Links per ring, by kind of link (each link counted at both ends: shares are unaffected).
    let link_counts = links
        .arrange_by_key_named("Arrange: LinkEnds")
        .join_core(ring_of, |_seller, &strong, &ring| Some((ring, strong)))
        .count_total()
        .map(|((ring, strong), n)| (ring, (strong, n as i64)))
        .reduce_named("Reduce: RingLinks", |_ring, input, output| {
            let (mut strong, mut all) = (0i64, 0i64);
            for ((is_strong, n), _) in input {
                all += n;
                if *is_strong {
                    strong += n;
                }
            }
            output.push(((strong, all), 1));
        });
    let parts = by_ring
        .map(|(ring, (seller, f))| (ring, RingPart::Member(seller, f)))
        .concat(link_counts.map(|(ring, (strong, all))| (ring, RingPart::Links(strong, all))))
        .arrange_by_key_named("Arrange: RingParts");
    let model_r = model.clone();
    let groups = reduce_indexed(parts.clone(), "Reduce: RingScore", move |_ring, input, output| {
        let (mut members, mut links) = (Vec::with_capacity(input.len()), (0, 0));
        for (part, _) in input {
            match part {
                RingPart::Member(seller, f) => members.push(member(*seller, f)),
                RingPart::Links(strong, all) => links = (*strong, *all),
            }
        }
        if !members.is_empty() {
            output.push((ring_score(RingAgg::of(members), links, &model_r), 1));
        }
    });
    // A grouped seller scores on its own inputs plus its ring's terms.
    let model_s = model.clone();
    let grouped_sellers = parts.join_core(groups.clone(), move |_ring, part, r| match part {
        RingPart::Member(seller, f) => Some((*seller, f.clone(), seller_score(f, &r.terms, &model_s))),
        RingPart::Links(..) => None,
    });

    let sellers = single_sellers.concat(grouped_sellers);
    let groups = groups.as_collection(|&ring, r| (ring, r.clone()));
    let rings = match single_rings {
        Some(singles) => singles.concat(groups),
        None => groups,
    };
    Scored { sellers, rings }
}

/// A ring member as its ring's aggregate takes it: seller, fixed-point inputs, counterfeit
/// complaints, GMV.
type Member = (Seller, SellerInputs, i64, i64);

fn member(seller: Seller, f: &Features) -> Member {
    (seller, fixed(seller_inputs(f)), f.counterfeit_complaints, f.gmv_cents)
}

impl RingAgg {
    /// The aggregate of a ring's members (in seller order).
    fn of(members: impl IntoIterator<Item = Member>) -> RingAgg {
        let mut agg = RingAgg {
            members: Vec::new(),
            sums: [0; SELLER_INPUTS],
            with_complaints: 0,
            gmv_cents: 0,
            counterfeit_complaints: 0,
        };
        for (seller, x, cc, gmv) in members {
            agg.members.push(seller);
            for (sum, xi) in agg.sums.iter_mut().zip(x) {
                *sum += xi;
            }
            agg.with_complaints += i64::from(cc > 0);
            agg.gmv_cents += gmv;
            agg.counterfeit_complaints += cc;
        }
        agg
    }
}

/// The ring terms (f64 bits): log size, strong-link share of the link ends (strong, all), share
/// of members with complaints.
fn ring_terms(size: usize, (strong, all): (i64, i64), with_complaints: i64) -> [u64; 3] {
    let size = size as f64;
    let strong_share = if all > 0 { strong as f64 / all as f64 } else { 0.0 };
    [size.ln(), strong_share, with_complaints as f64 / size.max(1.0)].map(f64::to_bits)
}

/// A ring's terms and score from its aggregate and its link ends (strong, all).
fn ring_score(agg: RingAgg, links: (i64, i64), model: &Model) -> RingScore {
    let terms = ring_terms(agg.members.len(), links, agg.with_complaints);
    let mut r = RingScore { agg, terms, score: 0 };
    r.score = sigmoid(model.logit(&r.inputs())).to_bits();
    r
}

/// A seller's score (f64 bits): its own inputs with its ring's terms.
fn seller_score(f: &Features, terms: &[u64; 3], model: &Model) -> u64 {
    let own = seller_inputs(f);
    let inputs: [f64; 13] =
        std::array::from_fn(|i| if i < SELLER_INPUTS { own[i] } else { f64::from_bits(terms[i - SELLER_INPUTS]) });
    sigmoid(model.logit(&inputs)).to_bits()
}

/// What the ring-scoring reduce gathers per ring.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum RingPart {
    /// A member and its feature row.
    Member(Seller, Features),
    /// Link ends: strong, all.
    Links(i64, i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributions_sum_to_the_logit() {
        let model = Model {
            bias: -3.0,
            weights: std::array::from_fn(|i| i as f64 * 0.1),
            lead_threshold: 0.5,
            update_step: 0.05,
            min_ring_size: 2,
        };
        let x: [f64; 13] = std::array::from_fn(|i| 1.0 + i as f64);
        let sum: f64 = model.contributions(&x).iter().sum();
        assert!((model.bias + sum - model.logit(&x)).abs() < 1e-12);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn inputs_of_a_quiet_seller_are_zero() {
        let x = seller_inputs(&Features::default());
        assert!(x.iter().all(|v| *v == 0.0), "{x:?}");
    }
}
