//! Planning the seed and its renamed variant with a fixed placement: reviewable snapshots
//! of every change and of the effective configs.

use super::*;
use crate::fixtures::{renamed_manifests, seed_manifests};
use crate::load::load_dir;

/// Peers by component name, the harness as `harness.test`, paths unchanged (the loader's
/// property tests plan with it too).
pub(crate) struct NamedPlacement;

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
fn the_seed_plan_changes_only_addresses_the_slack_url_durations_and_the_start_up_gate() {
    let plan = planned(seed_manifests(), 30.0);
    insta::assert_snapshot!("seed_changes", format_changes(&plan.changes));
    let reasons: std::collections::BTreeSet<&str> = plan.changes.iter().map(|c| c.reason).collect();
    // The start-up gap: the resend delay, at most half an evaluation; the rules' gate (the
    // seed's one rule reads no series, so only the gate's rule file and the receiver flag).
    assert_eq!(
        reasons,
        ["address", "slack mock", "start-up gap", "time scale"]
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

/// Like [`NamedPlacement`], with every component's files under `/work/<component>/root`, as
/// the process backend places them.
struct RootedPlacement;

impl Placement for RootedPlacement {
    fn peer_address(&self, from: &ComponentSpec, to: &ComponentSpec, port: u16) -> String {
        NamedPlacement.peer_address(from, to, port)
    }
    fn harness_host(&self, from: &ComponentSpec) -> String {
        NamedPlacement.harness_host(from)
    }
    fn file_path(&self, component: &ComponentSpec, path: &str) -> String {
        format!("/work/{}/root{path}", component.name)
    }
}

fn template_files() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/manifests/template-files")
}

#[test]
fn every_file_a_config_names_is_pointed_at_where_the_backend_places_it() {
    let spec = load_dir(&template_files()).unwrap_or_else(|e| panic!("{e}"));
    let plan = plan(&spec, &RootedPlacement, 4567, PlanOptions::default());
    insta::assert_snapshot!("template_files_changes", format_changes(&plan.changes));
    insta::assert_snapshot!(
        "template_files_alertmanager_yaml",
        effective_file(&plan, "alertmanager", "/etc/alertmanager/alertmanager.yaml")
    );
    insta::assert_snapshot!(
        "template_files_prometheus_yaml",
        effective_file(&plan, "prometheus", "/etc/prometheus/prometheus.yaml")
    );
    insta::assert_snapshot!(
        "template_files_echo_targets_json",
        effective_file(&plan, "prometheus", "/etc/prometheus/echo-targets.json")
    );
    // The files themselves are still planned, at their in-container paths.
    assert!(
        effective_file(&plan, "alertmanager", "/etc/alertmanager/my.tmpl")
            .contains(r#"define "my.text""#)
    );
    let token = effective_file(&plan, "prometheus", "/etc/prometheus/scrape-token");
    assert_eq!(token, "template-files-scrape-token");
}

#[test]
fn where_files_keep_their_paths_only_the_targets_of_a_file_sd_file_change() {
    let plan = planned(template_files(), 30.0);
    let path_changes: Vec<&Change> = plan.changes.iter().filter(|c| c.reason == "path").collect();
    assert!(path_changes.is_empty(), "{path_changes:#?}");
    let config = effective_file(&plan, "alertmanager", "/etc/alertmanager/alertmanager.yaml");
    assert!(
        config.contains("- /etc/alertmanager/*.tmpl")
            && config.contains("bearer_token_file: slack-token"),
        "{config}"
    );
    let targets: serde_json::Value = serde_json::from_str(&effective_file(
        &plan,
        "prometheus",
        "/etc/prometheus/echo-targets.json",
    ))
    .expect("a .json file_sd file stays JSON");
    assert_eq!(
        targets,
        serde_json::json!([{"targets": ["echo-server:8081"], "labels": {"team": "firedrill"}}])
    );
}

#[test]
fn a_reload_sidecar_left_out_is_a_listed_change() {
    let plan = planned(
        crate::fixtures::repository_root()
            .join("fixtures/manifests/corpus/working/reload-sidecars/manifests"),
        30.0,
    );
    let listed: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.reason == "sidecar")
        .map(|c| c.to_string())
        .collect();
    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert!(
        listed[0].starts_with(
            "prometheus-config-reload Deployment/prometheus-deployment \
             containers[prometheus-config-reload]: jimmidyson/configmap-reload:v0.5.0 -> \
             <left out: a config reload sidecar (configmap-reload)"
        ),
        "{listed:#?}"
    );
    assert!(plan.component("prometheus-config-reload").is_none());
}
