//! Closed vocabularies of the directory, with their mapping to ESSGlobal and NACE.

/// Declares a closed vocabulary: a `Copy` enum with its snake_case code, `ALL` and `parse`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case code used in the API, the database and Fluent ids.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a code; `None` for anything else.
            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

vocabulary! {
    /// The kind of a member organisation (glossary: organisation).
    OrganizationKind {
        WorkerCoop => "worker_coop",
        ConsumerCoop => "consumer_coop",
        ProducerCoop => "producer_coop",
        MultiStakeholderCoop => "multi_stakeholder_coop",
        SocialEnterprise => "social_enterprise",
        Association => "association",
        CommunityGroup => "community_group",
        Farm => "farm",
        PurchasingGroup => "purchasing_group",
        PublicPartner => "public_partner",
    }
}

vocabulary! {
    /// Where an organisation stands in the district.
    OrganizationStatus {
        /// Applied, not yet admitted: not listed in the directory.
        Pending => "pending",
        /// Admitted member, listed.
        Active => "active",
        /// Suspended by a coordinator: not listed, cannot act.
        Suspended => "suspended",
        /// Application rejected.
        Rejected => "rejected",
    }
}

vocabulary! {
    /// The sector of activity, aligned with NACE sections and ESSGlobal activities.
    Sector {
        Agriculture => "agriculture",
        FoodProcessing => "food_processing",
        Retail => "retail",
        Crafts => "crafts",
        Construction => "construction",
        Energy => "energy",
        Housing => "housing",
        Mobility => "mobility",
        Health => "health",
        SocialCare => "social_care",
        Education => "education",
        Culture => "culture",
        Finance => "finance",
        Digital => "digital",
        Recycling => "recycling",
        Textiles => "textiles",
        Tourism => "tourism",
        Hospitality => "hospitality",
        ProfessionalServices => "professional_services",
        PublicAdministration => "public_administration",
    }
}

impl OrganizationKind {
    /// The ESSGlobal legal-form concept this kind maps to, where one exists
    /// (vocabulary `https://w3id.solidarityeconomy.coop/essglobal/V2a/standard/legal-form/`).
    pub const fn essglobal_legal_form(self) -> Option<&'static str> {
        match self {
            Self::WorkerCoop => Some("LF01"),
            Self::ConsumerCoop => Some("LF02"),
            Self::ProducerCoop => Some("LF03"),
            Self::MultiStakeholderCoop => Some("LF05"),
            Self::SocialEnterprise => Some("LF07"),
            Self::Association => Some("LF10"),
            Self::CommunityGroup => Some("LF14"),
            Self::Farm | Self::PurchasingGroup | Self::PublicPartner => None,
        }
    }

    /// Whether the kind is a cooperative of any sort.
    pub const fn is_cooperative(self) -> bool {
        matches!(
            self,
            Self::WorkerCoop | Self::ConsumerCoop | Self::ProducerCoop | Self::MultiStakeholderCoop
        )
    }
}

impl Sector {
    /// The NACE Rev. 2 section letter of the sector.
    pub const fn nace_section(self) -> char {
        match self {
            Self::Agriculture => 'A',
            Self::FoodProcessing | Self::Crafts | Self::Textiles => 'C',
            Self::Energy => 'D',
            Self::Recycling => 'E',
            Self::Construction => 'F',
            Self::Retail => 'G',
            Self::Mobility => 'H',
            Self::Hospitality | Self::Tourism => 'I',
            Self::Digital => 'J',
            Self::Finance => 'K',
            Self::Housing => 'L',
            Self::ProfessionalServices => 'M',
            Self::PublicAdministration => 'O',
            Self::Education => 'P',
            Self::Health | Self::SocialCare => 'Q',
            Self::Culture => 'R',
        }
    }

    /// The ESSGlobal activity (modified ICA classification) concept code of the sector
    /// (vocabulary `https://w3id.solidarityeconomy.coop/essglobal/V2a/standard/activities-modified/`).
    pub const fn essglobal_activity(self) -> &'static str {
        match self {
            Self::Agriculture => "ICA140",
            Self::FoodProcessing => "ICA140",
            Self::Retail => "ICA210",
            Self::Crafts => "ICA220",
            Self::Construction => "ICA230",
            Self::Energy => "ICA240",
            Self::Housing => "ICA60",
            Self::Mobility => "ICA250",
            Self::Health => "ICA70",
            Self::SocialCare => "ICA80",
            Self::Education => "ICA260",
            Self::Culture => "ICA270",
            Self::Finance => "ICA40",
            Self::Digital => "ICA280",
            Self::Recycling => "ICA290",
            Self::Textiles => "ICA220",
            Self::Tourism => "ICA300",
            Self::Hospitality => "ICA300",
            Self::ProfessionalServices => "ICA310",
            Self::PublicAdministration => "ICA320",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in OrganizationKind::ALL {
            assert_eq!(OrganizationKind::parse(k.code()), Some(*k));
        }
        for s in Sector::ALL {
            assert_eq!(Sector::parse(s.code()), Some(*s));
        }
        assert_eq!(OrganizationKind::ALL.len(), 10);
        assert_eq!(OrganizationKind::parse("Farm"), None);
    }

    #[test]
    fn serde_uses_codes() {
        let json = serde_json_like(OrganizationKind::MultiStakeholderCoop);
        assert_eq!(json, "multi_stakeholder_coop");
    }

    fn serde_json_like(kind: OrganizationKind) -> &'static str {
        kind.code()
    }
}
