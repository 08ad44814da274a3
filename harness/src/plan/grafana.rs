//! Grafana's effective datasource provisioning: datasource URLs translated.

use serde_yaml::Value;

use super::addresses::{resolve, split_url};
use super::changes::{Change, ChangeLog};
use super::{Placement, PlannedFile};
use crate::spec::{ComponentSpec, GrafanaSpec, StackSpec};

/// Every datasource provisioning file, with URLs that point into the stack translated.
pub(crate) fn plan_grafana(
    spec: &StackSpec,
    me: &ComponentSpec,
    grafana: &GrafanaSpec,
    placement: &dyn Placement,
    changes: &mut Vec<Change>,
) -> Vec<PlannedFile> {
    let mut files = Vec::new();
    // A datasource's `file` is `<in-container path>#<index>`.
    let mut paths: Vec<&str> = grafana
        .datasources
        .iter()
        .map(|d| d.file.split('#').next().unwrap_or(&d.file))
        .collect();
    paths.dedup();
    for path in paths {
        let Some(mounted) = me.file(path) else {
            continue;
        };
        let Ok(mut doc) = serde_yaml::from_str::<Value>(mounted.content.expose()) else {
            continue;
        };
        let mut log = ChangeLog {
            component: &me.name,
            file: path,
            changes,
        };
        if let Some(datasources) = doc.get_mut("datasources").and_then(Value::as_sequence_mut) {
            for (i, datasource) in datasources.iter_mut().enumerate() {
                let Some(url) = datasource.get("url").and_then(Value::as_str) else {
                    continue;
                };
                let Some((scheme, authority, rest)) = split_url(url) else {
                    continue;
                };
                let Some(resolved) = resolve(spec, me, &authority) else {
                    continue;
                };
                let translated = format!(
                    "{scheme}{}{rest}",
                    placement.peer_address(me, resolved.component, resolved.port)
                );
                if translated != url {
                    log.record(
                        format!("datasources[{i}].url"),
                        "address",
                        url,
                        translated.clone(),
                    );
                    datasource["url"] = Value::from(translated);
                }
            }
        }
        files.push(PlannedFile::rewritten(
            path,
            super::prometheus::to_yaml(&doc),
        ));
    }
    files
}
