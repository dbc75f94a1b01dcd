//! Planning: where the district leaks (gap analysis) and what relocalising would change (the
//! input–output economy a scenario runs on).
//!
//! Gap analysis ranks three kinds of opportunity:
//! - purchases members make outside the district, by the sector of what they buy (surveys);
//! - demand in order cycles that no member producer met (ordered but not allocated);
//! - needs published on the marketplace that no open local offer answers.
//!
//! One unit of credit is worth one euro in every district Distretto serves, so euro and credit
//! amounts rank together; each opportunity keeps its own currency for display.

use super::io::Economy;
use super::report::{Facts, Report};
use crate::directory::Sector;

/// The most opportunities a ranking returns.
pub const MAX_OPPORTUNITIES: usize = 100;

/// What kind of gap an opportunity is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gap {
    /// Members buy this sector's goods or services outside the district (euro, surveys).
    OutsidePurchases {
        /// The sector of what is bought.
        sector: Sector,
    },
    /// Households ordered this sector's products in order cycles and no producer delivered
    /// them (credit).
    UnmetOrders {
        /// The producers' sector.
        sector: Sector,
    },
    /// Members published needs in this marketplace category that no open offer answers.
    UnmetNeeds {
        /// The marketplace category code.
        category: String,
    },
}

/// One ranked opportunity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Opportunity {
    /// What it is.
    #[serde(flatten)]
    pub gap: Gap,
    /// Its yearly value, minor units (0 when only counted, as unmet needs).
    pub amount_minor: i64,
    /// How many purchases, order lines or needs it gathers.
    pub count: u64,
}

/// Demand in order cycles that was not met, per producer sector: (sector, amount, lines).
pub type UnmetOrders = Vec<(Sector, i64, u64)>;

/// Needs without a local offer, per category: (category, count).
pub type UnmetNeeds = Vec<(String, u64)>;

/// The opportunities, largest value first, then most counted, at most [`MAX_OPPORTUNITIES`].
/// `outside_purchases` lists every survey's purchases outside the district by sector.
pub fn opportunities(
    outside_purchases: &[(Sector, i64)],
    unmet_orders: &UnmetOrders,
    unmet_needs: &UnmetNeeds,
) -> Vec<Opportunity> {
    let mut outside: std::collections::BTreeMap<Sector, (i64, u64)> = Default::default();
    for (sector, amount) in outside_purchases {
        let e = outside.entry(*sector).or_default();
        e.0 = e.0.saturating_add(*amount);
        e.1 += 1;
    }
    let mut out: Vec<Opportunity> = outside
        .into_iter()
        .filter(|(_, (amount, _))| *amount > 0)
        .map(|(sector, (amount_minor, count))| Opportunity {
            gap: Gap::OutsidePurchases { sector },
            amount_minor,
            count,
        })
        .chain(
            unmet_orders
                .iter()
                .filter(|u| u.1 > 0)
                .map(|(sector, amount_minor, count)| Opportunity {
                    gap: Gap::UnmetOrders { sector: *sector },
                    amount_minor: *amount_minor,
                    count: *count,
                }),
        )
        .chain(
            unmet_needs
                .iter()
                .filter(|u| u.1 > 0)
                .map(|(category, count)| Opportunity {
                    gap: Gap::UnmetNeeds {
                        category: category.clone(),
                    },
                    amount_minor: 0,
                    count: *count,
                }),
        )
        .collect();
    out.sort_by_key(|o| std::cmp::Reverse((o.amount_minor, o.count)));
    out.truncate(MAX_OPPORTUNITIES);
    out
}

/// The district's economy by sector, for relocalisation scenarios: flows between member
/// organisations' sectors, each sector's income (its members' LM3 first round, every credit
/// they received), leakage and outside purchases from the surveys, and jobs. Sectors are
/// numbered in the order of [`Sector::ALL`].
pub fn economy(report: &Report, facts: &Facts) -> Economy {
    let n = Sector::ALL.len();
    let at = |s: Sector| Sector::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let clamp = |v: i128| i64::try_from(v.max(0)).unwrap_or(i64::MAX);
    let mut flows_minor = vec![0i64; n * n];
    for ((paying, receiving), amount) in &report.trade.sector_flows {
        let cell = &mut flows_minor[at(*receiving) * n + at(*paying)];
        *cell = cell.saturating_add(clamp(*amount));
    }
    let mut output_minor = vec![0i64; n];
    for (sector, lm3) in &report.lm3_by_sector {
        output_minor[at(*sector)] = clamp(lm3.r1_minor);
    }
    let mut leakage_minor = vec![0i64; n];
    let mut outside_by_sector_minor = vec![0i64; n];
    for s in &facts.surveys {
        if let Some(o) = facts.organizations.get(s.organization as usize) {
            let leak = s
                .outside_total_minor
                .saturating_sub(s.outside_local_minor)
                .max(0);
            let cell = &mut leakage_minor[at(o.sector)];
            *cell = cell.saturating_add(leak);
        }
        for (sector, amount) in &s.outside_by_sector_minor {
            let cell = &mut outside_by_sector_minor[at(*sector)];
            *cell = cell.saturating_add((*amount).max(0));
        }
    }
    let mut jobs_fte_hundredths = vec![0i64; n];
    for (sector, jobs) in &report.members.jobs_by_sector {
        jobs_fte_hundredths[at(*sector)] = (*jobs).max(0);
    }
    Economy {
        sectors: n,
        flows_minor,
        output_minor,
        leakage_minor,
        jobs_fte_hundredths,
        outside_by_sector_minor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_value_then_count() {
        let outside = [(Sector::Energy, 6_000), (Sector::Retail, 0)];
        let orders = vec![(Sector::Agriculture, 9_000, 12)];
        let needs = vec![("repairs".to_owned(), 4), ("none".to_owned(), 0)];
        let ranked = opportunities(&outside, &orders, &needs);
        assert_eq!(ranked.len(), 3);
        assert_eq!(
            ranked[0].gap,
            Gap::UnmetOrders {
                sector: Sector::Agriculture
            }
        );
        assert_eq!(
            ranked[1].gap,
            Gap::OutsidePurchases {
                sector: Sector::Energy
            }
        );
        assert_eq!(ranked[1].amount_minor, 6_000);
        assert_eq!(ranked[2].count, 4);
    }
}
