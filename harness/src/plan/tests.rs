//! Planning the seed and its renamed variant with a fixed placement: reviewable snapshots
//! of every change and of the effective configs.

use super::*;
use crate::fixtures::{renamed_manifests, seed_manifests};
use crate::load::load_dir;

/// Peers by component name, the harness as `harness.test`, paths unchanged.
struct NamedPlacement;

impl Placement for NamedPlacement {
    fn peer_address(&self, _from: &ComponentSpec, to: &ComponentSpec, port: u16) -> String {
        format!("{}:{port}", to.name)
    }
    fn harness_host(&self, _from: &ComponentSpec) -> String {
        "harness.test".to_string()
    }
    fn file_path(&self, _component: &ComponentSpec, path: &str) -> String {
        path.to_string()
    }
}

fn planned(dir: std::path::PathBuf, time_scale: f64) -> StackPlan {
    let spec = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    plan(&spec, &NamedPlacement, 4567, PlanOptions { time_scale })
}

fn effective_file(plan: &StackPlan, component: &str, path: &str) -> String {
    let component = plan
        .component(component)
        .unwrap_or_else(|| panic!("no component {component}"));
    let file = component
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| {
            panic!(
                "no file {path} in {:?}",
                component.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        });
    file.content.expose().to_string()
}

#[test]
fn the_seed_plan_changes_only_addresses_the_slack_url_and_durations() {
    let plan = planned(seed_manifests(), 30.0);
    insta::assert_snapshot!("seed_changes", format_changes(&plan.changes));
    let reasons: std::collections::BTreeSet<&str> = plan.changes.iter().map(|c| c.reason).collect();
    assert_eq!(
        reasons,
        ["address", "slack mock", "time scale"]
            .into_iter()
            .collect(),
        "{:#?}",
        plan.changes
    );
}

#[test]
fn the_seed_effective_configs_point_into_the_stack() {
    let plan = planned(seed_manifests(), 30.0);
    insta::assert_snapshot!(
        "seed_prometheus_yaml",
        effective_file(&plan, "prometheus", "/etc/prometheus/prometheus.yaml")
    );
    insta::assert_snapshot!(
        "seed_alertmanager_yaml",
        effective_file(&plan, "alertmanager", "/etc/alertmanager/alertmanager.yaml")
    );
    insta::assert_snapshot!(
        "seed_grafana_datasource",
        effective_file(
            &plan,
            "grafana",
            "/etc/grafana/provisioning/datasources/prometheus-datasource.yaml"
        )
    );
}

#[test]
fn at_time_scale_one_only_addresses_and_the_slack_url_change() {
    let plan = planned(seed_manifests(), 1.0);
    let scaled: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.reason == "time scale")
        .collect();
    assert!(scaled.is_empty(), "{scaled:#?}");
    assert_eq!(plan.timings.longest_for, std::time::Duration::from_secs(60));
    assert_eq!(plan.timings.group_wait, std::time::Duration::from_secs(30));
}

#[test]
fn the_renamed_plan_follows_services_named_ports_and_nested_routes() {
    let plan = planned(renamed_manifests(), 30.0);
    insta::assert_snapshot!("renamed_changes", format_changes(&plan.changes));
    let text = format_changes(&plan.changes);
    assert!(text.contains("web:8080 -> web:8081"), "{text}");
    assert!(!text.contains("hooks.slack.com"), "{text}");
}
