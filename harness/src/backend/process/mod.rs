//! The default backend: every component a child process on 127.0.0.1, in a temp dir.

mod binaries;
mod child;
mod launch;
mod placement;
mod ready;
mod stale;

pub use binaries::{env_name, find_binary, firedrill_executable, install_hint, on_path};
pub use launch::ECHO_SERVER_IMAGE;
pub use placement::ProcessPlacement;

use std::time::{Duration, Instant};

use child::ManagedChild;

use super::running::StackHandle;
use super::{AppEndpoint, Endpoints, RunningStack, Skipped, StartOptions};
use crate::error::{Error, Result};
use crate::plan::StackPlan;
use crate::slack::SlackMock;
use crate::spec::ComponentKind;

/// The processes of a running stack and their work dir.
#[derive(Debug)]
pub(crate) struct ProcessStack {
    children: Vec<ManagedChild>,
    workdir: Option<tempfile::TempDir>,
    keep: bool,
}

impl ProcessStack {
    pub(crate) fn logs(&self) -> Vec<(String, String)> {
        self.children
            .iter()
            .map(|c| {
                let text = std::fs::read(&c.log_path)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                (c.name.clone(), text)
            })
            .collect()
    }

    pub(crate) async fn shutdown(mut self) {
        for child in self.children.iter_mut().rev() {
            child.stop(Duration::from_secs(5)).await;
        }
    }
}

impl Drop for ProcessStack {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.child.start_kill();
        }
        if let Some(dir) = self.workdir.take() {
            if self.keep {
                stale::release(dir.path());
                let kept = dir.keep();
                eprintln!(
                    "firedrill: kept the work dir {} (FIREDRILL_KEEP); remove it with `rm -rf {}`",
                    kept.display(),
                    kept.display()
                );
            }
        }
    }
}

/// Writes the plan's files, starts every component and waits for each to be ready.
pub(crate) async fn start(
    mut plan: StackPlan,
    mut placement: ProcessPlacement,
    slack: SlackMock,
    options: &StartOptions,
) -> Result<RunningStack> {
    let mut skipped = Vec::new();
    let mut launches = Vec::new();
    for component in &plan.components {
        let kind = component.spec.kind();
        if options.skips(kind) {
            skipped.push(Skipped {
                kind,
                reason: format!("{} (--skip {kind})", super::OPT_OUT_REASON),
            });
            continue;
        }
        for file in &component.files {
            let target = std::path::PathBuf::from(crate::plan::Placement::file_path(
                &placement,
                &component.spec,
                &file.path,
            ));
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            }
            std::fs::write(&target, file.content.expose())
                .map_err(|e| Error::io(format!("writing {}", target.display()), e))?;
        }
        let launch = launch::launch_of(component, &placement, options, &mut plan.changes)?;
        launches.push((component.spec.name.clone(), kind, launch));
    }

    let logs_dir = placement.workdir().join("logs");
    std::fs::create_dir_all(&logs_dir).map_err(|e| Error::io("creating the logs dir", e))?;
    placement.release_ports();

    let mut children = Vec::new();
    let mut prometheus_started = Instant::now();
    for (name, kind, launch) in &launches {
        if *kind == ComponentKind::Prometheus {
            prometheus_started = Instant::now();
        }
        children.push(ManagedChild::spawn(
            name,
            launch,
            logs_dir.join(format!("{name}.log")),
        )?);
    }
    let mut stack = ProcessStack {
        children,
        workdir: Some(placement.into_workdir()),
        keep: options.keep,
    };

    let timeout = start_timeout()?;
    for (i, (name, kind, launch)) in launches.iter().enumerate() {
        let child = &mut stack.children[i];
        let identity = ready::Identity::of(*kind, &launch.args);
        let waited = ready::wait_until_ours(*kind, &identity, &launch.listen, child, timeout).await;
        if let Err(not_ready) = waited {
            // The log may hold what the component was given (a Slack URL it failed to
            // reach): it is redacted of the manifests' secrets, as the artifacts are.
            let tail = super::tail_lines(&child.log_path, 20);
            return Err(Error::start(
                name,
                plan.spec
                    .redact(&format!("{not_ready}; last lines of its log:\n{tail}")),
                "read the log above; FIREDRILL_START_TIMEOUT (seconds) raises the deadline",
            ));
        }
    }

    let url_of = |kind: ComponentKind| {
        launches
            .iter()
            .find(|(_, k, _)| *k == kind)
            .map(|(_, _, l)| format!("http://{}", l.listen))
    };
    let endpoints = Endpoints {
        prometheus: url_of(ComponentKind::Prometheus).expect("a stack has Prometheus"),
        alertmanager: url_of(ComponentKind::Alertmanager).expect("a stack has Alertmanager"),
        grafana: url_of(ComponentKind::Grafana),
        apps: launches
            .iter()
            .filter(|(_, k, _)| *k == ComponentKind::App)
            .map(|(name, _, l)| AppEndpoint {
                name: name.clone(),
                url: format!("http://{}", l.listen),
            })
            .collect(),
    };
    Ok(RunningStack {
        backend: "process",
        plan,
        endpoints,
        slack,
        skipped,
        prometheus_started,
        handle: StackHandle::Process(stack),
        seen_alerts: Default::default(),
    })
}

/// `FIREDRILL_START_TIMEOUT` in seconds, else [`super::WaitFor::DEFAULT_TIMEOUT`].
pub(crate) fn start_timeout() -> Result<Duration> {
    match std::env::var("FIREDRILL_START_TIMEOUT") {
        Err(_) => Ok(super::WaitFor::DEFAULT_TIMEOUT),
        Ok(value) => value
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .ok_or_else(|| {
                Error::Input(crate::InputError::new(
                    "environment",
                    format!(
                        "FIREDRILL_START_TIMEOUT={value:?} is invalid: expected whole seconds > 0"
                    ),
                ))
            }),
    }
}
