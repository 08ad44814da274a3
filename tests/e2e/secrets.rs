//! Secrets stay secret: no Slack URL and no Grafana password in output or artifacts.

use std::path::Path;
use std::process::Command;

use firedrill::fixtures::{renamed_manifests, repository_root, seed_manifests};
use firedrill::internal::{load_dir, load_dir_given};
use firedrill::GivenSecret;

use super::support::grafana_opted_out;

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
    {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn assert_no_secret_leaks(manifests: &Path, known_secret: &str) {
    assert_no_secret_leaks_given(manifests, &[], known_secret);
}

/// [`assert_no_secret_leaks`] with Secrets given on the command line (`--secret`).
fn assert_no_secret_leaks_given(manifests: &Path, given: &[GivenSecret], known_secret: &str) {
    let spec = load_dir_given(manifests, given).unwrap_or_else(|e| panic!("{e}"));
    let secrets: Vec<String> = spec
        .secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .collect();
    assert!(
        secrets.iter().any(|s| s.contains(known_secret)),
        "{known_secret} not among the spec's secrets"
    );
    let artifacts = tempfile::tempdir().expect("a temp dir");
    let mut args = vec![
        "verify".to_string(),
        "--manifests".into(),
        manifests.display().to_string(),
    ];
    args.extend(["--artifacts".into(), artifacts.path().display().to_string()]);
    for secret in given {
        args.extend(["--secret".into(), secret.to_string()]);
    }
    if grafana_opted_out() {
        args.extend(["--skip".into(), "grafana".into()]);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(&args)
        .current_dir(repository_root())
        .output()
        .expect("the firedrill binary runs");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{shown}");
    let files = files_under(artifacts.path());
    assert!(
        files.iter().any(|f| f.ends_with("summary.json")),
        "no summary.json in {files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("slack/0001.json")),
        "no recorded payload in {files:?}"
    );
    for secret in &secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "a secret reached the output:\n{shown}"
        );
        for file in &files {
            let text =
                String::from_utf8_lossy(&std::fs::read(file).expect("an artifact")).into_owned();
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached {}",
                file.display()
            );
        }
    }
}

#[test]
fn the_seed_slack_url_never_reaches_output_or_artifacts() {
    assert_no_secret_leaks(&seed_manifests(), "XXXXXXXXXXXXXXXXXXXXXXXX");
}

#[test]
fn secrets_given_on_the_command_line_never_reach_output_or_artifacts() {
    let variant =
        repository_root().join("fixtures/manifests/corpus/working/secrets-given-on-command-line");
    let secrets = variant.join("secrets");
    let given = [
        GivenSecret::new(
            "alertmanager-secret",
            "alertmanager.yaml",
            secrets.join("alertmanager.yaml"),
        ),
        GivenSecret::new(
            "grafana-secret",
            "username",
            secrets.join("grafana-username"),
        ),
        GivenSecret::new(
            "grafana-secret",
            "password",
            secrets.join("grafana-password"),
        ),
    ];
    assert_no_secret_leaks_given(
        &variant.join("manifests"),
        &given,
        "XXXXXXXXXXXXXXXXXXXXXXXX",
    );
}

#[test]
fn another_slack_url_and_grafana_password_never_reach_output_or_artifacts() {
    assert_no_secret_leaks(&renamed_manifests(), "correct-horse-battery-staple");
}

#[tokio::test]
async fn a_process_component_that_fails_with_the_slack_url_in_its_log_does_not_show_it() {
    use std::os::unix::fs::PermissionsExt;

    use firedrill::StackBuilder;
    use firedrill::{BackendKind, StartOptions};

    let spec = load_dir(&seed_manifests()).unwrap_or_else(|e| panic!("{e}"));
    let url = spec
        .alertmanager()
        .global_slack_api_url
        .clone()
        .expect("the seed has a global Slack URL");
    let dir = tempfile::tempdir().expect("a temp dir");
    let script = dir.path().join("fails-with-the-url");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"cannot post to {}\" >&2\nexit 3\n",
            url.expose()
        ),
    )
    .expect("the script is written");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("the script is executable");
    // The process backend, whatever FIREDRILL_BACKEND says: it is the one under test.
    let mut options = StartOptions::from_env()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_app_command("echo_server:latest", script.display().to_string());
    options.backend = BackendKind::Process;

    let error = match StackBuilder::new(seed_manifests())
        .with_options(options)
        .start()
        .await
    {
        Ok(stack) => {
            stack.shutdown().await;
            panic!("the stack started although its app exits at once");
        }
        Err(e) => e.to_string(),
    };
    let path = url
        .expose()
        .split_once("/services/")
        .map(|(_, p)| p)
        .unwrap_or_default();
    assert!(
        !error.contains(url.expose()) && !error.contains(path),
        "the Slack URL leaked: {error}"
    );
    assert!(
        error.contains("exit status: 3") && error.contains("cannot post to <redacted>"),
        "the log tail is not in the error: {error}"
    );
}
