//! Input–output (Leontief) model of the district and relocalisation scenarios: "what if
//! members bought X % of what they now buy outside, in sector S, from local suppliers?".
//!
//! The model is the textbook one (Miller & Blair, *Input–Output Analysis*, ch. 2): technical
//! coefficients `a_ij = z_ij / x_j` (what sector `j` buys from local sector `i` per unit of its
//! own income), the Leontief inverse `L = (I − A)⁻¹`, and for a change of final demand `Δy`
//! the change of every sector's income `Δx = L · Δy`, so the first-round change and all the
//! rounds of local re-purchasing it triggers are counted.
//!
//! Inputs are integers (minor units, hundredths of full-time equivalents); the computation
//! is in `f64` because its results are projections, not money: nothing here is booked, and a
//! rounding error of a cent on a scenario is irrelevant next to the uncertainty of its inputs.
//! Every result is checked to be finite before it is rounded back to integers, so the model
//! never returns NaN or infinity.

use super::lm3::mul_div_floor;

/// The largest number of sectors the model accepts. Gauss–Jordan is cubic: 64 sectors cost
/// about 260,000 multiply–adds, and no district classifies its members more finely.
pub const MAX_SECTORS: usize = 64;

/// The largest column sum of the technical coefficients. A sector that re-spends more than
/// 95 % of its income with local sectors leaves almost nothing for wages and outside inputs,
/// which no real sector does: it is a data error (ledger and survey periods that do not
/// match), and near 100 % the multipliers explode (a column sum of 0.999 alone gives up to
/// 1000). Such a column is scaled down to this sum instead of refusing the whole economy; the
/// projection lists the sectors that were scaled.
pub const MAX_COLUMN_SUM: f64 = 0.95;

/// A pivot smaller than this in absolute value makes the matrix singular for our purposes.
const PIVOT_EPSILON: f64 = 1e-12;

/// The district's economy over a period, by sector, in integers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Economy {
    /// Number of sectors, at most [`MAX_SECTORS`].
    pub sectors: usize,
    /// Row-major `sectors × sectors`: at `i × sectors + j`, purchases by sector `j` (column)
    /// from local sector `i` (row), minor units.
    pub flows_minor: Vec<i64>,
    /// Each sector's total local income (its members' total receipts), minor units.
    pub output_minor: Vec<i64>,
    /// Each sector's purchases from outside the district, minor units. Not used by the
    /// projection (leakage is what `1 − column sum` already leaves out); validated and kept so
    /// one value carries the whole table.
    pub leakage_minor: Vec<i64>,
    /// Jobs in each sector, in hundredths of a full-time equivalent.
    pub jobs_fte_hundredths: Vec<i64>,
    /// What members bought outside the district, by the sector of the good or service (from
    /// surveys), minor units.
    pub outside_by_sector_minor: Vec<i64>,
}

/// "Members shift `shift_percent` % of their outside purchases in `sector` to local suppliers
/// of that sector."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// The sector whose goods or services are relocalised.
    pub sector: usize,
    /// How much of the outside purchases moves, `0..=100`.
    pub shift_percent: u8,
}

/// What a scenario changes, rounded to integers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// The new local final demand `Δy_S`, minor units (floored).
    pub demand_shift_minor: i64,
    /// Each sector's income change `Δx`, minor units, rounded to nearest.
    pub income_change_minor: Vec<i64>,
    /// The sum of the rounded per-sector changes, so the published table adds up.
    pub total_income_change_minor: i64,
    /// Each sector's job change (employment per unit of income × `Δx`), hundredths of a
    /// full-time equivalent, rounded to nearest. 0 in a sector without income.
    pub jobs_change_fte_hundredths: Vec<i64>,
    /// The sum of the rounded per-sector job changes.
    pub total_jobs_change_fte_hundredths: i64,
    /// Total income change per unit of demand shift, in thousandths (floored); `None` when
    /// the demand shift is 0.
    pub multiplier_milli: Option<i64>,
    /// Sectors whose coefficients were scaled down to [`MAX_COLUMN_SUM`]: their data should
    /// be checked before the projection is published.
    pub scaled_sectors: Vec<usize>,
}

/// Why an economy or a scenario was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IoError {
    /// A vector whose length does not match the number of sectors.
    #[error("{field}: {got} values for {expected}")]
    EconomyShape {
        /// Which field.
        field: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        got: usize,
    },
    /// More sectors than [`MAX_SECTORS`].
    #[error("{0} sectors, at most {MAX_SECTORS}")]
    TooManySectors(usize),
    /// A negative amount or job count.
    #[error("{field}[{index}] is negative")]
    Negative {
        /// Which field.
        field: &'static str,
        /// Position in it.
        index: usize,
    },
    /// A coefficient that is NaN or infinite.
    #[error("a coefficient is not a finite number")]
    NotFinite,
    /// `I − A` has no inverse (only possible for coefficients given by hand).
    #[error("the input-output matrix is singular")]
    Singular,
    /// A scenario naming a sector outside the economy.
    #[error("sector {0} is not in the economy")]
    ScenarioSectorUnknown(usize),
    /// A scenario shifting more than 100 %.
    #[error("shift of {0} %, at most 100")]
    ScenarioPercentInvalid(u8),
}

impl IoError {
    /// The stable snake_case code, also the Fluent message id.
    pub fn code(&self) -> &'static str {
        match self {
            IoError::EconomyShape { .. } => "impact_economy_shape",
            IoError::TooManySectors(_) => "impact_economy_too_many_sectors",
            IoError::Negative { .. } => "impact_economy_negative",
            IoError::NotFinite => "impact_economy_not_finite",
            IoError::Singular => "impact_economy_singular",
            IoError::ScenarioSectorUnknown(_) => "impact_scenario_sector_unknown",
            IoError::ScenarioPercentInvalid(_) => "impact_scenario_percent_invalid",
        }
    }
}

/// The technical coefficients of an economy, row-major, with every column sum at most
/// [`MAX_COLUMN_SUM`], and the sectors whose column had to be scaled down to get there.
pub fn technical_coefficients(economy: &Economy) -> Result<(Vec<f64>, Vec<usize>), IoError> {
    validate(economy)?;
    let n = economy.sectors;
    let mut a = vec![0.0f64; n * n];
    let mut scaled = Vec::new();
    for j in 0..n {
        let output = economy.output_minor[j];
        if output == 0 {
            // A sector without income has no recipe to scale: its column stays 0.
            continue;
        }
        let mut sum = 0.0;
        for i in 0..n {
            let coefficient = economy.flows_minor[i * n + j] as f64 / output as f64;
            a[i * n + j] = coefficient;
            sum += coefficient;
        }
        if sum > MAX_COLUMN_SUM {
            let factor = MAX_COLUMN_SUM / sum;
            for i in 0..n {
                a[i * n + j] *= factor;
            }
            scaled.push(j);
        }
    }
    Ok((a, scaled))
}

/// The Leontief inverse `(I − A)⁻¹` of the row-major `n × n` coefficients `a`, by
/// Gauss–Jordan elimination with partial pivoting.
///
/// Written by hand because a linear-algebra crate (nalgebra and its dependencies) is a heavy
/// addition for one inverse of at most 64 × 64, and this one is 30 lines.
pub fn leontief_inverse(a: &[f64], n: usize) -> Result<Vec<f64>, IoError> {
    if n > MAX_SECTORS {
        return Err(IoError::TooManySectors(n));
    }
    if a.len() != n * n {
        return Err(IoError::EconomyShape {
            field: "coefficients",
            expected: n * n,
            got: a.len(),
        });
    }
    if a.iter().any(|x| !x.is_finite()) {
        return Err(IoError::NotFinite);
    }
    let mut m: Vec<f64> = (0..n * n).map(|k| identity(k, n) - a[k]).collect();
    let mut inverse: Vec<f64> = (0..n * n).map(|k| identity(k, n)).collect();
    for col in 0..n {
        let pivot_row = (col..n)
            .max_by(|&r, &s| m[r * n + col].abs().total_cmp(&m[s * n + col].abs()))
            .unwrap_or(col);
        let pivot = m[pivot_row * n + col];
        if pivot.abs() < PIVOT_EPSILON {
            return Err(IoError::Singular);
        }
        swap_rows(&mut m, n, col, pivot_row);
        swap_rows(&mut inverse, n, col, pivot_row);
        for k in 0..n {
            m[col * n + k] /= pivot;
            inverse[col * n + k] /= pivot;
        }
        for row in (0..n).filter(|&r| r != col) {
            let factor = m[row * n + col];
            if factor == 0.0 {
                continue;
            }
            for k in 0..n {
                m[row * n + k] -= factor * m[col * n + k];
                inverse[row * n + k] -= factor * inverse[col * n + k];
            }
        }
    }
    if inverse.iter().all(|x| x.is_finite()) {
        Ok(inverse)
    } else {
        Err(IoError::NotFinite)
    }
}

/// Projects a relocalisation scenario: `Δy_S = shift % × outside purchases of S`, then
/// `Δx = L · Δy` and jobs in proportion to each sector's income.
pub fn project(economy: &Economy, scenario: &Scenario) -> Result<Projection, IoError> {
    validate(economy)?;
    let n = economy.sectors;
    if scenario.sector >= n {
        return Err(IoError::ScenarioSectorUnknown(scenario.sector));
    }
    if scenario.shift_percent > 100 {
        return Err(IoError::ScenarioPercentInvalid(scenario.shift_percent));
    }
    let outside = i128::from(economy.outside_by_sector_minor[scenario.sector]);
    // At most the outside purchases themselves, so it fits in i64.
    let demand_shift =
        i64::try_from(outside * i128::from(scenario.shift_percent) / 100).unwrap_or(0);
    let (a, scaled_sectors) = technical_coefficients(economy)?;
    let inverse = leontief_inverse(&a, n)?;
    let mut projection = Projection {
        demand_shift_minor: demand_shift,
        scaled_sectors,
        ..Projection::default()
    };
    for i in 0..n {
        let income = inverse[i * n + scenario.sector] * demand_shift as f64;
        let per_unit = match economy.output_minor[i] {
            0 => 0.0,
            output => economy.jobs_fte_hundredths[i] as f64 / output as f64,
        };
        let jobs = per_unit * income;
        if !income.is_finite() || !jobs.is_finite() {
            return Err(IoError::NotFinite);
        }
        // `as` saturates at the i64 bounds; both values are finite here.
        projection.income_change_minor.push(income.round() as i64);
        projection
            .jobs_change_fte_hundredths
            .push(jobs.round() as i64);
    }
    projection.total_income_change_minor = saturating_sum(&projection.income_change_minor);
    projection.total_jobs_change_fte_hundredths =
        saturating_sum(&projection.jobs_change_fte_hundredths);
    projection.multiplier_milli = mul_div_floor(
        i128::from(projection.total_income_change_minor),
        1000,
        i128::from(demand_shift),
    )
    .and_then(|m| i64::try_from(m).ok());
    Ok(projection)
}

/// Checks the lengths and signs of an economy.
fn validate(economy: &Economy) -> Result<(), IoError> {
    let n = economy.sectors;
    if n > MAX_SECTORS {
        return Err(IoError::TooManySectors(n));
    }
    let fields: [(&'static str, &[i64], usize); 5] = [
        ("flows_minor", &economy.flows_minor, n * n),
        ("output_minor", &economy.output_minor, n),
        ("leakage_minor", &economy.leakage_minor, n),
        ("jobs_fte_hundredths", &economy.jobs_fte_hundredths, n),
        (
            "outside_by_sector_minor",
            &economy.outside_by_sector_minor,
            n,
        ),
    ];
    for (field, values, expected) in fields {
        if values.len() != expected {
            return Err(IoError::EconomyShape {
                field,
                expected,
                got: values.len(),
            });
        }
        if let Some(index) = values.iter().position(|&v| v < 0) {
            return Err(IoError::Negative { field, index });
        }
    }
    Ok(())
}

/// 1 on the diagonal of a row-major `n × n` matrix, 0 elsewhere.
fn identity(k: usize, n: usize) -> f64 {
    if k / n == k % n { 1.0 } else { 0.0 }
}

/// Swaps rows `r` and `s` of a row-major matrix with `n` columns.
fn swap_rows(m: &mut [f64], n: usize, r: usize, s: usize) {
    if r != s {
        for k in 0..n {
            m.swap(r * n + k, s * n + k);
        }
    }
}

fn saturating_sum(values: &[i64]) -> i64 {
    values.iter().fold(0i64, |sum, &v| sum.saturating_add(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A = [[0.2, 0.3], [0.4, 0.1]]:
    ///   I − A = [[0.8, −0.3], [−0.4, 0.9]], det = 0.8 × 0.9 − 0.3 × 0.4 = 0.6,
    ///   L = (1 / 0.6) × [[0.9, 0.3], [0.4, 0.8]] = [[1.5, 0.5], [0.666…, 1.333…]].
    fn textbook() -> Economy {
        Economy {
            sectors: 2,
            flows_minor: vec![20_000, 30_000, 40_000, 10_000],
            output_minor: vec![100_000, 100_000],
            leakage_minor: vec![10_000, 20_000],
            jobs_fte_hundredths: vec![1_000, 500],
            outside_by_sector_minor: vec![20_000, 8_000],
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn textbook_inverse() {
        let (a, scaled) = technical_coefficients(&textbook()).unwrap();
        assert!(scaled.is_empty());
        let l = leontief_inverse(&a, 2).unwrap();
        let expected = [1.5, 0.5, 2.0 / 3.0, 4.0 / 3.0];
        for (got, want) in l.iter().zip(expected) {
            assert!(close(*got, want), "{l:?}");
        }
    }

    #[test]
    fn textbook_projection() {
        // Δy_0 = 50 % × 20,000 = 10,000; Δx = column 0 of L × 10,000 = [15,000, 6,666.7];
        // jobs per unit = [1,000 / 100,000, 500 / 100,000] → [150, 33.3] hundredths.
        let p = project(
            &textbook(),
            &Scenario {
                sector: 0,
                shift_percent: 50,
            },
        )
        .unwrap();
        assert_eq!(
            p,
            Projection {
                demand_shift_minor: 10_000,
                income_change_minor: vec![15_000, 6_667],
                total_income_change_minor: 21_667,
                jobs_change_fte_hundredths: vec![150, 33],
                total_jobs_change_fte_hundredths: 183,
                multiplier_milli: Some(2_166),
                scaled_sectors: vec![],
            }
        );
    }

    #[test]
    fn zero_shift_changes_nothing() {
        let p = project(
            &textbook(),
            &Scenario {
                sector: 1,
                shift_percent: 0,
            },
        )
        .unwrap();
        assert_eq!(p.demand_shift_minor, 0);
        assert_eq!(p.income_change_minor, vec![0, 0]);
        assert_eq!(p.total_jobs_change_fte_hundredths, 0);
        assert_eq!(p.multiplier_milli, None);
    }

    #[test]
    fn sector_without_output() {
        // Sector 1 has no members' income yet: new demand for it is all new income, with no
        // employment coefficient to turn it into jobs.
        let economy = Economy {
            sectors: 2,
            flows_minor: vec![10_000, 0, 0, 0],
            output_minor: vec![100_000, 0],
            leakage_minor: vec![0, 0],
            jobs_fte_hundredths: vec![300, 0],
            outside_by_sector_minor: vec![0, 5_000],
        };
        let p = project(
            &economy,
            &Scenario {
                sector: 1,
                shift_percent: 100,
            },
        )
        .unwrap();
        assert_eq!(p.income_change_minor, vec![0, 5_000]);
        assert_eq!(p.jobs_change_fte_hundredths, vec![0, 0]);
        assert_eq!(p.multiplier_milli, Some(1_000));
    }

    #[test]
    fn unproductive_column_is_scaled() {
        // Sector 0 says it bought 1.4 times its income locally: scaled to 0.95.
        let economy = Economy {
            sectors: 2,
            flows_minor: vec![800, 0, 600, 0],
            output_minor: vec![1_000, 1_000],
            leakage_minor: vec![0, 0],
            jobs_fte_hundredths: vec![100, 100],
            outside_by_sector_minor: vec![1_000, 0],
        };
        let (a, scaled) = technical_coefficients(&economy).unwrap();
        assert_eq!(scaled, vec![0]);
        assert!(close(a[0] + a[2], MAX_COLUMN_SUM));
        let p = project(
            &economy,
            &Scenario {
                sector: 0,
                shift_percent: 100,
            },
        )
        .unwrap();
        assert_eq!(p.scaled_sectors, vec![0]);
        assert!(p.total_income_change_minor >= 1_000);
    }

    #[test]
    fn refusals_have_codes() {
        let mut bad = textbook();
        bad.jobs_fte_hundredths.pop();
        let scenario = Scenario {
            sector: 0,
            shift_percent: 10,
        };
        assert_eq!(
            project(&bad, &scenario).map_err(|e| e.code()),
            Err("impact_economy_shape")
        );
        let mut negative = textbook();
        negative.flows_minor[3] = -1;
        assert_eq!(
            project(&negative, &scenario).map_err(|e| e.code()),
            Err("impact_economy_negative")
        );
        let unknown = Scenario {
            sector: 2,
            shift_percent: 10,
        };
        assert_eq!(
            project(&textbook(), &unknown).map_err(|e| e.code()),
            Err("impact_scenario_sector_unknown")
        );
        let too_much = Scenario {
            sector: 0,
            shift_percent: 101,
        };
        assert_eq!(
            project(&textbook(), &too_much).map_err(|e| e.code()),
            Err("impact_scenario_percent_invalid")
        );
        assert_eq!(
            leontief_inverse(&[0.0; 65 * 65], 65).map_err(|e| e.code()),
            Err("impact_economy_too_many_sectors")
        );
        // A = I makes I − A zero.
        assert_eq!(
            leontief_inverse(&[1.0, 0.0, 0.0, 1.0], 2).map_err(|e| e.code()),
            Err("impact_economy_singular")
        );
        assert_eq!(
            leontief_inverse(&[f64::NAN], 1).map_err(|e| e.code()),
            Err("impact_economy_not_finite")
        );
    }

    fn arb_economy() -> impl Strategy<Value = Economy> {
        (1usize..6).prop_flat_map(|n| {
            (
                proptest::collection::vec(0i64..1_000_000, n * n),
                proptest::collection::vec(0i64..1_000_000, n),
                proptest::collection::vec(0i64..10_000, n),
                proptest::collection::vec(0i64..1_000_000_000, n),
            )
                .prop_map(move |(flows, output, jobs, outside)| Economy {
                    sectors: n,
                    flows_minor: flows,
                    output_minor: output,
                    leakage_minor: vec![0; n],
                    jobs_fte_hundredths: jobs,
                    outside_by_sector_minor: outside,
                })
        })
    }

    proptest! {
        #[test]
        fn income_change_covers_the_shift(
            economy in arb_economy(),
            sector in 0usize..6,
            shift_percent in 0u8..=100,
        ) {
            let sector = sector % economy.sectors;
            let p = project(&economy, &Scenario { sector, shift_percent }).unwrap();
            prop_assert!(p.demand_shift_minor >= 0);
            prop_assert!(p.total_income_change_minor >= p.demand_shift_minor);
            prop_assert!(p.income_change_minor.iter().all(|&x| x >= 0));
            prop_assert!(p.jobs_change_fte_hundredths.iter().all(|&x| x >= 0));
            if p.demand_shift_minor > 0 {
                prop_assert!(p.multiplier_milli.unwrap_or(0) >= 1000);
            }
        }
    }
}
