//! Rule 4, template references: a Slack config's templates (every field, and the template
//! files' `define`s they call) must read only annotations the alerts routed to that
//! receiver have, and only group labels its routes group by.
//!
//! Which rules route where is Alertmanager's answer ([`super::routing`]). Labels can come
//! from series, so only annotations and group labels are certain; a name some rule has but
//! no rule routed here has is a warning (series labels may route it here), a name no rule
//! has is an error when it is a near miss of one they have (a typo), else a warning (a
//! generic template reading an optional annotation renders it empty). References in `if`/`with` conditions are handled by the template.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use super::routing::{route, Routed};
use super::template_refs::{defines, reads, Reference, Source};
use super::workspace::Workspace;
use crate::error::suggest::did_you_mean;
use crate::error::Finding;
use crate::spec::{ComponentKind, Origin, Rule, StackSpec};
use crate::tools::Tool;

/// Slack config keys that hold no template text worth reading (and the URL is a secret).
const SKIPPED_KEYS: [&str; 3] = ["api_url", "api_url_file", "send_resolved"];

/// The findings about every Slack config's templates.
pub(crate) fn check(spec: &StackSpec, workspace: Option<&Workspace>) -> Vec<Finding> {
    let Some(alertmanager) = spec.component(ComponentKind::Alertmanager) else {
        return Vec::new();
    };
    let config = spec.alertmanager();
    let Some(origin) = alertmanager
        .file(&config.config_path)
        .map(|f| f.origin.clone())
    else {
        return Vec::new();
    };
    let mut defined = BTreeMap::new();
    for file in &alertmanager.files {
        if file.path != config.config_path {
            defined.extend(defines(file.content.expose()));
        }
    }
    let rules: Vec<&Rule> = spec.prometheus().alert_rules().map(|(_, r)| r).collect();
    // Asked only when a name is missing from some rule: one amtool run per alerting rule.
    let route_all = || -> Vec<Routed> {
        let amtool = Tool::Amtool.find().ok();
        match workspace {
            Some(workspace) => {
                let written = workspace.path_of(alertmanager, &config.config_path);
                rules
                    .iter()
                    .map(|r| route(amtool.as_deref(), &written, r))
                    .collect()
            }
            None => rules.iter().map(|_| Routed::Anywhere).collect(),
        }
    };
    let routed = OnceCell::new();
    let lint = TemplateLint {
        origin: &origin,
        rules: &rules,
        routed: &routed,
        route_all: &route_all,
        routes: route_groupings(&config.config),
        defined: &defined,
    };
    let mut findings = Vec::new();
    let receivers = config.config.get("receivers").and_then(Value::as_sequence);
    for (i, receiver) in receivers.into_iter().flatten().enumerate() {
        let Some(name) = receiver.get("name").and_then(Value::as_str) else {
            continue;
        };
        let slack = receiver.get("slack_configs").and_then(Value::as_sequence);
        for (j, slack_config) in slack.into_iter().flatten().enumerate() {
            let mut texts = Vec::new();
            strings(slack_config, "", &mut texts);
            for (field, text) in texts {
                let key = format!("receivers[{i}].slack_configs[{j}].{field}");
                findings.extend(lint.check_text(name, &field, &key, &text));
            }
        }
    }
    findings
}

/// Every string under `value` with its path, keys in [`SKIPPED_KEYS`] left out.
fn strings(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if text.contains("{{") => out.push((path.to_string(), text.clone())),
        Value::Mapping(map) => {
            for (key, inner) in map {
                let Some(key) = key.as_str() else { continue };
                if SKIPPED_KEYS.contains(&key) {
                    continue;
                }
                let path = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                strings(inner, &path, out);
            }
        }
        Value::Sequence(items) => {
            for (i, inner) in items.iter().enumerate() {
                strings(inner, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Every route's receiver and `group_by`, inherited as Alertmanager inherits them.
fn route_groupings(config: &Value) -> Vec<(String, Vec<String>)> {
    fn walk(
        route: &Value,
        receiver: &str,
        group_by: &[String],
        out: &mut Vec<(String, Vec<String>)>,
    ) {
        let receiver = route
            .get("receiver")
            .and_then(Value::as_str)
            .unwrap_or(receiver);
        let group_by: Vec<String> = match route.get("group_by").and_then(Value::as_sequence) {
            Some(labels) => labels
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            None => group_by.to_vec(),
        };
        out.push((receiver.to_string(), group_by.clone()));
        for child in route
            .get("routes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            walk(child, receiver, &group_by, out);
        }
    }
    let mut out = Vec::new();
    if let Some(root) = config.get("route") {
        walk(root, "", &[], &mut out);
    }
    out
}

struct TemplateLint<'a> {
    origin: &'a Origin,
    rules: &'a [&'a Rule],
    routed: &'a OnceCell<Vec<Routed>>,
    route_all: &'a dyn Fn() -> Vec<Routed>,
    routes: Vec<(String, Vec<String>)>,
    defined: &'a BTreeMap<String, String>,
}

impl TemplateLint<'_> {
    /// The references of `text` and of the templates it calls (transitively), each with the
    /// template it is in (`None`: the field itself).
    fn references(&self, text: &str) -> Vec<(Reference, Option<String>)> {
        let mut found = Vec::new();
        let mut seen = BTreeSet::new();
        let mut queue: Vec<(String, Option<String>)> = vec![(text.to_string(), None)];
        while let Some((text, within)) = queue.pop() {
            let read = reads(&text);
            found.extend(read.references.into_iter().map(|r| (r, within.clone())));
            for call in read.calls {
                if let Some(body) = self.defined.get(&call) {
                    if seen.insert(call.clone()) {
                        queue.push((body.clone(), Some(call)));
                    }
                }
            }
        }
        found
    }

    fn check_text(&self, receiver: &str, field: &str, key: &str, text: &str) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut reported = BTreeSet::new();
        for (reference, within) in self.references(text) {
            if reference.guarded || !reported.insert((reference.source, reference.name.clone())) {
                continue;
            }
            let via = within
                .map(|t| format!(" (in template `{t}`)"))
                .unwrap_or_default();
            let finding = match reference.source {
                Source::Annotation => self.annotation(receiver, field, key, &reference.name, &via),
                Source::GroupLabel => self.group_label(receiver, field, key, &reference.name, &via),
            };
            findings.extend(finding);
        }
        findings
    }

    fn annotation(
        &self,
        receiver: &str,
        field: &str,
        key: &str,
        name: &str,
        via: &str,
    ) -> Option<Finding> {
        if self.rules.iter().all(|r| r.annotations.contains_key(name)) {
            return None;
        }
        let routed = self.routed.get_or_init(self.route_all);
        let here: Vec<&Rule> = self
            .rules
            .iter()
            .zip(routed)
            .filter(|(_, routed)| routed.reaches(receiver))
            .map(|(rule, _)| *rule)
            .collect();
        let known = |rules: &[&Rule]| -> Vec<String> {
            let mut names: Vec<String> = Vec::new();
            for key in rules.iter().flat_map(|r| r.annotations.keys()) {
                if !names.contains(key) {
                    names.push(key.clone());
                }
            }
            names
        };
        let all = known(self.rules);
        let given = if here.is_empty() {
            all.clone()
        } else {
            known(&here)
        };
        if given.iter().any(|g| g == name) {
            return None;
        }
        let listed = if given.is_empty() {
            "none".to_string()
        } else {
            given.join(", ")
        };
        let hint = did_you_mean(name, given.iter().map(String::as_str));
        if all.iter().any(|a| a == name) {
            let elsewhere: Vec<&str> = self
                .rules
                .iter()
                .filter(|r| r.annotations.contains_key(name))
                .filter_map(|r| r.alert.as_deref())
                .collect();
            return Some(Finding::warning(
                self.origin,
                key,
                format!(
                    "receiver {receiver}: the {field}{via} references annotation `{name}`, which no alert \
                     routed here by its name and static labels has (rules give: {listed}; it is on {}, routed \
                     elsewhere); add it to the rules routed here, or guard it with `if`{hint}",
                    elsewhere.join(", ")
                ),
            ));
        }
        // A near miss of an annotation the rules give is a typo; a name unlike any is a
        // generic template reading an optional annotation (it renders empty): a warning.
        let finding = if hint.is_empty() {
            Finding::warning
        } else {
            Finding::error
        };
        Some(finding(
            self.origin,
            key,
            format!(
                "receiver {receiver}: the {field}{via} references annotation `{name}`, which no alert \
                 routed here has (rules give: {listed}){}",
                if hint.is_empty() {
                    "; it renders empty: fix the name, add the annotation to the rules, or guard it \
                     with `if`"
                } else {
                    &hint
                }
            ),
        ))
    }

    fn group_label(
        &self,
        receiver: &str,
        field: &str,
        key: &str,
        name: &str,
        via: &str,
    ) -> Option<Finding> {
        let group_bys: Vec<&Vec<String>> = self
            .routes
            .iter()
            .filter(|(r, _)| r == receiver)
            .map(|(_, g)| g)
            .collect();
        if group_bys.is_empty()
            || group_bys
                .iter()
                .any(|g| g.iter().any(|l| l == name || l == "..."))
        {
            return None;
        }
        let labels: BTreeSet<&str> = group_bys
            .iter()
            .flat_map(|g| g.iter().map(String::as_str))
            .collect();
        let listed = if labels.is_empty() {
            "none".to_string()
        } else {
            labels.iter().copied().collect::<Vec<_>>().join(", ")
        };
        Some(Finding::error(
            self.origin,
            key,
            format!(
                "receiver {receiver}: the {field}{via} references group label `{name}`, which no route to \
                 this receiver groups by (group_by: {listed}){}; add it to the route's group_by, or read \
                 it from .CommonLabels",
                did_you_mean(name, labels.iter().copied())
            ),
        ))
    }
}
