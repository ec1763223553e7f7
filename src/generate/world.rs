//! The simulated marketplace: brands, sellers and their identities, listings, planted rings,
//! and how all of it evolves from one day to the next.
//!
//! The world holds state proportional to sellers and listings, never to days: each day's
//! orders and feedback are drawn from it (see `traffic`) and written, not kept.

use super::tables::Keyed;
use super::values;
use crate::model::*;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Pareto};
use std::collections::BTreeMap;

/// Identity kinds the generator writes, strong first (the SPEC defaults).
pub const STRONG: [&str; 4] = ["id_card", "payment_account", "bank_card", "phone"];
/// Weak kinds.
pub const WEAK: [&str; 4] = ["device", "ip", "ship_from", "return_address"];

/// Product categories with a typical reference price range in cents.
pub const CATEGORIES: &[(&str, i64, i64)] = &[
    ("shoes", 6_000, 25_000),
    ("handbags", 15_000, 300_000),
    ("watches", 20_000, 800_000),
    ("apparel", 3_000, 15_000),
    ("cosmetics", 1_500, 12_000),
    ("perfume", 5_000, 20_000),
    ("sunglasses", 8_000, 40_000),
    ("electronics_accessories", 1_500, 8_000),
    ("toys", 1_000, 8_000),
    ("phone_cases", 800, 4_000),
];

/// What a seller really is; the ground truth the job never sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// An ordinary honest shop.
    Honest,
    /// Honest, sells branded clearance stock well under reference prices; no extra complaints.
    Discount,
    /// Honest new shop that lists a burst of branded products in its first week.
    NewBurst,
    /// Honest business running several shops under one owner (a linked ring that is legit).
    Multistore,
    /// Member of a counterfeit ring.
    Counterfeit,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Honest => "honest",
            Class::Discount => "discount",
            Class::NewBurst => "new_burst",
            Class::Multistore => "multistore",
            Class::Counterfeit => "counterfeit",
        }
    }
}

/// A seller's behaviour and identity, as the simulation needs it.
pub struct Seller {
    pub id: SellerId,
    pub class: Class,
    pub province: &'static str,
    /// Relative share of the day's orders while open.
    pub weight: f64,
    pub target_listings: usize,
    pub categories: Vec<usize>,
    /// Fraction of its listings that carry a brand.
    pub brand_share: f64,
    /// Price as a fraction of the reference price, drawn from this range.
    pub price_factor: (f64, f64),
    pub counterfeit_goods: bool,
    /// Dispatch locations its orders ship from.
    pub dispatch: Vec<String>,
    /// Its identity rows (kind index into STRONG ++ WEAK, value).
    pub identity: Vec<(&'static str, String)>,
    pub listings: Vec<i64>,
    pub ring: Option<usize>,
    pub open: bool,
    /// Listings still to release in a burst, and the last day of the burst.
    pub burst: Option<(usize, Day)>,
    /// Per-order probabilities of each kind of feedback.
    pub rates: Rates,
    /// Whether the seller's `ip` stays as planted: a shared one (a carrier NAT or an office),
    /// or one of a weak-only pair, which must not gain a second shared weak kind by churn.
    pub shared_ip: bool,
}

/// Per-order feedback probabilities and the rating profile.
#[derive(Clone, Copy, Debug)]
pub struct Rates {
    pub counterfeit_complaint: f64,
    pub other_complaint: f64,
    pub user_report: f64,
    pub review: f64,
    /// Cumulative probabilities of ratings 1..=5.
    pub ratings: [f64; 5],
}

const HONEST_RATINGS: [f64; 5] = [0.03, 0.06, 0.14, 0.34, 1.0];
const COUNTERFEIT_RATINGS: [f64; 5] = [0.22, 0.36, 0.52, 0.68, 1.0];

impl Rates {
    fn honest(rng: &mut impl Rng) -> Rates {
        Rates {
            counterfeit_complaint: rng.random_range(0.0..0.0012),
            other_complaint: rng.random_range(0.002..0.008),
            user_report: rng.random_range(0.0..0.0008),
            review: rng.random_range(0.08..0.2),
            ratings: HONEST_RATINGS,
        }
    }

    fn counterfeit(rng: &mut impl Rng, stealthy: bool) -> Rates {
        let scale = if stealthy { 0.25 } else { 1.0 };
        Rates {
            counterfeit_complaint: rng.random_range(0.015..0.06) * scale,
            other_complaint: rng.random_range(0.006..0.015),
            user_report: rng.random_range(0.003..0.012) * scale,
            review: rng.random_range(0.08..0.2),
            ratings: if stealthy { HONEST_RATINGS } else { COUNTERFEIT_RATINGS },
        }
    }
}

/// A planted group of linked sellers: a counterfeit ring, or an honest multi-store business.
pub struct Ring {
    pub id: i64,
    /// Rings of one operation: a split keeps it, a merge joins two.
    pub operation: i64,
    pub counterfeit: bool,
    pub members: Vec<usize>,
    /// Links planted between two members: the identity rows they share.
    pub edges: Vec<Edge>,
    pub origins: Vec<String>,
    /// Members still to join, and when the ring starts.
    pub planned: usize,
    pub start: Day,
    pub stealthy: bool,
    pub taken_down: Option<Day>,
    pub first_sale: Option<Day>,
    pub parent: Option<i64>,
}

/// Two sellers linked by shared identity values.
pub struct Edge {
    pub a: usize,
    pub b: usize,
    pub values: Vec<(&'static str, String)>,
}

/// One seller's membership of a planted ring over a span of days (`until` exclusive).
#[derive(Clone, Debug)]
pub struct Membership {
    pub ring: i64,
    pub operation: i64,
    pub seller: SellerId,
    pub since: Day,
    pub until: Option<Day>,
}

/// A life-cycle event of a planted ring.
#[derive(Clone, Debug)]
pub struct RingEvent {
    pub day: Day,
    pub ring: i64,
    pub event: &'static str,
    pub other_ring: Option<i64>,
    pub seller: Option<SellerId>,
}

/// Sizes of one simulated marketplace.
#[derive(Clone, Debug)]
pub struct WorldParams {
    pub seed: u64,
    pub sellers: usize,
    pub days: u32,
    pub start: Day,
    pub orders_per_day: usize,
    pub rings: usize,
}

struct Brand {
    name: String,
    /// (category index, reference price) where a reference exists.
    prices: Vec<(usize, i64)>,
    popularity: f64,
}

/// The whole simulated marketplace.
pub struct World {
    pub params: WorldParams,
    pub sellers: Vec<Seller>,
    pub rings: Vec<Ring>,
    pub seller_rows: Keyed<SellerId, SellerRow>,
    pub identity: Keyed<IdentityRow, ()>,
    pub listings: Keyed<ListingId, ListingRow>,
    pub brand_prices: Keyed<(String, String), i64>,
    pub memberships: Vec<Membership>,
    pub events: Vec<RingEvent>,
    pub labels_today: Vec<LabelRow>,
    pub next_order_id: i64,
    brands: Vec<Brand>,
    /// Brand indices that have a reference price in each category.
    brands_by_category: Vec<Vec<usize>>,
    value_counter: u64,
    next_seller_id: i64,
    next_listing_id: i64,
    nat_ips: Vec<String>,
    fulfilment: Vec<(String, String)>,
    /// An office IP that gains users until it crosses the `ip` cap and becomes a hub.
    growing_office_ip: String,
}

fn pareto(rng: &mut impl Rng, scale: f64, shape: f64) -> f64 {
    Pareto::new(scale, shape).expect("valid pareto").sample(rng)
}

fn pick_province(rng: &mut impl Rng) -> &'static str {
    let total: u32 = values::PROVINCES.iter().map(|p| p.1).sum();
    let mut x = rng.random_range(0..total);
    for (p, w) in values::PROVINCES {
        if x < *w {
            return p;
        }
        x -= w;
    }
    "GD"
}

impl World {
    /// Builds the population of day 0: honest sellers, hard negatives, hubs, and the rings
    /// that exist from the start. Rings that start later are created by `evolve`.
    pub fn new(params: WorldParams) -> World {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed ^ 0x5EED_0000_0000_0001);
        let mut w = World {
            sellers: Vec::new(),
            rings: Vec::new(),
            seller_rows: Keyed::default(),
            identity: Keyed::default(),
            listings: Keyed::default(),
            brand_prices: Keyed::default(),
            memberships: Vec::new(),
            events: Vec::new(),
            labels_today: Vec::new(),
            next_order_id: 7_000_000_000,
            brands: Vec::new(),
            brands_by_category: vec![Vec::new(); CATEGORIES.len()],
            value_counter: 1,
            next_seller_id: 10_000_000,
            next_listing_id: 500_000_000,
            nat_ips: Vec::new(),
            fulfilment: Vec::new(),
            growing_office_ip: String::new(),
            params,
        };
        w.make_brands(&mut rng);
        let day0 = w.params.start;

        // Hubs first, so honest sellers can be attached to them.
        let n = w.params.sellers;
        for _ in 0..(n / 2500).max(2) {
            let v = w.next_value();
            w.nat_ips.push(values::ip(v));
        }
        for _ in 0..(n / 4000).max(1) {
            let v = w.next_value();
            let p = pick_province(&mut rng);
            w.fulfilment.push((values::location(v, p, "FC"), values::return_address(v, p)));
        }
        let v = w.next_value();
        w.growing_office_ip = values::ip(v);

        // Counterfeit rings: sizes heavy-tailed, most 2-5.
        let ring_count = w.params.rings;
        let mut ring_sizes = Vec::new();
        for i in 0..ring_count {
            let u: f64 = rng.random();
            let size = if u < 0.55 {
                rng.random_range(2..=3)
            } else if u < 0.8 {
                rng.random_range(4..=5)
            } else if u < 0.95 {
                rng.random_range(6..=12)
            } else {
                rng.random_range(15..=40)
            };
            // A third of the rings start during the run, not before it.
            let start = if i % 3 == 2 { day0.plus(rng.random_range(1..w.params.days.max(2) as i32)) } else { day0 };
            ring_sizes.push((size, start));
        }
        let ring_sellers: usize = ring_sizes.iter().map(|r| r.0).sum();
        let honest = n.saturating_sub(ring_sellers).max(10);

        let mut honest_idx = Vec::with_capacity(honest);
        for _ in 0..honest {
            let class = match rng.random_range(0..1000) {
                0..=19 => Class::Discount,
                20..=29 => Class::NewBurst,
                _ => Class::Honest,
            };
            let registered = if class == Class::NewBurst {
                Some(day0.plus(-rng.random_range(0..5)))
            } else {
                Some(day0.plus(-(pareto(&mut rng, 20.0, 0.9).min(4000.0) as i32)))
            };
            let idx = w.add_honest_seller(&mut rng, class, registered, day0);
            honest_idx.push(idx);
        }
        w.plant_honest_structure(&mut rng, &honest_idx, day0);
        for (size, start) in ring_sizes {
            w.plan_ring(&mut rng, size, start);
        }
        w
    }

    fn make_brands(&mut self, rng: &mut impl Rng) {
        let count = 60 + self.params.sellers / 2000;
        for b in 0..count.min(400) {
            let name = values::brand_name(b);
            let mut cats: Vec<usize> = (0..CATEGORIES.len()).collect();
            let k = rng.random_range(1..=3);
            let mut prices = Vec::new();
            let prestige: f64 = rng.random_range(0.0..1.0);
            for _ in 0..k {
                let c = cats.swap_remove(rng.random_range(0..cats.len()));
                let (_, lo, hi) = CATEGORIES[c];
                let price = (lo as f64 * ((hi as f64 / lo as f64).powf(prestige))).round() as i64;
                prices.push((c, price / 100 * 100 + 99));
            }
            let popularity = pareto(rng, 1.0, 1.2).min(50.0);
            self.brands.push(Brand { name, prices, popularity });
        }
        // A sixth of the brands have no reference price anywhere (small labels).
        for (i, brand) in self.brands.iter().enumerate() {
            if i % 6 == 5 {
                continue;
            }
            for (c, price) in &brand.prices {
                self.brands_by_category[*c].push(i);
                self.brand_prices.upsert((brand.name.clone(), CATEGORIES[*c].0.to_owned()), *price);
            }
        }
    }

    fn next_value(&mut self) -> u64 {
        self.value_counter += 1;
        self.value_counter
    }

    fn fresh_value(&mut self, kind: &str, province: &str) -> String {
        let n = self.next_value();
        match kind {
            "id_card" => values::id_card(n),
            "payment_account" => values::payment_account(n),
            "bank_card" => values::bank_card(n),
            "phone" => values::phone(n),
            "device" => values::device(n),
            "ip" => values::ip(n),
            "ship_from" => values::location(n, province, "WH"),
            _ => values::return_address(n, province),
        }
    }

    fn add_identity(&mut self, s: usize, kind: &'static str, value: String) {
        let row = IdentityRow { seller_id: self.sellers[s].id, kind: kind.to_owned(), value: value.clone() };
        self.identity.upsert(row, ());
        self.sellers[s].identity.push((kind, value));
    }

    fn remove_identity(&mut self, s: usize, kind: &str, value: &str) {
        let row = IdentityRow { seller_id: self.sellers[s].id, kind: kind.to_owned(), value: value.to_owned() };
        self.identity.remove(&row);
        self.sellers[s].identity.retain(|(k, v)| !(*k == kind && v == value));
    }

    fn new_seller_id(&mut self, rng: &mut impl Rng) -> SellerId {
        self.next_seller_id += rng.random_range(1..40);
        SellerId(self.next_seller_id)
    }

    /// Adds an honest seller with its own identity values and listings.
    fn add_honest_seller(&mut self, rng: &mut impl Rng, class: Class, registered: Option<Day>, day: Day) -> usize {
        let id = self.new_seller_id(rng);
        let province = pick_province(rng);
        let weight = pareto(rng, 1.0, 1.15).min(3000.0);
        let target = if class == Class::NewBurst { 3 } else { (pareto(rng, 2.0, 1.25) as usize).min(2000) };
        let ncat = rng.random_range(1..=3);
        let categories = (0..ncat).map(|_| rng.random_range(0..CATEGORIES.len())).collect();
        let (brand_share, price_factor) = match class {
            Class::Discount => (0.8, (0.3, 0.55)),
            _ => (rng.random_range(0.1..0.6), (0.75, 1.2)),
        };
        let burst = (class == Class::NewBurst).then(|| (rng.random_range(20..60), day.plus(rng.random_range(3..8))));
        let s = Seller {
            id,
            class,
            province,
            weight,
            target_listings: target,
            categories,
            brand_share,
            price_factor,
            counterfeit_goods: false,
            dispatch: Vec::new(),
            identity: Vec::new(),
            listings: Vec::new(),
            ring: None,
            open: true,
            burst,
            rates: Rates::honest(rng),
            shared_ip: false,
        };
        let idx = self.sellers.len();
        self.sellers.push(s);
        for kind in STRONG.iter().chain(&["device", "ip", "ship_from", "return_address"]) {
            let v = self.fresh_value(kind, province);
            self.add_identity(idx, kind, v);
        }
        let wh = self.sellers[idx].identity.iter().find(|(k, _)| *k == "ship_from").map(|(_, v)| v.clone());
        self.sellers[idx].dispatch = wh.into_iter().collect();
        self.register(rng, idx, registered, day);
        let initial = if day == self.params.start { target } else { target.min(5) };
        for _ in 0..initial {
            self.add_listing(rng, idx, day);
        }
        idx
    }

    fn register(&mut self, rng: &mut impl Rng, idx: usize, registered: Option<Day>, _day: Day) {
        // A few old accounts have no registration date on file.
        let registered = if rng.random_bool(0.02) { None } else { registered };
        let row = SellerRow {
            seller_id: self.sellers[idx].id,
            shop_name: values::shop_name(rng),
            region: format!("CN-{}", self.sellers[idx].province),
            registered_on: registered,
            status: SellerStatus::Active,
        };
        self.seller_rows.upsert(row.seller_id, row);
    }

    /// Hard negatives among honest sellers: hubs, weak-only pairs, offices, multi-store owners.
    fn plant_honest_structure(&mut self, rng: &mut impl Rng, honest: &[usize], day: Day) {
        let mut pool: Vec<usize> = honest.to_vec();
        // Shuffle deterministically so each structure takes different sellers.
        for i in (1..pool.len()).rev() {
            pool.swap(i, rng.random_range(0..=i));
        }
        let mut take = |k: usize| -> Vec<usize> {
            let k = k.min(pool.len());
            pool.split_off(pool.len() - k)
        };
        // Carrier NAT addresses: one IP for many honest shops (an `ip` hub).
        for h in 0..self.nat_ips.len() {
            let members = take(rng.random_range(25..=60));
            let ip = self.nat_ips[h].clone();
            for s in members {
                self.replace_value(s, "ip", ip.clone());
                self.sellers[s].shared_ip = true;
            }
        }
        // Public fulfilment centres: ship-from and return address shared by many (two hub kinds).
        for f in 0..self.fulfilment.len() {
            let members = take(rng.random_range(25..=50));
            let (code, addr) = self.fulfilment[f].clone();
            for s in members {
                self.replace_value(s, "ship_from", code.clone());
                self.replace_value(s, "return_address", addr.clone());
                self.sellers[s].dispatch = vec![code.clone()];
            }
        }
        // Registration agencies: one phone on 6-12 shops (a strong hub).
        for _ in 0..(honest.len() / 3000).max(1) {
            let members = take(rng.random_range(6..=12));
            let phone = self.fresh_value("phone", "GD");
            for s in members {
                self.add_identity(s, "phone", phone.clone());
            }
        }
        // Offices: one IP for 3-15 shops (weak, below the cap: links nobody on its own). The
        // first grows over the run and crosses the cap.
        let offices = (honest.len() / 400).max(2);
        for o in 0..offices {
            let (members, ip) = if o == 0 {
                (take(16), self.growing_office_ip.clone())
            } else {
                (take(rng.random_range(3..=15)), self.fresh_value("ip", "ZJ"))
            };
            for s in members {
                self.replace_value(s, "ip", ip.clone());
                self.sellers[s].shared_ip = true;
            }
        }
        // Pairs sharing exactly one weak kind (a family computer, a shared return address).
        for _ in 0..(honest.len() / 100).max(3) {
            let pair = take(2);
            if pair.len() < 2 {
                break;
            }
            let kind = if rng.random_bool(0.5) { "device" } else { "return_address" };
            let v = self.fresh_value(kind, self.sellers[pair[0]].province);
            for s in pair {
                self.add_identity(s, kind, v.clone());
                self.sellers[s].shared_ip = true;
            }
        }
        // Legit multi-store owners: 2-3 shops sharing a payment account or bank card.
        for _ in 0..(honest.len() / 300).max(2) {
            let members = take(rng.random_range(2..=3));
            if members.len() < 2 {
                break;
            }
            let ring = self.rings.len();
            let id = ring as i64 + 1;
            for &s in &members {
                self.sellers[s].class = Class::Multistore;
                self.sellers[s].ring = Some(ring);
            }
            let mut edges = Vec::new();
            for i in 1..members.len() {
                edges.push(self.link(rng, members[i - 1], members[i], true));
            }
            for &s in &members {
                self.memberships.push(Membership {
                    ring: id,
                    operation: id,
                    seller: self.sellers[s].id,
                    since: day,
                    until: None,
                });
            }
            self.rings.push(Ring {
                id,
                operation: id,
                counterfeit: false,
                members,
                edges,
                origins: Vec::new(),
                planned: 0,
                start: day,
                stealthy: false,
                taken_down: None,
                first_sale: None,
                parent: None,
            });
        }
    }

    /// Replaces a seller's (first) value of `kind` by `value`.
    fn replace_value(&mut self, s: usize, kind: &'static str, value: String) {
        if let Some(old) = self.sellers[s].identity.iter().find(|(k, _)| *k == kind).map(|(_, v)| v.clone()) {
            self.remove_identity(s, kind, &old);
        }
        self.add_identity(s, kind, value);
    }

    /// Plants a link between two sellers: one strong value, or values of two weak kinds,
    /// shared by exactly these two.
    fn link(&mut self, rng: &mut impl Rng, a: usize, b: usize, strong: bool) -> Edge {
        let province = self.sellers[a].province;
        let kinds: Vec<&'static str> = if strong {
            vec![*["payment_account", "bank_card", "phone", "id_card"].choose(rng).expect("non-empty")]
        } else {
            let pairs = [["device", "return_address"], ["device", "ip"], ["ip", "return_address"]];
            pairs.choose(rng).expect("non-empty").to_vec()
        };
        let mut values = Vec::new();
        for kind in kinds {
            let v = self.fresh_value(kind, province);
            self.add_identity(a, kind, v.clone());
            self.add_identity(b, kind, v.clone());
            values.push((kind, v));
        }
        Edge { a, b, values }
    }

    fn unlink(&mut self, edge: &Edge) {
        for (kind, v) in &edge.values {
            self.remove_identity(edge.a, kind, v);
            self.remove_identity(edge.b, kind, v);
        }
    }

    fn plan_ring(&mut self, rng: &mut impl Rng, size: usize, start: Day) {
        let ring = self.rings.len();
        let id = ring as i64 + 1;
        let province = if rng.random_bool(0.5) { "FJ" } else { *["GD", "ZJ"].choose(rng).expect("non-empty") };
        let origins = (0..rng.random_range(1..=3).min(1 + size / 8))
            .map(|_| {
                let n = self.next_value();
                values::location(n, province, if rng.random_bool(0.6) { "FA" } else { "WH" })
            })
            .collect();
        self.rings.push(Ring {
            id,
            operation: id,
            counterfeit: true,
            members: Vec::new(),
            edges: Vec::new(),
            origins,
            planned: size,
            start,
            stealthy: rng.random_bool(0.2),
            taken_down: None,
            first_sale: None,
            parent: None,
        });
        if start == self.params.start {
            self.start_ring(rng, ring, start);
        }
    }

    fn start_ring(&mut self, rng: &mut impl Rng, ring: usize, day: Day) {
        let initial = (self.rings[ring].planned * 3).div_ceil(5).max(2);
        for _ in 0..initial {
            self.add_ring_member(rng, ring, day, None);
        }
        self.event(day, ring, "appear", None, None);
    }

    /// A new counterfeit account joins `ring`, linked to `parent` (or to a random member).
    fn add_ring_member(&mut self, rng: &mut impl Rng, ring: usize, day: Day, parent: Option<usize>) -> usize {
        let id = self.new_seller_id(rng);
        let r = &self.rings[ring];
        let stealthy = r.stealthy;
        let origin = r.origins.choose(rng).expect("a ring has origins").clone();
        let province = r.origins[0]
            .split('-')
            .nth(1)
            .map(|p| {
                if p == "FJ" {
                    "FJ"
                } else if p == "ZJ" {
                    "ZJ"
                } else {
                    "GD"
                }
            })
            .unwrap_or("GD");
        let main_cat = rng.random_range(0..CATEGORIES.len());
        let categories = vec![main_cat, rng.random_range(0..CATEGORIES.len())];
        let s = Seller {
            id,
            class: Class::Counterfeit,
            province,
            weight: rng.random_range(3.0..15.0),
            target_listings: rng.random_range(8..50),
            categories,
            brand_share: 0.92,
            price_factor: if stealthy { (0.42, 0.7) } else { (0.12, 0.45) },
            counterfeit_goods: true,
            dispatch: r.origins.clone(),
            identity: Vec::new(),
            listings: Vec::new(),
            ring: Some(ring),
            open: true,
            burst: Some((rng.random_range(10..40), day.plus(rng.random_range(1..4)))),
            rates: Rates::counterfeit(rng, stealthy),
            shared_ip: false,
        };
        let idx = self.sellers.len();
        self.sellers.push(s);
        // Each shop is registered under its own nominee's documents...
        for kind in STRONG.iter().chain(&["device", "ip", "return_address"]) {
            let v = self.fresh_value(kind, province);
            self.add_identity(idx, kind, v);
        }
        if rng.random_bool(0.15) {
            let nat = self.nat_ips.choose(rng).expect("hubs exist").clone();
            self.replace_value(idx, "ip", nat);
        }
        self.add_identity(idx, "ship_from", origin);
        // ...and mostly fresh accounts, some bought with an old registration date.
        let registered = if rng.random_bool(0.7) {
            day.plus(-rng.random_range(0..10))
        } else {
            day.plus(-rng.random_range(200..2000))
        };
        self.register(rng, idx, Some(registered), day);
        for _ in 0..rng.random_range(2..6) {
            self.add_listing(rng, idx, day);
        }
        // Linked to the ring through values only the two share.
        let members = self.rings[ring].members.clone();
        let parent = parent.or_else(|| members.choose(rng).copied());
        if let Some(p) = parent {
            let strong = rng.random_bool(0.6);
            let edge = self.link(rng, p, idx, strong);
            self.rings[ring].edges.push(edge);
        }
        self.rings[ring].members.push(idx);
        let (rid, op) = (self.rings[ring].id, self.rings[ring].operation);
        self.memberships.push(Membership { ring: rid, operation: op, seller: id, since: day, until: None });
        idx
    }

    fn event(&mut self, day: Day, ring: usize, event: &'static str, other: Option<usize>, seller: Option<usize>) {
        let other_ring = other.map(|o| self.rings[o].id);
        let seller = seller.map(|s| self.sellers[s].id);
        self.events.push(RingEvent { day, ring: self.rings[ring].id, event, other_ring, seller });
    }

    /// Adds one listing for seller `s`; most of a counterfeit seller's are branded knock-offs.
    fn add_listing(&mut self, rng: &mut impl Rng, s: usize, day: Day) {
        let seller = &self.sellers[s];
        let cat = *seller.categories.choose(rng).expect("a seller has categories");
        let (_, lo, hi) = CATEGORIES[cat];
        let mut brand = None;
        let mut price = (LogNormal::new(((lo * hi) as f64).sqrt().ln(), 0.5).expect("valid").sample(rng)) as i64;
        if rng.random_bool(seller.brand_share) {
            let candidates = &self.brands_by_category[cat];
            if !candidates.is_empty() && rng.random_bool(0.9) {
                let total: f64 = candidates.iter().map(|&b| self.brands[b].popularity).sum();
                let mut x = rng.random_range(0.0..total);
                let mut chosen = candidates[0];
                for &b in candidates {
                    x -= self.brands[b].popularity;
                    if x <= 0.0 {
                        chosen = b;
                        break;
                    }
                }
                let reference = self.brands[chosen].prices.iter().find(|p| p.0 == cat).map(|p| p.1).unwrap_or(price);
                price = (reference as f64 * rng.random_range(seller.price_factor.0..seller.price_factor.1)) as i64;
                brand = Some(self.brands[chosen].name.clone());
            } else {
                // A brand outside its reference categories, or a small label without one.
                brand = Some(self.brands.choose(rng).expect("brands exist").name.clone());
            }
        }
        // The upstream logo check only scores listings that claim a brand.
        let logo_mismatch = match (brand.is_some(), seller.counterfeit_goods) {
            (false, _) => None,
            (true, true) => rng.random_bool(0.9).then(|| rng.random_range(0.45..0.98)),
            (true, false) => rng.random_bool(0.7).then(|| rng.random::<f64>().powi(3) * 0.55),
        };
        let price = (price.max(99) / 100) * 100 + 99;
        self.next_listing_id += 1 + rng.random_range(0..3);
        let id = ListingId(self.next_listing_id);
        let row = ListingRow {
            listing_id: id,
            seller_id: seller.id,
            brand,
            category: CATEGORIES[cat].0.to_owned(),
            price_cents: price,
            logo_mismatch: logo_mismatch.map(|x: f64| (x * 1000.0).round() / 1000.0),
        };
        self.listings.upsert(id, row);
        let _ = day;
        self.sellers[s].listings.push(id.0);
    }

    fn remove_listing(&mut self, s: usize, pos: usize) {
        let id = self.sellers[s].listings.swap_remove(pos);
        self.listings.remove(&ListingId(id));
    }

    fn close_seller(&mut self, s: usize) {
        self.sellers[s].open = false;
        while !self.sellers[s].listings.is_empty() {
            self.remove_listing(s, 0);
        }
        let id = self.sellers[s].id;
        if let Some(row) = self.seller_rows.get(&id).cloned() {
            self.seller_rows.upsert(id, SellerRow { status: SellerStatus::Closed, ..row });
        }
    }

    /// Moves the world from the previous day to `day` (index `d` from the start): ring life
    /// cycles, new and closing shops, identity churn, listing churn, reference prices, labels.
    pub fn evolve(&mut self, day: Day, d: u32) {
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed ^ (0xE70_0000 + d as u64).wrapping_mul(0x9E37_79B9));
        self.labels_today.clear();
        if d > 0 {
            self.ring_life(&mut rng, day, d);
            self.honest_churn(&mut rng, day, d);
        }
        self.listing_churn(&mut rng, day);
        self.make_labels(&mut rng, day, d);
    }

    fn ring_life(&mut self, rng: &mut impl Rng, day: Day, d: u32) {
        let days = self.params.days.max(4);
        let counterfeit: Vec<usize> = (0..self.rings.len()).filter(|&r| self.rings[r].counterfeit).collect();
        // A few scripted events so that every lake, even a tiny one, has each life-cycle step.
        let scripted = |k: usize| counterfeit.get(k).copied();
        for r in counterfeit.clone() {
            let ring = &self.rings[r];
            if ring.start == day && ring.members.is_empty() {
                self.start_ring(rng, r, day);
                continue;
            }
            if ring.members.is_empty() || ring.start > day {
                continue;
            }
            if let Some(down) = ring.taken_down {
                // Back under new accounts that reuse a closed member's payment account.
                let quiet = day.since(down);
                if quiet >= 4 && (rng.random_bool(0.2) || (Some(r) == scripted(3) && quiet == 5)) {
                    self.comeback(rng, r, day);
                }
                continue;
            }
            let size = ring.members.len();
            let grows = size < ring.planned && rng.random_bool(0.12);
            if grows {
                let s = self.add_ring_member(rng, r, day, None);
                self.event(day, r, "grow", None, Some(s));
            }
            if (Some(r) == scripted(0) && d == days / 3) || (size >= 4 && rng.random_bool(0.006)) {
                self.split(rng, r, day);
            } else if (Some(r) == scripted(4) && d == days / 3) || (size >= 3 && rng.random_bool(0.01)) {
                self.lose_member(rng, r, day);
            } else if Some(r) == scripted(3) && d == days / 4 || rng.random_bool(0.003) {
                self.take_down(r, day);
            }
        }
        // Two rings of one operation start sharing a bank card.
        let merge_pair = if d == days / 2 { scripted(1).zip(scripted(2)) } else { None };
        let random_pair = if counterfeit.len() >= 2 && rng.random_bool(0.02) {
            Some((*counterfeit.choose(rng).expect("non-empty"), *counterfeit.choose(rng).expect("non-empty")))
        } else {
            None
        };
        for (a, b) in merge_pair.into_iter().chain(random_pair) {
            self.merge(rng, a, b, day);
        }
    }

    fn split(&mut self, rng: &mut impl Rng, r: usize, day: Day) {
        // Cut a planted edge; the side without the ring's first member becomes a new ring.
        if self.rings[r].edges.is_empty() {
            return;
        }
        let e = rng.random_range(0..self.rings[r].edges.len());
        let edge = self.rings[r].edges.swap_remove(e);
        self.unlink(&edge);
        let side = self.component_of(r, edge.b);
        if side.len() == self.rings[r].members.len() {
            // Still connected through another edge (cannot happen with trees; kept for safety).
            return;
        }
        let new = self.rings.len();
        let new_id = new as i64 + 1;
        let old_id = self.rings[r].id;
        let operation = self.rings[r].operation;
        let (moved_edges, kept): (Vec<Edge>, Vec<Edge>) =
            std::mem::take(&mut self.rings[r].edges).into_iter().partition(|e| side.contains(&e.a));
        self.rings[r].edges = kept;
        self.rings[r].members.retain(|m| !side.contains(m));
        for &m in &side {
            self.sellers[m].ring = Some(new);
            self.end_membership(self.sellers[m].id, day);
            self.memberships.push(Membership {
                ring: new_id,
                operation,
                seller: self.sellers[m].id,
                since: day,
                until: None,
            });
        }
        let template = &self.rings[r];
        let ring = Ring {
            id: new_id,
            operation,
            counterfeit: true,
            members: side,
            edges: moved_edges,
            origins: template.origins.clone(),
            planned: 0,
            start: day,
            stealthy: template.stealthy,
            taken_down: None,
            first_sale: template.first_sale,
            parent: Some(old_id),
        };
        self.rings.push(ring);
        self.event(day, r, "split", Some(new), None);
    }

    /// The members of ring `r` reachable from `from` over its planted edges.
    fn component_of(&self, r: usize, from: usize) -> Vec<usize> {
        let mut seen = vec![from];
        let mut i = 0;
        while i < seen.len() {
            let x = seen[i];
            for e in &self.rings[r].edges {
                let y = if e.a == x {
                    e.b
                } else if e.b == x {
                    e.a
                } else {
                    continue;
                };
                if !seen.contains(&y) {
                    seen.push(y);
                }
            }
            i += 1;
        }
        seen
    }

    fn end_membership(&mut self, seller: SellerId, day: Day) {
        if let Some(m) = self.memberships.iter_mut().rev().find(|m| m.seller == seller && m.until.is_none()) {
            m.until = Some(day);
        }
    }

    /// A leaf member drops its shared values and closes: it leaves the ring.
    fn lose_member(&mut self, rng: &mut impl Rng, r: usize, day: Day) {
        let ring = &self.rings[r];
        let degree = |m: usize| ring.edges.iter().filter(|e| e.a == m || e.b == m).count();
        let leaves: Vec<usize> = ring.members.iter().copied().filter(|&m| degree(m) == 1).collect();
        let Some(&leaf) = leaves.choose(rng) else { return };
        let pos = self.rings[r].edges.iter().position(|e| e.a == leaf || e.b == leaf).expect("a leaf has an edge");
        let edge = self.rings[r].edges.swap_remove(pos);
        self.unlink(&edge);
        self.rings[r].members.retain(|&m| m != leaf);
        self.sellers[leaf].ring = None;
        self.close_seller(leaf);
        self.end_membership(self.sellers[leaf].id, day);
        self.event(day, r, "lose", None, Some(leaf));
    }

    /// The marketplace closes every shop of the ring; identities stay on file.
    fn take_down(&mut self, r: usize, day: Day) {
        for m in self.rings[r].members.clone() {
            self.close_seller(m);
        }
        self.rings[r].taken_down = Some(day);
        self.event(day, r, "take_down", None, None);
    }

    fn comeback(&mut self, rng: &mut impl Rng, r: usize, day: Day) {
        let old = *self.rings[r].members.choose(rng).expect("a ring has members");
        let payment = self.sellers[old].identity.iter().find(|(k, _)| *k == "payment_account").map(|(_, v)| v.clone());
        self.rings[r].taken_down = None;
        self.rings[r].planned = self.rings[r].members.len() + rng.random_range(2..=4);
        let first = self.add_ring_member(rng, r, day, None);
        // The first new account reuses the payment account of a closed one: that is the link.
        // (`add_ring_member` also planted an edge to a random member; both keep it connected.)
        if let Some(p) = payment {
            self.add_identity(first, "payment_account", p.clone());
            self.rings[r].edges.push(Edge { a: old, b: first, values: vec![("payment_account", p)] });
        }
        self.event(day, r, "comeback", None, Some(first));
    }

    fn merge(&mut self, rng: &mut impl Rng, a: usize, b: usize, day: Day) {
        if a == b || self.rings[a].members.is_empty() || self.rings[b].members.is_empty() {
            return;
        }
        let x = *self.rings[a].members.choose(rng).expect("non-empty");
        let y = *self.rings[b].members.choose(rng).expect("non-empty");
        let edge = self.link(rng, x, y, true);
        // The cross edge belongs to neither planted ring: each stays connected on its own.
        drop(edge);
        let op = self.rings[a].operation;
        self.rings[b].operation = op;
        self.event(day, a, "merge", Some(b), None);
    }

    fn honest_churn(&mut self, rng: &mut impl Rng, day: Day, d: u32) {
        let n = self.sellers.len();
        // New shops, and shops that close.
        let new_shops = ((self.params.sellers as f64) * 0.002 * rng.random_range(0.5..1.5)) as usize + 1;
        for _ in 0..new_shops {
            let class = if rng.random_bool(0.08) { Class::NewBurst } else { Class::Honest };
            let s = self.add_honest_seller(rng, class, Some(day), day);
            if class == Class::NewBurst {
                self.sellers[s].burst = Some((rng.random_range(20..60), day.plus(rng.random_range(2..6))));
            }
        }
        for _ in 0..((self.params.sellers as f64) * 0.0008) as usize {
            let s = rng.random_range(0..n);
            if self.sellers[s].open && self.sellers[s].class == Class::Honest && self.sellers[s].ring.is_none() {
                self.close_seller(s);
            }
        }
        // Dynamic IPs change; devices and phones rarely.
        let ip_changes = (n as f64 * 0.01) as usize + 1;
        for _ in 0..ip_changes {
            let s = rng.random_range(0..n);
            if !self.sellers[s].shared_ip && self.sellers[s].open && self.sellers[s].ring.is_none() {
                let v = self.fresh_value("ip", self.sellers[s].province);
                self.replace_value(s, "ip", v);
            }
        }
        for _ in 0..(n / 1000 + 1) {
            let s = rng.random_range(0..n);
            if self.sellers[s].open && self.sellers[s].ring.is_none() {
                let kind = if rng.random_bool(0.7) { "device" } else { "phone" };
                let v = self.fresh_value(kind, self.sellers[s].province);
                self.replace_value(s, kind, v);
            }
        }
        // The growing office gains a shop every third day and becomes an `ip` hub.
        if d.is_multiple_of(3) {
            for _ in 0..8 {
                let s = rng.random_range(0..n);
                if !self.sellers[s].shared_ip
                    && self.sellers[s].open
                    && self.sellers[s].class == Class::Honest
                    && self.sellers[s].ring.is_none()
                {
                    let ip = self.growing_office_ip.clone();
                    self.replace_value(s, "ip", ip);
                    self.sellers[s].shared_ip = true;
                    break;
                }
            }
        }
        // Reference prices move now and then; a brand adds a category.
        if rng.random_bool(0.3) {
            let keys: Vec<(String, String)> = self.brand_prices.iter().map(|(k, _)| k.clone()).collect();
            if let Some(k) = keys.choose(rng) {
                let old = *self.brand_prices.get(k).expect("listed key");
                let new = (old as f64 * rng.random_range(0.9..1.1)) as i64 / 100 * 100 + 99;
                self.brand_prices.upsert(k.clone(), new);
            }
        }
        if rng.random_bool(0.05) {
            let b = rng.random_range(0..self.brands.len());
            let c = rng.random_range(0..CATEGORIES.len());
            let key = (self.brands[b].name.clone(), CATEGORIES[c].0.to_owned());
            if !self.brand_prices.contains(&key) && b % 6 != 5 {
                let (_, lo, hi) = CATEGORIES[c];
                self.brand_prices.upsert(key, (lo + hi) / 2 / 100 * 100 + 99);
                self.brands[b].prices.push((c, (lo + hi) / 2 / 100 * 100 + 99));
                self.brands_by_category[c].push(b);
            }
        }
    }

    fn listing_churn(&mut self, rng: &mut impl Rng, day: Day) {
        let n = self.sellers.len();
        let total = self.listings.len();
        // Price updates (an `add` that replaces) and removals, spread over random shops.
        for _ in 0..(total as f64 * 0.006) as usize + 1 {
            let s = rng.random_range(0..n);
            if self.sellers[s].listings.is_empty() {
                continue;
            }
            let pos = rng.random_range(0..self.sellers[s].listings.len());
            if rng.random_bool(0.4) || self.sellers[s].counterfeit_goods && rng.random_bool(0.5) {
                self.remove_listing(s, pos);
            } else {
                let id = ListingId(self.sellers[s].listings[pos]);
                if let Some(row) = self.listings.get(&id).cloned() {
                    let price = (row.price_cents as f64 * rng.random_range(0.85..1.1)) as i64 / 100 * 100 + 99;
                    self.listings.upsert(id, ListingRow { price_cents: price, ..row });
                }
            }
        }
        // Shops below their target list more; bursts release many branded listings at once.
        for _ in 0..(total as f64 * 0.004) as usize + 1 {
            let s = rng.random_range(0..n);
            if self.sellers[s].open && self.sellers[s].listings.len() < self.sellers[s].target_listings {
                self.add_listing(rng, s, day);
            }
        }
        for s in 0..n {
            let seller = &self.sellers[s];
            if !seller.open {
                continue;
            }
            if let Some((left, until)) = seller.burst {
                let days_left = until.since(day).max(0) as usize + 1;
                let today = left.div_ceil(days_left);
                for _ in 0..today {
                    self.add_listing(rng, s, day);
                }
                self.sellers[s].burst = (left > today).then_some((left - today, until));
            } else if seller.counterfeit_goods && rng.random_bool(0.06) {
                self.sellers[s].burst = Some((rng.random_range(8..30), day.plus(rng.random_range(1..3))));
            }
        }
    }

    fn make_labels(&mut self, rng: &mut impl Rng, day: Day, d: u32) {
        // Investigations confirm some counterfeit shops after a while, and clear some honest ones.
        for r in 0..self.rings.len() {
            let ring = &self.rings[r];
            if !ring.counterfeit || day.since(ring.start) < 5 {
                continue;
            }
            for &m in &ring.members {
                if rng.random_bool(0.015) {
                    self.labels_today.push(LabelRow { seller_id: self.sellers[m].id, label: Label::Counterfeit });
                }
            }
        }
        let honest_labels = (self.sellers.len() as f64 * 0.0004) as usize + 1;
        for _ in 0..honest_labels {
            let s = rng.random_range(0..self.sellers.len());
            if self.sellers[s].class != Class::Counterfeit {
                self.labels_today.push(LabelRow { seller_id: self.sellers[s].id, label: Label::Legit });
            }
        }
        self.labels_today.sort_by_key(|l| l.seller_id);
        self.labels_today.dedup_by_key(|l| l.seller_id);
        let _ = d;
    }

    /// Sellers that take orders today: open, with at least one listing.
    pub fn selling(&self) -> Vec<usize> {
        (0..self.sellers.len()).filter(|&s| self.sellers[s].open && !self.sellers[s].listings.is_empty()).collect()
    }

    /// Ground truth of every seller's class, in seller order.
    pub fn classes(&self) -> BTreeMap<SellerId, Class> {
        self.sellers.iter().map(|s| (s.id, s.class)).collect()
    }
}
