//! The main job (`firedrill verify`): the front door's start (load, lint, refuse what the
//! backend cannot run), the expectations, the standard checks in order with live progress,
//! the summary and the artifacts, tear down.

mod standard_checks;
mod steps;

pub use standard_checks::standard_checks;
pub use steps::{scenario_checks, Step};

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use crate::backend::StartOptions;
use crate::checks::{CheckOutcome, Expectations, MetricExpectation, Progress, SkipReason, Traffic};
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
    /// How the Slack mock answers (`--slack-fail`): told once the stack has started.
    pub slack_faults: Vec<crate::slack::SlackFault>,
    /// A scenario (`--step`), in order: when given, its checks replace the traffic and the
    /// alert checks: the app reachable, the rules healthy, each step's checks in order, then
    /// Grafana's datasource.
    pub steps: Vec<Step>,
}

/// Runs the whole verification. Bad input and components that cannot start are errors
/// (exit 2); failed checks are in the returned summary (exit 1).
pub async fn verify(options: &VerifyOptions, progress: &mut dyn Progress) -> Result<Summary> {
    let summary = verify_until(options, progress, std::future::pending()).await?;
    Ok(summary.expect("a run that is never interrupted ends with a summary"))
}

/// [`verify`], stopped when `interrupt` completes (Ctrl-C). Interrupted while the stack
/// starts: `None`, the stack torn down. Interrupted during the checks: the summary of the
/// checks that ended, the rest not run ([`SkipReason::Interrupted`]), marked `interrupted`,
/// with the artifacts written as for a whole run.
pub async fn verify_until(
    options: &VerifyOptions,
    progress: &mut dyn Progress,
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<Option<Summary>> {
    tokio::pin!(interrupt);
    let started_at = SystemTime::now();
    let wall = Instant::now();
    // The Slack mock fails from the start (before Alertmanager's first message), the delays
    // turned from scenario time into what the mock waits.
    let mut start = options.start.clone();
    for fault in &options.slack_faults {
        let scale = start.plan.time_scale;
        start = start.with_slack_fault(fault.scaled(scale));
    }
    let mut builder = StackBuilder::new(&options.manifests).with_options(start);
    if let Some(margin) = options.margin {
        builder = builder.with_margin(margin);
    }
    // Without an amtool that renders, the delivered checks could only fail: verify requires
    // one before anything starts.
    let prepared = builder.prepare(true, progress).await?;
    let (checks, expectations) = if options.steps.is_empty() {
        let expectations = Expectations::for_spec(
            &prepared.spec,
            options.traffic.clone(),
            options.alerts.clone(),
            options.resolved.clone(),
            options.metric.clone(),
        )?;
        (standard_checks(&expectations), expectations)
    } else {
        require_runnable_steps(&prepared.spec, &options.start, &options.steps)?;
        let checks = scenario_checks(&options.steps);
        let expectations = Expectations::of_checks(&checks);
        (checks, expectations)
    };
    for fault in &options.slack_faults {
        progress.message(&format!("the Slack mock answers {}", fault.answers()));
    }
    progress.message(&format!(
        "starting the stack from {} on the {} backend (time scale {})",
        options.manifests.display(),
        options.start.backend,
        options.start.plan.time_scale
    ));
    let stack = tokio::select! {
        stack = prepared.start() => stack?,
        () = &mut interrupt => return Ok(None),
    };
    let start_elapsed = wall.elapsed();
    progress.message(&format!(
        "stack ready in {:.1} s",
        start_elapsed.as_secs_f64()
    ));
    let mut recording = Recording {
        inner: progress,
        outcomes: Vec::new(),
        running: None,
    };
    let ended = tokio::select! {
        outcomes = stack.run_with_progress(&checks, &mut recording) => Some(outcomes?),
        () = &mut interrupt => None,
    };
    let interrupted = ended.is_none();
    let outcomes = match ended {
        Some(outcomes) => outcomes,
        None => {
            // The checks that ended, the one running (its line ended), the rest not run.
            let mut outcomes = std::mem::take(&mut recording.outcomes);
            if let Some((n, total, since)) = recording.running.take() {
                let mut cut = CheckOutcome::skipped(checks[n - 1].name(), SkipReason::Interrupted);
                cut.elapsed = since.elapsed();
                cut.detail = format!("{} while it ran", cut.detail);
                recording.inner.check_finished(n, total, &cut);
                outcomes.push(cut);
            }
            for check in &checks[outcomes.len()..] {
                outcomes.push(CheckOutcome::skipped(check.name(), SkipReason::Interrupted));
            }
            outcomes
        }
    };
    let progress = recording.inner;
    let mut summary = Summary::new(
        &stack,
        &expectations,
        outcomes,
        started_at,
        start_elapsed,
        wall.elapsed(),
    );
    summary.interrupted = interrupted;
    summary.rules_started = stack.session().rules_started();
    match &summary.rules_started {
        Some(opened) => progress.message(&format!(
            "the rules saw the stack from {:.1} s after its start on: {}",
            opened.after_ms as f64 / 1000.0,
            match &opened.unscraped {
                None => "every target had been scraped once".to_string(),
                Some(left) => format!("the wait for every target's first scrape gave up ({left})"),
            }
        )),
        None if stack.plan().startup_gate => progress
            .message("the rules never saw the stack: the start-up gate did not open (see the log)"),
        None => {}
    }
    if let Some(dir) = &options.artifacts {
        write_artifacts(dir, &stack, &summary).await?;
        progress.message(&format!("artifacts in {}", dir.display()));
    }
    stack.shutdown().await;
    Ok(Some(summary))
}

/// Bad input, before anything starts, naming the `--step` at fault: an alert no rule
/// defines, a name that is no running container, workload or Service of the stack.
fn require_runnable_steps(
    spec: &crate::spec::StackSpec,
    start: &crate::backend::StartOptions,
    steps: &[Step],
) -> Result<()> {
    for step in steps {
        let bad = |message: String| {
            crate::error::Error::Input(
                crate::error::InputError::new(&spec.dir, message).key(format!("--step '{step}'")),
            )
        };
        if let Some(alert) = step.alert() {
            crate::checks::require_defined(
                spec,
                [&alert.to_string()],
                &format!("--step '{step}'"),
            )?;
        }
        if let Some(target) = step.target() {
            let component = spec
                .component_called(target, |c| !start.skips(c.kind()))
                .map_err(bad)?;
            if let Step::Fault(_, fault) = step {
                crate::backend::refuse_fault(spec, start, &component, *fault).map_err(bad)?;
            }
        }
    }
    Ok(())
}

/// Passes progress on, keeping each outcome as it ends (what an interrupted run still has).
struct Recording<'a> {
    inner: &'a mut dyn Progress,
    outcomes: Vec<CheckOutcome>,
    /// The check running: its number, the total, and since when.
    running: Option<(usize, usize, Instant)>,
}

impl Progress for Recording<'_> {
    fn message(&mut self, text: &str) {
        self.inner.message(text);
    }

    fn check_started(&mut self, n: usize, total: usize, name: &str) {
        self.running = Some((n, total, Instant::now()));
        self.inner.check_started(n, total, name);
    }

    fn check_finished(&mut self, n: usize, total: usize, outcome: &CheckOutcome) {
        self.running = None;
        self.outcomes.push(outcome.clone());
        self.inner.check_finished(n, total, outcome);
    }
}
