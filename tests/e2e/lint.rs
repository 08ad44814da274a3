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

/// The seed with its app's image one only a registry has (`ghcr.io/acme/shop:1.2`).
fn seed_with_own_app_image() -> tempfile::TempDir {
    let dir = broken_seed();
    let service = dir.path().join("echo-service.yaml");
    let yaml = std::fs::read_to_string(&service).expect("echo-service.yaml");
    std::fs::write(&service, yaml.replacen("app: echo-v2", "app: echo", 1)).expect("write");
    let deployment = dir.path().join("echo-deployment.yaml");
    let yaml = std::fs::read_to_string(&deployment).expect("echo-deployment.yaml");
    std::fs::write(
        &deployment,
        yaml.replacen("echo_server:latest", "ghcr.io/acme/shop:1.2", 1),
    )
    .expect("write");
    dir
}

#[test]
fn lint_on_the_process_backend_refuses_an_app_image_it_has_no_command_for_as_verify_does() {
    let dir = seed_with_own_app_image();
    let output = lint_on("process", dir.path(), &[]);
    let said = text(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(
        said.contains("the process backend does not know how to run image `ghcr.io/acme/shop:1.2`")
            && said.contains("--app-command"),
        "{said}"
    );
    // Given a command, and on Docker, it is fine.
    let given = [
        "--app-command".to_string(),
        "ghcr.io/acme/shop:1.2=true".to_string(),
    ];
    let output = lint_on("process", dir.path(), &given);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = lint_on("docker", dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
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

/// The backends `verify` and `lint` take (the e2e suite builds them all in).
const BACKENDS: [&str; 3] = ["process", "docker", "kube"];

/// The flags of `verify`'s that `lint` takes too, each with its value: the ones that change
/// what `verify` refuses before starting (the rest, `--expect-alert`, `--traffic`, ..., are
/// about the checks).
const LINT_FLAGS: [&str; 5] = [
    "--secret",
    "--skip",
    "--time-scale",
    "--app-command",
    "--context",
];

/// `verify`'s extra arguments of a corpus variant, less those `lint` does not take.
fn lint_args(args: &[String], variant: &Path) -> Vec<String> {
    let mut kept = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let flag = arg.split_once('=').map_or(arg.as_str(), |(flag, _)| flag);
        let value = if arg.contains('=') && arg.starts_with("--") {
            None
        } else {
            args.next()
        };
        if LINT_FLAGS.contains(&flag) {
            kept.push(arg.clone());
            kept.extend(value.cloned());
        }
    }
    kept.iter()
        .map(|a| a.replace("{variant}", &variant.to_string_lossy()))
        .collect()
}

/// `firedrill lint --backend BACKEND` on `manifests`, hermetic: no cluster, no Docker engine
/// and no Prometheus to reach, so that anything lint started or contacted would fail.
fn lint_on(backend: &str, manifests: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .arg("lint")
        .arg("--backend")
        .arg(backend)
        .arg("--manifests")
        .arg(manifests)
        .args(args)
        .current_dir(repository_root())
        .env_remove("FIREDRILL_BACKEND")
        .env_remove("FIREDRILL_SKIP")
        .env_remove("FIREDRILL_TIME_SCALE")
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("FIREDRILL_PROMETHEUS_BIN", "/nonexistent/prometheus")
        .output()
        .expect("the firedrill binary runs")
}

/// On every backend, `lint` refuses a corpus variant exactly where `verify` refuses it before
/// starting (its `expect.yaml` says bad input there), printing the cause `verify` prints,
/// and passes it where `verify` goes on to start it.
fn assert_lint_refuses_what_verify_refuses_before_starting(variant: &Path) {
    for backend in BACKENDS {
        let expect = crate::e2e::corpus::read_expect_before_start(variant, backend);
        let args = lint_args(&expect.args, variant);
        let output = lint_on(backend, &variant.join("manifests"), &args);
        let text = text(&output);
        let what = format!("lint --backend {backend} {args:?} on {}", variant.display());
        if expect.outcome == crate::e2e::corpus::Outcome::BadInput {
            let cause = expect.cause.as_deref().unwrap_or_default();
            assert_eq!(
                output.status.code(),
                Some(2),
                "{what}: verify refuses it before starting (`{cause}`), lint passed it:\n{text}"
            );
            assert!(
                text.contains(cause),
                "{what}: the output does not name verify's cause `{cause}`:\n{text}"
            );
        } else {
            assert_eq!(
                output.status.code(),
                Some(0),
                "{what}: verify starts it ({:?}), lint refused it:\n{text}",
                expect.outcome
            );
        }
    }
}

#[rstest::rstest]
fn lint_refuses_a_working_corpus_stack_on_a_backend_only_where_verify_does_before_starting(
    #[files("*")]
    #[base_dir = "../fixtures/manifests/corpus/working"]
    #[dirs]
    variant: std::path::PathBuf,
) {
    assert_lint_refuses_what_verify_refuses_before_starting(&variant);
}

#[rstest::rstest]
fn lint_refuses_a_broken_corpus_stack_on_a_backend_only_where_verify_does_before_starting(
    #[files("*")]
    #[base_dir = "../fixtures/manifests/corpus/broken"]
    #[dirs]
    variant: std::path::PathBuf,
) {
    assert_lint_refuses_what_verify_refuses_before_starting(&variant);
}

#[test]
fn lint_args_keep_the_flags_lint_takes_with_their_values_and_drop_the_checks_flags() {
    let args: Vec<String> = [
        "--expect-alert",
        "A",
        "--secret",
        "s:k={variant}/f",
        "--traffic",
        "/hello=5",
        "--skip=grafana",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
        lint_args(&args, Path::new("/v")),
        ["--secret", "s:k=/v/f", "--skip=grafana"]
    );
}

/// `firedrill verify --backend BACKEND` on the seed with `steps`, hermetic as [`lint_on`]:
/// anything started or contacted would fail differently.
fn verify_steps_on(backend: &str, steps: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_firedrill"));
    command
        .args(["verify", "--backend", backend, "--skip", "grafana"])
        .current_dir(repository_root())
        .env_remove("FIREDRILL_BACKEND")
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("FIREDRILL_PROMETHEUS_BIN", "/nonexistent/prometheus");
    for step in steps {
        command.args(["--step", step]);
    }
    command.output().expect("the firedrill binary runs")
}

#[test]
fn a_fault_step_the_backend_cannot_do_is_refused_before_anything_starts() {
    for (backend, step, why) in [
        (
            "kube",
            "pause alertmanager",
            "the kube backend cannot pause alertmanager alone: it stops a whole pod, and the pod \
             of Deployment/prometheus-deployment also runs prometheus",
        ),
        (
            "kube",
            "kill prometheus",
            "the kube backend cannot kill prometheus alone: it stops a whole pod, and the pod of \
             Deployment/prometheus-deployment also runs alertmanager",
        ),
        (
            "kube",
            "fail prometheus 500",
            "the kube backend cannot fail prometheus 500 alone: it stops a whole pod, and the pod \
             of Deployment/prometheus-deployment also runs alertmanager",
        ),
    ] {
        let output = verify_steps_on(backend, &["traffic /hello x1", step]);
        let said = text(&output);
        assert_eq!(output.status.code(), Some(2), "{backend}: {said}");
        assert!(said.contains(why), "{backend}: {said}");
        assert!(
            said.contains(&format!("--step '{step}'")) && !said.contains("starting the stack"),
            "{backend}: {said}"
        );
    }
}
