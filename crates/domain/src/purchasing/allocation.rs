//! The close of an order cycle for one product: how many wholesale packages to order from the
//! producer and what each household gets, from what households ordered and how much more they
//! said they would take (their tolerance), as Foodsoft does.
//!
//! The producer ships whole packages. A package is ordered for every full package of demand;
//! one more when the households' tolerances can fill what the last one lacks. When the packages
//! hold more than was ordered, the extra goes to tolerances in proportion; when they hold less
//! (the last package was dropped), the packages are shared in proportion to what was ordered.
//! Shares are whole steps, apportioned by largest remainder, ties to the earlier order.
//!
//! Everything is counted in steps internally (`i128`), so no sum can overflow.

use super::catalogue::{MAX_QUANTITY_MILLI, Product};
use crate::Invalid;

/// The most demands one product's close takes (far above any purchasing group's).
pub const MAX_DEMANDS: usize = 100_000;

/// One household's demand for the product, in thousandths of its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demand {
    /// What the household ordered: a multiple of the step, `0..=MAX_QUANTITY_MILLI`.
    pub quantity_milli: i64,
    /// How much more it would take to fill a package: a multiple of the step,
    /// `0..=MAX_QUANTITY_MILLI`.
    pub tolerance_milli: i64,
}

/// The outcome of the close for one product.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allocation {
    /// Packages to order from the producer (steps, when the product is not packaged).
    pub packages: i64,
    /// What each demand gets, in the order of the demands, in thousandths of the unit.
    pub allocated_milli: Vec<i64>,
}

impl Allocation {
    /// Σ allocated: the packages' content (or, unpackaged, everything ordered).
    pub fn total_milli(&self) -> i128 {
        self.allocated_milli.iter().map(|&a| i128::from(a)).sum()
    }
}

/// Closes one product: see the module documentation for the rules.
///
/// `step_milli` and `package_size_milli` are the product's ([`Product::step_milli`],
/// [`Product::package_size_milli`]; equal when the product is not packaged). Demands are in
/// order of arrival: ties in the rounding go to the earlier one.
pub fn allocate(
    step_milli: i64,
    package_size_milli: i64,
    demands: &[Demand],
) -> Result<Allocation, Invalid> {
    check_product(step_milli, package_size_milli)?;
    if demands.len() > MAX_DEMANDS {
        return Err(Invalid::new("too_many_demands", "demands"));
    }
    let step = i128::from(step_milli);
    let size_steps = i128::from(package_size_milli) / step;
    let mut quantity_steps = Vec::with_capacity(demands.len());
    let mut tolerance_steps = Vec::with_capacity(demands.len());
    for d in demands {
        quantity_steps.push(steps_of(d.quantity_milli, step_milli, "quantity")?);
        tolerance_steps.push(steps_of(d.tolerance_milli, step_milli, "tolerance")?);
    }
    let ordered: i128 = quantity_steps.iter().sum();
    let tolerated: i128 = tolerance_steps.iter().sum();
    let packages = packages_for(ordered, tolerated, size_steps);
    let capacity = packages * size_steps;
    let shares = if capacity >= ordered {
        let extra = apportion(capacity - ordered, &tolerance_steps);
        quantity_steps
            .iter()
            .zip(extra)
            .map(|(q, e)| q + e)
            .collect()
    } else {
        apportion(capacity, &quantity_steps)
    };
    let allocated_milli = shares
        .into_iter()
        .map(|s| milli_of(s * step))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Allocation {
        packages: milli_of(packages)?,
        allocated_milli,
    })
}

/// [`allocate`] with the product's step and package size.
pub fn allocate_product(product: &Product, demands: &[Demand]) -> Result<Allocation, Invalid> {
    allocate(product.step_milli, product.package_size_milli, demands)
}

/// Whether an order of `total_minor` reaches the producer's minimum order, if it has one.
pub fn producer_minimum_met(total_minor: i64, minimum_minor: Option<i64>) -> bool {
    minimum_minor.is_none_or(|minimum| total_minor >= minimum)
}

fn check_product(step_milli: i64, package_size_milli: i64) -> Result<(), Invalid> {
    if step_milli <= 0 || step_milli > MAX_QUANTITY_MILLI {
        return Err(Invalid::new("bad_step", "step"));
    }
    if package_size_milli <= 0
        || package_size_milli > MAX_QUANTITY_MILLI
        || package_size_milli % step_milli != 0
    {
        return Err(Invalid::new("bad_package_size", "package_size"));
    }
    Ok(())
}

/// A quantity as a count of steps, refused unless it is a whole number of steps in range.
fn steps_of(milli: i64, step_milli: i64, field: &'static str) -> Result<i128, Invalid> {
    let code = if milli < 0 {
        "quantity_negative"
    } else if milli > MAX_QUANTITY_MILLI {
        "quantity_too_large"
    } else if milli % step_milli != 0 {
        "quantity_not_step"
    } else {
        return Ok(i128::from(milli / step_milli));
    };
    Err(Invalid::new(code, field))
}

fn milli_of(value: i128) -> Result<i64, Invalid> {
    // Unreachable with the bounds above (≤ 2·10^14); refused rather than wrapped all the same.
    i64::try_from(value).map_err(|_| Invalid::new("quantity_too_large", "quantity"))
}

/// Full packages of what was ordered, plus one when the tolerances fill the last one.
fn packages_for(ordered_steps: i128, tolerated_steps: i128, size_steps: i128) -> i128 {
    let full = ordered_steps / size_steps;
    let rest = ordered_steps % size_steps;
    if rest > 0 && rest + tolerated_steps >= size_steps {
        full + 1
    } else {
        full
    }
}

/// Splits `total` into whole shares proportional to `weights` by largest remainder, ties to
/// the lower index. Needs `0 <= total <= Σ weights` and weights ≥ 0; then each share is at most
/// its weight (a share rounded up had a fractional quota strictly below its weight).
fn apportion(total: i128, weights: &[i128]) -> Vec<i128> {
    let sum: i128 = weights.iter().sum();
    let mut shares = Vec::with_capacity(weights.len());
    if total <= 0 || sum <= 0 {
        shares.resize(weights.len(), 0);
        return shares;
    }
    let mut remainders: Vec<(i128, usize)> = Vec::new();
    let mut given = 0;
    for (i, &w) in weights.iter().enumerate() {
        let exact = total * w;
        let share = exact / sum;
        given += share;
        shares.push(share);
        if exact % sum > 0 {
            remainders.push((exact % sum, i));
        }
    }
    // Σ remainders / sum = total − given, each remainder < sum: left ≤ remainders.len().
    let left = usize::try_from(total - given)
        .unwrap_or(0)
        .min(remainders.len());
    if left > 0 {
        let larger_first = |a: &(i128, usize), b: &(i128, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        remainders.select_nth_unstable_by(left - 1, larger_first);
        for &(_, i) in &remainders[..left] {
            if let Some(s) = shares.get_mut(i) {
                *s += 1;
            }
        }
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(quantity_milli: i64, tolerance_milli: i64) -> Demand {
        Demand {
            quantity_milli,
            tolerance_milli,
        }
    }

    #[test]
    fn unpackaged_products_give_everyone_what_they_ordered() {
        let a = allocate(250, 250, &[d(500, 250), d(0, 0), d(1_250, 0)]).unwrap();
        assert_eq!(a.packages, 7);
        assert_eq!(a.allocated_milli, vec![500, 0, 1_250]);
    }

    #[test]
    fn tolerances_fill_the_last_package() {
        // Cheese in 2 kg wheels, 250 g steps: 1.5 + 1 kg ordered, the second wheel lacks 1.5 kg
        // and 1 + 0.5 kg are tolerated: two wheels, every tolerance taken.
        let a = allocate(250, 2_000, &[d(1_500, 1_000), d(1_000, 500)]).unwrap();
        assert_eq!(a.packages, 2);
        assert_eq!(a.allocated_milli, vec![2_500, 1_500]);
        // With 0.5 kg less tolerance the second wheel is dropped: 2 kg shared 6:4 in 250 g steps
        // (quotas 4.8 and 3.2 steps: 4 + 3, the last step to the larger remainder).
        let a = allocate(250, 2_000, &[d(1_500, 500), d(1_000, 500)]).unwrap();
        assert_eq!(a.packages, 1);
        assert_eq!(a.allocated_milli, vec![1_250, 750]);
    }

    #[test]
    fn extra_goes_to_tolerances_in_proportion() {
        // 10-piece crates. Ordered 13, tolerated 6 + 3 + 0: one more crate, 7 extra pieces.
        let a = allocate(1_000, 10_000, &[d(5_000, 6_000), d(8_000, 3_000), d(0, 0)]).unwrap();
        assert_eq!(a.packages, 2);
        // Quotas 7·6/9 = 4.67 and 7·3/9 = 2.33: 4 + 2, the last piece to the larger remainder.
        assert_eq!(a.allocated_milli, vec![10_000, 10_000, 0]);
    }

    #[test]
    fn ties_go_to_the_earlier_order() {
        let a = allocate(
            1_000,
            4_000,
            &[d(1_000, 1_000), d(1_000, 1_000), d(1_000, 1_000)],
        )
        .unwrap();
        assert_eq!(a.packages, 1);
        assert_eq!(a.allocated_milli, vec![2_000, 1_000, 1_000]);
    }

    #[test]
    fn a_short_package_is_dropped_and_the_rest_shared() {
        // Crates of 6; ordered 4 + 3 + 1 = 8, no tolerance: one crate, 6 pieces for 8 wanted.
        let a = allocate(1_000, 6_000, &[d(4_000, 0), d(3_000, 0), d(1_000, 0)]).unwrap();
        assert_eq!(a.packages, 1);
        // Quotas 3, 2.25, 0.75: 3 + 2 + 0, the last piece to the remainder 0.75.
        assert_eq!(a.allocated_milli, vec![3_000, 2_000, 1_000]);
        // Nothing when not even one package is ordered.
        let a = allocate(1_000, 6_000, &[d(2_000, 1_000), d(1_000, 1_000)]).unwrap();
        assert_eq!(a.packages, 0);
        assert_eq!(a.allocated_milli, vec![0, 0]);
    }

    #[test]
    fn no_demands_no_packages() {
        assert_eq!(allocate(1_000, 6_000, &[]).unwrap(), Allocation::default());
        let a = allocate(1_000, 6_000, &[d(0, 5_000)]).unwrap();
        assert_eq!((a.packages, a.allocated_milli), (0, vec![0]));
    }

    #[test]
    fn bad_input_is_refused_with_its_field() {
        let code = |step, size, demands: &[Demand]| {
            let e = allocate(step, size, demands).unwrap_err();
            (e.code, e.field)
        };
        assert_eq!(code(0, 1_000, &[]), ("bad_step", "step"));
        assert_eq!(code(300, 1_000, &[]), ("bad_package_size", "package_size"));
        assert_eq!(
            code(250, 1_000, &[d(300, 0)]),
            ("quantity_not_step", "quantity")
        );
        assert_eq!(
            code(250, 1_000, &[d(0, -250)]),
            ("quantity_negative", "tolerance")
        );
        assert_eq!(
            code(250, 1_000, &[d(MAX_QUANTITY_MILLI + 250, 0)]),
            ("quantity_too_large", "quantity")
        );
        let many = vec![Demand::default(); MAX_DEMANDS + 1];
        assert_eq!(code(250, 1_000, &many), ("too_many_demands", "demands"));
    }

    #[test]
    fn the_product_minimum_is_a_floor() {
        assert!(producer_minimum_met(0, None));
        assert!(producer_minimum_met(10_000, Some(10_000)));
        assert!(!producer_minimum_met(9_999, Some(10_000)));
    }

    #[test]
    fn a_large_group_closes_fast() {
        // 500 households × 40 products, and a product with the most demands allowed.
        let started = std::time::Instant::now();
        for product in 0..40_i64 {
            let demands: Vec<Demand> = (0..500_i64)
                .map(|h| d(250 * ((h * 7 + product) % 9), 250 * ((h + product) % 3)))
                .collect();
            let a = allocate(250, 250 * (1 + product % 12), &demands).unwrap();
            assert_eq!(a.allocated_milli.len(), 500);
        }
        let demands: Vec<Demand> = (0..MAX_DEMANDS as i64)
            .map(|h| d(1_000 * (h % 5), 1_000 * (h % 2)))
            .collect();
        let a = allocate(1_000, 7_000, &demands).unwrap();
        assert_eq!(a.total_milli(), i128::from(a.packages) * 7_000);
        assert!(
            started.elapsed().as_secs_f64() < 2.0,
            "{:?}",
            started.elapsed()
        );
    }

    /// A product (step, package in steps) and up to 40 demands of up to 12 steps.
    fn case() -> impl Strategy<Value = (i64, i64, Vec<Demand>)> {
        (
            prop::sample::select(vec![1_i64, 100, 250, 1_000]),
            1_i64..=12,
            prop::collection::vec((0_i64..=12, 0_i64..=4), 0..40),
        )
            .prop_map(|(step, size, raw)| {
                let demands = raw
                    .into_iter()
                    .map(|(q, t)| d(q * step, t * step))
                    .collect();
                (step, size * step, demands)
            })
    }

    fn check_invariants(step: i64, size: i64, demands: &[Demand], a: &Allocation) {
        let ordered: i64 = demands.iter().map(|x| x.quantity_milli).sum();
        let capacity = a.packages * size;
        assert_eq!(a.allocated_milli.len(), demands.len());
        assert_eq!(a.total_milli(), i128::from(capacity));
        if size == step {
            assert_eq!(capacity, ordered);
        }
        for (x, &got) in demands.iter().zip(&a.allocated_milli) {
            assert!(got >= 0 && got <= x.quantity_milli + x.tolerance_milli);
            assert_eq!(got % step, 0);
            if capacity >= ordered {
                assert!(got >= x.quantity_milli);
            } else {
                assert!(got <= x.quantity_milli);
            }
        }
        // Never a package fewer than the full ones ordered, never one more than needed.
        assert!(capacity + size > ordered);
        assert!(a.packages >= ordered / size);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        #[test]
        fn closes_keep_their_invariants((step, size, demands) in case()) {
            let a = allocate(step, size, &demands).unwrap();
            check_invariants(step, size, &demands, &a);
        }

        #[test]
        fn equal_demands_differ_by_at_most_one_step((step, size, demands) in case()) {
            let a = allocate(step, size, &demands).unwrap();
            for (i, x) in demands.iter().enumerate() {
                for (j, y) in demands.iter().enumerate().skip(i + 1) {
                    if x == y {
                        let (ai, aj) = (a.allocated_milli[i], a.allocated_milli[j]);
                        prop_assert!((ai - aj).abs() <= step);
                        // And the earlier one is never the one with less.
                        prop_assert!(ai >= aj);
                    }
                }
            }
        }

        #[test]
        fn ordering_or_tolerating_more_never_gets_you_less(
            (step, size, demands) in case(),
            who in any::<prop::sample::Index>(),
            more_steps in 1_i64..=6,
            tolerance in any::<bool>(),
        ) {
            prop_assume!(!demands.is_empty());
            let i = who.index(demands.len());
            let before = allocate(step, size, &demands).unwrap().allocated_milli[i];
            let mut raised = demands.clone();
            if tolerance {
                raised[i].tolerance_milli += more_steps * step;
            } else {
                raised[i].quantity_milli += more_steps * step;
            }
            let after = allocate(step, size, &raised).unwrap().allocated_milli[i];
            prop_assert!(after >= before, "{before} → {after}");
        }

        #[test]
        fn arrival_order_only_breaks_ties((step, size, demands) in case()) {
            // Reversed, the same demands get the same packages and, sorted, amounts that differ
            // by at most one step each.
            let a = allocate(step, size, &demands).unwrap();
            let reversed: Vec<Demand> = demands.iter().rev().copied().collect();
            let b = allocate(step, size, &reversed).unwrap();
            prop_assert_eq!(a.packages, b.packages);
            for (x, y) in a.allocated_milli.iter().zip(b.allocated_milli.iter().rev()) {
                prop_assert!((x - y).abs() <= step);
            }
        }
    }
}
