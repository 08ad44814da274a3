//! The main job: load and lint the manifests, start the stack, send traffic, run every check in order
//! with live progress, write the artifacts, tear down.

mod progress;
mod standard_checks;

pub use progress::{Progress, SilentProgress, StderrProgress};
pub use standard_checks::standard_checks;

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use crate::backend::{self, RunningStack, StartOptions};
use crate::checks::{
    Check, CheckOutcome, Checker, Expectations, MetricExpectation, SkipReason, Traffic,
};
use crate::error::Result;
use crate::load::load_dir;
use crate::report::{write_artifacts, Summary};

/// What `firedrill verify` does.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The manifests directory.
    pub manifests: PathBuf,
    /// Backend, time scale, skips, app commands.
    pub start: StartOptions,
    /// Traffic to send (default 3 GET /hello).
    pub traffic: Vec<Traffic>,
    /// Alerts expected to fire (default: the rules with a constant expression).
    pub alerts: Vec<String>,
    /// Alerts expected to fire and then resolve.
    pub resolved: Vec<String>,
    /// The increase of a metric the traffic must cause.
    pub metric: Option<MetricExpectation>,
    /// Where to write the artifacts (none when `None`).
    pub artifacts: Option<PathBuf>,
    /// The margin added to every deadline.
    pub margin: Option<std::time::Duration>,
}

/// Runs the whole verification. Bad input and components that cannot start are errors
/// (exit 2); failed checks are in the returned summary (exit 1).
pub async fn verify(options: &VerifyOptions, progress: &mut dyn Progress) -> Result<Summary> {
    let started_at = SystemTime::now();
    let wall = Instant::now();
    let spec = load_dir(&options.manifests)?;
    if !options
        .start
        .skips(crate::spec::ComponentKind::Alertmanager)
    {
        // The delivered checks render the expected messages with amtool: without it they
        // could only fail, so it is found, or downloaded, before anything starts; and before
        // the lint stage, whose `amtool check-config` then uses the same one.
        crate::tools::provide_renderer().await?;
    }
    let findings = crate::lint::lint(&spec);
    if findings.iter().any(crate::error::Finding::is_error) {
        return Err(crate::error::Findings(findings).into());
    }
    for finding in &findings {
        progress.message(&finding.to_string());
    }
    let expectations = Expectations::for_spec(
        &spec,
        options.traffic.clone(),
        options.alerts.clone(),
        options.resolved.clone(),
        options.metric.clone(),
    )?;
    backend::refuse_unrunnable(&spec, &options.start)?;
    progress.message(&format!(
        "starting the stack from {} on the {} backend (time scale {})",
        options.manifests.display(),
        options.start.backend,
        options.start.plan.time_scale
    ));
    let stack = backend::start(&spec, &options.start).await?;
    let start_elapsed = wall.elapsed();
    progress.message(&format!(
        "stack ready in {:.1} s",
        start_elapsed.as_secs_f64()
    ));
    let checks = standard_checks(&expectations);
    let outcomes = run_checks(&stack, &checks, options.margin, progress).await;
    let summary = Summary::new(
        &stack,
        &expectations,
        outcomes,
        started_at,
        start_elapsed,
        wall.elapsed(),
    );
    if let Some(dir) = &options.artifacts {
        write_artifacts(dir, &stack, &summary).await?;
        progress.message(&format!("artifacts in {}", dir.display()));
    }
    stack.shutdown().await;
    Ok(summary)
}

/// Runs `checks` in order; after a failure, the rest are reported as not run (skipped).
pub async fn run_checks(
    stack: &RunningStack,
    checks: &[Check],
    margin: Option<std::time::Duration>,
    progress: &mut dyn Progress,
) -> Vec<CheckOutcome> {
    let mut checker = Checker::new(stack).for_checks(checks);
    if let Some(margin) = margin {
        checker = checker.with_margin(margin);
    }
    if checks
        .iter()
        .any(|c| matches!(c, Check::AlertDelivered(_) | Check::AlertResolved(_)))
    {
        // Tests calling this directly get amtool as `verify` does (downloaded where none is
        // installed); where that fails, the checks that render say why when they run.
        if let Err(e) = crate::tools::provide_renderer().await {
            tracing::debug!(error = %e, "no amtool for rendering");
        }
    }
    let mut outcomes = Vec::new();
    let mut failed: Option<String> = None;
    for (i, check) in checks.iter().enumerate() {
        let outcome = match &failed {
            Some(name) => CheckOutcome::skipped(
                check.name(),
                SkipReason::EarlierFailed {
                    check: name.clone(),
                },
            ),
            None => {
                progress.check_started(i + 1, checks.len(), &check.name());
                checker.run(check).await
            }
        };
        if outcome.status == crate::checks::CheckStatus::Failed {
            failed = Some(outcome.name.clone());
        }
        progress.check_finished(i + 1, checks.len(), &outcome);
        outcomes.push(outcome);
    }
    outcomes
}
