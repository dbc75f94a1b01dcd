//! Offers and needs as stored: publishing, search by words and distance, matching candidates.
