//! The versions firedrill supports, and a clear refusal of the others before anything starts:
//! Prometheus 2.x and Alertmanager 0.16 or later (the v2 API the checks ask). A version is
//! read from the image tag (`prom/prometheus:v1.8.2`), and the styles only old versions have
//! give them away too: Prometheus 1.x's single-dash flags (`-config.file`) and its rule syntax
//! (`ALERT HighLatency IF ...`).

use super::container_site::ContainerSite;
use super::yaml_node::error_at;
use crate::error::InputError;
use crate::spec::{ComponentKind, MountedFile};
use crate::tools::download::Release;
use crate::tools::Component;

/// What README states and the refusals name.
pub(crate) const SUPPORTED_PROMETHEUS: &str = "Prometheus 2.x (2.0 up to, not including, 3.0)";
/// What README states and the refusals name.
pub(crate) const SUPPORTED_ALERTMANAGER: &str = "Alertmanager 0.16 or later (its v2 API)";

/// `Err` naming the version and the supported range when the container runs a Prometheus or
/// an Alertmanager firedrill does not support, by its image tag or its flags.
pub(crate) fn require_supported(
    site: ContainerSite<'_>,
    kind: ComponentKind,
) -> Result<(), InputError> {
    let (component, range) = match kind {
        ComponentKind::Prometheus => (Component::Prometheus, SUPPORTED_PROMETHEUS),
        ComponentKind::Alertmanager => (Component::Alertmanager, SUPPORTED_ALERTMANAGER),
        ComponentKind::App | ComponentKind::Grafana => return Ok(()),
    };
    let image = &site.container.image;
    if let Ok(release) = Release::of_image(component, image) {
        if let Some((major, minor)) = major_minor(&release.version) {
            let supported = match component {
                Component::Prometheus => major == 2,
                _ => major > 0 || minor >= 16,
            };
            if !supported {
                return Err(site.error(
                    "image",
                    format!(
                        "{image} runs {} {}, which firedrill does not support: it supports \
                         {range}; use a supported image (the checks ask the components' \
                         current APIs and rule format)",
                        kind_name(component),
                        release.version
                    ),
                ));
            }
        }
    }
    if component == Component::Prometheus {
        if let Some(flag) = site
            .arguments()
            .into_iter()
            .find(|arg| arg.starts_with('-') && !arg.starts_with("--") && arg.contains('.'))
        {
            let name = flag.split('=').next().unwrap_or(&flag).to_string();
            return Err(site.error(
                "args",
                format!(
                    "`{name}` is Prometheus 1.x's flag style (2.0 takes `-{name}`): firedrill \
                     supports {range}; move the stack to Prometheus 2 (flags, rule files in \
                     YAML) or leave it out"
                ),
            ));
        }
    }
    Ok(())
}

/// `Err` for a rule file in Prometheus 1.x's syntax (`ALERT Name IF expr`), which 2.0 replaced
/// by YAML.
pub(crate) fn require_yaml_rules(file: &MountedFile) -> Result<(), InputError> {
    let text = file.content.expose();
    let has_if = text.split_whitespace().any(|word| word == "IF");
    let old = text
        .lines()
        .map(str::trim_start)
        .find(|line| has_if && line.split_whitespace().next() == Some("ALERT"));
    match old {
        Some(line) => Err(error_at(
            &file.origin,
            "",
            format!(
                "`{}` is Prometheus 1.x's rule syntax (2.0 reads rules as YAML, `promtool update \
                 rules` converts them): firedrill supports {SUPPORTED_PROMETHEUS}",
                line.trim()
            ),
        )),
        None => Ok(()),
    }
}

fn kind_name(component: Component) -> &'static str {
    match component {
        Component::Prometheus => "Prometheus",
        Component::Alertmanager => "Alertmanager",
        Component::Grafana => "Grafana",
    }
}

/// `2.27.1` → (2, 27); `None` when it does not start with two numbers.
fn major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.split(['.', '-', '+']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_file(text: &str) -> MountedFile {
        MountedFile {
            path: "/etc/prometheus/alert.rules".into(),
            content: crate::spec::FileContent::Plain(text.into()),
            origin: crate::spec::Origin {
                file: "prometheus-config.yaml".into(),
                resource: "ConfigMap/prometheus-config".into(),
                key: Some("alert.rules".into()),
            },
        }
    }

    #[test]
    fn a_rule_file_in_prometheus_1_syntax_is_refused_naming_the_rule_and_the_range() {
        let error = require_yaml_rules(&rule_file(
            "ALERT InstanceDown\n  IF up == 0\n  FOR 5m\n  LABELS { severity = \"page\" }\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("`ALERT InstanceDown` is Prometheus 1.x's rule syntax"),
            "{error}"
        );
        assert!(error.contains(SUPPORTED_PROMETHEUS), "{error}");
        assert!(require_yaml_rules(&rule_file(
            "groups: [{name: a, rules: [{alert: ALERT, expr: 'up == 0'}]}]"
        ))
        .is_ok());
    }

    #[test]
    fn versions_read_as_major_and_minor() {
        assert_eq!(major_minor("2.27.1"), Some((2, 27)));
        assert_eq!(major_minor("0.15.3"), Some((0, 15)));
        assert_eq!(major_minor("3.0.0-rc.1"), Some((3, 0)));
        assert_eq!(major_minor("latest"), None);
    }
}
