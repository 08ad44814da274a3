//! The flags a backend sets on a component itself (listen addresses, storage, clustering),
//! each recorded as a change with reason `backend`.

use crate::plan::{Change, ComponentPlan, StackPlan};

/// Applies the flags `overrides_of` gives each component to its args, each listed in the
/// plan's changes with reason `backend`.
pub(crate) fn apply_overrides(
    plan: &mut StackPlan,
    overrides_of: impl Fn(&ComponentPlan) -> Vec<(&'static str, String)>,
) {
    let mut changes: Vec<Change> = Vec::new();
    for component in &mut plan.components {
        let overrides = overrides_of(component);
        if overrides.is_empty() {
            continue;
        }
        let name = component.spec.name.clone();
        let mut record = |key: &str, from: String, to: String| {
            changes.push(Change {
                component: name.clone(),
                file: "args".to_string(),
                key: key.to_string(),
                reason: "backend",
                from,
                to,
            })
        };
        component.args = override_flags(&component.args, &overrides, &mut record);
    }
    plan.changes.extend(changes);
}

/// Replaces (or adds) the backend's own flags, recording each change.
pub(crate) fn override_flags(
    args: &[String],
    overrides: &[(&str, String)],
    record: &mut impl FnMut(&str, String, String),
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for arg in args {
        let flag = arg.split('=').next().unwrap_or(arg);
        if overrides.iter().any(|(name, _)| *name == flag) {
            continue;
        }
        out.push(arg.clone());
    }
    for (flag, value) in overrides {
        let before = args
            .iter()
            .find(|a| a.split('=').next() == Some(flag))
            .cloned()
            .unwrap_or_else(|| "<absent>".to_string());
        let after = format!("{flag}={value}");
        record(flag, before, after.clone());
        out.push(after);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overridden_flag_replaces_the_manifests_one_and_each_override_is_recorded() {
        let args = vec![
            "--config.file=/etc/alertmanager/alertmanager.yaml".to_string(),
            "--cluster.listen-address=0.0.0.0:9094".to_string(),
        ];
        let mut recorded = Vec::new();
        let out = override_flags(
            &args,
            &[("--cluster.listen-address", String::new())],
            &mut |key: &str, from: String, to: String| recorded.push((key.to_string(), from, to)),
        );
        assert_eq!(
            out,
            vec![
                "--config.file=/etc/alertmanager/alertmanager.yaml",
                "--cluster.listen-address="
            ]
        );
        assert_eq!(
            recorded,
            vec![(
                "--cluster.listen-address".to_string(),
                "--cluster.listen-address=0.0.0.0:9094".to_string(),
                "--cluster.listen-address=".to_string()
            )]
        );
    }
}
