//! What a decision changes when it passes: the assembly admits a member, sets an account's
//! credit limits, or grants money from the district fund. Stored as JSON on the proposal and
//! applied once by the platform after the close.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The largest grant one decision makes, in minor units (the ledger's own bound is higher; a
/// district fund never needs more in one decision).
pub const MAX_GRANT_MINOR: i64 = 1_000_000_000_000;

/// A decision's effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionEffect {
    /// Admits the applicant of this pending application (a person or an organisation).
    AdmitApplication {
        /// The application.
        application: Uuid,
    },
    /// Sets an account's credit limit (how far below zero it may go) and upper limit.
    SetLimits {
        /// The account.
        account: Uuid,
        /// At least 0.
        credit_limit_minor: i64,
        /// Above 0 when set.
        upper_limit_minor: Option<i64>,
    },
    /// Sets the default limits of accounts opened from now on for people (`person`) or for one
    /// kind of organisation (its kind code).
    SetDefaultLimits {
        /// `person` or an organisation kind code.
        holder: String,
        /// At least 0.
        credit_limit_minor: i64,
        /// Above 0 when set.
        upper_limit_minor: Option<i64>,
    },
    /// Pays an account from the district fund.
    FundGrant {
        /// The receiving account.
        account: Uuid,
        /// Positive, at most [`MAX_GRANT_MINOR`].
        amount_minor: i64,
    },
}

/// The reference a decision's effect leaves on what it changed (a limit change, default
/// limits): `proposal:{id}`. Finding it is how an effect a stopped server left half-way is
/// known to have been applied.
pub fn decision_ref(proposal: Uuid) -> String {
    format!("proposal:{proposal}")
}

/// Checks an effect's figures, and that the proposal's method decides by passing or not
/// (majority or consent): an election or a ranking has no "passed".
pub fn check_effect(effect: &DecisionEffect, method: super::Method) -> Result<(), Invalid> {
    if !matches!(method, super::Method::Majority | super::Method::Consent) {
        return Err(Invalid::new("governance_effect_needs_a_yes", "effect"));
    }
    match effect {
        DecisionEffect::AdmitApplication { .. } => Ok(()),
        DecisionEffect::SetDefaultLimits { holder, .. }
            if holder != "person"
                && crate::directory::OrganizationKind::parse(holder).is_none() =>
        {
            Err(Invalid::new("governance_effect_bad_holder", "effect"))
        }
        DecisionEffect::SetLimits {
            credit_limit_minor,
            upper_limit_minor,
            ..
        }
        | DecisionEffect::SetDefaultLimits {
            credit_limit_minor,
            upper_limit_minor,
            ..
        } => {
            if *credit_limit_minor < 0 || upper_limit_minor.is_some_and(|u| u <= 0) {
                Err(Invalid::new("governance_effect_bad_limits", "effect"))
            } else {
                Ok(())
            }
        }
        DecisionEffect::FundGrant { amount_minor, .. } => {
            if (1..=MAX_GRANT_MINOR).contains(amount_minor) {
                Ok(())
            } else {
                Err(Invalid::new("governance_effect_bad_amount", "effect"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::Method;

    #[test]
    fn effects_need_a_yes_and_sound_figures() {
        let grant = DecisionEffect::FundGrant {
            account: Uuid::nil(),
            amount_minor: 500_000,
        };
        assert_eq!(check_effect(&grant, Method::Majority), Ok(()));
        assert_eq!(check_effect(&grant, Method::Consent), Ok(()));
        assert_eq!(
            check_effect(&grant, Method::Schulze).unwrap_err().code,
            "governance_effect_needs_a_yes"
        );
        let zero = DecisionEffect::FundGrant {
            account: Uuid::nil(),
            amount_minor: 0,
        };
        assert_eq!(
            check_effect(&zero, Method::Majority).unwrap_err().code,
            "governance_effect_bad_amount"
        );
        let limits = DecisionEffect::SetLimits {
            account: Uuid::nil(),
            credit_limit_minor: -1,
            upper_limit_minor: None,
        };
        assert_eq!(
            check_effect(&limits, Method::Majority).unwrap_err().code,
            "governance_effect_bad_limits"
        );
    }

    #[test]
    fn effects_are_stored_as_tagged_json() {
        let e = DecisionEffect::SetLimits {
            account: Uuid::nil(),
            credit_limit_minor: 300_000,
            upper_limit_minor: Some(1_000_000),
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.starts_with("{\"kind\":\"set_limits\""), "{json}");
        assert_eq!(serde_json::from_str::<DecisionEffect>(&json).unwrap(), e);
    }
}
