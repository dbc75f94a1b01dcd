//! The close of an order cycle: every product rounded to whole packages with tolerances filled
//! (see [`super::allocation`]), then producers whose minimum order is not met are cut from the
//! cycle (their lines get nothing, nothing is ordered from them).

use super::allocation::{self, Demand};
use super::catalogue::line_amount_minor;
use crate::Invalid;
use std::collections::HashMap;
use uuid::Uuid;

/// A product offered in the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferedProduct {
    /// The product.
    pub id: Uuid,
    /// Its producer.
    pub producer: Uuid,
    /// Its step, in thousandths of its unit.
    pub step_milli: i64,
    /// Its wholesale package, in thousandths of its unit.
    pub package_size_milli: i64,
    /// Its price in the cycle's currency, per unit (for the producer's minimum).
    pub price_minor: i64,
}

/// A line of an order, in arrival order in the slice given to [`plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderedLine {
    /// The product.
    pub product: Uuid,
    /// What the household ordered.
    pub quantity_milli: i64,
    /// How much more it would take to fill a package.
    pub tolerance_milli: i64,
}

/// What the close decides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// What each line gets, in the order of the lines given.
    pub allocated_milli: Vec<i64>,
    /// Whole packages ordered per product (products nobody ordered are left out).
    pub packages: Vec<(Uuid, i64)>,
    /// Each producer with a minimum, and whether it was met.
    pub minimums: Vec<(Uuid, bool)>,
}

/// Plans the close. `minimums` gives each producer's minimum order (in the cycle's currency,
/// before markups). Lines of products not offered get nothing.
pub fn plan(
    products: &[OfferedProduct],
    minimums: &[(Uuid, Option<i64>)],
    lines: &[OrderedLine],
) -> Result<Plan, Invalid> {
    let offered: HashMap<Uuid, &OfferedProduct> = products.iter().map(|p| (p.id, p)).collect();
    let mut by_product: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if offered.contains_key(&l.product) {
            by_product.entry(l.product).or_default().push(i);
        }
    }
    let mut allocated_milli = vec![0_i64; lines.len()];
    let mut packages = Vec::with_capacity(by_product.len());
    let mut producer_total: HashMap<Uuid, i128> = HashMap::new();
    let mut ids: Vec<Uuid> = by_product.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let (Some(product), Some(indexes)) = (offered.get(&id), by_product.get(&id)) else {
            continue;
        };
        let demands: Vec<Demand> = indexes
            .iter()
            .map(|&i| Demand {
                quantity_milli: lines[i].quantity_milli,
                tolerance_milli: lines[i].tolerance_milli,
            })
            .collect();
        let a = allocation::allocate(product.step_milli, product.package_size_milli, &demands)?;
        for (&i, &share) in indexes.iter().zip(&a.allocated_milli) {
            allocated_milli[i] = share;
            *producer_total.entry(product.producer).or_default() +=
                i128::from(line_amount_minor(product.price_minor, share));
        }
        packages.push((id, a.packages));
    }
    let mut cut = Vec::new();
    let mut minimum_results = Vec::new();
    for (producer, minimum) in minimums {
        let Some(minimum) = minimum else { continue };
        let total = producer_total.get(producer).copied().unwrap_or(0);
        let met = total >= i128::from(*minimum);
        minimum_results.push((*producer, met));
        if !met {
            cut.push(*producer);
        }
    }
    if !cut.is_empty() {
        cut_producers(products, &cut, lines, &mut allocated_milli, &mut packages);
    }
    Ok(Plan {
        allocated_milli,
        packages,
        minimums: minimum_results,
    })
}

/// Gives nothing to the lines of `cut` producers and orders nothing from them.
fn cut_producers(
    products: &[OfferedProduct],
    cut: &[Uuid],
    lines: &[OrderedLine],
    allocated_milli: &mut [i64],
    packages: &mut [(Uuid, i64)],
) {
    let cut_products: std::collections::HashSet<Uuid> = products
        .iter()
        .filter(|p| cut.contains(&p.producer))
        .map(|p| p.id)
        .collect();
    for (l, a) in lines.iter().zip(allocated_milli.iter_mut()) {
        if cut_products.contains(&l.product) {
            *a = 0;
        }
    }
    for (p, n) in packages.iter_mut() {
        if cut_products.contains(p) {
            *n = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(producer: Uuid, package_size_milli: i64, price_minor: i64) -> OfferedProduct {
        OfferedProduct {
            id: Uuid::new_v4(),
            producer,
            step_milli: 1_000,
            package_size_milli,
            price_minor,
        }
    }

    fn line(product: Uuid, quantity: i64, tolerance: i64) -> OrderedLine {
        OrderedLine {
            product,
            quantity_milli: quantity * 1_000,
            tolerance_milli: tolerance * 1_000,
        }
    }

    #[test]
    fn packages_round_and_tolerances_fill() {
        let farm = Uuid::new_v4();
        let crate_of_6 = product(farm, 6_000, 200);
        let lines = [
            line(crate_of_6.id, 2, 1),
            line(crate_of_6.id, 3, 0),
            line(crate_of_6.id, 0, 2),
        ];
        let p = plan(&[crate_of_6], &[(farm, None)], &lines).unwrap();
        assert_eq!(p.packages, vec![(crate_of_6.id, 1)]);
        assert_eq!(p.allocated_milli.iter().sum::<i64>(), 6_000);
        assert!(p.allocated_milli[0] >= 2_000 && p.allocated_milli[1] == 3_000);
        assert!(p.minimums.is_empty());
    }

    #[test]
    fn a_producer_below_its_minimum_is_cut() {
        let small = Uuid::new_v4();
        let big = Uuid::new_v4();
        let honey = product(small, 1_000, 800);
        let bread = product(big, 1_000, 300);
        let lines = [line(honey.id, 2, 0), line(bread.id, 4, 0)];
        let minimums = [(small, Some(2_000)), (big, Some(1_000))];
        let p = plan(&[honey, bread], &minimums, &lines).unwrap();
        assert_eq!(p.allocated_milli, vec![0, 4_000]);
        assert!(p.packages.contains(&(honey.id, 0)));
        assert!(p.minimums.contains(&(small, false)) && p.minimums.contains(&(big, true)));
    }

    #[test]
    fn lines_of_products_not_offered_get_nothing() {
        let farm = Uuid::new_v4();
        let eggs = product(farm, 1_000, 50);
        let lines = [line(Uuid::new_v4(), 3, 0), line(eggs.id, 3, 0)];
        let p = plan(&[eggs], &[], &lines).unwrap();
        assert_eq!(p.allocated_milli, vec![0, 3_000]);
    }
}
