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
/// Shared with the other closed vocabularies of the domain (the marketplace's).
pub(crate) use vocabulary;

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

/// Where the ESSGlobal 2.1 vocabularies live: the base that Digital Commons Co-op's build
/// (`DigitalCommons/map-sse`, `generators/build` and `generators/redeploy-all`) substitutes for
/// `http://purl.org/essglobal/` when it publishes version `2.1-dev`. Every published data set and
/// map configuration we found (Mykomap, ICA and Co-ops UK maps) uses this `dev.lod.coop` form; the
/// same build also publishes `https://lod.coop/essglobal/2.1/` with identical codes.
pub const ESSGLOBAL_STANDARD_BASE: &str = "https://dev.lod.coop/essglobal/2.1/standard/";

/// One concept of an ESSGlobal controlled vocabulary (a SKOS concept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EssglobalConcept {
    /// The concept's code inside its scheme, e.g. `OS60` or `ICA10`.
    pub code: &'static str,
    /// The full concept URI under [`ESSGLOBAL_STANDARD_BASE`].
    pub uri: &'static str,
    /// The English `skos:prefLabel`, exactly as the source vocabulary spells it.
    pub label_en: &'static str,
}

/// Builds an [`EssglobalConcept`]; `concat!` needs literals, so the base is spelled here once
/// more and a test checks it equals [`ESSGLOBAL_STANDARD_BASE`].
macro_rules! essglobal {
    ($scheme:literal, $code:literal, $label:literal) => {
        EssglobalConcept {
            code: $code,
            uri: concat!(
                "https://dev.lod.coop/essglobal/2.1/standard/",
                $scheme,
                "/",
                $code
            ),
            label_en: $label,
        }
    };
}

impl OrganizationKind {
    /// The ESSGlobal organisational-structure concept this kind maps to, where one fits.
    ///
    /// Source: `DigitalCommons/map-sse`, `vocabs/standard/organisational-structure.ttl`
    /// (scheme "Structure Type", modified 2022-01-21; codes OS10…OS240), published as
    /// `https://dev.lod.coop/essglobal/2.1/standard/organisational-structure/`.
    /// An older copy with codes OS10…OS160 is in `essglobal-linked-open-data/map-sse`,
    /// `vocabs/standard/organisational-structure.skos`; it lacks OS170…OS240, so OS220 is only in
    /// the newer one.
    ///
    /// The ESSGlobal `legal-form` scheme has only L1…L5 (informal group, cooperative, company,
    /// non-profit, social enterprise) and no `LF01`-style codes, so it is not used here.
    pub const fn essglobal_organisational_structure(self) -> Option<EssglobalConcept> {
        use OrganizationKind as K;
        match self {
            K::WorkerCoop => Some(essglobal!(
                "organisational-structure",
                "OS60",
                "Workers cooperative"
            )),
            K::ConsumerCoop => Some(essglobal!(
                "organisational-structure",
                "OS80",
                "Consumer/User coops"
            )),
            K::ProducerCoop => Some(essglobal!(
                "organisational-structure",
                "OS90",
                "Producer cooperative"
            )),
            K::MultiStakeholderCoop => Some(essglobal!(
                "organisational-structure",
                "OS100",
                "Multi-stakeholder cooperative"
            )),
            K::SocialEnterprise => Some(essglobal!(
                "organisational-structure",
                "OS30",
                "Social enterprise"
            )),
            // An association (associazione, association loi 1901) is a not-for-profit body.
            K::Association => Some(essglobal!(
                "organisational-structure",
                "OS20",
                "Not-for-profit organisation"
            )),
            K::CommunityGroup => Some(essglobal!(
                "organisational-structure",
                "OS10",
                "Community group (formal or informal)"
            )),
            // A purchasing group (GAS, groupement d'achat) is a group of households, most often
            // informal: the scheme's "formal or informal" community group is the closest concept.
            K::PurchasingGroup => Some(essglobal!(
                "organisational-structure",
                "OS10",
                "Community group (formal or informal)"
            )),
            K::PublicPartner => Some(essglobal!(
                "organisational-structure",
                "OS220",
                "Government agency/body"
            )),
            // "Farm" says what an organisation does, not how it is structured: a farm may be a
            // family business, a company or a cooperative, and the scheme has no farm concept.
            K::Farm => None,
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

    /// The ESSGlobal economic activity (the ICA's sector list, scheme `activities-ica`) of the
    /// sector, where one fits. Sectors the scheme has no concept for, but which are services,
    /// map to ICA280 "Other Services".
    ///
    /// Source: `DigitalCommons/map-sse`, `vocabs/standard/activities-ica.ttl` (scheme
    /// "Economic Activity", modified 2022-01-21; codes ICA10…ICA290), published as
    /// `https://dev.lod.coop/essglobal/2.1/standard/activities-ica/`.
    pub const fn essglobal_activity_ica(self) -> Option<EssglobalConcept> {
        use Sector as S;
        match self {
            S::Agriculture => Some(essglobal!("activities-ica", "ICA10", "Agriculture")),
            // NACE C10-C11: food processing is manufacturing.
            S::FoodProcessing | S::Textiles => {
                Some(essglobal!("activities-ica", "ICA90", "Manufacturing"))
            }
            S::Retail => Some(essglobal!("activities-ica", "ICA240", "Retail")),
            S::Crafts => Some(essglobal!("activities-ica", "ICA60", "Artisans")),
            S::Construction => Some(essglobal!("activities-ica", "ICA70", "Construction")),
            // Energy supply (NACE D) and waste collection and treatment (NACE E) are utilities.
            S::Energy | S::Recycling => Some(essglobal!("activities-ica", "ICA230", "Utilities")),
            S::Housing => Some(essglobal!("activities-ica", "ICA210", "Housing")),
            S::Mobility => Some(essglobal!("activities-ica", "ICA220", "Transport")),
            S::Health => Some(essglobal!("activities-ica", "ICA170", "Health")),
            S::SocialCare => Some(essglobal!("activities-ica", "ICA200", "Social Service")),
            S::Education => Some(essglobal!("activities-ica", "ICA160", "Education")),
            S::Finance => Some(essglobal!("activities-ica", "ICA140", "Financial Services")),
            S::Tourism => Some(essglobal!("activities-ica", "ICA130", "Tourism")),
            S::ProfessionalServices => Some(essglobal!("activities-ica", "ICA110", "Professional")),
            S::Culture | S::Digital | S::Hospitality => {
                Some(essglobal!("activities-ica", "ICA280", "Other Services"))
            }
            // Public administration is not an activity the ICA list classifies.
            S::PublicAdministration => None,
        }
    }

    /// The ESSGlobal "Activities (Modified)" concept of the sector (scheme
    /// `activities-modified`, the list the Solidarity Economy Association's UK maps use),
    /// where one fits.
    ///
    /// Source: `DigitalCommons/map-sse`, `vocabs/standard/activities-modified.ttl` (modified
    /// 2022-01-21; codes AM10…AM160), published as
    /// `https://dev.lod.coop/essglobal/2.1/standard/activities-modified/`; the same codes are
    /// in `essglobal-linked-open-data/map-sse`, `vocabs/standard/activities-modified.skos`.
    pub const fn essglobal_activity_modified(self) -> Option<EssglobalConcept> {
        use Sector as S;
        match self {
            S::Agriculture => Some(essglobal!("activities-modified", "AM130", "Agriculture")),
            S::FoodProcessing => Some(essglobal!("activities-modified", "AM60", "Food")),
            S::Construction | S::Crafts | S::Textiles => {
                Some(essglobal!("activities-modified", "AM140", "Industry"))
            }
            S::Energy => Some(essglobal!("activities-modified", "AM50", "Energy")),
            S::Housing => Some(essglobal!("activities-modified", "AM90", "Housing")),
            S::Mobility => Some(essglobal!("activities-modified", "AM160", "Transport")),
            S::Health | S::SocialCare => Some(essglobal!(
                "activities-modified",
                "AM80",
                "Health, Social Care & Wellbeing"
            )),
            S::Education => Some(essglobal!("activities-modified", "AM40", "Education")),
            S::Culture | S::Tourism => Some(essglobal!(
                "activities-modified",
                "AM10",
                "Arts, Media, Culture & Leisure"
            )),
            S::Finance => Some(essglobal!(
                "activities-modified",
                "AM100",
                "Money & Finance"
            )),
            S::Recycling => Some(essglobal!(
                "activities-modified",
                "AM120",
                "Reduce, Reuse, Repair & Recycle"
            )),
            S::Retail | S::Digital | S::Hospitality | S::ProfessionalServices => Some(essglobal!(
                "activities-modified",
                "AM70",
                "Goods & Services"
            )),
            S::PublicAdministration => None,
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
    fn serde_uses_the_same_codes() {
        for k in OrganizationKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.code())
            );
            assert_eq!(
                serde_json::from_value::<OrganizationKind>(serde_json::json!(k.code())).unwrap(),
                *k
            );
        }
        for s in Sector::ALL {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.code())
            );
        }
        for st in OrganizationStatus::ALL {
            assert_eq!(
                serde_json::to_value(st).unwrap(),
                serde_json::json!(st.code())
            );
        }
    }

    /// The codes each scheme defines, copied from the sources named on the mapping functions;
    /// a mapping may only name one of these.
    const ORGANISATIONAL_STRUCTURE_CODES: &[&str] = &[
        "OS10", "OS20", "OS30", "OS40", "OS50", "OS60", "OS70", "OS80", "OS90", "OS100", "OS110",
        "OS115", "OS120", "OS130", "OS140", "OS150", "OS160", "OS170", "OS180", "OS190", "OS200",
        "OS210", "OS220", "OS230", "OS240",
    ];
    const ACTIVITIES_ICA_CODES: &[&str] = &[
        "ICA10", "ICA20", "ICA30", "ICA40", "ICA50", "ICA60", "ICA70", "ICA80", "ICA90", "ICA100",
        "ICA110", "ICA120", "ICA130", "ICA140", "ICA150", "ICA160", "ICA170", "ICA180", "ICA190",
        "ICA200", "ICA210", "ICA220", "ICA230", "ICA240", "ICA250", "ICA260", "ICA270", "ICA280",
        "ICA290",
    ];
    const ACTIVITIES_MODIFIED_CODES: &[&str] = &[
        "AM10", "AM20", "AM30", "AM40", "AM50", "AM60", "AM70", "AM80", "AM90", "AM100", "AM110",
        "AM120", "AM130", "AM140", "AM150", "AM160",
    ];

    fn check(concept: EssglobalConcept, scheme: &str, codes: &[&str]) {
        assert!(
            codes.contains(&concept.code),
            "{} not in {scheme}",
            concept.code
        );
        assert_eq!(
            concept.uri,
            format!("{ESSGLOBAL_STANDARD_BASE}{scheme}/{}", concept.code)
        );
        assert!(!concept.label_en.is_empty());
    }

    #[test]
    fn essglobal_concepts_are_verified_codes_with_full_uris() {
        for k in OrganizationKind::ALL {
            if let Some(c) = k.essglobal_organisational_structure() {
                check(
                    c,
                    "organisational-structure",
                    ORGANISATIONAL_STRUCTURE_CODES,
                );
            }
        }
        for s in Sector::ALL {
            if let Some(c) = s.essglobal_activity_ica() {
                check(c, "activities-ica", ACTIVITIES_ICA_CODES);
            }
            if let Some(c) = s.essglobal_activity_modified() {
                check(c, "activities-modified", ACTIVITIES_MODIFIED_CODES);
            }
        }
    }

    #[test]
    fn cooperative_kinds_map_to_their_cooperative_structures() {
        let code = |k: OrganizationKind| k.essglobal_organisational_structure().map(|c| c.code);
        assert_eq!(code(OrganizationKind::WorkerCoop), Some("OS60"));
        assert_eq!(code(OrganizationKind::ConsumerCoop), Some("OS80"));
        assert_eq!(code(OrganizationKind::ProducerCoop), Some("OS90"));
        assert_eq!(code(OrganizationKind::MultiStakeholderCoop), Some("OS100"));
        assert_eq!(code(OrganizationKind::Farm), None);
        assert_eq!(
            OrganizationKind::WorkerCoop
                .essglobal_organisational_structure()
                .map(|c| c.uri),
            Some("https://dev.lod.coop/essglobal/2.1/standard/organisational-structure/OS60")
        );
        assert_eq!(
            Sector::Finance.essglobal_activity_ica().map(|c| c.uri),
            Some("https://dev.lod.coop/essglobal/2.1/standard/activities-ica/ICA140")
        );
    }

    #[test]
    fn only_public_administration_has_no_activity() {
        for s in Sector::ALL {
            let expected = *s != Sector::PublicAdministration;
            assert_eq!(s.essglobal_activity_ica().is_some(), expected, "{s}");
            assert_eq!(s.essglobal_activity_modified().is_some(), expected, "{s}");
        }
    }
}
