//! Credit limits: how far below zero an account may go, and optionally how far above.

use super::money::MAX_BALANCE_MINOR;
use crate::Invalid;
use crate::directory::OrganizationKind;

/// An account's limits, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// The balance may fall to `-credit_limit_minor` (≥ 0).
    pub credit_limit_minor: i64,
    /// The balance may rise to this; `None` is unbounded.
    pub upper_limit_minor: Option<i64>,
}

impl Limits {
    /// Checks a pair of limits: both within `0..=MAX_BALANCE_MINOR`.
    pub fn new(credit_limit_minor: i64, upper_limit_minor: Option<i64>) -> Result<Self, Invalid> {
        if !(0..=MAX_BALANCE_MINOR).contains(&credit_limit_minor) {
            return Err(Invalid::new("bad_credit_limit", "credit_limit"));
        }
        if let Some(upper) = upper_limit_minor
            && !(0..=MAX_BALANCE_MINOR).contains(&upper)
        {
            return Err(Invalid::new("bad_upper_limit", "upper_limit"));
        }
        Ok(Self {
            credit_limit_minor,
            upper_limit_minor,
        })
    }

    /// Whether `balance_minor` lies within the limits.
    pub fn allows(&self, balance_minor: i64) -> bool {
        balance_minor >= -self.credit_limit_minor
            && self
                .upper_limit_minor
                .is_none_or(|upper| balance_minor <= upper)
    }

    /// How much more the account may pay before reaching its credit limit.
    pub fn spendable_minor(&self, balance_minor: i64) -> i64 {
        balance_minor.saturating_add(self.credit_limit_minor).max(0)
    }

    /// How much of its credit line the account uses, in thousandths (0 when it has none or is
    /// in credit): the coordinators' "near the limit" view sorts by it.
    pub fn used_per_mille(&self, balance_minor: i64) -> i64 {
        if balance_minor >= 0 || self.credit_limit_minor == 0 {
            return 0;
        }
        let used = i128::from(-balance_minor) * 1000 / i128::from(self.credit_limit_minor);
        i64::try_from(used).unwrap_or(i64::MAX)
    }
}

/// Whom an account belongs to, as far as default limits go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHolder {
    /// A person's personal account.
    Person,
    /// An organisation of this kind.
    Organization(OrganizationKind),
    /// A district system account (fund, fees).
    District,
}

/// The limits a new account gets, in whole units of a currency with `unit_minor` minor units per
/// unit. Producers and cooperatives that buy inputs get the widest lines, as in Sardex; people
/// get a small line so a household can buy before it earns; public partners and the district's
/// own accounts may not go below zero. People have an upper limit so credit keeps circulating.
pub fn default_limits(holder: LimitHolder, unit_minor: i64) -> Limits {
    use OrganizationKind as K;
    let (credit_units, upper_units): (i64, Option<i64>) = match holder {
        LimitHolder::Person => (100, Some(5_000)),
        LimitHolder::District => (0, None),
        LimitHolder::Organization(kind) => match kind {
            K::WorkerCoop | K::ProducerCoop | K::MultiStakeholderCoop => (5_000, None),
            K::Farm | K::ConsumerCoop | K::SocialEnterprise | K::PurchasingGroup => (3_000, None),
            K::Association => (1_000, None),
            K::CommunityGroup => (500, None),
            K::PublicPartner => (0, None),
        },
    };
    let minor = |units: i64| units.saturating_mul(unit_minor).min(MAX_BALANCE_MINOR);
    Limits {
        credit_limit_minor: minor(credit_units),
        upper_limit_minor: upper_units.map(minor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_bound_both_sides() {
        let l = Limits::new(100, Some(500)).unwrap();
        assert!(l.allows(-100) && l.allows(500) && l.allows(0));
        assert!(!l.allows(-101) && !l.allows(501));
        assert!(Limits::new(100, None).unwrap().allows(i64::MAX));
        assert_eq!(l.spendable_minor(-40), 60);
        assert_eq!(l.used_per_mille(-50), 500);
    }

    #[test]
    fn bad_limits_are_refused() {
        assert_eq!(Limits::new(-1, None).unwrap_err().code, "bad_credit_limit");
        assert_eq!(
            Limits::new(0, Some(-5)).unwrap_err().code,
            "bad_upper_limit"
        );
    }

    #[test]
    fn defaults_follow_the_kind() {
        let farm = default_limits(LimitHolder::Organization(OrganizationKind::Farm), 100);
        assert_eq!(farm.credit_limit_minor, 300_000);
        let person = default_limits(LimitHolder::Person, 100);
        assert_eq!(person.upper_limit_minor, Some(500_000));
        assert_eq!(
            default_limits(LimitHolder::District, 100).credit_limit_minor,
            0
        );
    }
}
