//! People, roles, applications to join, and the decisions coordinators take on them.

use crate::Invalid;

/// A normalised e-mail address (trimmed, lower-cased), the login of a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(pub String);

impl Email {
    /// Parses an address: one `@`, a dotted domain, no spaces, at most 254 characters.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let bad = Invalid::new("invalid_email", "email");
        let s = s.trim().to_lowercase();
        let (local, domain) = s.split_once('@').ok_or(bad.clone())?;
        let valid = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c));
        if valid { Ok(Self(s)) } else { Err(bad) }
    }
}

/// A person's display name: 1 to 120 characters, no control characters.
pub fn parse_person_name(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > 120 || t.chars().any(char::is_control) {
        return Err(Invalid::new("invalid_person_name", "name"));
    }
    Ok(t.to_owned())
}

/// The fewest characters a password may have (NIST SP 800-63B asks at least 8; we ask 10).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The most: long enough for passphrases, short enough that hashing stays bounded.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password's length; strength beyond length is the user's, as NIST advises.
pub fn check_new_password(pw: &str) -> Result<(), Invalid> {
    let n = pw.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(Invalid::new("weak_password", "password"))
    }
}

/// A person's district-wide role. Organisation admin is per organisation, in [`MemberRole`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A signed-in person.
    Person,
    /// Runs admissions, cycles, rounds and assemblies.
    Coordinator,
    /// Operates the deployment; has every coordinator power.
    Administrator,
}

impl Role {
    /// The stable code stored and shown in the API.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Coordinator => "coordinator",
            Self::Administrator => "administrator",
        }
    }
    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(Self::Person),
            "coordinator" => Some(Self::Coordinator),
            "administrator" => Some(Self::Administrator),
            _ => None,
        }
    }
    /// Whether this role may act as a coordinator.
    pub const fn coordinates(self) -> bool {
        matches!(self, Self::Coordinator | Self::Administrator)
    }
}

/// A person's role inside one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// May edit the organisation and invite colleagues.
    Admin,
    /// Belongs to the organisation.
    Member,
}

impl MemberRole {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// Where a person stands as an individual member of the district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// Registered, has not applied (or applied through an organisation only).
    Registered,
    /// Applied as an individual, waiting for a coordinator.
    Pending,
    /// Admitted.
    Member,
    /// Application rejected.
    Rejected,
    /// Suspended: may not sign in.
    Suspended,
}

impl MembershipStatus {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Pending => "pending",
            Self::Member => "member",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
        }
    }
    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "registered" => Some(Self::Registered),
            "pending" => Some(Self::Pending),
            "member" => Some(Self::Member),
            "rejected" => Some(Self::Rejected),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

/// What a person applies for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationKind {
    /// To join as an individual member.
    Individual,
    /// To bring a new organisation into the district, as its admin.
    NewOrganization,
    /// To join an organisation already in the district.
    ExistingOrganization,
}

impl ApplicationKind {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::NewOrganization => "new_organization",
            Self::ExistingOrganization => "existing_organization",
        }
    }
    /// Parses a code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "individual" => Some(Self::Individual),
            "new_organization" => Some(Self::NewOrganization),
            "existing_organization" => Some(Self::ExistingOrganization),
            _ => None,
        }
    }
}

/// A coordinator's decision on a member or an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Admit the applicant.
    Admit,
    /// Reject the application.
    Reject,
    /// Suspend an admitted member.
    Suspend,
    /// Lift a suspension.
    Reinstate,
}

impl Decision {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Admit => "admit",
            Self::Reject => "reject",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
        }
    }
    /// Parses a code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admit" => Some(Self::Admit),
            "reject" => Some(Self::Reject),
            "suspend" => Some(Self::Suspend),
            "reinstate" => Some(Self::Reinstate),
            _ => None,
        }
    }
}

/// The reason a coordinator gives for a decision: required, 3 to 2,000 characters.
pub fn parse_reason(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let n = t.chars().count();
    if !(3..=2_000).contains(&n) {
        return Err(Invalid::new("reason_required", "reason"));
    }
    Ok(t.to_owned())
}

/// Which application decisions are allowed from which application status.
pub fn application_decision_allowed(status: &str, decision: Decision) -> bool {
    status == "pending" && matches!(decision, Decision::Admit | Decision::Reject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Anna@Example.ORG ").unwrap().0,
            "anna@example.org"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@x.org",
            "a b@x.org",
            "a@x",
            "a@.x.org",
            "a@x.org.",
            "a@b@c.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("a long enough passphrase").is_ok());
        assert!(check_new_password(&"x".repeat(300)).is_err());
    }

    #[test]
    fn only_pending_applications_are_decided() {
        assert!(application_decision_allowed("pending", Decision::Admit));
        assert!(!application_decision_allowed("admitted", Decision::Reject));
        assert!(!application_decision_allowed("pending", Decision::Suspend));
    }

    #[test]
    fn reasons_are_required() {
        assert_eq!(parse_reason("  ").unwrap_err().code, "reason_required");
        assert!(parse_reason("Signed the charter").is_ok());
    }

    #[test]
    fn role_powers() {
        assert!(Role::Administrator.coordinates());
        assert!(!Role::Person.coordinates());
        assert_eq!(Role::parse("coordinator"), Some(Role::Coordinator));
    }
}
