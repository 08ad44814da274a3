//! One test file per rule: each shows its finding on a broken input and none on the seed.
//! Broken inputs are the seed copied to a temp dir with one edit (the Alertmanager Secret as
//! `stringData`, from `testdata/`, so that it can be edited).

mod clean;
mod services;
mod targets;
mod templates;
mod validity;

use std::path::{Path, PathBuf};

use super::lint_dir;
use crate::error::{Finding, Severity};
use crate::tools::Tool;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/lint/testdata")
        .join(name)
}

/// The seed in a temp dir, its Alertmanager config in plain text.
fn seed_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for entry in std::fs::read_dir(repository().join("manifests")).expect("manifests/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).expect("copy");
        }
    }
    std::fs::copy(
        testdata("alertmanager-secret.yaml"),
        dir.path().join("alertmanager-secret.yaml"),
    )
    .expect("copy");
    dir
}

/// Replaces `from` (which must be there) with `to` in `file` of `dir`.
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("the file to edit");
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

/// The seed with one edit, linted.
fn lint_seed_with(file: &str, from: &str, to: &str) -> Vec<Finding> {
    let dir = seed_copy();
    edit(dir.path(), file, from, to);
    lint_dir(dir.path())
}

/// The one finding whose key ends with `key`; panics listing all when there is not one.
fn the_finding<'a>(findings: &'a [Finding], key: &str) -> &'a Finding {
    let matching: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.key.as_deref().is_some_and(|k| k.ends_with(key)))
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one finding at `{key}` expected, got: {findings:#?}"
    );
    matching[0]
}

fn errors(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

fn tools_installed() -> bool {
    Tool::Promtool.find().is_ok() && Tool::Amtool.find().is_ok()
}
