//! The front door for tests: [`StackBuilder`] starts the stack its manifests describe, after
//! what `firedrill verify` does before anything starts (load, lint, refuse what the backend
//! cannot run), and hands back a [`Stack`]: the running stack with the checks' session, which
//! runs [`Check`]s, refuses an alert no rule defines at once, and writes the artifacts and the
//! review page where asked.
//!
//! ```no_run
//! use firedrill::{assert_all_passed, Check, StackBuilder};
//!
//! # async fn example() -> firedrill::Result<()> {
//! let stack = StackBuilder::new("k8s/monitoring")
//!     .with_artifacts("target/firedrill")
//!     .start()
//!     .await?;
//! let outcomes = stack
//!     .run(&[Check::AlertFiring("HighErrorRate".into()), Check::AlertDelivered("HighErrorRate".into())])
//!     .await?;
//! assert_all_passed(&outcomes);
//! stack.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::backend::{self, RunningStack, StartOptions};
use crate::checks::{
    run_checks, Check, CheckOutcome, Expectations, Progress, Session, SilentProgress,
};
use crate::error::Result;
use crate::load::{add_rule_file, load_dir_given};
use crate::report::{write_artifacts, Summary};
use crate::spec::{ComponentKind, StackSpec};

/// Builds a stack for a test: the manifests under a directory, with overrides.
#[derive(Debug, Clone)]
pub struct StackBuilder {
    manifests: PathBuf,
    options: Option<StartOptions>,
    extra_rules: Vec<(String, String)>,
    artifacts: Option<PathBuf>,
    margin: Option<Duration>,
}

impl StackBuilder {
    /// A stack from the manifests under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            manifests: dir.into(),
            options: None,
            extra_rules: Vec::new(),
            artifacts: None,
            margin: None,
        }
    }

    /// Adds a rule file (Prometheus's rule format) to the manifests' Prometheus.
    pub fn with_extra_rules(mut self, name: impl Into<String>, yaml: impl Into<String>) -> Self {
        self.extra_rules.push((name.into(), yaml.into()));
        self
    }

    /// Uses these options (backend, time scale, skips, app commands) instead of the ones the
    /// environment gives ([`StartOptions::from_env`]).
    pub fn with_options(mut self, options: StartOptions) -> Self {
        self.options = Some(options);
        self
    }

    /// Writes the run's artifacts under `dir` after every [`Stack::run`]: `summary.json`
    /// with every outcome so far, the recorded Slack payloads, the effective configs, the
    /// logs and `review.html`, as `firedrill verify --artifacts` does.
    pub fn with_artifacts(mut self, dir: impl Into<PathBuf>) -> Self {
        self.artifacts = Some(dir.into());
        self
    }

    /// Adds `margin` to every check's deadline (default: `FIREDRILL_MARGIN`, else 10 s).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    /// The manifests with the overrides applied; nothing is started.
    pub fn spec(&self) -> Result<StackSpec> {
        let mut spec = load_dir_given(&self.manifests, &self.options()?.secrets)?;
        for (name, yaml) in &self.extra_rules {
            add_rule_file(&mut spec, name, yaml)?;
        }
        Ok(spec)
    }

    /// The options in force: the given ones, else the environment's.
    pub fn options(&self) -> Result<StartOptions> {
        match &self.options {
            Some(options) => Ok(options.clone()),
            None => StartOptions::from_env(),
        }
    }

    /// What `firedrill lint` reports: lint's findings and, for a stack the loader accepted,
    /// everything the options' backend would refuse before starting it (what it cannot run,
    /// its placement, plan and adjustments), every one as an error finding. Nothing is
    /// started, no image built, no cluster contacted: a test can assert that its manifests
    /// are fit for its backend before it starts anything.
    pub fn lint(&self) -> Vec<crate::error::Finding> {
        let options = match self.options() {
            Ok(options) => options,
            Err(e) => return e.into_findings(&self.manifests),
        };
        let spec = match self.spec() {
            Ok(spec) => spec,
            Err(e) => {
                // The loader's complaint, with what lint can say without a loaded stack (or,
                // were the manifests fine, what an extra rule file has wrong).
                let mut findings = crate::lint::lint_dir_given(&self.manifests, &options.secrets);
                if !findings.iter().any(crate::error::Finding::is_error) {
                    findings.extend(e.into_findings(&self.manifests));
                }
                return findings;
            }
        };
        let mut findings = crate::lint::lint(&spec);
        for refusal in backend::refusals(&spec, &options) {
            findings.extend(refusal.into_findings(&self.manifests));
        }
        findings
    }

    /// Lints the manifests and starts the stack. An error finding (what `firedrill lint`
    /// rejects: a template reading an annotation no rule gives, a Service selecting no pod,
    /// what promtool or amtool reject) is an error before anything starts; warnings are
    /// logged (`FIREDRILL_LOG=warn`).
    pub async fn start(self) -> Result<Stack> {
        let prepared = self.prepare(false, &mut LoggedWarnings).await?;
        prepared.start().await
    }

    /// Everything before anything starts: load, amtool for the checks that render (required
    /// when `require_renderer`, else only tried), lint (errors are `Err`, warnings go to
    /// `progress` and the log), what the backend cannot run.
    pub(crate) async fn prepare(
        self,
        require_renderer: bool,
        progress: &mut dyn Progress,
    ) -> Result<Prepared> {
        let spec = self.spec()?;
        let options = self.options()?;
        if !options.skips(ComponentKind::Alertmanager) {
            // The delivered checks render the expected messages with amtool: found, or
            // downloaded, before anything starts, and before lint, whose `amtool check-config`
            // then uses the same one.
            match crate::tools::provide_renderer().await {
                Ok(()) => {}
                Err(e) if require_renderer => return Err(e),
                // Where it cannot be had, the checks that render say why when they run.
                Err(e) => tracing::warn!(error = %e, "no amtool for rendering"),
            }
        }
        let findings = crate::lint::lint(&spec);
        if findings.iter().any(crate::error::Finding::is_error) {
            return Err(crate::error::Findings(findings).into());
        }
        for finding in &findings {
            progress.message(&finding.to_string());
        }
        backend::refuse_unrunnable(&spec, &options)?;
        let margin = match self.margin {
            Some(margin) => margin,
            None => crate::checks::margin_from_env()?,
        };
        Ok(Prepared {
            spec,
            options,
            artifacts: self.artifacts,
            margin,
        })
    }
}

/// Lint's warnings, for a test: into the log (`FIREDRILL_LOG=warn`), as there is no
/// progress line to print them on.
struct LoggedWarnings;

impl Progress for LoggedWarnings {
    fn message(&mut self, text: &str) {
        tracing::warn!("{text}");
    }

    fn check_started(&mut self, _n: usize, _total: usize, _name: &str) {}

    fn check_finished(&mut self, _n: usize, _total: usize, _outcome: &CheckOutcome) {}
}

/// A stack loaded, linted and accepted by its backend, not started yet.
pub(crate) struct Prepared {
    pub(crate) spec: StackSpec,
    pub(crate) options: StartOptions,
    artifacts: Option<PathBuf>,
    margin: Duration,
}

impl Prepared {
    /// Starts the stack and its checks' session.
    pub(crate) async fn start(self) -> Result<Stack> {
        let started_at = SystemTime::now();
        let wall = Instant::now();
        let running = backend::start(&self.spec, &self.options).await?;
        let session = Session::start(&running);
        Ok(Stack {
            running,
            session,
            artifacts: self.artifacts,
            margin: self.margin,
            started_at,
            wall,
            start_elapsed: wall.elapsed(),
            runs: Mutex::new(Runs::default()),
        })
    }
}

/// Every check run on a stack so far, for its summary.
#[derive(Debug, Default)]
struct Runs {
    checks: Vec<Check>,
    outcomes: Vec<CheckOutcome>,
}

/// A started stack and what the checks saw on it. It dereferences to the
/// [`RunningStack`] (endpoints, Slack mock, logs). Dropping it stops everything it started,
/// also while a test panics; [`Stack::shutdown`] does the same gracefully.
#[derive(Debug)]
pub struct Stack {
    running: RunningStack,
    session: Session,
    artifacts: Option<PathBuf>,
    margin: Duration,
    started_at: SystemTime,
    wall: Instant,
    start_elapsed: Duration,
    runs: Mutex<Runs>,
}

impl std::ops::Deref for Stack {
    type Target = RunningStack;

    fn deref(&self) -> &RunningStack {
        &self.running
    }
}

impl Stack {
    /// Runs `checks` in order (after a failure, the rest are reported as not run). A check
    /// about an alert no rule defines is an error at once, before any check runs. With
    /// [`StackBuilder::with_artifacts`], the artifacts are written afterwards.
    pub async fn run(&self, checks: &[Check]) -> Result<Vec<CheckOutcome>> {
        self.run_with_progress(checks, &mut SilentProgress).await
    }

    /// [`Stack::run`], reporting each check to `progress` as it starts and finishes.
    pub async fn run_with_progress(
        &self,
        checks: &[Check],
        progress: &mut dyn Progress,
    ) -> Result<Vec<CheckOutcome>> {
        let alerts: Vec<String> = checks
            .iter()
            .filter_map(Check::alert)
            .map(str::to_string)
            .collect();
        crate::checks::require_defined(&self.running.plan().spec, &alerts, "checks")?;
        let outcomes = run_checks(
            &self.running,
            &self.session,
            checks,
            Some(self.margin),
            progress,
        )
        .await;
        {
            let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.checks.extend(checks.iter().cloned());
            runs.outcomes.extend(outcomes.iter().cloned());
        }
        if let Some(dir) = &self.artifacts {
            write_artifacts(dir, &self.running, &self.summary()).await?;
        }
        Ok(outcomes)
    }

    /// The summary of every check run on this stack so far, as `summary.json` holds it.
    pub fn summary(&self) -> Summary {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        let mut summary = Summary::new(
            &self.running,
            &Expectations::of_checks(&runs.checks),
            runs.outcomes.clone(),
            self.started_at,
            self.start_elapsed,
            self.wall.elapsed(),
        );
        summary.rules_started = self.session.rules_started();
        summary
    }

    /// The running stack: endpoints, Slack mock, logs.
    pub fn running(&self) -> &RunningStack {
        &self.running
    }

    /// The checks' session on this stack .
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The checks' deadlines on this stack: from its plan's scaled timings, plus the margin.
    pub fn deadlines(&self) -> crate::checks::Deadlines {
        let mut deadlines = crate::checks::Deadlines::new(self.running.plan().timings);
        deadlines.margin = self.margin;
        deadlines
    }

    /// How long starting the stack took.
    pub fn start_elapsed(&self) -> Duration {
        self.start_elapsed
    }

    /// Stops every component gracefully and removes what the run created, unless it was
    /// asked to keep it.
    pub async fn shutdown(self) {
        let Stack {
            running, session, ..
        } = self;
        drop(session);
        running.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Finding;

    fn corpus(path: &str) -> PathBuf {
        crate::fixtures::repository_root()
            .join("fixtures/manifests/corpus")
            .join(path)
    }

    /// The corpus's stack whose Alertmanager fills its config in with a start-up script, with
    /// a second `prometheus-config` in namespace staging and a Service selecting no pod: three
    /// independent problems on the kube backend, one of them lint's.
    fn three_problems() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temp dir");
        let stack = std::fs::read_to_string(corpus(
            "working/sed-slack-url-from-secret/manifests/stack.yaml",
        ))
        .expect("the corpus stack");
        let selector = "  selector:\n    app: echo\n";
        assert!(stack.contains(selector), "the Service's selector moved");
        std::fs::write(
            dir.path().join("stack.yaml"),
            stack.replacen(selector, "  selector:\n    app: echo-v2\n", 1),
        )
        .expect("written");
        std::fs::copy(
            corpus("working/same-names-in-two-namespaces/manifests/staging-prometheus-config.yaml"),
            dir.path().join("staging-prometheus-config.yaml"),
        )
        .expect("copied");
        dir
    }

    fn lint_on(dir: &std::path::Path, backend: crate::backend::BackendKind) -> Vec<Finding> {
        StackBuilder::new(dir)
            .with_options(StartOptions::new(backend))
            .lint()
    }

    fn errors(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.is_error())
            .map(Finding::to_string)
            .collect()
    }

    #[cfg(feature = "kube")]
    #[test]
    fn lint_on_the_kube_backend_reports_every_refusal_with_the_lint_findings_at_once() {
        let dir = three_problems();
        let errors = errors(&lint_on(dir.path(), crate::backend::BackendKind::Kube));
        let has = |what: &str| errors.iter().any(|e| e.contains(what));
        assert!(
            has("resource Service/echo-service, key `spec.selector`"),
            "{errors:#?}"
        );
        assert!(
            has("resource Deployment/prometheus-deployment, key `spec.template.spec.containers[alertmanager]")
                && has("cannot point its Slack URL at the mock"),
            "{errors:#?}"
        );
        assert!(
            has("resource ConfigMap/prometheus-config: ConfigMap/prometheus-config is defined in namespace `staging`"),
            "{errors:#?}"
        );
        assert_eq!(errors.len(), 3, "{errors:#?}");
    }

    #[test]
    fn lint_on_the_process_backend_reports_only_what_the_process_backend_refuses() {
        let dir = three_problems();
        let errors = errors(&lint_on(dir.path(), crate::backend::BackendKind::Process));
        // The start-up script and the two namespaces are the kube backend's refusals only.
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].contains("Service/echo-service"), "{errors:#?}");
    }

    #[test]
    fn lint_reports_a_backend_this_build_lacks_or_an_option_start_refuses() {
        let seed = crate::fixtures::repository_root().join("manifests");
        let mut options = StartOptions::new(crate::backend::BackendKind::Process);
        options.skip.push(ComponentKind::Prometheus);
        let skipped = errors(&StackBuilder::new(&seed).with_options(options).lint());
        assert!(
            skipped.len() == 1 && skipped[0].contains("cannot skip prometheus"),
            "{skipped:#?}"
        );
        for kind in [
            crate::backend::BackendKind::Docker,
            crate::backend::BackendKind::Kube,
        ] {
            if !kind.is_built_in() {
                let missing = errors(&lint_on(&seed, kind));
                assert!(
                    missing.len() == 1 && missing[0].contains("FIREDRILL_BACKEND"),
                    "{missing:#?}"
                );
            }
        }
    }
}
