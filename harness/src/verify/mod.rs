//! The main job (`firedrill verify`): the front door's start (load, lint, refuse what the
//! backend cannot run), the expectations, the standard checks in order with live progress,
//! the summary and the artifacts, tear down.

mod standard_checks;

pub use standard_checks::standard_checks;

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use crate::backend::StartOptions;
use crate::checks::{Expectations, MetricExpectation, Progress, Traffic};
use crate::error::Result;
use crate::report::{write_artifacts, Summary};
use crate::stack::StackBuilder;

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
    let mut builder = StackBuilder::new(&options.manifests).with_options(options.start.clone());
    if let Some(margin) = options.margin {
        builder = builder.with_margin(margin);
    }
    // Without an amtool that renders, the delivered checks could only fail: verify requires
    // one before anything starts.
    let prepared = builder.prepare(true, progress).await?;
    let expectations = Expectations::for_spec(
        &prepared.spec,
        options.traffic.clone(),
        options.alerts.clone(),
        options.resolved.clone(),
        options.metric.clone(),
    )?;
    progress.message(&format!(
        "starting the stack from {} on the {} backend (time scale {})",
        options.manifests.display(),
        options.start.backend,
        options.start.plan.time_scale
    ));
    let stack = prepared.start().await?;
    let start_elapsed = wall.elapsed();
    progress.message(&format!(
        "stack ready in {:.1} s",
        start_elapsed.as_secs_f64()
    ));
    let checks = standard_checks(&expectations);
    let outcomes = stack.run_with_progress(&checks, progress).await?;
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
