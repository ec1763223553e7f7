//! A day's orders and feedback, drawn from the world in independent chunks (one per file), so
//! chunks run on separate cores and the same seed gives the same rows whatever the core count.

use super::world::World;
use crate::model::*;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::Distribution;

/// Order volume by weekday, Monday first: busier towards the weekend.
const WEEKLY: [f64; 7] = [0.94, 0.92, 0.95, 0.99, 1.07, 1.14, 0.99];

/// What one day's traffic is drawn from: who sells, and how much.
pub struct Market<'w> {
    world: &'w World,
    selling: Vec<usize>,
    alias: Option<WeightedAliasIndex<f64>>,
    /// Orders of the whole day.
    pub orders: usize,
    buyers: f64,
}

/// One chunk of a day's traffic.
pub struct Traffic {
    pub orders: Vec<OrderRow>,
    pub feedback: Vec<FeedbackRow>,
    /// Planted rings (indices) that sold something in this chunk.
    pub rings_sold: Vec<usize>,
}

impl<'w> Market<'w> {
    /// The market of day `day`, the `d`-th day of the lake.
    pub fn new(world: &'w World, day: Day, d: u32) -> Market<'w> {
        let selling = world.selling();
        let weights: Vec<f64> = selling.iter().map(|&s| world.sellers[s].weight).collect();
        let alias = WeightedAliasIndex::new(weights).ok();
        let mut rng = ChaCha8Rng::seed_from_u64(world.params.seed ^ 0x0D0_0000 ^ d as u64);
        let trend = 1.0 + 0.002 * d as f64;
        let noise = rng.random_range(0.97..1.03);
        let orders = (world.params.orders_per_day as f64 * WEEKLY[day.weekday() as usize] * trend * noise) as usize;
        let orders = if alias.is_some() { orders } else { 0 };
        Market { world, selling, alias, orders, buyers: (world.params.sellers * 20) as f64 }
    }

    /// Draws `n` orders with ids from `first_id`, and the feedback they bring.
    pub fn chunk(&self, seed: u64, n: usize, first_id: i64) -> Traffic {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Traffic { orders: Vec::with_capacity(n), feedback: Vec::new(), rings_sold: Vec::new() };
        let Some(alias) = &self.alias else { return out };
        let w = self.world;
        for i in 0..n {
            let s = &w.sellers[self.selling[alias.sample(&mut rng)]];
            // Best-sellers: early listings of a shop sell more.
            let u: f64 = rng.random();
            let listing = ListingId(s.listings[((s.listings.len() as f64) * u * u) as usize]);
            let price = w.listings.get(&listing).map_or(999, |l| l.price_cents);
            let quantity = match rng.random_range(0..100) {
                0..=79 => 1,
                80..=91 => 2,
                _ => rng.random_range(3..=5),
            };
            let coupon = if rng.random_bool(0.2) { rng.random_range(0.05..0.2) } else { 0.0 };
            let amount = (price as f64 * quantity as f64 * (1.0 - coupon)).round() as i64;
            let buyer = 100_000_000 + (self.buyers * rng.random::<f64>().powf(2.5)) as i64;
            let ship_from = s.dispatch.choose(&mut rng).cloned().unwrap_or_else(|| "CN-GD-WH000000".to_owned());
            out.orders.push(OrderRow {
                order_id: first_id + i as i64,
                seller_id: s.id,
                listing_id: listing,
                buyer_id: buyer,
                quantity,
                amount_cents: amount,
                ship_from,
            });
            if s.counterfeit_goods {
                if let Some(r) = s.ring {
                    if !out.rings_sold.contains(&r) {
                        out.rings_sold.push(r);
                    }
                }
            }
            let rates = &s.rates;
            let mut push = |rng: &mut ChaCha8Rng, kind, rating| {
                // Shop-level complaints and reports name no listing.
                let on_listing = kind == FeedbackKind::Review || rng.random_bool(0.9);
                out.feedback.push(FeedbackRow {
                    seller_id: s.id,
                    listing_id: on_listing.then_some(listing),
                    kind,
                    rating,
                });
            };
            if rng.random_bool(rates.counterfeit_complaint) {
                push(&mut rng, FeedbackKind::CounterfeitComplaint, None);
            }
            if rng.random_bool(rates.other_complaint) {
                push(&mut rng, FeedbackKind::OtherComplaint, None);
            }
            if rng.random_bool(rates.user_report) {
                push(&mut rng, FeedbackKind::UserReport, None);
            }
            if rng.random_bool(rates.review) {
                let u: f64 = rng.random();
                let rating = rates.ratings.iter().position(|&c| u < c).unwrap_or(4) as i32 + 1;
                let rating = (!rng.random_bool(0.04)).then_some(rating);
                push(&mut rng, FeedbackKind::Review, rating);
            }
        }
        out
    }
}
