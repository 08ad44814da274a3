//! From what the stack IS to what a backend runs: addresses translated, durations divided
//! by the time scale, Slack pointed at the mock, and the list of every change made.
//!
//! Only these three kinds of change are made; everything else in the manifests' configs
//! reaches the components as written.

mod addresses;
mod alertmanager;
mod changes;
mod discovery;
mod file_refs;
mod flags;
mod grafana;
mod kubernetes_sd;
mod placement;
mod prometheus;
pub(crate) mod promql;
mod replicas;
pub mod startup;
mod time_scale;
mod timings;

#[cfg(test)]
pub(crate) mod tests;

pub use addresses::{resolve, service_host, split_host_port, split_url};
pub use changes::{format_changes, Change};
pub(crate) use discovery::uses_kubernetes_discovery;
pub(crate) use kubernetes_sd::is_emulated as is_emulated_discovery_file;
pub use placement::Placement;
pub use prometheus::scaled_rule_file;
pub(crate) use replicas::{pods as replica_pods, replicas as replica_count};
pub use timings::Timings;

use crate::spec::{ComponentConfig, ComponentSpec, FileContent, StackSpec};
use crate::time::PromDuration;

/// How to plan: the time scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanOptions {
    /// Every duration is divided by this; 1 keeps the manifests' timings.
    pub time_scale: f64,
}

impl PlanOptions {
    /// The default time scale: the seed's first notification in about 5 s instead of 99 s.
    pub const DEFAULT_TIME_SCALE: f64 = 30.0;
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            time_scale: Self::DEFAULT_TIME_SCALE,
        }
    }
}

/// What a backend runs: every component's effective args and files, and the change list.
#[derive(Debug, Clone)]
pub struct StackPlan {
    /// The stack as the manifests describe it.
    pub spec: StackSpec,
    /// The time scale applied.
    pub time_scale: f64,
    /// The effective timings (scaled), from which check deadlines derive.
    pub timings: Timings,
    /// One plan per component, in the spec's order.
    pub components: Vec<ComponentPlan>,
    /// Every change made to the manifests' configuration.
    pub changes: Vec<Change>,
    /// The Slack mock's base URL as Alertmanager reaches it.
    pub slack_base: String,
    /// Whether Prometheus's rules wait for the start-up gate ([`startup`]): the harness
    /// opens it once every target was scraped.
    pub startup_gate: bool,
}

impl StackPlan {
    /// A component's plan by name.
    pub fn component(&self, name: &str) -> Option<&ComponentPlan> {
        self.components.iter().find(|c| c.spec.name == name)
    }
}

/// One component's effective configuration.
#[derive(Debug, Clone)]
pub struct ComponentPlan {
    /// The component as the manifests describe it.
    pub spec: ComponentSpec,
    /// Its args with mounted file paths translated to where the backend puts them.
    pub args: Vec<String>,
    /// Every file it sees, at its in-container path, with effective content.
    pub files: Vec<PlannedFile>,
}

/// A file a component sees.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// In-container path (the backend decides where it really goes).
    pub path: String,
    /// Effective content; a Secret's stays secret.
    pub content: FileContent,
}

impl PlannedFile {
    fn rewritten(path: &str, content: FileContent) -> Self {
        Self {
            path: path.to_string(),
            content,
        }
    }
}

/// Plans the stack for a backend's placement. `slack_port` is the Slack mock's port on the
/// harness's host.
pub fn plan(
    spec: &StackSpec,
    placement: &dyn Placement,
    slack_port: u16,
    options: PlanOptions,
) -> StackPlan {
    let scale = options.time_scale;
    let mut changes = Vec::new();
    let mut components = Vec::new();
    let mut slack_base = String::new();
    let mut startup_gate = false;
    for component in &spec.components {
        let mut rewritten = match &component.config {
            ComponentConfig::App => Vec::new(),
            ComponentConfig::Prometheus(p) => {
                prometheus::plan_prometheus(spec, component, p, placement, scale, &mut changes)
            }
            ComponentConfig::Alertmanager(a) => {
                slack_base = format!("http://{}:{slack_port}", placement.harness_host(component));
                vec![alertmanager::plan_alertmanager(
                    component,
                    a,
                    placement,
                    &slack_base,
                    scale,
                    &mut changes,
                )]
            }
            ComponentConfig::Grafana(g) => {
                grafana::plan_grafana(spec, component, g, placement, &mut changes)
            }
        };
        let mut files = Vec::new();
        for mounted in &component.files {
            match rewritten.iter().position(|f| f.path == mounted.path) {
                Some(i) => files.push(rewritten.remove(i)),
                None => files.push(PlannedFile {
                    path: mounted.path.clone(),
                    content: mounted.content.clone(),
                }),
            }
        }
        files.extend(rewritten);
        let mut args = translate_arg_paths(component, placement, &mut changes);
        if matches!(component.config, ComponentConfig::Prometheus(_)) {
            flags::scale_flag(
                &mut args,
                &component.name,
                "--rules.alert.resend-delay",
                PromDuration::from_secs(60),
                scale,
                &mut changes,
            );
            // Prometheus hands alerts to an Alertmanager only once its discovery lists it
            // (~5 s after the start); an alert that fired before is sent again only after the
            // resend delay. In compressed time that gap is minutes of scenario time, which
            // production never sees: at most half the shortest evaluation interval, every
            // evaluation sends, so the first one after the gap delivers.
            if scale != 1.0 {
                if let ComponentConfig::Prometheus(p) = &component.config {
                    let shortest = prometheus::shortest_evaluation_interval(p, scale);
                    if !shortest.is_zero() {
                        flags::cap_flag(
                            &mut args,
                            &component.name,
                            "--rules.alert.resend-delay",
                            PromDuration::new(shortest / 2),
                            "half the shortest evaluation interval: every evaluation sends, so \
                             an alert that fired before Prometheus discovered its Alertmanager \
                             is sent at the first evaluation after",
                            &mut changes,
                        );
                    }
                }
            }
            if let ComponentConfig::Prometheus(p) = &component.config {
                if startup::gates(component, p, scale) == Ok(true) {
                    startup::require_receiver(&mut args, &component.name, &mut changes);
                    startup_gate = true;
                }
            }
            // How far back an instant selector finds a sample (and so how long a series that
            // stopped is still seen): production's 5 minutes, in scenario time.
            flags::scale_flag(
                &mut args,
                &component.name,
                "--query.lookback-delta",
                PromDuration::from_secs(300),
                scale,
                &mut changes,
            );
        }
        components.push(ComponentPlan {
            spec: component.clone(),
            args,
            files,
        });
    }
    if placement.cluster_namespace().is_none() {
        replicas::replica_changes(spec, &mut changes);
    }
    for component in spec.components.iter().filter(|c| c.ports_from_services) {
        let ports: Vec<String> = component.ports.iter().map(ToString::to_string).collect();
        changes.push(Change {
            component: component.name.clone(),
            file: component.origin.resource.clone(),
            key: format!(
                "containers[{}].ports",
                component.origin.key.as_deref().unwrap_or(&component.name)
            ),
            reason: "undeclared port",
            from: "<none declared>".to_string(),
            to: format!(
                "{}: the numeric targetPort of the Services selecting its pod, which Kubernetes \
                 forwards to undeclared",
                ports.join(", ")
            ),
        });
    }
    for script in &spec.startup_scripts {
        changes.push(Change {
            component: script.component.clone(),
            file: script.origin.resource.clone(),
            key: script.key.clone(),
            reason: "start-up script",
            from: "<a shell script run at start-up>".to_string(),
            to: format!("<run before the start: {}>", script.steps.join("; ")),
        });
    }
    for left_out in &spec.left_out {
        changes.push(Change {
            component: left_out.container.clone(),
            file: left_out.origin.resource.clone(),
            key: format!("containers[{}]", left_out.container),
            reason: "sidecar",
            from: left_out.image.clone(),
            to: format!("<left out: {}>", left_out.reason),
        });
    }
    StackPlan {
        spec: spec.clone(),
        time_scale: scale,
        timings: Timings::of(spec, scale),
        components,
        changes,
        slack_base,
        startup_gate,
    }
}

/// Rewrites every arg that names a mounted file (or a directory holding one).
fn translate_arg_paths(
    component: &ComponentSpec,
    placement: &dyn Placement,
    changes: &mut Vec<Change>,
) -> Vec<String> {
    let mut args = Vec::with_capacity(component.args.len());
    for (i, arg) in component.args.iter().enumerate() {
        let (flag, value) = match arg.split_once('=') {
            Some((flag, value)) => (Some(flag), value),
            None => (None, arg.as_str()),
        };
        let names_a_file = value.starts_with('/')
            && component.files.iter().any(|f| {
                f.path == value
                    || f.path
                        .starts_with(&format!("{}/", value.trim_end_matches('/')))
            });
        let translated = if names_a_file {
            let path = placement.file_path(component, value);
            match flag {
                Some(flag) => format!("{flag}={path}"),
                None => path,
            }
        } else {
            arg.clone()
        };
        if &translated != arg {
            changes.push(Change {
                component: component.name.clone(),
                file: "args".to_string(),
                key: format!("args[{i}]"),
                reason: "path",
                from: arg.clone(),
                to: translated.clone(),
            });
        }
        args.push(translated);
    }
    args
}
