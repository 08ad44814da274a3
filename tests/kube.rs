//! Tests of the kube backend itself, against a real cluster (the kubeconfig's current context,
//! or `FIREDRILL_KUBE_CONTEXT`): pods that cannot start fail the start at once with their
//! reason, and a stack's namespace is deleted when the stack is dropped. The common suite runs
//! on the cluster with `FIREDRILL_BACKEND=kube cargo test --test e2e`.
//!
//! With no cluster reachable these tests fail, saying how to get one, unless they are left out
//! explicitly with `FIREDRILL_KUBE_TESTS=skip`, which marks them ignored with the reason (see
//! `harness/build.rs`): the runner reports them as ignored, never as passed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use firedrill::fixtures::seed_manifests;
use firedrill::ComponentKind;
use firedrill::StackBuilder;
use firedrill::{BackendKind, StartOptions};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};

fn kube_options() -> StartOptions {
    let mut options = StartOptions::from_env()
        .expect("the FIREDRILL_* environment is valid")
        .with_skip(ComponentKind::Grafana);
    options.backend = BackendKind::Kube;
    options
}

/// A copy of the seed's manifests with `edit` applied to the app's Deployment.
fn seed_with_app(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(seed_manifests()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().and_then(|n| n.to_str()) == Some("echo-deployment.yaml") {
            text = edit(&text);
        }
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    dir
}

/// One kube test at a time: the namespace test tells its namespace by this process's label.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn start_error(manifests: &Path) -> (String, Duration) {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let result = StackBuilder::new(PathBuf::from(manifests))
        .with_options(kube_options())
        .start()
        .await;
    match result {
        Ok(stack) => {
            stack.shutdown().await;
            panic!("the stack started, but its app cannot run");
        }
        Err(e) => (e.to_string(), started.elapsed()),
    }
}

/// Well under the start deadline (60 s by default): the failure is seen, not waited out.
const FAST: Duration = Duration::from_secs(45);

#[tokio::test]
#[cfg_attr(
    firedrill_skip_kube,
    ignore = "FIREDRILL_KUBE_TESTS=skip leaves the cluster tests out"
)]
async fn a_crash_looping_app_fails_the_start_at_once_with_the_pods_reason() {
    let manifests = seed_with_app(|text| {
        text.replace(
            "imagePullPolicy: IfNotPresent",
            "imagePullPolicy: IfNotPresent\n          args: [\"--listen\", \"not-an-address\"]",
        )
    });
    let (error, took) = start_error(manifests.path()).await;
    assert!(
        error.contains("echo-server") && error.contains("exited with code"),
        "{error}"
    );
    assert!(took < FAST, "took {took:?}: {error}");
}

#[tokio::test]
#[cfg_attr(
    firedrill_skip_kube,
    ignore = "FIREDRILL_KUBE_TESTS=skip leaves the cluster tests out"
)]
async fn an_image_that_does_not_exist_fails_the_start_at_once_with_the_pods_reason() {
    let manifests = seed_with_app(|text| {
        text.replace(
            "image: echo_server:latest",
            "image: firedrill-no-such-image:0.0.0",
        )
    });
    let (error, took) = start_error(manifests.path()).await;
    assert!(
        error.contains("firedrill-no-such-image:0.0.0")
            && (error.contains("ErrImagePull") || error.contains("ImagePullBackOff")),
        "{error}"
    );
    assert!(took < FAST, "took {took:?}: {error}");
}

#[tokio::test]
#[cfg_attr(
    firedrill_skip_kube,
    ignore = "FIREDRILL_KUBE_TESTS=skip leaves the cluster tests out"
)]
async fn a_dropped_stacks_namespace_is_deleted() {
    let ours = |ns: &Namespace| {
        ns.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("firedrill.pid"))
            == Some(&std::process::id().to_string())
            && ns.metadata.deletion_timestamp.is_none()
    };
    let _serial = SERIAL.lock().await;
    let stack = StackBuilder::new(seed_manifests())
        .with_options(kube_options())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = kube::Client::try_default().await.unwrap();
    let namespaces: Api<Namespace> = Api::all(client);
    let listed = namespaces
        .list(&ListParams::default().labels("firedrill.run"))
        .await
        .unwrap();
    let live: Vec<String> = listed
        .items
        .iter()
        .filter(|ns| ours(ns))
        .filter_map(|ns| ns.metadata.name.clone())
        .collect();
    assert!(!live.is_empty(), "the running stack has no namespace");
    drop(stack);
    for name in live {
        let after = namespaces.get_opt(&name).await.unwrap();
        assert!(
            after.is_none_or(|ns| ns.metadata.deletion_timestamp.is_some()),
            "namespace {name} is still there after the stack was dropped"
        );
    }
}

#[tokio::test]
#[cfg_attr(
    firedrill_skip_kube,
    ignore = "FIREDRILL_KUBE_TESTS=skip leaves the cluster tests out"
)]
async fn cluster_scoped_objects_of_the_manifests_are_deleted_with_the_runs_namespace() {
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    const NAME: &str = "firedrill-corpus-prometheus";
    let manifests = firedrill::fixtures::repository_root()
        .join("fixtures/manifests/corpus/working/prometheus-rbac/manifests");
    let _serial = SERIAL.lock().await;
    let stack = StackBuilder::new(manifests)
        .with_options(kube_options())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = kube::Client::try_default().await.unwrap();
    let roles: Api<ClusterRole> = Api::all(client.clone());
    let bindings: Api<ClusterRoleBinding> = Api::all(client);
    let role = roles.get(NAME).await.unwrap_or_else(|e| panic!("{e}"));
    let owners: Vec<String> = role
        .metadata
        .owner_references
        .iter()
        .flatten()
        .map(|o| format!("{}/{}", o.kind, o.name))
        .collect();
    assert!(
        owners.iter().any(|o| o.starts_with("Namespace/firedrill-")),
        "the ClusterRole is not owned by the run's namespace: {owners:?}"
    );
    let binding = bindings.get(NAME).await.unwrap_or_else(|e| panic!("{e}"));
    let subject_namespace = binding
        .subjects
        .iter()
        .flatten()
        .find_map(|s| s.namespace.clone());
    assert!(
        subject_namespace
            .as_deref()
            .is_some_and(|ns| ns.starts_with("firedrill-")),
        "the binding's subject stays in {subject_namespace:?}"
    );
    stack.shutdown().await;

    // The garbage collector deletes them once the namespace is gone.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let role = roles.get_opt(NAME).await.unwrap();
        let binding = bindings.get_opt(NAME).await.unwrap();
        if role.is_none() && binding.is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still there 180 s after the stack stopped: ClusterRole {}, ClusterRoleBinding {}",
            role.is_some(),
            binding.is_some()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The targets a discovery job of the stack has once they are all up: each as its labels
/// after relabelling, those that name this run's objects (`instance`, `pod`, `namespace`)
/// and the controller's hash left out.
async fn discovered(stack: &firedrill::Stack, job: &str) -> Vec<Vec<(String, String)>> {
    let prometheus = firedrill::internal::PrometheusClient::new(&stack.endpoints().prometheus);
    let targets = firedrill::internal::poll(Duration::from_secs(60), || async {
        match prometheus.targets().await {
            Ok(targets) => {
                let of_job: Vec<_> = targets
                    .into_iter()
                    .filter(|t| t.scrape_pool == job)
                    .collect();
                if !of_job.is_empty() && of_job.iter().all(|t| t.health == "up") {
                    firedrill::internal::Look::Ready(of_job)
                } else {
                    firedrill::internal::Look::NotYet(format!("job {job}: {of_job:?}"))
                }
            }
            Err(e) => firedrill::internal::Look::NotYet(e.to_string()),
        }
    })
    .await
    .unwrap_or_else(|e| panic!("job {job} never had all its targets up: {e}"));
    const PER_RUN: [&str; 4] = ["instance", "pod", "namespace", "pod_template_hash"];
    let mut found: Vec<Vec<(String, String)>> = targets
        .into_iter()
        .map(|t| {
            t.labels
                .into_iter()
                .filter(|(k, _)| !PER_RUN.contains(&k.as_str()))
                .collect()
        })
        .collect();
    found.sort();
    found
}

/// Principle 2: where the harness emulates (Kubernetes discovery off a cluster), it is
/// compared with the real thing wherever that runs. On a cluster whose Prometheus image has
/// Kubernetes discovery (the official one, in GitHub Actions' kind job), the corpus stacks
/// that discover their targets are run twice, on the cluster and on the process backend,
/// and their targets, after their own relabelling, must be the same. This machine's stand-in
/// image (Debian's Prometheus) is built without discovery: there the cluster run must fail
/// naming the config it refuses, and the comparison is the kind job's.
#[tokio::test]
#[cfg_attr(
    firedrill_skip_kube,
    ignore = "FIREDRILL_KUBE_TESTS=skip leaves the cluster tests out"
)]
async fn emulated_kubernetes_discovery_finds_the_targets_the_real_one_does() {
    let _serial = SERIAL.lock().await;
    let stand_in = std::env::var("FIREDRILL_IMAGE_PROMETHEUS")
        .is_ok_and(|image| image.starts_with("firedrill-local/"));
    for (variant, job) in [
        ("pod-annotation-discovery", "kubernetes-pods"),
        ("endpoints-discovery", "kubernetes-service-endpoints"),
    ] {
        let manifests = firedrill::fixtures::repository_root()
            .join("fixtures/manifests/corpus/working")
            .join(variant)
            .join("manifests");
        let real = StackBuilder::new(&manifests)
            .with_options(kube_options())
            .start()
            .await;
        if stand_in {
            let Err(error) = real else {
                panic!("{variant}: Debian's Prometheus started with kubernetes_sd_configs");
            };
            assert!(
                error
                    .to_string()
                    .contains("field kubernetes_sd_configs not found"),
                "{variant}: the start failure does not say why: {error}"
            );
            continue;
        }
        let real = real.unwrap_or_else(|e| panic!("{variant} on the cluster: {e}"));
        let on_cluster = discovered(&real, job).await;
        real.shutdown().await;
        let mut process = kube_options();
        process.backend = BackendKind::Process;
        let emulated = StackBuilder::new(&manifests)
            .with_options(process)
            .start()
            .await
            .unwrap_or_else(|e| panic!("{variant} on the process backend: {e}"));
        let off_cluster = discovered(&emulated, job).await;
        emulated.shutdown().await;
        assert_eq!(
            off_cluster, on_cluster,
            "{variant}: the emulated discovery (left) and the cluster's (right) disagree"
        );
    }
}
