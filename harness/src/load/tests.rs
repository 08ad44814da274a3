//! The seed, the renamed and projected variants (`envFrom` too) and one test per kind of bad
//! input.

mod bad_input;
mod broken_files;
mod env_from;
mod fuzz;
mod namespaces;
mod probes;
mod projected;
mod renamed;
mod seed;

use std::path::PathBuf;

use crate::error::InputError;
use crate::spec::StackSpec;

/// `manifests/` (the seed).
fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests")
}

/// `fixtures/manifests/<name>`.
fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/manifests")
        .join(name)
}

/// Loads a directory that must load.
fn load_ok(dir: PathBuf) -> StackSpec {
    super::load_dir(&dir).unwrap_or_else(|e| panic!("{} should load, got: {e}", dir.display()))
}

/// Loads a directory that must be rejected.
fn load_err(dir: PathBuf) -> InputError {
    match super::load_dir(&dir) {
        Ok(spec) => panic!("{} should be rejected, loaded: {spec:#?}", dir.display()),
        Err(e) => e,
    }
}
