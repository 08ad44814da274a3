//! The `firedrill` command: exit codes and messages.

use std::process::{Command, Output};

use firedrill::fixtures::repository_root;

fn firedrill(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_firedrill"));
    command.args(args).current_dir(repository_root());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the firedrill binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn verify_on_a_route_to_an_undefined_receiver_exits_2_naming_file_resource_and_key() {
    let output = firedrill(
        &[
            "verify",
            "--manifests",
            "fixtures/manifests/bad/undefined-receiver/manifests",
        ],
        &[],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("alertmanager-secret.yaml"),
        "the file is not named: {text}"
    );
    assert!(
        text.contains("Secret/alertmanager-secret"),
        "the resource is not named: {text}"
    );
    assert!(
        text.contains("route.receiver"),
        "the key is not named: {text}"
    );
}

#[test]
fn an_unknown_backend_is_rejected_with_the_choices() {
    let output = firedrill(&["verify", "--backend", "nomad"], &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("unknown backend `nomad`") && text.contains("process"),
        "{text}"
    );
}

#[test]
fn a_missing_prometheus_binary_fails_with_how_to_get_it() {
    let output = firedrill(
        &["verify", "--backend", "process", "--skip", "grafana"],
        &[("FIREDRILL_PROMETHEUS_BIN", "/nonexistent/prometheus")],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("FIREDRILL_PROMETHEUS_BIN") && text.contains("apt-get install prometheus"),
        "{text}"
    );
}

#[test]
fn render_lists_every_change_and_starts_nothing() {
    let output = firedrill(&["render", "--backend", "process"], &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for change in [
        "scrape_configs[1].static_configs[0].targets[0]: echo-service:80 -> 127.0.0.1:",
        "alerting.alertmanagers[0].static_configs[0].targets[0]: localhost:9093 -> 127.0.0.1:",
        "global.slack_api_url: <redacted> -> http://127.0.0.1:",
        "groups[0].rules[0].for: 1m -> 2s (time scale)",
        "route.group_wait: <absent, default 30s> -> 1s (time scale)",
    ] {
        assert!(text.contains(change), "`{change}` missing from:\n{text}");
    }
    assert!(
        !text.contains("hooks.slack.com"),
        "the Slack URL leaked:\n{text}"
    );
}

#[test]
fn verify_without_an_amtool_that_renders_exits_2_before_starting_anything_and_says_how_to_get_one()
{
    let output = firedrill(
        &["verify", "--skip", "grafana"],
        &[("FIREDRILL_AMTOOL_BIN", "/nonexistent/amtool")],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("amtool"), "{text}");
    assert!(text.contains("prometheus-alertmanager"), "{text}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("stack ready")
            && !text.contains("stack ready"),
        "the stack started: {text}"
    );
}

#[test]
fn verify_offline_without_an_amtool_exits_2_before_starting_anything_naming_the_amtool_release_it_would_download_and_how_else_to_get_one(
) {
    let cache = tempfile::tempdir().expect("a temp dir");
    let output = verify_offline_on_an_empty_path(cache.path(), |command| {
        command.env_remove("FIREDRILL_AMTOOL_BIN");
    });
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    for needle in [
        "cannot start amtool",
        "FIREDRILL_OFFLINE=1",
        "https://github.com/prometheus/alertmanager/releases/download/v0.28.1/alertmanager-0.28.1.linux-amd64.tar.gz",
        "apt-get install prometheus-alertmanager",
        "FIREDRILL_AMTOOL_BIN",
        "unset FIREDRILL_OFFLINE",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    assert!(!text.contains("stack ready"), "the stack started: {text}");
    assert_cache_empty(cache.path());
}

#[test]
fn verify_on_manifests_that_expect_no_alert_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().expect("a temp dir");
    for entry in std::fs::read_dir(repository_root().join("manifests")).expect("the seed") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("a manifest");
        std::fs::write(
            dir.path().join(path.file_name().expect("a name")),
            text.replace("expr: vector(1)", "expr: up == 0"),
        )
        .expect("a copy");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["verify", "--skip", "grafana", "--manifests"])
        .arg(dir.path())
        .output()
        .expect("the firedrill binary runs");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("--expect-alert"), "{text}");
}

#[test]
fn verify_offline_without_the_binaries_exits_2_before_starting_anything_saying_what_it_would_download_and_how_else_to_get_them(
) {
    let cache = tempfile::tempdir().expect("a temp dir");
    let amtool = firedrill::internal::on_path("amtool")
        .or_else(|| std::env::var_os("FIREDRILL_AMTOOL_BIN").map(Into::into))
        .expect("amtool is installed (the e2e suite needs it)");
    let output = verify_offline_on_an_empty_path(cache.path(), |command| {
        command
            .env("FIREDRILL_AMTOOL_BIN", &amtool)
            // The binaries are the process backend's: whatever backend the suite runs on.
            .env_remove("FIREDRILL_BACKEND")
            .env_remove("FIREDRILL_PROMETHEUS_BIN")
            .env_remove("FIREDRILL_ALERTMANAGER_BIN");
    });
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    for needle in [
        "FIREDRILL_OFFLINE=1",
        "https://github.com/prometheus/prometheus/releases/download/v2.27.1/prometheus-2.27.1.linux-amd64.tar.gz",
        "https://github.com/prometheus/alertmanager/releases/download/v0.22.2/alertmanager-0.22.2.linux-amd64.tar.gz",
        "apt-get install prometheus",
        "apt-get install prometheus-alertmanager",
        "FIREDRILL_PROMETHEUS_BIN",
        "FIREDRILL_ALERTMANAGER_BIN",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    assert!(
        !text.contains("stack ready") && !text.contains("grafana 7.5.9"),
        "{text}"
    );
    assert_cache_empty(cache.path());
}

/// `firedrill verify --skip grafana` offline, with nothing on PATH and `cache` as the cache,
/// after `adjust` has set the rest of the environment.
fn verify_offline_on_an_empty_path(
    cache: &std::path::Path,
    adjust: impl FnOnce(&mut Command),
) -> Output {
    let empty_path = tempfile::tempdir().expect("a temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_firedrill"));
    command
        .args(["verify", "--skip", "grafana"])
        .current_dir(repository_root())
        .env("PATH", empty_path.path())
        .env("XDG_CACHE_HOME", cache)
        .env("FIREDRILL_OFFLINE", "1")
        .env_remove("FIREDRILL_DOWNLOAD_BASE");
    adjust(&mut command);
    command.output().expect("the firedrill binary runs")
}

#[track_caller]
fn assert_cache_empty(cache: &std::path::Path) {
    assert_eq!(
        std::fs::read_dir(cache).expect("the cache dir").count(),
        0,
        "offline, nothing is written to the cache"
    );
}

#[test]
fn verify_of_a_scrape_job_with_kubernetes_discovery_on_the_process_backend_scrapes_the_pod_at_its_own_address(
) {
    let artifacts = tempfile::tempdir().expect("a temp dir");
    let output = firedrill(
        &[
            "verify",
            "--backend",
            "process",
            "--skip",
            "grafana",
            "--manifests",
            "fixtures/manifests/kubernetes-discovery",
            "--artifacts",
            &artifacts.path().to_string_lossy(),
        ],
        &[],
    );
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(0), "{out}");
    // The endpoints job found the echo pod (its own loopback address, its container port
    // 8081), not a rewritten 127.0.0.1 port.
    let up = out
        .lines()
        .find(|l| l.contains("every scrape target up ... ok"))
        .unwrap_or_else(|| panic!("no scrape check: {out}"));
    assert!(
        up.contains("up: echo http://127.")
            && up.contains(":8081/metrics")
            && !up.contains("echo http://127.0.0.1:"),
        "{up}"
    );
    let changes =
        std::fs::read_to_string(artifacts.path().join("changes.txt")).expect("changes.txt");
    assert!(
        changes.contains("scrape_configs[1].kubernetes_sd_configs[0]: role endpoints -> 1 target"),
        "the emulated discovery is not a listed change: {changes}"
    );
}

#[test]
fn two_verify_runs_started_together_write_two_complete_artifact_directories() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    let manifests = repository_root().join("manifests");
    let start = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_firedrill"));
        command
            .args(["verify", "--manifests"])
            .arg(&manifests)
            .current_dir(cwd.path())
            .env_remove("FIREDRILL_ARTIFACTS")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command.spawn().expect("the firedrill binary runs")
    };
    let (first, second) = (start(), start());
    for run in [first, second] {
        let output = run.wait_with_output().expect("verify finishes");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let runs: Vec<std::path::PathBuf> = std::fs::read_dir(cwd.path().join("firedrill-runs"))
        .expect("the default artifacts directory")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    for run in &runs {
        for file in [
            "summary.json",
            "review.html",
            "changes.txt",
            "slack/0001.json",
        ] {
            assert!(run.join(file).is_file(), "{} lacks {file}", run.display());
        }
        let summary = std::fs::read_to_string(run.join("summary.json")).expect("a summary");
        assert!(summary.contains("\"passed\": true"), "{summary}");
    }
}

#[test]
fn verify_interrupted_during_its_checks_exits_130_and_still_writes_its_artifacts() {
    let artifacts = tempfile::tempdir().expect("a temp dir");
    let err_path = artifacts.path().join("stderr.txt");
    let run_dir = artifacts.path().join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args([
            "verify",
            "--backend",
            "process",
            "--skip",
            "grafana",
            "--artifacts",
        ])
        .arg(&run_dir)
        .current_dir(repository_root())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("the firedrill binary runs");
    // Interrupted once a check is under way (the traffic waits for the first scrape).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&err_path).unwrap_or_default();
        if text.contains("[ 2/") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no check started within 60 s: {text}"
        );
        assert!(
            child.try_wait().expect("waiting").is_none(),
            "verify ended before a check started: {text}"
        );
        std::thread::yield_now();
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    let status = child.wait().expect("verify ends");
    let text = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{text}");
    // The interrupted line stands on its own, and the check it cut says so on its line.
    assert!(
        text.lines()
            .any(|l| l.starts_with("firedrill: interrupted; ")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("SKIPPED: not run: the run was interrupted (Ctrl-C) while it ran")),
        "{text}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("summary.json")).expect("summary.json is written"),
    )
    .expect("summary.json is JSON");
    assert_eq!(summary["interrupted"], true, "{summary:#}");
    assert!(
        summary["totals"]["not_run"].as_u64().unwrap_or(0) > 0,
        "{summary:#}"
    );
    assert!(run_dir.join("review.html").is_file(), "no review page");
}

/// A child process killed when dropped (a failing assertion leaves nothing running).
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").to_string()
}

#[test]
fn the_stand_in_takes_a_status_or_silent_and_names_both_when_given_neither() {
    let output = firedrill(&["stand-in", "--listen", "127.0.0.1:1"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--status <STATUS>|--silent"),
        "{}",
        stderr(&output)
    );
    let output = firedrill(
        &["stand-in", "--listen", "127.0.0.1:1", "--status", "200"],
        &[],
    );
    assert!(
        stderr(&output).contains("`200` is not an HTTP status from 400 to 599"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn the_stand_in_answers_its_status_on_every_address_until_sigterm() {
    let addresses = [free_address(), free_address()];
    let child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args([
            "stand-in",
            "--listen",
            &addresses[0],
            "--listen",
            &addresses[1],
        ])
        .args(["--status", "503"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the firedrill binary runs");
    let mut child = KilledOnDrop(child);
    let client = reqwest::Client::new();
    for address in &addresses {
        let answered = firedrill::internal::poll(std::time::Duration::from_secs(10), || {
            let request = client.get(format!("http://{address}/metrics")).send();
            async move {
                match request.await {
                    Ok(response) => firedrill::internal::Look::Ready(response.status().as_u16()),
                    Err(e) => firedrill::internal::Look::NotYet(e.to_string()),
                }
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{address}: {e}"));
        assert_eq!(answered, 503, "{address}");
    }
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    let status = child.0.wait().expect("the stand-in ends");
    assert_eq!(status.code(), Some(0));
    for address in &addresses {
        assert!(
            std::net::TcpStream::connect(address).is_err(),
            "{address} still accepts connections"
        );
    }
}
