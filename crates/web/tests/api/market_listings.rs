//! Marketplace: offers and needs (search, matching, take-up, references).
