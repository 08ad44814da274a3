//! Namespaces as Kubernetes has them: ConfigMap and Secret names are unique per namespace,
//! and a pod sees only its own namespace's.

use super::{load_err, load_ok, seed_dir};

/// The seed in a temp dir, with `extra` written as `extra.yaml`.
fn seed_with(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for entry in std::fs::read_dir(seed_dir()).expect("the seed") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("a name"))).expect("copied");
    }
    std::fs::write(dir.path().join("extra.yaml"), extra).expect("written");
    dir
}

#[test]
fn a_config_map_of_the_same_name_in_another_namespace_is_another_config_map() {
    let dir = seed_with(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prometheus-config\n  namespace: staging\ndata:\n  other.yaml: 'x: 1'\n",
    );
    let spec = load_ok(dir.path().to_path_buf());
    let prometheus = spec.prometheus();
    assert!(
        !prometheus.config_path.is_empty()
            && spec.prometheus().config.get("scrape_configs").is_some(),
        "the default namespace's prometheus-config is the one mounted"
    );
}

#[test]
fn the_same_config_map_twice_in_one_namespace_is_refused_naming_the_namespace() {
    let dir = seed_with(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prometheus-config\n  namespace: default\ndata:\n  other.yaml: 'x: 1'\n",
    );
    let error = load_err(dir.path().to_path_buf()).to_string();
    assert!(
        error.contains("ConfigMap/prometheus-config is defined twice in namespace `default`"),
        "{error}"
    );
}

#[test]
fn a_pod_mounting_a_config_map_of_another_namespace_is_refused_naming_both_namespaces() {
    let dir = seed_with("");
    let config = dir.path().join("prometheus-config.yaml");
    let text = std::fs::read_to_string(&config).expect("the config map");
    let moved = text.replacen(
        "  name: prometheus-config\n",
        "  name: prometheus-config\n  namespace: monitoring\n",
        1,
    );
    assert_ne!(moved, text, "the seed's ConfigMap changed shape");
    std::fs::write(&config, moved).expect("written");
    let error = load_err(dir.path().to_path_buf()).to_string();
    assert!(
        error.contains("ConfigMap `prometheus-config` is defined in namespace `monitoring`")
            && error.contains("the pod runs in namespace `default`"),
        "{error}"
    );
}
