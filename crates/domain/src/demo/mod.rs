//! Deterministic demo district generator (see demo/README in DESIGN).
