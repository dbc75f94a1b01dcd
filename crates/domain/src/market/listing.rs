//! Offers and needs: what a member provides or seeks, its category, price, place and validity.
