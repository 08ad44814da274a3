//! Prometheus: its config file, the durations the time scale touches, and its rule files.

use super::config_file::read_config;
use super::container_site::ContainerSite;
use super::paths;
use super::yaml_node::{ConfigDocument, Node};
use crate::error::InputError;
use crate::spec::file_refs::ConfigFormat;
use crate::spec::{MountedFile, PrometheusSpec, Rule, RuleFile, RuleGroup};
use crate::time::PromDuration;

/// The image's config path when `--config.file` is not given.
const DEFAULT_CONFIG_PATH: &str = "/etc/prometheus/prometheus.yml";

/// Prometheus's spec from the container's mounted files.
pub(crate) fn parse_prometheus(
    site: ContainerSite<'_>,
    files: &[MountedFile],
) -> Result<PrometheusSpec, InputError> {
    let (config_path, document) = read_config(
        site,
        files,
        DEFAULT_CONFIG_PATH,
        ConfigFormat::Prometheus,
        "prometheus",
    )?;
    let root = document.root()?;
    let global = root.get("global").map(Node::mapping).transpose()?;
    let (scrape_interval, evaluation_interval) = match &global {
        Some(global) => {
            global.duration_of("scrape_timeout")?;
            (
                global.duration_or("scrape_interval", "1m")?,
                global.duration_or("evaluation_interval", "1m")?,
            )
        }
        None => (PromDuration::from_secs(60), PromDuration::from_secs(60)),
    };
    for scrape in root.items_of("scrape_configs")? {
        let scrape = scrape.mapping()?;
        scrape.duration_of("scrape_interval")?;
        scrape.duration_of("scrape_timeout")?;
    }
    let mut rule_files = Vec::new();
    for entry in root.items_of("rule_files")? {
        for rule_file in resolve_rule_files(&entry, &config_path, files)? {
            if rule_files
                .iter()
                .all(|known: &RuleFile| known.path != rule_file.path)
            {
                rule_files.push(parse_rule_file(rule_file)?);
            }
        }
    }
    Ok(PrometheusSpec {
        config_path,
        config: document.value.clone(),
        scrape_interval,
        evaluation_interval,
        rule_files,
    })
}

/// The `rule_files` globs of Prometheus's config that match no mounted file, as written (each
/// with its index): Prometheus loads nothing from them and says nothing.
pub(crate) fn unmatched_rule_files(prometheus: &PrometheusSpec) -> Vec<(usize, String)> {
    prometheus
        .config
        .get("rule_files")
        .and_then(serde_yaml::Value::as_sequence)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(index, entry)| Some((index, entry.as_str()?)))
        .filter(|(_, written)| {
            let pattern = paths::join(paths::parent(&prometheus.config_path), written);
            paths::is_glob(&pattern)
                && !prometheus
                    .rule_files
                    .iter()
                    .any(|f| paths::glob_matches(&pattern, &f.path))
        })
        .map(|(index, written)| (index, written.to_string()))
        .collect()
}

/// The mounted files a `rule_files` entry names: relative to the config file's directory,
/// `*`/`?` globs allowed (a glob may match nothing, as in Prometheus).
fn resolve_rule_files<'f>(
    entry: &Node<'_>,
    config_path: &str,
    files: &'f [MountedFile],
) -> Result<Vec<&'f MountedFile>, InputError> {
    let written = entry.text()?;
    let pattern = paths::join(paths::parent(config_path), &written);
    if paths::is_glob(&pattern) {
        let mut matched: Vec<&MountedFile> = files
            .iter()
            .filter(|f| paths::glob_matches(&pattern, &f.path))
            .collect();
        matched.sort_by(|a, b| a.path.cmp(&b.path));
        return Ok(matched);
    }
    match files.iter().find(|f| f.path == pattern) {
        Some(file) => Ok(vec![file]),
        None => {
            let mounted: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            let file_name = pattern.rsplit('/').next().unwrap_or(&pattern);
            Err(entry.error(format!(
                "rule file `{pattern}` is not mounted into the Prometheus container (mounted: {}); \
                 add a key `{file_name}` to the ConfigMap mounted there or fix the path",
                crate::error::list_or_none(&mounted)
            )))
        }
    }
}

pub(crate) fn parse_rule_file(file: &MountedFile) -> Result<RuleFile, InputError> {
    super::versions::require_yaml_rules(file)?;
    let document = ConfigDocument::parse(file)?;
    let root = document.root()?;
    let mut groups = Vec::new();
    for group in root.items_of("groups")? {
        groups.push(parse_group(&group.mapping()?)?);
    }
    Ok(RuleFile {
        path: file.path.clone(),
        raw: document.value.clone(),
        groups,
    })
}

fn parse_group(group: &Node<'_>) -> Result<RuleGroup, InputError> {
    let mut rules = Vec::new();
    for rule in group.items_of("rules")? {
        rules.push(parse_rule(&rule.mapping()?)?);
    }
    Ok(RuleGroup {
        name: group.required_text("name")?,
        interval: group.duration_of("interval")?,
        rules,
    })
}

fn parse_rule(rule: &Node<'_>) -> Result<Rule, InputError> {
    let alert = rule.text_of("alert")?;
    let record = rule.text_of("record")?;
    if alert.is_none() == record.is_none() {
        return Err(rule.error("a rule needs exactly one of `alert` or `record`"));
    }
    rule.duration_of("keep_firing_for")?;
    Ok(Rule {
        alert,
        record,
        expr: rule.required_text("expr")?,
        for_: rule.duration_or("for", "0s")?,
        labels: rule.string_map("labels")?,
        annotations: rule.string_map("annotations")?,
    })
}
