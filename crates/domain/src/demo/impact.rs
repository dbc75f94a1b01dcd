//! The demo district's answers to the impact survey: what its organisations pay in euro outside
//! the platform, how much of it stays in the territory, and what they buy outside the district
//! by sector, so the local share, LM3 and the gap analysis have something real to read.
//!
//! About seven organisations in ten answer, for each year of the demo (2025 and 2026). Amounts
//! grow with the organisation's jobs; the local part is 15–55 %; what is bought outside goes
//! to two or three sectors the district produces little of (energy, digital, mobility …) or
//! that feed the organisation's own trade (food processing buys agriculture from outside too).

use super::{Stream, stream_rng};
use crate::directory::Sector;
use rand::Rng;
use uuid::Uuid;

/// The years the demo's surveys cover (the demo's trade runs November 2025 to October 2026).
pub const SURVEY_YEARS: [i32; 2] = [2025, 2026];

/// One organisation's survey for one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSurvey {
    /// The organisation.
    pub organization_id: Uuid,
    /// The year.
    pub year: i32,
    /// Euro paid outside the platform, cents.
    pub outside_total_minor: i64,
    /// Of which in the territory.
    pub outside_local_minor: i64,
    /// Bought outside the district, by sector.
    pub by_sector: Vec<(Sector, i64)>,
}

/// An organisation the survey may ask: its id, sector and jobs (hundredths of FTE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Surveyed {
    /// Its id.
    pub id: Uuid,
    /// Its sector.
    pub sector: Sector,
    /// Its jobs, hundredths of a full-time equivalent.
    pub workers_fte_hundredths: i64,
}

/// What an organisation of `sector` buys outside the district besides the common ones.
fn own_inputs(sector: Sector) -> &'static [Sector] {
    use Sector as S;
    match sector {
        S::FoodProcessing | S::Hospitality | S::Retail => &[S::Agriculture, S::FoodProcessing],
        S::Agriculture => &[S::Mobility, S::Construction],
        S::Construction | S::Housing => &[S::Construction, S::Energy],
        S::Textiles | S::Crafts => &[S::Textiles, S::Recycling],
        _ => &[S::ProfessionalServices, S::Education],
    }
}

/// The surveys of `organizations` (at most the first 2,000), deterministic for `seed`.
pub fn surveys(seed: u64, organizations: &[Surveyed]) -> Vec<DemoSurvey> {
    let mut out = Vec::new();
    for (index, o) in organizations.iter().take(2_000).enumerate() {
        let mut rng = stream_rng(seed, Stream::ImpactSurvey, index as u64);
        if !rng.random_bool(0.7) {
            continue;
        }
        let jobs = o.workers_fte_hundredths.max(50);
        for year in SURVEY_YEARS {
            // 3,000–9,000 € of outside spending per full-time job, in cents.
            let total = jobs * rng.random_range(3_000..=9_000);
            let local = total * rng.random_range(15..=55) / 100;
            let outside = total - local;
            let common = [Sector::Energy, Sector::Digital, Sector::Mobility];
            let first = common[rng.random_range(0..common.len())];
            let inputs = own_inputs(o.sector);
            let second = inputs[rng.random_range(0..inputs.len())];
            let first_share = rng.random_range(30..=70);
            let mut by_sector = vec![(first, outside * first_share / 100)];
            let rest = outside - by_sector[0].1;
            if second == first {
                by_sector[0].1 += rest;
            } else {
                by_sector.push((second, rest));
            }
            out.push(DemoSurvey {
                organization_id: o.id,
                year,
                outside_total_minor: total,
                outside_local_minor: local,
                by_sector,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orgs(n: u32) -> Vec<Surveyed> {
        (0..n)
            .map(|i| Surveyed {
                id: Uuid::from_u128(u128::from(i) + 1),
                sector: Sector::ALL[i as usize % Sector::ALL.len()],
                workers_fte_hundredths: i64::from(i) * 37,
            })
            .collect()
    }

    #[test]
    fn surveys_are_deterministic_consistent_and_partial() {
        let a = surveys(7, &orgs(200));
        assert_eq!(a, surveys(7, &orgs(200)));
        assert_ne!(a, surveys(8, &orgs(200)));
        let answered = a.len() / SURVEY_YEARS.len();
        assert!(
            (100..=180).contains(&answered),
            "{answered} of 200 answered"
        );
        for s in &a {
            assert!(0 < s.outside_local_minor && s.outside_local_minor < s.outside_total_minor);
            let bought: i64 = s.by_sector.iter().map(|(_, v)| v).sum();
            assert_eq!(bought, s.outside_total_minor - s.outside_local_minor);
        }
    }
}
