//! Prometheus's effective configuration: scrape and alerting targets translated, durations
//! scaled, rule file paths and every other file the config names (`file_sd_configs` files,
//! `*_file` keys) pointed at where the backend puts them.

use serde_yaml::{Mapping, Value};

use super::addresses::translate_target_groups;
use super::changes::{Change, ChangeLog};
use super::file_refs::{plan_target_files, translate_file_refs};
use super::time_scale::{mapping_mut, scale_key};
use super::{Placement, PlannedFile};
use crate::spec::file_refs::ConfigFormat;
use crate::spec::{ComponentSpec, FileContent, PrometheusSpec, StackSpec};
use crate::time::PromDuration;

const DEFAULT_INTERVAL: PromDuration = PromDuration::from_secs(60);
const DEFAULT_SCRAPE_TIMEOUT: PromDuration = PromDuration::from_secs(10);

/// The rewritten main config and rule files.
pub(crate) fn plan_prometheus(
    spec: &StackSpec,
    me: &ComponentSpec,
    prometheus: &PrometheusSpec,
    placement: &dyn Placement,
    scale: f64,
    changes: &mut Vec<Change>,
) -> Vec<PlannedFile> {
    let mut files = Vec::new();
    let mut config = prometheus.config.clone();
    let gate = match super::startup::gates(me, prometheus, scale) {
        Ok(gate) => gate,
        Err(why) => {
            let mut log = ChangeLog {
                component: &me.name,
                file: &prometheus.config_path,
                changes,
            };
            super::startup::record_ungated(&mut log, why);
            false
        }
    };
    if gate {
        add_gate_file(me, prometheus, &mut config, scale, changes, &mut files);
    }
    {
        let mut log = ChangeLog {
            component: &me.name,
            file: &prometheus.config_path,
            changes,
        };
        if let Some(root) = config.as_mapping_mut() {
            rewrite_main_config(spec, me, root, placement, scale, &mut log, &mut files);
        }
        translate_file_refs(
            &mut config,
            ConfigFormat::Prometheus,
            me,
            placement,
            &mut log,
        );
    }
    files.push(PlannedFile::rewritten(
        &prometheus.config_path,
        to_yaml(&config),
    ));

    for rule_file in &prometheus.rule_files {
        let mut raw = rule_file.raw.clone();
        let mut log = ChangeLog {
            component: &me.name,
            file: &rule_file.path,
            changes,
        };
        scale_rule_file(&mut raw, scale, gate, &mut log);
        files.push(PlannedFile::rewritten(&rule_file.path, to_yaml(&raw)));
    }
    files.extend(plan_target_files(
        spec,
        me,
        &prometheus.config,
        &prometheus.config_path,
        placement,
        changes,
    ));
    files
}

/// The shortest evaluation interval of any rule group (the global one where a group names
/// none), scaled.
pub(crate) fn shortest_evaluation_interval(
    prometheus: &PrometheusSpec,
    scale: f64,
) -> std::time::Duration {
    prometheus
        .rule_files
        .iter()
        .flat_map(|f| &f.groups)
        .filter_map(|g| g.interval)
        .chain([prometheus.evaluation_interval])
        .map(|d| d.scaled_down(scale).get())
        .min()
        .unwrap_or_default()
}

/// Adds the rule file recording `firedrill_started`, listed in the config's `rule_files`
/// ([`super::startup`]), evaluated at the shortest evaluation interval (scaled).
fn add_gate_file(
    me: &ComponentSpec,
    prometheus: &PrometheusSpec,
    config: &mut Value,
    scale: f64,
    changes: &mut Vec<Change>,
    files: &mut Vec<PlannedFile>,
) {
    let shortest = PromDuration::new(shortest_evaluation_interval(prometheus, scale));
    let (path, content) = super::startup::gate_rule_file(&shortest.to_string());
    let Some(root) = config.as_mapping_mut() else {
        return;
    };
    let entry = root
        .entry("rule_files".into())
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if entry.is_null() {
        *entry = Value::Sequence(Vec::new());
    }
    let Some(list) = entry.as_sequence_mut() else {
        return;
    };
    list.push(path.clone().into());
    changes.push(Change {
        component: me.name.clone(),
        file: prometheus.config_path.clone(),
        key: format!("rule_files[{}]", list.len() - 1),
        reason: "start-up gap",
        from: "<absent>".to_string(),
        to: format!(
            "{path} (records {} once every target was scraped; every rule reading a series \
             waits for it)",
            super::startup::STARTED
        ),
    });
    files.push(PlannedFile { path, content });
}

fn rewrite_main_config(
    spec: &StackSpec,
    me: &ComponentSpec,
    root: &mut Mapping,
    placement: &dyn Placement,
    scale: f64,
    log: &mut ChangeLog<'_>,
    files: &mut Vec<PlannedFile>,
) {
    let global = mapping_mut(root, "global");
    let interval = scale_key(
        global,
        "scrape_interval",
        "global",
        scale,
        Some(DEFAULT_INTERVAL),
        log,
    )
    .unwrap_or(DEFAULT_INTERVAL);
    scale_key(
        global,
        "evaluation_interval",
        "global",
        scale,
        Some(DEFAULT_INTERVAL),
        log,
    );
    let mut timeout = scale_key(
        global,
        "scrape_timeout",
        "global",
        scale,
        Some(DEFAULT_SCRAPE_TIMEOUT),
        log,
    )
    .unwrap_or(DEFAULT_SCRAPE_TIMEOUT);
    if timeout > interval {
        log.record(
            "global.scrape_timeout",
            "time scale",
            timeout.to_string(),
            interval.to_string(),
        );
        global.insert("scrape_timeout".into(), interval.to_string().into());
        timeout = interval;
    }

    if let Some(jobs) = root
        .get_mut("scrape_configs")
        .and_then(Value::as_sequence_mut)
    {
        for (i, job) in jobs.iter_mut().enumerate() {
            let Some(job) = job.as_mapping_mut() else {
                continue;
            };
            let path = format!("scrape_configs[{i}]");
            let job_interval =
                scale_key(job, "scrape_interval", &path, scale, None, log).unwrap_or(interval);
            let job_timeout =
                scale_key(job, "scrape_timeout", &path, scale, None, log).unwrap_or(timeout);
            if job_timeout > job_interval {
                log.record(
                    format!("{path}.scrape_timeout"),
                    "time scale",
                    job_timeout.to_string(),
                    job_interval.to_string(),
                );
                job.insert("scrape_timeout".into(), job_interval.to_string().into());
            }
            translate_static_targets(spec, me, job, &path, placement, log);
            place_discovery(spec, me, job, &path, placement, log, files);
        }
    }

    if let Some(managers) = root
        .get_mut("alerting")
        .and_then(|a| a.get_mut("alertmanagers"))
        .and_then(Value::as_sequence_mut)
    {
        for (i, manager) in managers.iter_mut().enumerate() {
            if let Some(manager) = manager.as_mapping_mut() {
                let path = format!("alerting.alertmanagers[{i}]");
                translate_static_targets(spec, me, manager, &path, placement, log);
                place_discovery(spec, me, manager, &path, placement, log, files);
            }
        }
    }

    if let Some(rule_files) = root.get_mut("rule_files").and_then(Value::as_sequence_mut) {
        for (i, entry) in rule_files.iter_mut().enumerate() {
            let Some(pattern) = entry.as_str() else {
                continue;
            };
            let absolute = absolute_rule_path(log.file, pattern);
            let translated = placement.file_path(me, &absolute);
            if translated != absolute {
                log.record(
                    format!("rule_files[{i}]"),
                    "path",
                    pattern,
                    translated.clone(),
                );
                *entry = Value::from(translated);
            }
        }
    }
}

/// `rule_files` entries are relative to the main config file's directory.
fn absolute_rule_path(config_path: &str, pattern: &str) -> String {
    if pattern.starts_with('/') {
        return pattern.to_string();
    }
    let dir = config_path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    format!("{dir}/{pattern}")
}

/// Kubernetes discovery of a scrape job or an Alertmanager entry: kept to the run's
/// namespace on a backend with a cluster, emulated from the manifests' objects without one.
fn place_discovery(
    spec: &StackSpec,
    me: &ComponentSpec,
    owner: &mut Mapping,
    path: &str,
    placement: &dyn Placement,
    log: &mut ChangeLog<'_>,
    files: &mut Vec<PlannedFile>,
) {
    match placement.cluster_namespace() {
        Some(namespace) => keep_discovery_in(namespace, owner, path, log),
        None => super::kubernetes_sd::emulate(spec, me, owner, path, placement, log, files),
    }
}

/// Kubernetes service discovery sees only the run's namespace, where the manifests' objects
/// now are: the namespaces they named are the run's now, and discovery across every namespace
/// would find other runs' pods (and count their requests).
fn keep_discovery_in(namespace: &str, job: &mut Mapping, path: &str, log: &mut ChangeLog<'_>) {
    let Some(configs) = job
        .get_mut("kubernetes_sd_configs")
        .and_then(Value::as_sequence_mut)
    else {
        return;
    };
    for (i, config) in configs.iter_mut().enumerate() {
        let Some(config) = config.as_mapping_mut() else {
            continue;
        };
        let key = format!("{path}.kubernetes_sd_configs[{i}].namespaces");
        let before = match config.get("namespaces") {
            Some(value) => serde_yaml::to_string(value)
                .unwrap_or_default()
                .trim()
                .replace('\n', " "),
            None => "<absent: every namespace>".to_string(),
        };
        let mut namespaces = Mapping::new();
        namespaces.insert(
            "names".into(),
            Value::Sequence(vec![Value::String(namespace.to_string())]),
        );
        config.insert("namespaces".into(), Value::Mapping(namespaces));
        log.record(key, "namespace", before, format!("names: [{namespace}]"));
    }
}

fn translate_static_targets(
    spec: &StackSpec,
    me: &ComponentSpec,
    owner: &mut Mapping,
    path: &str,
    placement: &dyn Placement,
    log: &mut ChangeLog<'_>,
) {
    if let Some(static_configs) = owner.get_mut("static_configs") {
        translate_target_groups(
            spec,
            me,
            static_configs,
            &format!("{path}.static_configs"),
            placement,
            log,
        );
    }
}

fn scale_rule_file(raw: &mut Value, scale: f64, gate: bool, log: &mut ChangeLog<'_>) {
    let Some(groups) = raw.get_mut("groups").and_then(Value::as_sequence_mut) else {
        return;
    };
    for (i, group) in groups.iter_mut().enumerate() {
        let Some(group) = group.as_mapping_mut() else {
            continue;
        };
        let path = format!("groups[{i}]");
        scale_key(group, "interval", &path, scale, None, log);
        let Some(rules) = group.get_mut("rules").and_then(Value::as_sequence_mut) else {
            continue;
        };
        for (j, rule) in rules.iter_mut().enumerate() {
            let Some(rule) = rule.as_mapping_mut() else {
                continue;
            };
            let path = format!("{path}.rules[{j}]");
            scale_key(rule, "for", &path, scale, None, log);
            scale_key(rule, "keep_firing_for", &path, scale, None, log);
            scale_rule_expr(rule, &path, scale, gate, log);
        }
    }
}

/// A rule file's YAML as the plan rewrites it for `scale`: group intervals, `for`,
/// `keep_firing_for` and every expression in scenario time.
pub fn scaled_rule_file(yaml: &str, scale: f64) -> Result<String, String> {
    let mut raw: Value = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
    let mut changes = Vec::new();
    let mut log = ChangeLog {
        component: "prometheus",
        file: "rules",
        changes: &mut changes,
    };
    scale_rule_file(&mut raw, scale, false, &mut log);
    Ok(serde_yaml::to_string(&raw)
        .expect("a value the loader read serializes: it refuses keys that do not"))
}

/// Rewrites a rule's `expr` for the time scale (see [`super::promql`]) and, with `gate`, for
/// the start-up gap ([`super::startup`]), recording the rewritten expression as one change.
/// An expression the parser cannot read is left as written (lint names it, and Prometheus or
/// promtool say what is wrong with it).
fn scale_rule_expr(
    rule: &mut serde_yaml::Mapping,
    path: &str,
    scale: f64,
    gate: bool,
    log: &mut ChangeLog<'_>,
) {
    let Some(expr) = rule.get("expr").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let Ok(scaled) = super::promql::scale_expr(&expr, scale) else {
        return;
    };
    let gated = gate
        .then(|| super::startup::gated_expr(&scaled.expr))
        .flatten();
    let (to, reason) = match (gated, scaled.changed) {
        (Some(gated), true) => (gated, "time scale, start-up gap"),
        (Some(gated), false) => (gated, "start-up gap"),
        (None, true) => (scaled.expr, "time scale"),
        (None, false) => return,
    };
    rule.insert(Value::from("expr"), Value::from(to.clone()));
    log.record(format!("{path}.expr"), reason, expr.trim().to_string(), to);
}

pub(crate) fn to_yaml(value: &Value) -> FileContent {
    FileContent::Plain(
        serde_yaml::to_string(value)
            .expect("a value the loader read serializes: it refuses keys that do not"),
    )
}
