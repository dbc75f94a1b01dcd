//! Helpers shared by the tests that run the `distretto` binary.
#![allow(dead_code)] // each test binary uses its own subset

pub mod federation;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, with the caller's environment kept from choosing a database or configuration.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_distretto"));
    c.env("DISTRETTO_LOG", "warn")
        .env_remove("DISTRETTO_DATABASE_URL")
        .env_remove("DISTRETTO_CONFIG");
    c
}

/// Runs the binary with `args` in `dir` and waits for it.
pub fn run(args: &[&str], dir: &Path) -> Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

/// A fresh, empty directory for one test (`name` keeps tests apart, the pid test runs).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("distretto-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the process wrote to stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
