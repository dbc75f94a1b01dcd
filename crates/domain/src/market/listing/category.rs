//! The closed category vocabulary of offers and needs, each category with its NACE Rev. 2 group
//! and, through the directory's sector it belongs to, its ESSGlobal economic activity.

use crate::directory::Sector;
use crate::directory::murmurations::EssglobalConcept;

use crate::directory::vocabulary;

vocabulary! {
    /// What a listing is about. Each category is one NACE Rev. 2 group (see
    /// [`ListingCategory::nace`]) and belongs to one directory [`Sector`], which gives its
    /// ESSGlobal activity and groups related categories for matching.
    ListingCategory {
        FreshProduce => "fresh_produce",
        LivestockDairy => "livestock_dairy",
        BakeryPasta => "bakery_pasta",
        PreservedFood => "preserved_food",
        Beverages => "beverages",
        CateringMeals => "catering_meals",
        ClothingTextiles => "clothing_textiles",
        FurnitureWoodwork => "furniture_woodwork",
        HandicraftsArt => "handicrafts_art",
        ToolsEquipment => "tools_equipment",
        RepairMaintenance => "repair_maintenance",
        SecondHandReuse => "second_hand_reuse",
        BuildingRenovation => "building_renovation",
        RenewableEnergy => "renewable_energy",
        TransportDelivery => "transport_delivery",
        SpacesPremises => "spaces_premises",
        GardeningLandscape => "gardening_landscape",
        HealthWellbeing => "health_wellbeing",
        CareChildcare => "care_childcare",
        EducationTraining => "education_training",
        CultureEvents => "culture_events",
        DigitalIt => "digital_it",
        AccountingAdmin => "accounting_admin",
        LegalAdvice => "legal_advice",
        CleaningHousekeeping => "cleaning_housekeeping",
    }
}

impl ListingCategory {
    /// The NACE Rev. 2 group (division and group digits, e.g. `01.1`) the category covers.
    pub const fn nace(self) -> &'static str {
        use ListingCategory as C;
        match self {
            C::FreshProduce => "01.1",         // growing of non-perennial crops
            C::LivestockDairy => "01.4",       // animal production
            C::BakeryPasta => "10.7",          // bakery and farinaceous products
            C::PreservedFood => "10.3",        // processing and preserving of fruit and vegetables
            C::Beverages => "11.0",            // manufacture of beverages
            C::CateringMeals => "56.2",        // event catering and other food services
            C::ClothingTextiles => "14.1",     // wearing apparel
            C::FurnitureWoodwork => "31.0",    // furniture
            C::HandicraftsArt => "32.9",       // manufacturing n.e.c.
            C::ToolsEquipment => "77.3",       // rental of other machinery and equipment
            C::RepairMaintenance => "95.2",    // repair of personal and household goods
            C::SecondHandReuse => "47.7",      // retail of other goods (47.79 second-hand)
            C::BuildingRenovation => "43.3",   // building completion and finishing
            C::RenewableEnergy => "35.1",      // electric power generation
            C::TransportDelivery => "49.4",    // freight transport by road
            C::SpacesPremises => "68.2",       // renting of own real estate
            C::GardeningLandscape => "81.3",   // landscape service activities
            C::HealthWellbeing => "86.9",      // other human health activities
            C::CareChildcare => "88.9", // social work without accommodation (88.91 childcare)
            C::EducationTraining => "85.5", // other education
            C::CultureEvents => "90.0", // creative, arts and entertainment
            C::DigitalIt => "62.0",     // computer programming and consultancy
            C::AccountingAdmin => "69.2", // accounting and bookkeeping
            C::LegalAdvice => "69.1",   // legal activities
            C::CleaningHousekeeping => "81.2", // cleaning activities
        }
    }

    /// The NACE Rev. 2 section letter of [`Self::nace`]'s division.
    pub fn nace_section(self) -> char {
        let division: u8 = self
            .nace()
            .get(..2)
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        match division {
            1..=3 => 'A',
            5..=9 => 'B',
            10..=33 => 'C',
            35 => 'D',
            36..=39 => 'E',
            41..=43 => 'F',
            45..=47 => 'G',
            49..=53 => 'H',
            55..=56 => 'I',
            58..=63 => 'J',
            64..=66 => 'K',
            68 => 'L',
            69..=75 => 'M',
            77..=82 => 'N',
            84 => 'O',
            85 => 'P',
            86..=88 => 'Q',
            90..=93 => 'R',
            94..=96 => 'S',
            _ => '?',
        }
    }

    /// The directory sector the category belongs to: categories of one sector are related
    /// (a need for vegetables and an offer of eggs), and the sector gives the ESSGlobal activity.
    pub const fn sector(self) -> Sector {
        use ListingCategory as C;
        match self {
            C::FreshProduce | C::LivestockDairy | C::GardeningLandscape => Sector::Agriculture,
            C::BakeryPasta | C::PreservedFood | C::Beverages => Sector::FoodProcessing,
            C::CateringMeals => Sector::Hospitality,
            C::ClothingTextiles => Sector::Textiles,
            C::FurnitureWoodwork | C::HandicraftsArt | C::ToolsEquipment => Sector::Crafts,
            C::RepairMaintenance | C::SecondHandReuse => Sector::Recycling,
            C::BuildingRenovation => Sector::Construction,
            C::RenewableEnergy => Sector::Energy,
            C::TransportDelivery => Sector::Mobility,
            C::SpacesPremises => Sector::Housing,
            C::HealthWellbeing => Sector::Health,
            C::CareChildcare => Sector::SocialCare,
            C::EducationTraining => Sector::Education,
            C::CultureEvents => Sector::Culture,
            C::DigitalIt => Sector::Digital,
            C::AccountingAdmin | C::LegalAdvice | C::CleaningHousekeeping => {
                Sector::ProfessionalServices
            }
        }
    }

    /// The ESSGlobal economic activity (scheme `activities-ica`) of the category's sector.
    pub const fn essglobal_activity(self) -> Option<EssglobalConcept> {
        self.sector().essglobal_activity_ica()
    }

    /// The categories of the same sector, the category itself first.
    pub fn related(self) -> Vec<ListingCategory> {
        let mut out = vec![self];
        out.extend(
            Self::ALL
                .iter()
                .copied()
                .filter(|c| *c != self && c.sector() == self.sector()),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_serde_agrees() {
        for c in ListingCategory::ALL {
            assert_eq!(ListingCategory::parse(c.code()), Some(*c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.code())
            );
        }
        assert_eq!(ListingCategory::parse("Fresh_Produce"), None);
    }

    #[test]
    fn every_category_has_a_nace_group_and_an_essglobal_activity() {
        for c in ListingCategory::ALL {
            let nace = c.nace();
            assert_eq!(nace.len(), 4, "{c}");
            assert!(nace.as_bytes()[2] == b'.', "{c}");
            assert_ne!(c.nace_section(), '?', "{c}");
            let activity = c.essglobal_activity().expect("an activity");
            assert!(
                activity
                    .uri
                    .starts_with("https://dev.lod.coop/essglobal/2.1/standard/activities-ica/ICA")
            );
        }
    }

    #[test]
    fn sector_and_nace_section_agree_where_the_sector_is_a_nace_section() {
        // Repair (S), tool rental, cleaning and landscaping (N) have no directory sector of
        // their own: they join the closest sector for matching, so only these differ.
        let differ = [
            ListingCategory::ToolsEquipment,
            ListingCategory::RepairMaintenance,
            ListingCategory::GardeningLandscape,
            ListingCategory::CleaningHousekeeping,
            ListingCategory::SecondHandReuse,
        ];
        for c in ListingCategory::ALL {
            if !differ.contains(c) {
                assert_eq!(c.nace_section(), c.sector().nace_section(), "{c}");
            }
        }
    }

    #[test]
    fn related_categories_share_the_sector_and_start_with_self() {
        let r = ListingCategory::FreshProduce.related();
        assert_eq!(r[0], ListingCategory::FreshProduce);
        assert!(r.contains(&ListingCategory::LivestockDairy));
        assert!(!r.contains(&ListingCategory::BakeryPasta));
    }
}
