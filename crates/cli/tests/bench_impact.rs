#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! `distretto bench impact` on a small district: the indicators folded from scratch through
//! plain SQLite (two threads, the journal-order folder, the plain reads of who is who) must
//! equal those of the aggregates the server maintains through sqlx, or the command fails.

mod common;

use common::{run, stderr, temp_dir};

#[test]
fn scratch_and_maintained_indicators_agree_on_a_generated_year() {
    let dir = temp_dir("bench-impact");
    let o = run(
        &[
            "bench",
            "impact",
            "--database",
            "sqlite:impact.db",
            "--scale",
            "district",
            "--transfers",
            "20000",
            "--repeat",
            "1",
        ],
        &dir,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("appended 20000 transfers"), "{out}");
    assert!(out.contains("44 indicators"), "{out}");
    assert!(out.contains("(the same indicators)"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
