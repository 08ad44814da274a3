//! Hermetic tests of the kube backend: the manifest transforms, the placement, how pods that
//! cannot start are recognised, and the client's request flow (kube-rs's `tower-test` mock).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use serde_yaml::Value;

use super::cluster::{apply_all, pod_failure};
use super::manifests::{documents, render_yaml, AppliedDocument, EXTRA_FILES};
use super::placement::{KubePlacement, RECORDER_NAME};
use crate::backend::images::ImageChoice;
use crate::load::load_dir;
use crate::plan::{plan, Change, Placement, PlanOptions, StackPlan};
use crate::spec::{ComponentKind, StackSpec};

const NAMESPACE: &str = "firedrill-1-0-abcdef";

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn seed() -> StackSpec {
    load_dir(&repo("manifests")).expect("the seed's manifests load")
}

/// The names of the containers of `resource`'s pod template, as applied.
fn container_names<'a>(docs: &'a [AppliedDocument], resource: &str) -> Vec<&'a str> {
    let deployment = docs.iter().find(|d| d.resource() == resource).unwrap();
    deployment.value["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect()
}

fn planned(spec: &StackSpec, time_scale: f64) -> (StackPlan, KubePlacement) {
    let placement = KubePlacement::with_namespace(spec, NAMESPACE);
    let plan = plan(spec, &placement, 80, PlanOptions { time_scale });
    (plan, placement)
}

fn applied(
    spec: &StackSpec,
    time_scale: f64,
    images: &ImageChoice,
    skip: &[ComponentKind],
) -> (StackPlan, Vec<AppliedDocument>, Vec<Change>) {
    let (plan, placement) = planned(spec, time_scale);
    let labels = BTreeMap::from([("firedrill.run".to_string(), NAMESPACE.to_string())]);
    let (docs, changes) = documents(
        &plan,
        &placement,
        images,
        "firedrill-harness:test",
        &labels,
        skip,
    )
    .unwrap();
    (plan, docs, changes)
}

fn original_documents() -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(repo("manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_yaml::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect()
}

fn secret_key(document: &AppliedDocument, key: &str) -> String {
    let encoded = document.value["data"][key].as_str().unwrap();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn the_seed_applies_as_a_namespace_first_then_its_seven_resources_then_the_recorder() {
    let (_, docs, _) = applied(&seed(), 1.0, &ImageChoice::default(), &[]);
    let resources: Vec<String> = docs.iter().map(AppliedDocument::resource).collect();
    assert_eq!(
        resources,
        vec![
            format!("Namespace/{NAMESPACE}"),
            "Secret/alertmanager-secret".to_string(),
            "Deployment/echo-deployment".to_string(),
            "Service/echo-service".to_string(),
            "ConfigMap/grafana-config".to_string(),
            "Secret/grafana-secret".to_string(),
            "ConfigMap/prometheus-config".to_string(),
            "Deployment/prometheus-deployment".to_string(),
            format!("Deployment/{RECORDER_NAME}"),
            format!("Service/{RECORDER_NAME}"),
        ]
    );
    assert_eq!(
        docs[0].value["metadata"]["labels"]["firedrill.run"].as_str(),
        Some(NAMESPACE)
    );
    for doc in &docs[1..] {
        assert_eq!(
            doc.value["metadata"]["namespace"].as_str(),
            Some(NAMESPACE),
            "{}",
            doc.resource()
        );
    }
}

#[test]
fn at_time_scale_one_only_the_slack_url_and_the_namespace_change_in_the_seeds_resources() {
    let (_, docs, changes) = applied(&seed(), 1.0, &ImageChoice::default(), &[]);
    for (original, applied) in original_documents().iter().zip(&docs[1..8]) {
        let mut applied = applied.value.clone();
        applied["metadata"]
            .as_mapping_mut()
            .unwrap()
            .remove("namespace");
        if applied["metadata"]["name"].as_str() == Some("alertmanager-secret") {
            continue;
        }
        assert_eq!(&applied, original, "{:?}", applied["metadata"]["name"]);
    }
    let reasons: Vec<&str> = changes
        .iter()
        .map(|c| c.reason)
        .filter(|r| *r != "namespace")
        .collect();
    assert_eq!(reasons, vec!["slack mock"], "{changes:#?}");
}

#[test]
fn the_applied_secret_points_slack_at_the_recorder_and_never_holds_the_original_url() {
    let (_, docs, _) = applied(&seed(), 1.0, &ImageChoice::default(), &[]);
    let secret = docs
        .iter()
        .find(|d| d.resource() == "Secret/alertmanager-secret")
        .unwrap();
    let config = secret_key(secret, "alertmanager.yaml");
    assert!(
        config.contains(&format!("http://{RECORDER_NAME}:80/slack/global")),
        "{config}"
    );
    assert!(!config.contains("hooks.slack.com"), "{config}");
    assert!(config.contains("send_resolved: true"), "{config}");
}

#[test]
fn a_time_scale_scales_the_configs_and_puts_prometheus_resend_delay_in_its_container_args() {
    let (plan, docs, _) = applied(&seed(), 30.0, &ImageChoice::default(), &[]);
    let config = docs
        .iter()
        .find(|d| d.resource() == "ConfigMap/prometheus-config")
        .unwrap();
    let rules = config.value["data"]["rules.yaml"].as_str().unwrap();
    assert!(rules.contains("for: 2s"), "{rules}");
    let deployment = docs
        .iter()
        .find(|d| d.resource() == "Deployment/prometheus-deployment")
        .unwrap();
    let args = &deployment.value["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(
        args,
        &serde_yaml::from_str::<Value>(
            "[--config.file=/etc/prometheus/prometheus.yaml, --rules.alert.resend-delay=250ms, --enable-feature=remote-write-receiver, --query.lookback-delta=10s]"
        )
        .unwrap()
    );
    assert!(plan
        .changes
        .iter()
        .any(|c| c.key.contains("resend-delay") && c.reason == "time scale"));
}

#[test]
fn a_skipped_grafana_is_taken_out_of_its_pod_and_the_change_is_listed() {
    let (_, docs, changes) = applied(
        &seed(),
        1.0,
        &ImageChoice::default(),
        &[ComponentKind::Grafana],
    );
    let names = container_names(&docs, "Deployment/prometheus-deployment");
    assert_eq!(names, vec!["prometheus", "alertmanager"]);
    assert!(changes
        .iter()
        .any(|c| c.reason == "skipped" && c.component == "grafana"));
}

#[test]
fn image_overrides_replace_the_containers_image_and_are_listed() {
    let images = ImageChoice::from_lookup(|name| {
        (name == "FIREDRILL_IMAGE_PROMETHEUS").then(|| "mirror.local/prometheus:2.42".to_string())
    })
    .unwrap();
    let (_, docs, changes) = applied(&seed(), 1.0, &images, &[]);
    let deployment = docs
        .iter()
        .find(|d| d.resource() == "Deployment/prometheus-deployment")
        .unwrap();
    assert_eq!(
        deployment.value["spec"]["template"]["spec"]["containers"][0]["image"].as_str(),
        Some("mirror.local/prometheus:2.42")
    );
    let change = changes.iter().find(|c| c.reason == "image").unwrap();
    assert_eq!(
        (change.from.as_str(), change.to.as_str()),
        ("prom/prometheus:v2.27.1", "mirror.local/prometheus:2.42")
    );
}

#[test]
fn an_extra_rule_file_goes_into_the_configmap_mounted_at_its_directory() {
    let mut spec = seed();
    crate::load::add_rule_file(
        &mut spec,
        "extra.yaml",
        "groups: [{name: t, rules: [{alert: Always, expr: vector(1)}]}]",
    )
    .unwrap();
    let (_, docs, changes) = applied(&spec, 1.0, &ImageChoice::default(), &[]);
    let config = docs
        .iter()
        .find(|d| d.resource() == "ConfigMap/prometheus-config")
        .unwrap();
    assert!(config.value["data"]["extra.yaml"]
        .as_str()
        .unwrap()
        .contains("Always"));
    assert!(config.value["data"]["prometheus.yaml"]
        .as_str()
        .unwrap()
        .contains("/etc/prometheus/extra.yaml"));
    assert!(!docs
        .iter()
        .any(|d| d.resource() == format!("ConfigMap/{EXTRA_FILES}")));
    assert!(changes
        .iter()
        .any(|c| c.reason == "added file" && c.key == "ConfigMap/prometheus-config extra.yaml"));
}

#[test]
fn the_documents_applied_are_the_ones_the_loader_read_not_the_directory_read_again() {
    let spec = seed();
    let (_, from_the_seed, _) = applied(&spec, 1.0, &ImageChoice::default(), &[]);
    let mut moved = spec.clone();
    moved.dir = repo("no-such-directory");
    let (_, docs, _) = applied(&moved, 1.0, &ImageChoice::default(), &[]);
    assert_eq!(docs.len(), 1 + original_documents().len() + 2);
    assert!(docs
        .iter()
        .zip(&from_the_seed)
        .all(|(a, b)| a.value == b.value && a.source == b.source));
}

#[test]
fn peers_are_reached_by_the_manifests_own_service_names_and_localhost_within_a_pod() {
    let spec = seed();
    let placement = KubePlacement::with_namespace(&spec, NAMESPACE);
    let prometheus = spec.component(ComponentKind::Prometheus).unwrap();
    let alertmanager = spec.component(ComponentKind::Alertmanager).unwrap();
    let app = spec.component(ComponentKind::App).unwrap();
    assert_eq!(
        placement.peer_address(prometheus, app, 8081),
        "echo-service:80"
    );
    assert_eq!(
        placement.peer_address(prometheus, alertmanager, 9093),
        "localhost:9093"
    );
    assert_eq!(placement.harness_host(alertmanager), RECORDER_NAME);
}

#[test]
fn render_shows_no_secret_value() {
    let spec = seed();
    let (plan, docs, _) = applied(&spec, 1.0, &ImageChoice::default(), &[]);
    let text = render_yaml(&plan, &docs);
    assert!(!text.contains("hooks.slack.com"), "{text}");
    let grafana_password = spec.grafana().unwrap().admin_password.expose().to_string();
    assert!(!text.contains(&grafana_password));
    let encoded_password =
        base64::engine::general_purpose::STANDARD.encode(grafana_password.as_bytes());
    assert!(!text.contains(&encoded_password), "{text}");
    assert!(text.starts_with("---\n# from firedrill\napiVersion: v1\nkind: Namespace"));
    assert!(text.contains(&format!("http://{RECORDER_NAME}:80/slack/global")));
}

fn pod(status: serde_json::Value) -> k8s_openapi::api::core::v1::Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "app-1"},
        "status": status,
    }))
    .unwrap()
}

#[test]
fn a_crash_loop_a_failed_pull_and_an_unschedulable_pod_are_failures_a_starting_pod_is_not() {
    let waiting = |reason: &str| {
        pod(serde_json::json!({"containerStatuses": [{
            "name": "app", "image": "shop:1", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": reason, "message": "details"}}
        }]}))
    };
    for reason in ["CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff"] {
        let failure = pod_failure(&waiting(reason)).expect(reason);
        assert!(
            failure.contains(reason) && failure.contains("shop:1"),
            "{failure}"
        );
    }
    assert_eq!(pod_failure(&waiting("ContainerCreating")), None);
    let backing_off = pod(serde_json::json!({"containerStatuses": [{
        "name": "app", "image": "shop:1", "imageID": "", "ready": false, "restartCount": 2,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}},
        "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}}
    }]}));
    let failure = pod_failure(&backing_off).unwrap();
    assert!(
        failure.contains("CrashLoopBackOff") && failure.contains("exited with code 3 (Error)"),
        "{failure}"
    );
    let exited = pod(serde_json::json!({"containerStatuses": [{
        "name": "app", "image": "shop:1", "imageID": "", "ready": false, "restartCount": 1,
        "state": {"running": {}},
        "lastState": {"terminated": {"exitCode": 2, "reason": "Error"}}
    }]}));
    assert!(pod_failure(&exited).unwrap().contains("exited with code 2"));
    let unschedulable = pod(serde_json::json!({"conditions": [{
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/1 nodes are available: 1 Insufficient cpu."
    }]}));
    assert!(pod_failure(&unschedulable)
        .unwrap()
        .contains("Insufficient cpu"));
    assert_eq!(
        pod_failure(&pod(serde_json::json!({"phase": "Pending"}))),
        None
    );
}

#[tokio::test]
async fn apply_resolves_each_kind_once_by_discovery_then_server_side_applies_every_document() {
    use http_body_util::BodyExt;
    use kube::client::Body;
    use tower_test::mock;

    let (_, docs, _) = applied(&seed(), 1.0, &ImageChoice::default(), &[]);
    let expected = docs.len();
    let (service, handle) = mock::pair::<http::Request<Body>, http::Response<Body>>();
    let server = tokio::spawn(async move {
        let mut handle = std::pin::pin!(handle);
        let mut seen = Vec::new();
        while let Some((request, send)) = handle.next_request().await {
            let method = request.method().clone();
            let uri = request.uri().to_string();
            let content_type = request
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            let body = request.into_body().collect().await.unwrap().to_bytes();
            let response = match (method.as_str(), uri.as_str()) {
                ("GET", "/api/v1") => serde_json::json!({
                "kind": "APIResourceList", "groupVersion": "v1", "resources": [
                    {"name": "namespaces", "singularName": "", "namespaced": false, "kind": "Namespace", "verbs": ["get", "patch"]},
                    {"name": "secrets", "singularName": "", "namespaced": true, "kind": "Secret", "verbs": ["get", "patch"]},
                    {"name": "services", "singularName": "", "namespaced": true, "kind": "Service", "verbs": ["get", "patch"]},
                    {"name": "configmaps", "singularName": "", "namespaced": true, "kind": "ConfigMap", "verbs": ["get", "patch"]}
                ]}),
                ("GET", "/apis/apps/v1") => serde_json::json!({
                "kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
                    {"name": "deployments", "singularName": "", "namespaced": true, "kind": "Deployment", "verbs": ["get", "patch"]}
                ]}),
                ("PATCH", _) => {
                    assert_eq!(
                        content_type.as_deref(),
                        Some("application/apply-patch+yaml"),
                        "{uri}"
                    );
                    assert!(
                        uri.contains("fieldManager=firedrill") && uri.contains("force=true"),
                        "{uri}"
                    );
                    serde_json::from_slice(&body).unwrap()
                }
                other => panic!("unexpected request {other:?}"),
            };
            seen.push(format!("{method} {}", uri.split('?').next().unwrap()));
            send.send_response(http::Response::new(Body::from(
                serde_json::to_vec(&response).unwrap(),
            )));
        }
        seen
    });
    let client = kube::Client::new(service, "default");
    apply_all(&client, &docs).await.unwrap();
    drop(client);
    let seen = server.await.unwrap();
    let discovery: Vec<&String> = seen.iter().filter(|s| s.starts_with("GET")).collect();
    // One look-up per kind (Namespace, Secret, Deployment, Service, ConfigMap), before
    // its first apply; none again for a kind already resolved.
    assert_eq!(
        discovery,
        vec![
            "GET /api/v1",
            "GET /api/v1",
            "GET /apis/apps/v1",
            "GET /api/v1",
            "GET /api/v1"
        ],
        "{seen:#?}"
    );
    assert_eq!(seen[0], "GET /api/v1");
    assert_eq!(seen[4], "GET /apis/apps/v1");
    let patches: Vec<&String> = seen.iter().filter(|s| s.starts_with("PATCH")).collect();
    assert_eq!(patches.len(), expected, "{seen:#?}");
    assert_eq!(patches[0], &format!("PATCH /api/v1/namespaces/{NAMESPACE}"));
    assert_eq!(
        patches[1],
        &format!("PATCH /api/v1/namespaces/{NAMESPACE}/secrets/alertmanager-secret")
    );
    assert_eq!(
        patches[2],
        &format!("PATCH /apis/apps/v1/namespaces/{NAMESPACE}/deployments/echo-deployment")
    );
}

#[test]
fn the_manifests_own_namespace_is_replaced_by_the_runs_and_fqdns_point_into_it() {
    let spec = load_dir(&repo(
        "fixtures/manifests/corpus/working/namespaced-fqdn/manifests",
    ))
    .unwrap();
    let (plan, docs, changes) = applied(&spec, 1.0, &ImageChoice::default(), &[]);
    let namespaces: Vec<String> = docs
        .iter()
        .filter(|d| d.value["kind"].as_str() == Some("Namespace"))
        .map(AppliedDocument::resource)
        .collect();
    assert_eq!(namespaces, vec![format!("Namespace/{NAMESPACE}")]);
    assert!(changes
        .iter()
        .any(|c| c.component == "Namespace/monitoring" && c.reason == "namespace"));
    assert!(docs[1..]
        .iter()
        .all(|d| d.value["metadata"]["namespace"].as_str() == Some(NAMESPACE)));
    assert!(plan.changes.iter().any(|c| c.reason == "address"
        && c.from == "echo-service.monitoring.svc.cluster.local:80"
        && c.to == "echo-service:80"));
}

#[test]
fn cluster_scoped_objects_are_owned_by_the_runs_namespace_and_bindings_follow_the_service_account()
{
    let spec = load_dir(&repo(
        "fixtures/manifests/corpus/working/prometheus-rbac/manifests",
    ))
    .unwrap();
    let (_, docs, changes) = applied(&spec, 1.0, &ImageChoice::default(), &[]);
    let doc = |resource: &str| {
        docs.iter()
            .find(|d| d.resource() == resource)
            .unwrap_or_else(|| panic!("{resource} is not applied"))
    };
    let role = doc("ClusterRole/firedrill-corpus-prometheus");
    let binding = doc("ClusterRoleBinding/firedrill-corpus-prometheus");
    for cluster_scoped in [role, binding] {
        assert!(
            cluster_scoped.value["metadata"]["namespace"].is_null(),
            "{cluster_scoped:?}"
        );
        assert!(
            changes
                .iter()
                .any(|c| c.component == cluster_scoped.resource()
                    && c.key == "metadata.ownerReferences"
                    && c.to.contains(NAMESPACE)),
            "{changes:#?}"
        );
    }
    assert_eq!(
        binding.value["subjects"][0]["namespace"].as_str(),
        Some(NAMESPACE)
    );
    assert!(changes.iter().any(|c| c.component == binding.resource()
        && c.key == "subjects[0].namespace"
        && c.from == "default"));
    assert_eq!(
        binding.value["subjects"][1]["namespace"].as_str(),
        Some("kube-system"),
        "an account the manifests do not define was moved"
    );
    let account = doc("ServiceAccount/prometheus");
    assert_eq!(
        account.value["metadata"]["namespace"].as_str(),
        Some(NAMESPACE)
    );
}

#[test]
fn cluster_scope_comes_from_kubernetes_api_definitions_by_group_not_version() {
    use super::manifests::is_cluster_scoped;
    let doc = |api_version: &str, kind: &str| -> Value {
        serde_yaml::from_str(&format!("{{apiVersion: {api_version}, kind: {kind}}}")).unwrap()
    };
    assert!(is_cluster_scoped(&doc(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole"
    )));
    assert!(is_cluster_scoped(&doc(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding"
    )));
    assert!(is_cluster_scoped(&doc(
        "scheduling.k8s.io/v1",
        "PriorityClass"
    )));
    assert!(!is_cluster_scoped(&doc(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding"
    )));
    assert!(!is_cluster_scoped(&doc("v1", "ServiceAccount")));
    assert!(!is_cluster_scoped(&doc("example.com/v1", "ClusterRole")));
}

#[test]
fn kubernetes_discovery_is_kept_to_the_runs_namespace_as_a_listed_change() {
    let spec = load_dir(&repo("fixtures/manifests/kubernetes-discovery")).unwrap();
    let (plan, _) = planned(&spec, 1.0);
    let change = plan
        .changes
        .iter()
        .find(|c| c.key == "scrape_configs[1].kubernetes_sd_configs[0].namespaces")
        .unwrap_or_else(|| panic!("no change listed: {:#?}", plan.changes));
    assert_eq!(change.from, "<absent: every namespace>");
    assert_eq!(change.to, format!("names: [{NAMESPACE}]"));
    let prometheus = plan.component("prometheus").unwrap();
    let config = prometheus
        .files
        .iter()
        .find(|f| f.path.ends_with("prometheus.yaml"))
        .unwrap();
    let config: Value = serde_yaml::from_str(config.content.expose()).unwrap();
    assert_eq!(
        config["scrape_configs"][1]["kubernetes_sd_configs"][0]["namespaces"]["names"][0].as_str(),
        Some(NAMESPACE)
    );
}

#[test]
fn the_monitored_are_applied_before_prometheus_and_alertmanager() {
    let spec = seed();
    let (plan, docs, _) = applied(&spec, 30.0, &ImageChoice::default(), &[]);
    let (monitoring, monitored) = super::by_phase(&docs, &plan);
    let names = |docs: &[AppliedDocument]| -> Vec<String> {
        docs.iter().map(AppliedDocument::resource).collect()
    };
    assert_eq!(
        names(&monitoring),
        vec!["Deployment/prometheus-deployment".to_string()]
    );
    let first = names(&monitored);
    assert_eq!(first[0], format!("Namespace/{NAMESPACE}"));
    for expected in [
        "Deployment/echo-deployment",
        "Service/echo-service",
        &format!("Deployment/{RECORDER_NAME}"),
        &format!("Service/{RECORDER_NAME}"),
    ] {
        assert!(first.iter().any(|r| r == expected), "{expected}: {first:?}");
    }
    assert_eq!(monitoring.len() + monitored.len(), docs.len());
}

#[test]
fn reload_sidecars_are_taken_out_of_their_pod() {
    let spec = crate::load::load_dir(
        &crate::fixtures::repository_root()
            .join("fixtures/manifests/corpus/working/reload-sidecars/manifests"),
    )
    .unwrap();
    let (_, docs, _) = applied(&spec, 1.0, &ImageChoice::default(), &[]);
    let names = container_names(&docs, "Deployment/prometheus-deployment");
    assert_eq!(names, vec!["prometheus", "alertmanager", "grafana"]);
}

#[test]
fn objects_of_one_name_in_two_namespaces_are_refused_naming_both_since_the_run_has_one_namespace() {
    let spec = load_dir(&repo(
        "fixtures/manifests/corpus/working/same-names-in-two-namespaces/manifests",
    ))
    .unwrap();
    let error = kube_refusal(&spec);
    assert!(
        error.contains("ConfigMap/prometheus-config is defined in namespace")
            && error.contains("`staging`")
            && error.contains("`default`"),
        "{error}"
    );
    // The seed has one of each: nothing to refuse.
    let options = crate::backend::StartOptions::new(crate::backend::BackendKind::Kube);
    crate::backend::refuse_unrunnable(&seed(), &options).unwrap();
}

/// Why the kube backend refuses the stack.
#[track_caller]
fn kube_refusal(spec: &crate::spec::StackSpec) -> String {
    let options = crate::backend::StartOptions::new(crate::backend::BackendKind::Kube);
    crate::backend::refuse_unrunnable(spec, &options)
        .unwrap_err()
        .to_string()
}

#[test]
fn a_start_up_script_is_refused_naming_the_container_as_its_shell_would_fill_in_the_real_url() {
    for variant in ["sed-slack-url-from-secret", "envsubst-slack-url"] {
        let dir = format!("fixtures/manifests/corpus/working/{variant}/manifests");
        let error = kube_refusal(&load_dir(&repo(&dir)).unwrap());
        assert!(
            error.contains("Deployment/prometheus-deployment")
                && error.contains("containers[alertmanager]")
                && error.contains("cannot point its Slack URL at the mock")
                && !error.contains("hooks.slack.com"),
            "{error}"
        );
    }
}

#[test]
fn a_stand_in_for_a_container_declaring_no_port_is_refused_before_anything_starts() {
    use crate::backend::{Backend, BackendKind, Fault, StartOptions};
    let mut spec = seed();
    let options = StartOptions::new(BackendKind::Kube);
    let app = spec
        .components
        .iter()
        .position(|c| c.name == "echo-server")
        .unwrap();
    let backend = super::KubeBackend;
    let component = spec.components[app].clone();
    assert_eq!(
        backend.refuse_fault(&spec, &component, Fault::Fail(500), &options),
        Ok(()),
        "the seed's app declares its port"
    );
    spec.components[app].ports.clear();
    let component = spec.components[app].clone();
    for fault in [Fault::Fail(500), Fault::Pause] {
        let err = backend
            .refuse_fault(&spec, &component, fault, &options)
            .unwrap_err();
        assert!(
            err.starts_with(&format!(
                "the kube backend cannot {}: its container declares no containerPort",
                fault.step("echo-server")
            )),
            "{err}"
        );
    }
    assert_eq!(
        backend.refuse_fault(&spec, &component, Fault::Kill, &options),
        Ok(()),
        "a kill needs no port"
    );
}
