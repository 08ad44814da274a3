//! The files a config names, pointed at where the backend puts them: Alertmanager's
//! `templates`, every `*_file` key, the `file_sd_configs` files (whose targets are addresses,
//! translated like static targets).

use serde_yaml::Value;

use super::addresses::translate_target_groups;
use super::changes::{Change, ChangeLog};
use super::{Placement, PlannedFile};
use crate::load::paths;
use crate::secret::SecretString;
use crate::spec::file_refs::{file_refs, rewrite_file_refs, ConfigFormat};
use crate::spec::{ComponentSpec, FileContent, StackSpec};

/// Rewrites every file reference of `config` (the file at `log.file`) to the path the
/// placement gives; each rewrite is recorded as a `path` change.
pub(crate) fn translate_file_refs(
    config: &mut Value,
    format: ConfigFormat,
    me: &ComponentSpec,
    placement: &dyn Placement,
    log: &mut ChangeLog<'_>,
) {
    let dir = paths::parent(log.file).to_string();
    rewrite_file_refs(config, format, &mut |found| {
        let absolute = paths::join(&dir, &found.written);
        let translated = placement.file_path(me, &absolute);
        if translated == absolute {
            return None;
        }
        log.record(
            found.key.clone(),
            "path",
            &found.written,
            translated.clone(),
        );
        Some(translated)
    });
}

/// The `file_sd_configs` files `config` (Prometheus's, at `config_path`) names, with every
/// target that is a Service or a pod's `localhost` translated like a static target.
pub(crate) fn plan_target_files(
    spec: &StackSpec,
    me: &ComponentSpec,
    config: &Value,
    config_path: &str,
    placement: &dyn Placement,
    changes: &mut Vec<Change>,
) -> Vec<PlannedFile> {
    let mut planned: Vec<PlannedFile> = Vec::new();
    for found in file_refs(config, ConfigFormat::Prometheus) {
        if !found.targets {
            continue;
        }
        let pattern = paths::join(paths::parent(config_path), &found.written);
        for file in &me.files {
            if !paths::glob_matches(&pattern, &file.path)
                || planned.iter().any(|p| p.path == file.path)
            {
                continue;
            }
            let Ok(mut groups) = serde_yaml::from_str::<Value>(file.content.expose()) else {
                continue;
            };
            let mut log = ChangeLog {
                component: &me.name,
                file: &file.path,
                changes,
            };
            if !translate_target_groups(spec, me, &mut groups, "", placement, &mut log) {
                continue;
            }
            let text = if file.path.ends_with(".json") {
                serde_json::to_string_pretty(&groups).expect("a YAML list serializes as JSON")
            } else {
                serde_yaml::to_string(&groups)
                    .expect("a value the loader read serializes: it refuses keys that do not")
            };
            let content = match &file.content {
                FileContent::Plain(_) => FileContent::Plain(text),
                FileContent::Secret(_) => FileContent::Secret(SecretString::new(text)),
            };
            planned.push(PlannedFile::rewritten(&file.path, content));
        }
    }
    planned
}
