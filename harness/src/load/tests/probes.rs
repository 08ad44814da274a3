use std::path::PathBuf;

use super::{load_ok, seed_dir};
use crate::spec::{ComponentKind, HttpProbe, ProbeKind};

#[test]
fn a_containers_http_get_readiness_probe_is_loaded_with_its_path() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/manifests/corpus/working/named-target-port/manifests");
    let spec = load_ok(dir);
    let app = spec.apps().next().expect("the app");
    assert_eq!(
        app.http_probes,
        vec![HttpProbe {
            kind: ProbeKind::Readiness,
            path: "/hello".into()
        }]
    );
    assert_eq!(
        app.http_probes[0].to_string(),
        "the readiness probe GET /hello"
    );
}

#[test]
fn containers_without_probes_have_no_http_probes() {
    let spec = load_ok(seed_dir());
    for kind in [ComponentKind::App, ComponentKind::Prometheus] {
        let component = spec.component(kind).expect("in the seed");
        assert!(component.http_probes.is_empty(), "{component:#?}");
    }
}
