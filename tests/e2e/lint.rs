//! `firedrill lint`, and `verify`'s lint stage: findings name file, resource and key, and
//! errors stop `verify` (exit 2) before anything starts.

use std::path::Path;
use std::process::{Command, Output};

use firedrill::fixtures::repository_root;

fn firedrill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .current_dir(repository_root())
        .env("FIREDRILL_SKIP", "grafana")
        // Were anything started, this would fail differently (cannot start prometheus).
        .env("FIREDRILL_PROMETHEUS_BIN", "/nonexistent/prometheus")
        .output()
        .expect("the firedrill binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The seed with the echo Service selecting pods that do not exist.
fn broken_seed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for entry in std::fs::read_dir(repository_root().join("manifests")).expect("manifests/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).expect("copy");
        }
    }
    let service = dir.path().join("echo-service.yaml");
    let yaml = std::fs::read_to_string(&service).expect("echo-service.yaml");
    std::fs::write(&service, yaml.replacen("app: echo", "app: echo-v2", 1)).expect("write");
    dir
}

fn assert_names_file_resource_and_key(text: &str, dir: &Path) {
    assert!(
        text.contains(&format!(
            "error in {}, resource Service/echo-service, key `spec.selector`",
            dir.join("echo-service.yaml").display()
        )),
        "file, resource and key not named: {text}"
    );
    assert!(
        text.contains("app=echo-v2") && text.contains("app=echo"),
        "{text}"
    );
}

#[test]
fn lint_on_a_broken_dir_exits_2_naming_file_resource_and_key() {
    let dir = broken_seed();
    let output = firedrill(&["lint", "--manifests", &dir.path().display().to_string()]);
    let text = text(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert_names_file_resource_and_key(&text, dir.path());
    assert!(text.contains("1 error"), "{text}");
}

#[test]
fn lint_on_the_seed_exits_0() {
    let output = firedrill(&["lint"]);
    let text = text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("0 errors"), "{text}");
}

#[test]
fn verify_on_a_broken_dir_stops_before_anything_starts_listing_the_findings() {
    let dir = broken_seed();
    let output = firedrill(&["verify", "--manifests", &dir.path().display().to_string()]);
    let text = text(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("nothing was started"), "{text}");
    assert_names_file_resource_and_key(&text, dir.path());
    assert!(!text.contains("starting the stack"), "{text}");
}

#[test]
fn a_missing_promtool_is_a_warning_and_verify_goes_on_to_start_the_stack() {
    let output = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["verify"])
        .current_dir(repository_root())
        .env("FIREDRILL_SKIP", "grafana")
        .env("FIREDRILL_PROMTOOL_BIN", "/nonexistent/promtool")
        // Stops the run at the start, after the lint stage (on the process backend, whatever
        // backend the suite runs on).
        .env("FIREDRILL_BACKEND", "process")
        .env("FIREDRILL_PROMETHEUS_BIN", "/nonexistent/prometheus")
        .output()
        .expect("the firedrill binary runs");
    let text = text(&output);
    assert!(
        text.contains("firedrill: warning in ")
            && text.contains("FIREDRILL_PROMTOOL_BIN=/nonexistent/promtool is not a file")
            && text.contains("apt-get install prometheus"),
        "{text}"
    );
    assert!(text.contains("cannot start prometheus"), "{text}");
    assert_eq!(output.status.code(), Some(2), "{text}");
}
