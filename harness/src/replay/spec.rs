//! The stack one rule test runs on: the manifests' Prometheus and Alertmanager as deployed,
//! with only what a replay must change, each change listed: nothing is scraped (the test's
//! series arrive by remote write instead), the rules under test are evaluated as one group at
//! the test file's `evaluation_interval` (in `group_eval_order`, as promtool evaluates them),
//! each expression gated so that it returns nothing before the test's time zero, and the
//! remote-write receiver is on. The app and Grafana are not run: a test replays series.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::error::{Error, InputError, Result};
use crate::plan::promql::gated;
use crate::plan::startup::{RECEIVER_FLAG, RECEIVER_WEB_FLAG};
use crate::plan::Change;
use crate::ruletest::TestFile;
use crate::spec::{ComponentConfig, ComponentKind, RuleFile, RuleGroup, StackSpec};

/// The one group the replayed rules are evaluated in.
pub(crate) const GROUP: &str = "firedrill-replay";
/// A recording rule evaluated first in that group: its samples' timestamps are the group's
/// evaluation times, as Prometheus chose them (it offsets each group's evaluations).
pub(crate) const TICK: &str = "firedrill_replay_tick";
/// The series whose presence arms every rule: pushed from the test's time zero on.
pub(crate) const ARMED: &str = "firedrill_replay_armed";

/// Which of the manifests' rule files each of the test file's `rule_files` is.
#[derive(Debug, Clone)]
pub(crate) struct MatchedRules {
    /// `(as the test file names it, the manifests' rule file)`, in the test file's order.
    pub(crate) files: Vec<(String, RuleFile)>,
}

impl MatchedRules {
    /// The rule files as the test file names them, comma-separated.
    pub(crate) fn names(&self) -> String {
        let names: Vec<&str> = self.files.iter().map(|(n, _)| n.as_str()).collect();
        names.join(", ")
    }
}

/// Matches the test file's `rule_files` to the manifests' rule files by file name. A name the
/// manifests do not have is bad input naming both sides; so is a rule file present beside
/// the test file whose rules differ from the deployed ones.
pub(crate) fn match_rule_files(spec: &StackSpec, file: &TestFile) -> Result<MatchedRules> {
    let deployed = &spec.prometheus().rule_files;
    let mut files = Vec::new();
    for name in &file.rule_files {
        let base = base_name(name);
        let found: Vec<&RuleFile> = deployed
            .iter()
            .filter(|f| base_name(&f.path) == base)
            .collect();
        let rule_file = match found.as_slice() {
            [one] => (*one).clone(),
            [] => {
                let known: Vec<&str> = deployed.iter().map(|f| f.path.as_str()).collect();
                return Err(input(
                    &file.path,
                    "rule_files",
                    format!(
                        "`{name}` is not a rule file of the manifests in {}: they load {}; name one of \
                         them (matched by file name), or deploy this one",
                        spec.dir.display(),
                        crate::error::list_or_none(&known)
                    ),
                ));
            }
            many => {
                let paths: Vec<String> = many.iter().map(|f| f.path.clone()).collect();
                return Err(input(
                    &file.path,
                    "rule_files",
                    format!(
                        "`{name}` matches several rule files of the manifests ({}): the file name \
                         must single one out",
                        paths.join(", ")
                    ),
                ));
            }
        };
        let beside = file
            .path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(name);
        if let Ok(text) = std::fs::read_to_string(&beside) {
            let on_disk: Option<Value> = serde_yaml::from_str(&text).ok();
            if on_disk.as_ref() != Some(&rule_file.raw) {
                return Err(input(
                    &file.path,
                    "rule_files",
                    format!(
                        "`{}` differs from the rule file the manifests deploy ({} in {}): the test \
                         would prove other rules than the deployed ones; make them the same, or \
                         remove the copy so that firedrill uses the deployed one",
                        beside.display(),
                        rule_file.path,
                        spec.dir.display()
                    ),
                ));
            }
        }
        files.push((name.clone(), rule_file));
    }
    Ok(MatchedRules { files })
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn input(path: &Path, key: &str, message: String) -> Error {
    Error::Input(InputError::new(path, message).key(key))
}

/// The spec one test runs on, and the changes made to the manifests' for it.
/// `unscaled`: the time scale, to plant firedrill's old time model (ranges and per-second
/// values in wall-clock time, only `for` and the intervals scaled) and show that promtool's
/// agreement catches it; `None` in every real run.
pub(crate) fn replay_spec(
    spec: &StackSpec,
    file: &TestFile,
    matched: &MatchedRules,
    unscaled: Option<u32>,
) -> Result<(StackSpec, Vec<Change>)> {
    let mut spec = spec.clone();
    let mut changes = Vec::new();
    spec.components.retain(|c| {
        let keep = matches!(
            c.kind(),
            ComponentKind::Prometheus | ComponentKind::Alertmanager
        );
        if !keep {
            changes.push(Change {
                component: c.name.clone(),
                file: c.origin.resource.clone(),
                key: format!("containers[{}]", c.name),
                reason: "replay",
                from: c.image.clone(),
                to: "<not run: a rule test replays series>".to_string(),
            });
        }
        keep
    });
    let merged = merged_group(file, matched, unscaled)?;
    for component in &mut spec.components {
        let ComponentConfig::Prometheus(prometheus) = &mut component.config else {
            continue;
        };
        let name = component.name.clone();
        let config_path = prometheus.config_path.clone();
        let root = prometheus
            .config
            .as_mapping_mut()
            .expect("the loader reads Prometheus's config as a mapping");
        let before = root
            .get("scrape_configs")
            .and_then(Value::as_sequence)
            .map(|jobs| format!("{} jobs", jobs.len()))
            .unwrap_or_else(|| "<absent>".to_string());
        root.insert("scrape_configs".into(), Value::Sequence(Vec::new()));
        changes.push(Change {
            component: name.clone(),
            file: config_path.clone(),
            key: "scrape_configs".to_string(),
            reason: "replay",
            from: before,
            to: "[] (the test's series arrive by remote write)".to_string(),
        });
        let global = root
            .entry("global".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Some(global) = global.as_mapping_mut() {
            let before = global
                .get("evaluation_interval")
                .and_then(Value::as_str)
                .unwrap_or("<absent, default 1m>")
                .to_string();
            let after = file.evaluation_interval.to_string();
            if before != after {
                changes.push(Change {
                    component: name.clone(),
                    file: config_path.clone(),
                    key: "global.evaluation_interval".to_string(),
                    reason: "replay",
                    from: before,
                    to: format!("{after} (the test file's evaluation_interval)"),
                });
            }
            global.insert("evaluation_interval".into(), Value::from(after));
        }
        prometheus.evaluation_interval = file.evaluation_interval;
        let mut first = true;
        for rule_file in &mut prometheus.rule_files {
            let under_test = matched.files.iter().any(|(_, f)| f.path == rule_file.path);
            let (raw, groups, to) = if first && under_test {
                first = false;
                (
                    merged.raw.clone(),
                    vec![merged.group.clone()],
                    format!(
                        "one group `{GROUP}`: the rules of {} in evaluation order, each \
                         expression as `(expr) and on() {ARMED}`, after a `{TICK}` recording rule",
                        matched.names()
                    ),
                )
            } else {
                let mut empty = Mapping::new();
                empty.insert("groups".into(), Value::Sequence(Vec::new()));
                let why = if under_test {
                    "its rules are in the replay group"
                } else {
                    "not named by the test file's rule_files"
                };
                (
                    Value::Mapping(empty),
                    Vec::new(),
                    format!("groups: [] ({why})"),
                )
            };
            changes.push(Change {
                component: name.clone(),
                file: rule_file.path.clone(),
                key: "groups".to_string(),
                reason: "replay",
                from: format!("{} groups", rule_file.groups.len()),
                to,
            });
            rule_file.raw = raw;
            rule_file.groups = groups;
        }
        // Prometheus resends a firing alert only once the resend delay has passed *before* an
        // evaluation (1m against a 1m interval: every other one), so Alertmanager would never
        // hold some of the annotations a resolved message carries. Half an evaluation
        // interval sends every evaluation's.
        let resend = crate::time::PromDuration::new(file.evaluation_interval.get() / 2);
        let flag = "--rules.alert.resend-delay";
        let before = component
            .args
            .iter()
            .position(|a| a.starts_with(&format!("{flag}=")) || a == flag);
        let from = match before {
            Some(i) if component.args[i] == flag && i + 1 < component.args.len() => {
                let value = component.args.remove(i + 1);
                component.args.remove(i);
                value
            }
            Some(i) => component.args.remove(i)[flag.len() + 1..].to_string(),
            None => "<absent, default 1m>".to_string(),
        };
        component.args.push(format!("{flag}={resend}"));
        changes.push(Change {
            component: name.clone(),
            file: "args".to_string(),
            key: flag.to_string(),
            reason: "replay",
            from,
            to: format!(
                "{resend} (half the evaluation interval: every evaluation's annotations reach \
                 Alertmanager)"
            ),
        });
        if !component
            .args
            .iter()
            .any(|a| a == RECEIVER_FLAG || a == RECEIVER_WEB_FLAG)
        {
            component.args.push(RECEIVER_FLAG.to_string());
            changes.push(Change {
                component: name.clone(),
                file: "args".to_string(),
                key: format!("args[{}]", component.args.len() - 1),
                reason: "replay",
                from: "<absent>".to_string(),
                to: RECEIVER_FLAG.to_string(),
            });
        }
    }
    Ok((spec, changes))
}

struct Merged {
    raw: Value,
    group: RuleGroup,
}

/// The rules of the matched files as one group, in promtool's order of evaluation:
/// `group_eval_order` first, then every other group in file order.
fn merged_group(file: &TestFile, matched: &MatchedRules, unscaled: Option<u32>) -> Result<Merged> {
    let mut groups: Vec<(&str, &Value, &RuleGroup)> = Vec::new();
    for (_, rule_file) in &matched.files {
        for group in &rule_file.groups {
            groups.push((rule_file.path.as_str(), raw_ref(rule_file, group), group));
        }
    }
    let mut ordered: Vec<(&str, &Value, &RuleGroup)> = Vec::new();
    for name in &file.group_eval_order {
        match groups.iter().position(|(_, _, g)| &g.name == name) {
            Some(i) => ordered.push(groups.remove(i)),
            None => {
                return Err(input(
                    &file.path,
                    "group_eval_order",
                    format!(
                        "no group `{name}` in the rule files under test ({})",
                        matched.names()
                    ),
                ))
            }
        }
    }
    ordered.extend(groups);

    let mut rules = vec![Value::Mapping(Mapping::from_iter([
        (Value::from("record"), Value::from(TICK)),
        (Value::from("expr"), Value::from("vector(1)")),
    ]))];
    let mut spec_rules = Vec::new();
    for (path, raw_group, group) in ordered {
        let raw_rules = raw_group
            .get("rules")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for (i, (mut raw_rule, rule)) in raw_rules.into_iter().zip(&group.rules).enumerate() {
            // Multiplied by the scale here, divided by it in the plan: as written, in wall time.
            let expr = match unscaled {
                Some(factor) => {
                    crate::plan::promql::scale_expr(&rule.expr, 1.0 / f64::from(factor))
                        .map(|s| s.expr)
                        .unwrap_or_else(|_| rule.expr.clone())
                }
                None => rule.expr.clone(),
            };
            let gated_expr = gated(&expr, ARMED).map_err(|e| {
                input(
                    Path::new(path),
                    &format!("groups[{}].rules[{i}].expr", group.name),
                    format!("the PromQL parser cannot read it ({e})"),
                )
            })?;
            if let Some(map) = raw_rule.as_mapping_mut() {
                map.insert("expr".into(), Value::from(gated_expr.clone()));
            }
            rules.push(raw_rule);
            let mut rule = rule.clone();
            rule.expr = gated_expr;
            spec_rules.push(rule);
        }
    }
    let mut group = Mapping::new();
    group.insert("name".into(), Value::from(GROUP));
    group.insert("rules".into(), Value::Sequence(rules));
    let mut raw = Mapping::new();
    raw.insert(
        "groups".into(),
        Value::Sequence(vec![Value::Mapping(group)]),
    );
    let tick = crate::spec::Rule {
        alert: None,
        record: Some(TICK.to_string()),
        expr: "vector(1)".to_string(),
        for_: crate::time::PromDuration::parse("0s").expect("a valid duration"),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
    };
    spec_rules.insert(0, tick);
    Ok(Merged {
        raw: Value::Mapping(raw),
        group: RuleGroup {
            name: GROUP.to_string(),
            interval: None,
            rules: spec_rules,
        },
    })
}

/// The raw YAML of `group` in `file` (the loader keeps groups in the raw file's order).
fn raw_ref<'a>(file: &'a RuleFile, group: &RuleGroup) -> &'a Value {
    let index = file
        .groups
        .iter()
        .position(|g| std::ptr::eq(g, group))
        .expect("the group is one of the file's");
    file.raw
        .get("groups")
        .and_then(Value::as_sequence)
        .and_then(|s| s.get(index))
        .expect("the loader reads each group from the raw file")
}
