//! The corpus: stacks written the ways real users write them must pass, stacks broken the ways
//! production breaks must fail at the right check and name the cause.
//!
//! One test per directory of `fixtures/manifests/corpus/{working,broken}/<name>/`, each holding
//! `manifests/` (a complete manifest directory), `expect.yaml` and a README. The built
//! `firedrill` runs `verify --manifests <name>/manifests --artifacts <tempdir> ARGS` on the
//! backend `FIREDRILL_BACKEND` names (default `process`), with `FIREDRILL_SKIP` passed through.
//!
//! `expect.yaml`:
//! - `args`: extra `verify` arguments (`{variant}` stands for the variant's directory);
//! - `outcome`: `pass` (exit 0), `fail` (exit 1) or `bad-input` (exit 2, before anything starts);
//! - `check`: for `fail`, the name of the first check that must fail, as the CLI prints it;
//! - `cause`: for `fail`, a substring the first FAILED line must contain; for `bad-input`, one
//!   stderr must contain;
//! - `kube`: what differs on the kube backend (each of `args`, `outcome`, `check`, `cause` it
//!   gives replaces the variant's), where every object runs in the run's own namespace;
//! - `kube_without_discovery`: the same, on the kube backend with a Prometheus image built
//!   without Kubernetes discovery (the local stand-in, `FIREDRILL_IMAGE_PROMETHEUS=
//!   firedrill-local/...`, is Debian's build): it applies over `kube`.
//!
//! The variants mostly wait on the components, so they run well above one per core:
//! `cargo test --test e2e corpus -- --test-threads 8`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;
use serde::Deserialize;

/// How long one `verify` may take before the test kills it and fails.
const RUN_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    #[serde(default)]
    pub(crate) args: Vec<String>,
    pub(crate) outcome: Outcome,
    check: Option<String>,
    pub(crate) cause: Option<String>,
    /// For a pass: what the run must say (a check's detail), proving how it passed.
    says: Option<String>,
    kube: Option<Override>,
    kube_without_discovery: Option<Override>,
}

/// What differs on one backend: each field given replaces the variant's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    args: Option<Vec<String>>,
    outcome: Option<Outcome>,
    check: Option<String>,
    cause: Option<String>,
}

impl Expect {
    fn apply(&mut self, over: Override) {
        if let Some(args) = over.args {
            self.args = args;
        }
        if let Some(outcome) = over.outcome {
            self.outcome = outcome;
            self.check = None;
            self.cause = None;
            self.says = None;
        }
        if over.check.is_some() {
            self.check = over.check;
        }
        if over.cause.is_some() {
            self.cause = over.cause;
        }
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Outcome {
    Pass,
    Fail,
    BadInput,
}

impl Outcome {
    fn exit_code(self) -> i32 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::BadInput => 2,
        }
    }
}

/// What one `verify` run printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn transcript(&self, variant: &Path) -> String {
        format!(
            "variant {} (exit {:?} after {:.1} s)\n--- stderr ---\n{}\n--- stdout ---\n{}",
            variant.display(),
            self.code,
            self.elapsed.as_secs_f64(),
            self.stderr,
            self.stdout
        )
    }

    /// The first line reporting a failed check, from either stream.
    fn first_failed_line(&self) -> Option<&str> {
        self.stdout
            .lines()
            .chain(self.stderr.lines())
            .find(|line| line.starts_with('[') && line.contains(" ... FAILED"))
    }
}

/// The variant's `expect.yaml` as written (for every backend), checked for consistency.
fn read_expect_as_written(variant: &Path) -> Expect {
    let path = variant.join("expect.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let expect: Expect =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    consistent(&expect, &path);
    expect
}

/// What the variant must do on `backend` up to the start, which is the same on every
/// Prometheus image: as written, with what differs there (`kube`, not
/// `kube_without_discovery`, whose Prometheus refuses its config when it starts).
pub(crate) fn read_expect_before_start(variant: &Path, backend: &str) -> Expect {
    let mut expect = read_expect_as_written(variant);
    if backend == "kube" {
        if let Some(over) = expect.kube.take() {
            expect.apply(over);
        }
    }
    consistent(&expect, &variant.join("expect.yaml"));
    expect
}

/// What the variant must do on this run's backend: as written, with what differs there.
fn read_expect(variant: &Path) -> Expect {
    let mut expect = read_expect_before_start(variant, &backend());
    if backend() == "kube" {
        let stand_in = std::env::var("FIREDRILL_IMAGE_PROMETHEUS")
            .is_ok_and(|image| image.starts_with("firedrill-local/"));
        if stand_in {
            if let Some(over) = expect.kube_without_discovery.take() {
                expect.apply(over);
            }
        }
    }
    consistent(&expect, &variant.join("expect.yaml"));
    expect
}

/// A pass names no check or cause; a failure names both; bad input names its cause.
fn consistent(expect: &Expect, path: &Path) {
    match expect.outcome {
        Outcome::Pass => assert!(
            expect.check.is_none() && expect.cause.is_none(),
            "{}: a passing variant has no check or cause",
            path.display()
        ),
        Outcome::Fail => assert!(
            expect.check.is_some() && expect.cause.is_some() && expect.says.is_none(),
            "{}: a failing variant names its check and cause (and says nothing more)",
            path.display()
        ),
        Outcome::BadInput => assert!(
            expect.check.is_none() && expect.cause.is_some() && expect.says.is_none(),
            "{}: a bad-input variant names its cause and no check",
            path.display()
        ),
    }
}

fn backend() -> String {
    std::env::var("FIREDRILL_BACKEND")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "process".to_string())
}

/// Runs `firedrill verify` on the variant, output to files (no pipe to fill), killed after
/// [`RUN_LIMIT`].
fn verify(variant: &Path, args: &[String]) -> Run {
    let work = tempfile::tempdir().expect("a temp dir");
    let stdout_path = work.path().join("stdout");
    let stderr_path = work.path().join("stderr");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .arg("verify")
        .arg("--manifests")
        .arg(variant.join("manifests"))
        .arg("--backend")
        .arg(backend())
        .arg("--artifacts")
        .arg(work.path().join("artifacts"))
        .args(
            args.iter()
                .map(|a| a.replace("{variant}", &variant.to_string_lossy())),
        )
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("the firedrill binary runs");
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for firedrill") {
            break Some(status);
        }
        if started.elapsed() > RUN_LIMIT {
            // SIGTERM first, so the harness tears its stack down.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            std::thread::sleep(Duration::from_secs(10));
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    Run {
        code: status.and_then(|s| s.code()),
        stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

#[rstest]
fn working(
    #[files("*")]
    #[base_dir = "../fixtures/manifests/corpus/working"]
    #[dirs]
    variant: PathBuf,
) {
    check_variant(&variant);
}

#[rstest]
fn broken(
    #[files("*")]
    #[base_dir = "../fixtures/manifests/corpus/broken"]
    #[dirs]
    variant: PathBuf,
) {
    check_variant(&variant);
}

/// Runs the variant and checks exit code, first failed check and cause against `expect.yaml`.
fn check_variant(variant: &Path) {
    let expect = read_expect(variant);
    let run = verify(variant, &expect.args);
    let transcript = run.transcript(variant);
    assert_eq!(
        run.code,
        Some(expect.outcome.exit_code()),
        "expected {:?} (exit {}):\n{transcript}",
        expect.outcome,
        expect.outcome.exit_code()
    );
    match expect.outcome {
        Outcome::Pass => {
            if let Some(says) = &expect.says {
                assert!(
                    run.stderr.contains(says.as_str()),
                    "the run does not say `{says}`:\n{transcript}"
                );
            }
        }
        Outcome::Fail => {
            let check = expect.check.as_deref().unwrap_or_default();
            let cause = expect.cause.as_deref().unwrap_or_default();
            let line = run
                .first_failed_line()
                .unwrap_or_else(|| panic!("no FAILED check line:\n{transcript}"));
            assert!(
                line.contains(&format!("] {check} ... FAILED")),
                "the first failed check is not `{check}`: {line}\n{transcript}"
            );
            assert!(
                line.contains(cause),
                "the first failure does not name the cause `{cause}`: {line}\n{transcript}"
            );
        }
        Outcome::BadInput => {
            let cause = expect.cause.as_deref().unwrap_or_default();
            assert!(
                run.stderr.contains(cause),
                "stderr does not name the cause `{cause}`:\n{transcript}"
            );
        }
    }
}

/// The corpus keeps its promised size and every variant is complete.
#[test]
fn corpus_has_enough_variants_each_with_manifests_expectations_and_readme() {
    let root = firedrill::fixtures::repository_root().join("fixtures/manifests/corpus");
    for (kind, outcomes) in [
        ("working", &[Outcome::Pass][..]),
        ("broken", &[Outcome::Fail, Outcome::BadInput][..]),
    ] {
        let dir = root.join(kind);
        let variants: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.is_dir())
            .collect();
        assert!(variants.len() >= 12, "{kind}: only {variants:?}");
        for variant in variants {
            assert!(
                variant.join("manifests").is_dir() && variant.join("README.md").is_file(),
                "{}: manifests/ or README.md missing",
                variant.display()
            );
            // As written: what a backend changes (kube) is not what the variant is.
            let expect = read_expect_as_written(&variant);
            assert!(
                outcomes.contains(&expect.outcome),
                "{}: outcome {:?} in {kind}/",
                variant.display(),
                expect.outcome
            );
        }
    }
}
