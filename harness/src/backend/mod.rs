//! Backends know how to run things, nothing about what is checked: each turns a
//! [`StackPlan`] into a [`RunningStack`] of the same shape, whose endpoints the checks use.

pub mod docker;
mod flags;
mod logs;
mod options;
pub mod process;
mod running;
mod wait_for;

pub use logs::tail_lines;
pub use options::{parse_skippable, parse_time_scale, BackendKind, StartOptions};
pub use running::{AppEndpoint, Endpoints, RunningStack, Skipped};
pub use wait_for::{readiness_of, NotReady, WaitFor};

use crate::error::Result;
use crate::plan::{plan, StackPlan};
use crate::slack::SlackMock;
use crate::spec::StackSpec;

/// How a component left out on purpose is reported: never as passed.
pub const OPT_OUT_REASON: &str = "left out by explicit opt-out";

/// Starts the Slack mock, plans the stack for the chosen backend and starts it.
pub async fn start(spec: &StackSpec, options: &StartOptions) -> Result<RunningStack> {
    options.validate(spec)?;
    match options.backend {
        BackendKind::Process => {
            let slack = SlackMock::start().await;
            let placement = process::ProcessPlacement::new(spec)?;
            let plan = plan(spec, &placement, slack.port(), options.plan);
            process::start(plan, placement, slack, options).await
        }
        BackendKind::Docker => {
            let slack = docker::start_slack_mock().await?;
            let placement = docker::DockerPlacement::new(spec);
            let plan = plan(spec, &placement, slack.port(), options.plan);
            docker::start(plan, placement, slack, options).await
        }
    }
}

/// The plan a backend would run, without starting anything (`firedrill render`).
pub fn render(spec: &StackSpec, options: &StartOptions) -> Result<StackPlan> {
    options.validate(spec)?;
    const SLACK_PORT_PLACEHOLDER: u16 = 0;
    match options.backend {
        BackendKind::Process => {
            let placement = process::ProcessPlacement::new(spec)?;
            Ok(plan(spec, &placement, SLACK_PORT_PLACEHOLDER, options.plan))
        }
        BackendKind::Docker => {
            let placement = docker::DockerPlacement::new(spec);
            let mut plan = plan(spec, &placement, SLACK_PORT_PLACEHOLDER, options.plan);
            docker::backend_changes(&mut plan, &placement);
            Ok(plan)
        }
    }
}

/// The port a component listens on: its first `containerPort`, else its kind's default
/// (Prometheus 9090, Alertmanager 9093, Grafana 3000).
pub fn container_port(component: &crate::spec::ComponentSpec) -> Option<u16> {
    use crate::spec::ComponentKind::*;
    component.main_port().or(match component.kind() {
        Prometheus => Some(9090),
        Alertmanager => Some(9093),
        Grafana => Some(3000),
        App => None,
    })
}
