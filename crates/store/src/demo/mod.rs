//! Loads the generated demo district into the store.
