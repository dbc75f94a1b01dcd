//! Food kilometres and CO2e of purchasing-group deliveries, against a conventional supply
//! baseline for the same weight of food.
//!
//! A delivery is one van trip from the farm to the pickup point, one way; its emissions are
//! its distance times a per-vehicle-km factor, whatever it carries (the van runs anyway). The
//! baseline moves the same weight over the conventional supply distance by heavy goods
//! vehicle, with a per-tonne-km factor. The baseline counts only that long-haul leg, not the
//! wholesale-to-shop leg, so "avoided" figures are on the low side.
//!
//! A delivery whose distance is unknown still counts its weight in the baseline (the food was
//! bought locally, so the conventional trip was avoided) but adds nothing to the local
//! kilometres: the figures then overstate what was avoided by that van trip, so they are
//! counted in [`FoodMiles::unknown_distance`] for the report to show.
//!
//! Integer arithmetic throughout: masses in grams, distances in metres, factors in milligrams,
//! products in `i128`, one floor division at the end of each figure.

/// The conventional supply distance, in metres: 1,494 miles (2,404.4 km).
///
/// Source: Pirog & Benjamin (2003), *Checking the food odometer: comparing food miles for
/// local versus conventional produce sales to Iowa institutions*, Leopold Center for
/// Sustainable Agriculture, Iowa State University: the weighted average source distance of
/// conventional produce for the same Iowa institutional sales was 1,494 miles, against 56
/// miles for the local produce. The companion report Pirog, Van Pelt, Enshayan & Cook (2001),
/// *Food, Fuel, and Freeways*, Leopold Center, found about 1,500 miles (1,518) for produce
/// arriving by truck at the Chicago Terminal Market in 1998. Both are US figures for fresh
/// produce; a district with a better local baseline should use it through [`Factors`].
pub const CONVENTIONAL_DISTANCE_M: i64 = 2_404_360;

/// Heavy goods vehicle emissions, milligrams CO2e per tonne-km: UK DESNZ/DEFRA greenhouse gas
/// conversion factors for company reporting (2023), "Freighting goods", HGV (all diesel), all
/// HGVs, average laden, about 0.107 kg CO2e per tonne-km (rounded; check the year's table).
pub const HGV_MG_CO2E_PER_TONNE_KM: i64 = 107_000;

/// Van emissions, milligrams CO2e per vehicle-km: UK DESNZ/DEFRA greenhouse gas conversion
/// factors (2023), "Delivery vehicles", vans, average (up to 3.5 tonnes), diesel, about
/// 0.25 kg CO2e per km (rounded; check the year's table).
pub const VAN_MG_CO2E_PER_KM: i64 = 250_000;

/// The baseline distance and emission factors, so a district can use its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factors {
    /// Conventional supply distance, metres.
    pub conventional_distance_m: i64,
    /// Long-haul emissions, milligrams CO2e per tonne-km.
    pub hgv_mg_co2e_per_tonne_km: i64,
    /// Local delivery emissions, milligrams CO2e per vehicle-km.
    pub van_mg_co2e_per_km: i64,
}

impl Factors {
    /// The cited defaults: [`CONVENTIONAL_DISTANCE_M`], [`HGV_MG_CO2E_PER_TONNE_KM`],
    /// [`VAN_MG_CO2E_PER_KM`].
    pub const DEFAULT: Factors = Factors {
        conventional_distance_m: CONVENTIONAL_DISTANCE_M,
        hgv_mg_co2e_per_tonne_km: HGV_MG_CO2E_PER_TONNE_KM,
        van_mg_co2e_per_km: VAN_MG_CO2E_PER_KM,
    };
}

impl Default for Factors {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One delivery of a purchasing group's order: one van trip, one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Road distance from the producer to the pickup point, metres; `None` when unknown
    /// (a negative distance is read as unknown).
    pub distance_m: Option<i64>,
    /// Weight delivered, grams (a delivery of zero or negative weight is ignored).
    pub weight_g: i64,
}

/// Food kilometres and emissions of a set of deliveries and of their conventional baseline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FoodMiles {
    /// Deliveries counted (positive weight).
    pub deliveries: u64,
    /// Of those, deliveries whose distance is unknown.
    pub unknown_distance: u64,
    /// Total weight delivered, grams.
    pub weight_g: i128,
    /// Van distance driven, metres (deliveries with a known distance).
    pub local_vehicle_m: i128,
    /// Local freight, kilogram-kilometres: Σ weight × distance (known distances only).
    pub local_kg_km: i128,
    /// Baseline freight, kilogram-kilometres: total weight × conventional distance.
    pub baseline_kg_km: i128,
    /// `baseline_kg_km − local_kg_km` (negative if local trips were longer).
    pub avoided_kg_km: i128,
    /// Local emissions, grams CO2e: van distance × van factor.
    pub local_co2e_g: i128,
    /// Baseline emissions, grams CO2e: baseline tonne-km × HGV factor.
    pub baseline_co2e_g: i128,
    /// `baseline_co2e_g − local_co2e_g` (negative if the vans emitted more).
    pub avoided_co2e_g: i128,
}

/// [`food_miles_with`] the cited default factors.
pub fn food_miles(deliveries: &[Delivery]) -> FoodMiles {
    food_miles_with(deliveries, &Factors::DEFAULT)
}

/// Food kilometres and CO2e of `deliveries` against the conventional baseline of `factors`.
/// Arithmetic saturates at the `i128` bounds, which no real set of deliveries reaches.
pub fn food_miles_with(deliveries: &[Delivery], factors: &Factors) -> FoodMiles {
    let mut out = FoodMiles::default();
    // Σ weight × distance in gram-metres, and the van distance in metres.
    let mut local_g_m = 0i128;
    for delivery in deliveries.iter().filter(|d| d.weight_g > 0) {
        let weight = i128::from(delivery.weight_g);
        out.deliveries += 1;
        out.weight_g = out.weight_g.saturating_add(weight);
        match delivery.distance_m.filter(|&d| d >= 0) {
            Some(distance) => {
                let distance = i128::from(distance);
                out.local_vehicle_m = out.local_vehicle_m.saturating_add(distance);
                local_g_m = local_g_m.saturating_add(weight.saturating_mul(distance));
            }
            None => out.unknown_distance += 1,
        }
    }
    let baseline_g_m = out
        .weight_g
        .saturating_mul(i128::from(factors.conventional_distance_m.max(0)));
    // 1 kg·km = 1,000 g × 1,000 m.
    out.local_kg_km = local_g_m / 1_000_000;
    out.baseline_kg_km = baseline_g_m / 1_000_000;
    out.avoided_kg_km = out.baseline_kg_km - out.local_kg_km;
    // g = m × mg/km / (1,000 m/km × 1,000 mg/g).
    out.local_co2e_g = out
        .local_vehicle_m
        .saturating_mul(i128::from(factors.van_mg_co2e_per_km.max(0)))
        / 1_000_000;
    // g = g·m × mg/(t·km) / (10⁹ g·m per t·km × 1,000 mg/g).
    out.baseline_co2e_g = baseline_g_m
        .saturating_mul(i128::from(factors.hgv_mg_co2e_per_tonne_km.max(0)))
        / 1_000_000_000_000;
    out.avoided_co2e_g = out.baseline_co2e_g - out.local_co2e_g;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_deliveries_by_hand() {
        // 500 kg over 30 km and 250 kg over 12.5 km.
        //   van: 42,500 m; local freight: 500 × 30 + 250 × 12.5 = 18,125 kg·km
        //   baseline: 750 kg × 2,404.36 km = 1,803,270 kg·km
        //   local CO2e: 42.5 km × 250 g = 10,625 g
        //   baseline CO2e: 1,803.27 t·km × 107 g = 192,949.89 → 192,949 g
        let deliveries = [
            Delivery {
                distance_m: Some(30_000),
                weight_g: 500_000,
            },
            Delivery {
                distance_m: Some(12_500),
                weight_g: 250_000,
            },
        ];
        assert_eq!(
            food_miles(&deliveries),
            FoodMiles {
                deliveries: 2,
                unknown_distance: 0,
                weight_g: 750_000,
                local_vehicle_m: 42_500,
                local_kg_km: 18_125,
                baseline_kg_km: 1_803_270,
                avoided_kg_km: 1_785_145,
                local_co2e_g: 10_625,
                baseline_co2e_g: 192_949,
                avoided_co2e_g: 182_324,
            }
        );
    }

    #[test]
    fn unknown_distance_counts_in_the_baseline_only() {
        // 100 kg from an unknown distance: baseline 100 × 2,404.36 = 240,436 kg·km and
        // 240.436 t·km × 107 g = 25,726.652 → 25,726 g; nothing local.
        let deliveries = [
            Delivery {
                distance_m: None,
                weight_g: 100_000,
            },
            Delivery {
                distance_m: Some(-3),
                weight_g: 0,
            },
        ];
        let miles = food_miles(&deliveries);
        assert_eq!(miles.deliveries, 1);
        assert_eq!(miles.unknown_distance, 1);
        assert_eq!(miles.local_vehicle_m, 0);
        assert_eq!(miles.baseline_kg_km, 240_436);
        assert_eq!(miles.baseline_co2e_g, 25_726);
        assert_eq!(miles.avoided_co2e_g, 25_726);
    }

    #[test]
    fn own_factors_and_a_long_local_trip() {
        // A 10 kg box driven 100 km against a 50 km baseline: local freight exceeds it.
        let factors = Factors {
            conventional_distance_m: 50_000,
            hgv_mg_co2e_per_tonne_km: 100_000,
            van_mg_co2e_per_km: 200_000,
        };
        let miles = food_miles_with(
            &[Delivery {
                distance_m: Some(100_000),
                weight_g: 10_000,
            }],
            &factors,
        );
        assert_eq!(miles.local_kg_km, 1_000);
        assert_eq!(miles.baseline_kg_km, 500);
        assert_eq!(miles.avoided_kg_km, -500);
        // 100 km × 200 g = 20,000 g; 0.5 t·km × 100 g = 50 g.
        assert_eq!(miles.local_co2e_g, 20_000);
        assert_eq!(miles.baseline_co2e_g, 50);
        assert_eq!(miles.avoided_co2e_g, -19_950);
    }

    #[test]
    fn nothing_delivered() {
        assert_eq!(food_miles(&[]), FoodMiles::default());
    }
}
