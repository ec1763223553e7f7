//! Reading a worker's share of a day (its (file, row group) units) into dataflow records.

use super::plan::DayPlan;
use crate::dataflow::{Feedback, IdentityKey, Listing, Order, Prov, Raw, Seller};
use crate::lake::read::{self, FileRows, LakeRow, Reject};
use crate::model::*;
use crate::privacy::ValueHasher;
use std::collections::BTreeMap;
use std::path::Path;

/// What a worker read of one day.
#[derive(Default)]
pub struct DayRows {
    pub sellers: Vec<Raw<Seller, Option<i32>>>,
    pub identity: Vec<Raw<IdentityKey, ()>>,
    pub listings: Vec<Raw<i64, Listing>>,
    pub brand_prices: Vec<Raw<(String, String), i64>>,
    pub orders: Vec<Raw<i64, Order>>,
    pub feedback: Vec<Raw<Prov, Feedback>>,
    pub rejects: Vec<Reject>,
    /// Rows decoded per table (valid and rejected).
    pub rows_read: BTreeMap<Table, u64>,
}

/// How rows are read: the lake root, table modes, identity kinds, the value hasher.
pub struct Reader<'a> {
    pub root: &'a Path,
    pub modes: &'a dyn Fn(Table) -> TableMode,
    /// Configured identity kinds, in index order.
    pub kinds: &'a [String],
    pub hasher: &'a ValueHasher,
}

impl Reader<'_> {
    /// Reads this worker's units of `plan`. The first unreadable file fails the whole read.
    pub fn read_share(&self, plan: &DayPlan, index: usize, peers: usize) -> Result<DayRows, read::ReadError> {
        let mut out = DayRows::default();
        for (file, group) in plan.units_of(index, peers) {
            let pf = &plan.files[file as usize];
            let path = self.root.join(&pf.path);
            let with_op = (self.modes)(pf.table) == TableMode::Changes;
            let prov = |row: i64| Prov { file, row: row as u64 };
            let groups = [group as usize];
            match pf.table {
                Table::Sellers => {
                    let rows = self.read::<SellerRow>(&path, with_op, &groups, &mut out)?;
                    out.sellers.extend(
                        rows.into_iter().map(|(i, r, op)| (r.seller_id.0, r.registered_on.map(|d| d.0), op, prov(i))),
                    );
                }
                Table::SellerIdentity => {
                    let rows = self.read::<IdentityRow>(&path, with_op, &groups, &mut out)?;
                    for (i, r, op) in rows {
                        let kind =
                            self.kinds.iter().position(|k| *k == r.kind).expect("the reader rejects unknown kinds")
                                as u8;
                        let key = (r.seller_id.0, kind, self.hasher.value_key(&r.kind, &r.value));
                        out.identity.push((key, (), op, prov(i)));
                    }
                }
                Table::Listings => {
                    let rows = self.read::<ListingRow>(&path, with_op, &groups, &mut out)?;
                    out.listings.extend(rows.into_iter().map(|(i, r, op)| {
                        // -0.0 and 0.0 are the same mismatch; their bits are not.
                        let logo_bits = r.logo_mismatch.map(|x| (x + 0.0).to_bits());
                        let l = Listing {
                            seller: r.seller_id.0,
                            brand: r.brand,
                            category: r.category,
                            price_cents: r.price_cents,
                            logo_bits,
                        };
                        (r.listing_id.0, l, op, prov(i))
                    }));
                }
                Table::BrandPrices => {
                    let rows = self.read::<BrandPriceRow>(&path, with_op, &groups, &mut out)?;
                    out.brand_prices.extend(
                        rows.into_iter()
                            .map(|(i, r, op)| ((r.brand, r.category), r.reference_price_cents, op, prov(i))),
                    );
                }
                Table::Orders => {
                    let rows = self.read::<OrderRow>(&path, false, &groups, &mut out)?;
                    out.orders.extend(rows.into_iter().map(|(i, r, _)| {
                        let o = Order {
                            seller: r.seller_id.0,
                            buyer: r.buyer_id,
                            amount_cents: r.amount_cents,
                            ship_from: r.ship_from,
                        };
                        (r.order_id, o, None, prov(i))
                    }));
                }
                Table::Feedback => {
                    let rows = self.read::<FeedbackRow>(&path, false, &groups, &mut out)?;
                    out.feedback.extend(rows.into_iter().map(|(i, r, _)| {
                        let f = Feedback { seller: r.seller_id.0, kind: r.kind, rating: r.rating };
                        (prov(i), f, None, prov(i))
                    }));
                }
                Table::Labels => {
                    // Labels train and evaluate models; the job only validates and counts them.
                    self.read::<LabelRow>(&path, false, &groups, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    fn read<R: LakeRow>(
        &self,
        path: &Path,
        with_op: bool,
        groups: &[usize],
        out: &mut DayRows,
    ) -> Result<Vec<(i64, R, Option<Op>)>, read::ReadError> {
        let kinds = |k: &str| self.kinds.iter().any(|x| x == k);
        let FileRows { rows, rejects, rows_read } =
            read::read_file::<R>(self.root, path, with_op, Some(groups), &kinds)?;
        *out.rows_read.entry(R::TABLE).or_insert(0) += rows_read;
        out.rejects.extend(rejects);
        Ok(rows)
    }
}
