//! Which image each component runs: the one its Deployment names, unless overridden per
//! component (`FIREDRILL_IMAGE_<COMPONENT>`) or redirected to a mirror
//! (`FIREDRILL_IMAGE_PREFIX`).

use std::collections::BTreeMap;

use crate::error::{Error, InputError, Result};
use crate::spec::ECHO_SERVER_IMAGE;
use crate::spec::{ComponentKind, ComponentSpec};

/// The registry prefix prepended to every manifest image (`mirror.local:5000/`).
pub const PREFIX_VAR: &str = "FIREDRILL_IMAGE_PREFIX";

/// `FIREDRILL_IMAGE_PROMETHEUS`, `..._ALERTMANAGER`, `..._GRAFANA`, `..._APP`.
pub fn override_var(kind: ComponentKind) -> String {
    format!("FIREDRILL_IMAGE_{}", kind.as_str().to_uppercase())
}

/// Where a component's image reference came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// As the manifests name it.
    Manifest,
    /// The manifests' image with `FIREDRILL_IMAGE_PREFIX` before it.
    Prefixed,
    /// `FIREDRILL_IMAGE_<COMPONENT>` (the variable's name).
    Override(String),
}

/// The image a component runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The reference handed to Docker.
    pub reference: String,
    /// Where it came from.
    pub source: ImageSource,
}

impl ResolvedImage {
    /// Whether this is the seed's app image, which the harness builds when it is missing.
    pub fn is_buildable_app(&self) -> bool {
        self.reference == ECHO_SERVER_IMAGE
    }
}

/// The image overrides and prefix in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageChoice {
    overrides: BTreeMap<ComponentKind, String>,
    prefix: Option<String>,
}

impl ImageChoice {
    /// Reads `FIREDRILL_IMAGE_<COMPONENT>` and `FIREDRILL_IMAGE_PREFIX`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`; a bad value is rejected by the variable's name.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut choice = Self::default();
        for kind in [
            ComponentKind::Prometheus,
            ComponentKind::Alertmanager,
            ComponentKind::Grafana,
            ComponentKind::App,
        ] {
            let var = override_var(kind);
            let Some(value) = lookup(&var).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            check_reference(&value).map_err(|why| bad_env(&var, &value, &why))?;
            choice.overrides.insert(kind, value);
        }
        if let Some(value) = lookup(PREFIX_VAR).filter(|v| !v.trim().is_empty()) {
            let prefix = check_prefix(&value).map_err(|why| bad_env(PREFIX_VAR, &value, &why))?;
            choice.prefix = Some(prefix);
        }
        Ok(choice)
    }

    /// The image `component` runs: its override, else the prefix before the manifests'
    /// image, else the manifests' image. The seed's app image, which the harness builds
    /// locally, is never prefixed.
    pub fn image_for(&self, component: &ComponentSpec) -> ResolvedImage {
        let kind = component.kind();
        if let Some(reference) = self.overrides.get(&kind) {
            return ResolvedImage {
                reference: reference.clone(),
                source: ImageSource::Override(override_var(kind)),
            };
        }
        match &self.prefix {
            Some(prefix) if component.image != ECHO_SERVER_IMAGE => ResolvedImage {
                reference: format!("{prefix}{}", component.image),
                source: ImageSource::Prefixed,
            },
            _ => ResolvedImage {
                reference: component.image.clone(),
                source: ImageSource::Manifest,
            },
        }
    }
}

/// How to get an image that is neither present nor pullable.
pub fn missing_image_hint(kind: ComponentKind, image: &ResolvedImage) -> String {
    let reference = &image.reference;
    let var = override_var(kind);
    let pull = format!("pull it (`docker pull {reference}`)");
    let mirror = format!("or point {PREFIX_VAR} at a registry mirror that has it");
    match kind {
        ComponentKind::Prometheus | ComponentKind::Alertmanager => format!(
            "{pull}, build a local one from Debian's package with `ci/build-local-images --only {kind}` and set {var} to the tag it prints (e.g. {var}=firedrill-local/{kind}:X.Y), {mirror}; or use the process backend (--backend process)"
        ),
        ComponentKind::Grafana => format!(
            "{pull}, set {var} to a Grafana image you have, {mirror}, or leave Grafana out explicitly with `--skip grafana` (FIREDRILL_SKIP=grafana): its checks are then reported as skipped"
        ),
        ComponentKind::App => format!(
            "{pull}, build it (`ci/build-local-images --only app` builds {ECHO_SERVER_IMAGE}), set {var} to an image you have, {mirror}"
        ),
    }
}

/// Checks an image reference: `[registry[:port]/]name[:tag][@digest]`, lowercase name.
fn check_reference(reference: &str) -> std::result::Result<(), String> {
    if reference.chars().any(char::is_whitespace) {
        return Err("an image reference has no whitespace".into());
    }
    if reference.contains("://") {
        return Err("an image reference has no scheme (write `registry:5000/name:tag`)".into());
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    if let Some(digest) = digest {
        if !digest.contains(':') || digest.ends_with(':') {
            return Err(format!("`@{digest}` is not a digest (`@sha256:...`)"));
        }
    }
    let last_slash = name_and_tag.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match name_and_tag[last_slash..].split_once(':') {
        Some((_, tag)) => (
            &name_and_tag[..name_and_tag.len() - tag.len() - 1],
            Some(tag),
        ),
        None => (name_and_tag, None),
    };
    if name.is_empty() || name.starts_with(['/', '-', '.']) || name.ends_with('/') {
        return Err("the image name is empty or malformed".into());
    }
    if name.split('/').any(str::is_empty) {
        return Err("the image name has an empty path component".into());
    }
    let (registry, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => ("", name),
    };
    let registry_ok = registry
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    let path_ok = path.chars().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/')
    });
    if !registry_ok || !path_ok {
        return Err(
            "the image name may hold only lowercase letters, digits, `.`, `_`, `-` and `/`".into(),
        );
    }
    if let Some(tag) = tag {
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !tag_ok {
            return Err(format!("`{tag}` is not a valid tag"));
        }
    }
    Ok(())
}

/// Checks a registry prefix and ends it with `/`.
fn check_prefix(prefix: &str) -> std::result::Result<String, String> {
    let normalized = if prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    };
    if prefix.contains("://") {
        return Err("a prefix has no scheme: write `mirror.local:5000/`".into());
    }
    check_reference(&format!("{normalized}firedrill-probe:tag"))
        .map_err(|why| format!("it does not form image references: {why}"))?;
    Ok(normalized)
}

fn bad_env(var: &str, value: &str, why: &str) -> Error {
    Error::Input(InputError::new(
        "environment",
        format!("{var}={value:?} is invalid: {why}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_dir;
    use crate::spec::StackSpec;
    use std::path::Path;

    fn seed() -> StackSpec {
        load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests")).unwrap()
    }

    fn choice(vars: &[(&str, &str)]) -> Result<ImageChoice> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ImageChoice::from_lookup(|name| vars.get(name).cloned())
    }

    fn image(choice: &ImageChoice, spec: &StackSpec, kind: ComponentKind) -> ResolvedImage {
        choice.image_for(spec.component(kind).unwrap())
    }

    #[test]
    fn without_variables_every_component_runs_the_image_its_deployment_names() {
        let spec = seed();
        let choice = choice(&[]).unwrap();
        for (kind, expected) in [
            (ComponentKind::Prometheus, "prom/prometheus:v2.27.1"),
            (ComponentKind::Alertmanager, "prom/alertmanager:v0.22.2"),
            (ComponentKind::Grafana, "grafana/grafana:7.5.9"),
            (ComponentKind::App, "echo_server:latest"),
        ] {
            let resolved = image(&choice, &spec, kind);
            assert_eq!(resolved.reference, expected);
            assert_eq!(resolved.source, ImageSource::Manifest);
        }
    }

    #[test]
    fn an_override_replaces_one_components_image_only() {
        let spec = seed();
        let choice = choice(&[(
            "FIREDRILL_IMAGE_PROMETHEUS",
            "firedrill-local/prometheus:2.42",
        )])
        .unwrap();
        let prometheus = image(&choice, &spec, ComponentKind::Prometheus);
        assert_eq!(prometheus.reference, "firedrill-local/prometheus:2.42");
        assert_eq!(
            prometheus.source,
            ImageSource::Override("FIREDRILL_IMAGE_PROMETHEUS".into())
        );
        assert_eq!(
            image(&choice, &spec, ComponentKind::Alertmanager).reference,
            "prom/alertmanager:v0.22.2"
        );
    }

    #[test]
    fn a_prefix_is_prepended_to_manifest_images_but_not_to_overrides_or_the_built_app_image() {
        let spec = seed();
        let choice = choice(&[
            ("FIREDRILL_IMAGE_PREFIX", "mirror.local:5000"),
            ("FIREDRILL_IMAGE_GRAFANA", "grafana/grafana-oss:10.4.0"),
        ])
        .unwrap();
        assert_eq!(
            image(&choice, &spec, ComponentKind::Prometheus).reference,
            "mirror.local:5000/prom/prometheus:v2.27.1"
        );
        assert_eq!(
            image(&choice, &spec, ComponentKind::Prometheus).source,
            ImageSource::Prefixed
        );
        assert_eq!(
            image(&choice, &spec, ComponentKind::Grafana).reference,
            "grafana/grafana-oss:10.4.0"
        );
        let app = image(&choice, &spec, ComponentKind::App);
        assert_eq!(app.reference, "echo_server:latest");
        assert!(app.is_buildable_app());
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let choice =
            choice(&[("FIREDRILL_IMAGE_APP", ""), ("FIREDRILL_IMAGE_PREFIX", " ")]).unwrap();
        assert_eq!(choice, ImageChoice::default());
    }

    #[test]
    fn bad_values_are_rejected_by_the_variables_name() {
        for (var, value) in [
            ("FIREDRILL_IMAGE_PROMETHEUS", "Prom/Prometheus:v2"),
            (
                "FIREDRILL_IMAGE_ALERTMANAGER",
                "prom/alertmanager:v0.25 --rm",
            ),
            ("FIREDRILL_IMAGE_GRAFANA", "grafana/grafana:"),
            ("FIREDRILL_IMAGE_APP", "https://example.org/app:1"),
            ("FIREDRILL_IMAGE_APP", "app@sha256"),
            ("FIREDRILL_IMAGE_PREFIX", "http://mirror.local:5000/"),
            ("FIREDRILL_IMAGE_PREFIX", "mirror local/"),
        ] {
            let err = choice(&[(var, value)]).expect_err(value).to_string();
            assert!(err.contains(var), "{err}");
            assert!(err.contains("is invalid"), "{err}");
            assert_eq!(Error::Input(InputError::new("", "")).exit_code(), 2);
        }
    }

    #[test]
    fn valid_references_of_every_shape_are_accepted() {
        for reference in [
            "echo_server:latest",
            "prom/prometheus",
            "localhost:5000/prom/prometheus:v2.27.1",
            "ghcr.io/org/app@sha256:0123abcd",
            "registry.example.org/team/app:v1.2.3-rc.1",
        ] {
            assert_eq!(check_reference(reference), Ok(()), "{reference}");
        }
    }

    #[test]
    fn the_hint_for_a_missing_grafana_image_names_every_way_out() {
        let spec = seed();
        let resolved = image(&ImageChoice::default(), &spec, ComponentKind::Grafana);
        let hint = missing_image_hint(ComponentKind::Grafana, &resolved);
        for part in [
            "docker pull grafana/grafana:7.5.9",
            "FIREDRILL_IMAGE_GRAFANA",
            "--skip grafana",
            "FIREDRILL_IMAGE_PREFIX",
        ] {
            assert!(hint.contains(part), "{part} missing from: {hint}");
        }
        let prometheus = image(&ImageChoice::default(), &spec, ComponentKind::Prometheus);
        let hint = missing_image_hint(ComponentKind::Prometheus, &prometheus);
        assert!(hint.contains("ci/build-local-images"), "{hint}");
    }
}
