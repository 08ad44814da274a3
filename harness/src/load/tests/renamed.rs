use super::{fixture_dir, load_ok};
use crate::spec::{ComponentKind, ServicePort};

#[test]
fn the_renamed_variant_loads_from_nested_multi_document_files() {
    let spec = load_ok(fixture_dir("renamed"));
    let names: Vec<(&str, &str)> = spec
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.image.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("prom", "prom/prometheus:v2.27.1"),
            ("notifier", "prom/alertmanager:v0.22.2"),
            ("dashboards", "grafana/grafana:7.5.9"),
            ("web", "echo_server:latest"),
        ]
    );
}

#[test]
fn a_named_target_port_resolves_to_the_selected_containers_port() {
    let spec = load_ok(fixture_dir("renamed"));
    let web = spec
        .services
        .iter()
        .find(|s| s.name == "web")
        .expect("service web");
    assert_eq!(
        web.ports,
        vec![ServicePort {
            port: 8080,
            target_port: 8081
        }]
    );
}

#[test]
fn the_two_arg_config_flag_and_relative_rule_globs_are_followed() {
    let spec = load_ok(fixture_dir("renamed"));
    let prometheus = spec.prometheus();
    assert_eq!(prometheus.config_path, "/etc/prom/prom.yml");
    assert_eq!(prometheus.evaluation_interval.to_string(), "10s");
    let rule_paths: Vec<&str> = prometheus
        .rule_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        rule_paths,
        vec![
            "/etc/prom/alerts/core.yaml",
            "/etc/prom/alerts/traffic.yaml"
        ]
    );
    let alerts: Vec<(&str, String, bool)> = prometheus
        .alert_rules()
        .map(|(_, r)| {
            (
                r.alert.as_deref().unwrap_or(""),
                r.for_.to_string(),
                r.is_constant(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        vec![
            ("AlwaysOnWatchdog", "30s".to_string(), true),
            ("HighRequestRate", "2m".to_string(), false)
        ]
    );
    let traffic = &prometheus.rule_files[1].groups[0];
    assert_eq!(
        traffic.interval.map(|d| d.to_string()).as_deref(),
        Some("20s")
    );
}

#[test]
fn a_sub_path_mounted_alertmanager_config_is_parsed_with_its_own_receiver() {
    let spec = load_ok(fixture_dir("renamed"));
    let alertmanager = spec.alertmanager();
    assert_eq!(alertmanager.config_path, "/etc/notifier/am.yml");
    assert_eq!(alertmanager.route_receiver, "ops-team");
    assert_eq!(
        (
            alertmanager.group_wait.to_string(),
            alertmanager.group_interval.to_string(),
            alertmanager.repeat_interval.to_string(),
            alertmanager.resolve_timeout.to_string()
        ),
        ("10s".into(), "10s".into(), "1h".into(), "2m".into())
    );
    let slack = &alertmanager.receiver("ops-team").expect("ops-team").slack[0];
    assert_eq!(slack.channel.as_deref(), Some("#ops-firedrill"));
    assert_eq!(slack.username.as_deref(), Some("firedrill-bot"));
    assert_eq!(
        slack.title.as_deref(),
        Some("[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}")
    );
    assert!(
        slack
            .text
            .as_deref()
            .unwrap_or("")
            .contains("Alert {{ .Labels.alertname }}"),
        "{slack:?}"
    );
    assert!(
        slack.api_url.is_some(),
        "the global slack_api_url applies: {slack:?}"
    );
    let blackhole = alertmanager.receiver("blackhole").expect("blackhole");
    assert!(blackhole.slack.is_empty(), "{blackhole:?}");
}

#[test]
fn grafana_credentials_come_from_a_config_map_and_a_secret() {
    let spec = load_ok(fixture_dir("renamed"));
    let grafana = spec.grafana().expect("grafana");
    assert_eq!(grafana.admin_user, "ops");
    assert_eq!(
        grafana.admin_password.expose(),
        "correct-horse-battery-staple"
    );
    let datasource = grafana.default_datasource().expect("default datasource");
    assert_eq!(
        (datasource.name.as_str(), datasource.uid.as_deref()),
        ("Metrics", Some("metrics"))
    );
    assert!(
        !format!("{spec:?}").contains("correct-horse"),
        "the password leaked into Debug output"
    );
    let grafana_component = spec.component(ComponentKind::Grafana).expect("component");
    assert_eq!(grafana_component.main_port(), Some(3000));
}

#[test]
fn without_a_grafana_container_the_spec_has_no_grafana() {
    let spec = load_ok(fixture_dir("no-grafana"));
    assert!(spec.grafana().is_none(), "{:#?}", spec.grafana());
    assert_eq!(spec.alertmanager().route_receiver, "slack-notifications");
}
