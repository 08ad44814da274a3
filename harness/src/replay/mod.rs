//! `firedrill test`: promtool's rule unit-test files, unchanged, replayed live through the
//! manifests' real Prometheus and Alertmanager to the Slack mock, with promtool as the oracle
//! of rule semantics.
//!
//! For each file, promtool runs the tests against the manifests' rules (as deployed, in
//! production time). Each test then gets its own Prometheus and Alertmanager (so that no
//! series, alert or notification of one test reaches another's): Prometheus scrapes nothing
//! and receives the test's series by remote write, at their timestamps in scenario time
//! ([`timeline`]); its rules, rewritten for the time scale like `verify`'s, are evaluated as
//! one group aligned with the test's time zero ([`spec`]). At each `eval_time` the live
//! alerts must be what promtool found, labels and annotations included, and every
//! `promql_expr_test` must return what promtool did; each alert the test expects to fire is
//! followed by `verify`'s own checks into Alertmanager (routed by its own configuration) and
//! to Slack, and to its resolution where a later `eval_time` expects it gone.
//!
//! ```no_run
//! use firedrill::{assert_rule_tests_passed, RuleTests};
//!
//! # async fn example() -> firedrill::Result<()> {
//! let report = RuleTests::new("k8s/monitoring")
//!     .with_file("k8s/monitoring/tests/alerts_test.yaml")
//!     .run()
//!     .await?;
//! assert_rule_tests_passed(&report);
//! # Ok(())
//! # }
//! ```

mod oracle;
mod outcome;
mod run;
pub(crate) mod spec;
mod timeline;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;

pub use oracle::PromtoolVerdict;
pub use outcome::{
    assert_rule_tests_passed, try_assert_rule_tests_passed, Disagreement, FileReport, FiredAlert,
    FollowedCheck, RuleTestReport, TestReport,
};

use crate::backend::{BackendKind, StartOptions};
use crate::checks::Progress;
use crate::error::Result;
use crate::spec::ComponentKind;

/// promtool rule unit-test files to replay through a stack's manifests.
#[derive(Debug, Clone)]
pub struct RuleTests {
    manifests: PathBuf,
    files: Vec<PathBuf>,
    options: Option<StartOptions>,
    time_scale: Option<u32>,
    artifacts: Option<PathBuf>,
    jobs: Option<usize>,
    snapshots: Option<PathBuf>,
    update_snapshots: bool,
    unscaled: bool,
    margin: Option<Duration>,
}

impl RuleTests {
    /// The tests of the stack the manifests in `dir` describe.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            manifests: dir.into(),
            files: Vec::new(),
            options: None,
            time_scale: None,
            artifacts: None,
            jobs: None,
            snapshots: None,
            update_snapshots: false,
            unscaled: false,
            margin: None,
        }
    }

    /// Adds a promtool test file (`promtool test rules FILE`).
    pub fn with_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.files.push(file.into());
        self
    }

    /// The backend and its options (default: from `FIREDRILL_*`, as `verify`'s).
    pub fn with_options(mut self, options: StartOptions) -> Self {
        self.options = Some(options);
        self
    }

    /// Runs every file at this time scale, which must divide each duration into whole
    /// milliseconds (default: chosen per file, as large as keeps an evaluation 200 ms long;
    /// given a number of jobs, 100 ms when up to three tests a core replay at once).
    pub fn with_time_scale(mut self, scale: u32) -> Self {
        self.time_scale = Some(scale);
        self
    }

    /// Writes each test's artifacts (its payloads, configs, logs, review page) under `dir`,
    /// one directory a test, and `rule-tests.json`.
    pub fn with_artifacts(mut self, dir: impl Into<PathBuf>) -> Self {
        self.artifacts = Some(dir.into());
        self
    }

    /// How many tests replay at once, given the machine (default: `FIREDRILL_JOBS`, else three
    /// a core shared by every run in the process, each evaluating every 200 ms). As many stacks again start meanwhile, so the next tests'
    /// start-up floor (Prometheus discovering its Alertmanager) passes while these replay.
    pub fn with_jobs(mut self, jobs: usize) -> Self {
        self.jobs = Some(jobs.max(1));
        self
    }

    /// Adds `margin` to every check's deadline (default: `FIREDRILL_MARGIN`, else 10 s).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    /// Compares each test's Slack payloads (normalised as [`crate::snapshot`] makes them)
    /// with the snapshot `dir/<test file's stem>/test-<index>.yaml`: a test whose messages
    /// differ fails with a unified diff; one without a snapshot fails saying how to record it.
    pub fn with_snapshots(mut self, dir: impl Into<PathBuf>) -> Self {
        self.snapshots = Some(dir.into());
        self
    }

    /// With [`Self::with_snapshots`]: writes each snapshot that is missing or differs
    /// instead of failing (review the change, then commit it).
    pub fn with_snapshot_update(mut self) -> Self {
        self.update_snapshots = true;
        self
    }

    /// Plants firedrill's old time model (rule expressions as written, their ranges and
    /// per-second values in wall-clock time, only `for` and the intervals scaled), to show
    /// that the agreement with promtool catches it. Never for a real run.
    #[doc(hidden)]
    pub fn with_unscaled_expressions(mut self) -> Self {
        self.unscaled = true;
        self
    }

    /// Runs every test; `Err` for bad input (the manifests, a test file, a rule file that
    /// differs), before anything starts.
    pub async fn run(self) -> Result<RuleTestReport> {
        self.run_with_progress(&mut crate::checks::SilentProgress)
            .await
    }

    /// [`Self::run`], saying what it does as it goes.
    pub async fn run_with_progress(self, progress: &mut dyn Progress) -> Result<RuleTestReport> {
        let wall = Instant::now();
        let mut options = match &self.options {
            Some(options) => options.clone(),
            None => StartOptions::from_env()?,
        };
        let spec = crate::load::load_dir_given(&self.manifests, &options.secrets)?;
        let findings = crate::lint::lint(&spec);
        if findings.iter().any(crate::error::Finding::is_error) {
            return Err(crate::error::Findings(findings).into());
        }
        options = options.with_skip(ComponentKind::Grafana);
        crate::tools::provide_renderer().await?;
        let margin = match self.margin {
            Some(margin) => margin,
            None => crate::checks::margin_from_env()?,
        };
        // Given a number of jobs (here or by `FIREDRILL_JOBS`), the run has limits of its own;
        // otherwise it shares the process's with every other run (tests in parallel).
        let given = match self.jobs {
            Some(jobs) => Some(jobs),
            None => jobs_from_env()?,
        };
        let jobs = given.unwrap_or_else(default_jobs);
        // Everything is read and checked before anything starts: the test files first, then
        // the backend, then the plans.
        let mut files = Vec::new();
        for path in &self.files {
            let file = crate::ruletest::read_test_file(path)?;
            let matched = spec::match_rule_files(&spec, &file)?;
            files.push((file, matched));
        }
        // A few tests at once evaluate faster than many: the scale depends on how many replay
        // at once. Sharing the process's slots with runs it cannot see, every 200 ms.
        let total: usize = files.iter().map(|(file, _)| file.tests.len()).sum();
        let min_tick = match given {
            Some(_) => timeline::min_tick(total.min(jobs)),
            None => timeline::SHARED_TICK,
        };
        let mut read = Vec::new();
        for (file, matched) in files {
            let scale = timeline::choose_scale(&file, &matched, self.time_scale, min_tick)?;
            timeline::require_within_reach(&file, scale)?;
            let expectations = crate::ruletest::read_expectations(&file)?;
            read.push((file, matched, scale, expectations));
        }
        let runs_here = match options.backend {
            BackendKind::Process => true,
            #[cfg(feature = "docker")]
            BackendKind::Docker => true,
            #[allow(unreachable_patterns)]
            _ => false,
        };
        if !runs_here {
            return Err(crate::error::Error::Input(crate::error::InputError::new(
                &self.manifests,
                format!(
                    "firedrill test runs on the process and docker backends, not {}: each test \
                     needs a Prometheus and an Alertmanager of its own, started and discarded in \
                     seconds, which a namespace a test would make minutes; use --backend process \
                     or --backend docker",
                    options.backend
                ),
            )));
        }
        let mut prepared = Vec::new();
        let mut expected = Vec::new();
        for (file, matched, scale, expectations) in read {
            expected.push(expectations);
            let (replay, mut changes) = spec::replay_spec(
                &spec,
                &file,
                &matched,
                self.unscaled.then_some(scale.factor),
            )?;
            let options = options.clone().with_time_scale(f64::from(scale.factor));
            let plan = crate::backend::render(&replay, &options)?;
            changes.extend(plan.changes.iter().cloned());
            prepared.push((file, matched, scale, replay, options, changes));
        }
        // promtool first, for every file; then every test of every file at once (up to
        // `jobs`), so that the start-up floor is paid once per wave, not once per file.
        let mut verdicts = Vec::new();
        for (file, matched, scale, ..) in &prepared {
            progress.message(&format!(
                "{}: {} test{}, time scale {} (an evaluation every {} ms)",
                file.path.display(),
                file.tests.len(),
                if file.tests.len() == 1 { "" } else { "s" },
                scale.factor,
                scale.tick_ms
            ));
            verdicts.push(oracle::promtool_verdicts(file, matched).await?);
        }
        progress.message(&format!(
            "asked promtool; replaying {total} test{} live, {jobs} at a time",
            if total == 1 { "" } else { "s" }
        ));
        let slots = given.map_or_else(run::Slots::shared, run::Slots::new);
        let test_run = |f: usize, t: usize| {
            let (file, _, scale, replay, options, _) = &prepared[f];
            let test = &file.tests[t];
            let stem = file
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let artifacts = self
                .artifacts
                .as_ref()
                .map(|dir| dir.join(&stem).join(format!("test-{}", test.index)));
            let snapshot = self.snapshots.as_ref().map(|dir| {
                (
                    dir.join(&stem).join(format!("test-{}.yaml", test.index)),
                    self.update_snapshots,
                )
            });
            let run = run::TestRun {
                spec: replay,
                options,
                scale: *scale,
                margin,
                promtool: verdicts[f][t].clone(),
                artifacts,
                snapshot,
                expect: expected[f][t].clone(),
                slots: slots.clone(),
            };
            (run, test)
        };
        let mut runs = Vec::new();
        for (f, (file, ..)) in prepared.iter().enumerate() {
            for t in 0..file.tests.len() {
                let (run, test) = test_run(f, t);
                runs.push(async move { (f, t, run.run(test).await) });
            }
        }
        let mut done: Vec<(usize, usize, TestReport)> = Vec::new();
        let mut stream = futures::stream::iter(runs).buffer_unordered(2 * jobs);
        while let Some((f, t, report)) = stream.next().await {
            progress.message(&format!(
                "{}:{}",
                prepared[f].0.path.display(),
                report.to_string().trim_end()
            ));
            done.push((f, t, report));
        }
        drop(stream);
        // A test whose run proved nothing (what Prometheus computed could not be read in
        // time) runs once more, alone, and says so; its second run's verdict is the one.
        // Unless the scale was given, it runs at a scale at least twice as slow: what the
        // message advises a loaded machine, done.
        for (f, t, report) in &mut done {
            if !report.inconclusive {
                continue;
            }
            let first = report.cause().unwrap_or_default();
            let (file, matched, scale, ..) = &prepared[*f];
            let slower = match self.time_scale {
                Some(_) => None,
                None => timeline::slower(file, matched, *scale),
            };
            let at = slower.map_or_else(String::new, |s| {
                format!(
                    " at time scale {} (an evaluation every {} ms)",
                    s.factor, s.tick_ms
                )
            });
            progress.message(&format!(
                "{}:  {}: the first try proved nothing ({first}); running it again, alone{at}",
                file.path.display(),
                report.name
            ));
            let (mut run, test) = test_run(*f, *t);
            let mut again = match slower {
                None => run.run(test).await,
                Some(slower) => {
                    let (replay, _) = spec::replay_spec(
                        &spec,
                        file,
                        matched,
                        self.unscaled.then_some(slower.factor),
                    )?;
                    let options = prepared[*f]
                        .4
                        .clone()
                        .with_time_scale(f64::from(slower.factor));
                    run.spec = &replay;
                    run.options = &options;
                    run.scale = slower;
                    run.run(test).await
                }
            };
            again.rerun_after = Some(if at.is_empty() {
                first
            } else {
                format!("{first}; run again{at}")
            });
            progress.message(&format!(
                "{}:{}",
                prepared[*f].0.path.display(),
                again.to_string().trim_end()
            ));
            *report = again;
        }
        let mut files = Vec::new();
        for (f, (file, _, scale, _, _, changes)) in prepared.iter().enumerate() {
            let mut tests: Vec<TestReport> = done
                .iter()
                .filter(|(i, ..)| *i == f)
                .map(|(.., t)| t.clone())
                .collect();
            tests.sort_by_key(|t| t.index);
            files.push(FileReport {
                path: file.path.clone(),
                time_scale: scale.factor,
                tick: Duration::from_millis(scale.tick_ms as u64),
                changes: changes.iter().map(ToString::to_string).collect(),
                tests,
            });
        }
        let report = RuleTestReport {
            files,
            wall: wall.elapsed(),
        };
        if let Some(dir) = &self.artifacts {
            let json = serde_json::to_string_pretty(&report).expect("the report serializes");
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join("rule-tests.json"), json))
                .map_err(|source| crate::error::Error::Io {
                    context: format!("writing {}", dir.join("rule-tests.json").display()),
                    source,
                })?;
        }
        Ok(report)
    }
}

/// How many tests replay at once in a run that has the machine to itself (`firedrill test`):
/// twelve a core (each is a Prometheus and an Alertmanager evaluating every 200 ms, mostly
/// waiting for scenario time to pass: measured on 2 cores, 24 and 32 at once keep every
/// evaluation).
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) fn machine_jobs() -> usize {
    12 * timeline::cores()
}

/// How many tests replay at once, shared by every run of a process given no number of jobs
/// (a test suite running several at once, beside other stacks): three a core, each
/// evaluating every 200 ms.
pub(crate) fn default_jobs() -> usize {
    3 * timeline::cores()
}

/// `FIREDRILL_JOBS`: how many tests run at once, when set.
fn jobs_from_env() -> Result<Option<usize>> {
    match std::env::var("FIREDRILL_JOBS") {
        Err(_) => Ok(None),
        Ok(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                crate::error::Error::Input(crate::error::InputError::new(
                    "FIREDRILL_JOBS",
                    format!("`{text}` is not a number of tests to run at once (1 or more)"),
                ))
            })
            .map(Some),
    }
}
