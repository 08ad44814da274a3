//! Kubernetes discovery without a cluster: on the process and Docker backends a stack whose
//! Prometheus finds its targets with `kubernetes_sd_configs` is handed what that discovery
//! would find, and its own relabelling decides what is scraped and with which labels.

use std::collections::BTreeMap;
use std::time::Duration;

use firedrill::internal::{poll, Look, PrometheusClient};
use firedrill::{assert_all_passed, Check, Fault, StackBuilder};

use super::support::run;

#[tokio::test]
async fn annotated_pods_are_scraped_at_their_own_address_with_the_labels_their_relabelling_makes() {
    let kube = std::env::var("FIREDRILL_BACKEND").as_deref() == Ok("kube");
    // On kube the discovery is the real one. This machine's stand-in image is Debian's
    // Prometheus, built without it: there the start fails, naming the config it refuses.
    let stand_in = std::env::var("FIREDRILL_IMAGE_PROMETHEUS")
        .is_ok_and(|image| image.starts_with("firedrill-local/"));
    let manifests = firedrill::fixtures::repository_root()
        .join("fixtures/manifests/corpus/working/pod-annotation-discovery/manifests");
    let started = StackBuilder::new(&manifests).start().await;
    if kube && stand_in {
        let Err(error) = started else {
            panic!("Debian's Prometheus started with kubernetes_sd_configs");
        };
        let error = error.to_string();
        assert!(
            error.contains("field kubernetes_sd_configs not found"),
            "the start failure does not say why: {error}"
        );
        return;
    }
    let stack = started.unwrap_or_else(|e| panic!("{e}"));
    let prometheus = PrometheusClient::new(&stack.endpoints().prometheus);
    let found = poll(Duration::from_secs(30), || async {
        let targets = match prometheus.targets().await {
            Ok(targets) => targets,
            Err(e) => return Look::NotYet(e.to_string()),
        };
        match targets
            .into_iter()
            .find(|t| t.scrape_pool == "kubernetes-pods" && t.health == "up")
        {
            Some(target) => Look::Ready(target),
            None => Look::NotYet("no kubernetes-pods target up yet".to_string()),
        }
    })
    .await
    .unwrap_or_else(|e| panic!("the annotated echo pod was never scraped: {e}"));
    stack.shutdown().await;

    let labels: BTreeMap<&str, &str> = found
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // The job's relabelling: pod labels mapped (names sanitised), namespace and pod added,
    // the address rewritten to the annotated port.
    for (name, value) in [
        ("job", "kubernetes-pods"),
        ("app", "echo"),
        ("app_kubernetes_io_name", "echo-server"),
    ] {
        assert_eq!(labels.get(name), Some(&value), "{name}: {found:#?}");
    }
    // The manifests' namespace; on kube every object runs in the run's own.
    let namespace = labels.get("namespace").copied().unwrap_or_default();
    assert!(
        if kube {
            namespace.starts_with("firedrill-")
        } else {
            namespace == "default"
        },
        "{found:#?}"
    );
    assert!(
        labels.get("pod").is_some_and(|p| !p.is_empty()),
        "{found:#?}"
    );
    // The pod's own address and the annotated port, as in a cluster: a loopback address
    // of its own on the process backend, its container on Docker.
    let instance = labels.get("instance").copied().unwrap_or_default();
    assert!(instance.ends_with(":8081"), "{found:#?}");
    assert!(!instance.starts_with("127.0.0.1:"), "{found:#?}");
    assert!(found.scrape_url.ends_with(":8081/metrics"), "{found:#?}");
}

/// Whether Kubernetes discovery runs on this backend: not on kube with this machine's
/// stand-in image (Debian's Prometheus refuses kubernetes_sd_configs; the first test checks
/// how).
fn discovery_runs() -> bool {
    let kube = std::env::var("FIREDRILL_BACKEND").as_deref() == Ok("kube");
    let stand_in = std::env::var("FIREDRILL_IMAGE_PROMETHEUS")
        .is_ok_and(|image| image.starts_with("firedrill-local/"));
    !(kube && stand_in)
}

#[tokio::test]
async fn each_replica_of_a_deployment_is_a_target_of_its_own_with_its_own_pod_name() {
    if !discovery_runs() {
        return;
    }
    let manifests = firedrill::fixtures::repository_root()
        .join("fixtures/manifests/corpus/working/replicated-pod-discovery/manifests");
    let stack = StackBuilder::new(&manifests)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let prometheus = PrometheusClient::new(&stack.endpoints().prometheus);
    let found = poll(Duration::from_secs(30), || async {
        let targets = match prometheus.targets().await {
            Ok(targets) => targets,
            Err(e) => return Look::NotYet(e.to_string()),
        };
        let up: Vec<_> = targets
            .into_iter()
            .filter(|t| t.scrape_pool == "kubernetes-pods" && t.health == "up")
            .filter(|t| t.labels.get("app").map(String::as_str) == Some("echo"))
            .collect();
        if up.len() >= 3 {
            Look::Ready(up)
        } else {
            Look::NotYet(format!("{} of 3 echo pods up: {up:#?}", up.len()))
        }
    })
    .await
    .unwrap_or_else(|e| panic!("the three echo pods were never all scraped: {e}"));
    stack.shutdown().await;

    assert_eq!(found.len(), 3, "one target per pod: {found:#?}");
    let pods: std::collections::BTreeSet<&str> = found
        .iter()
        .filter_map(|t| t.labels.get("pod").map(String::as_str))
        .collect();
    let instances: std::collections::BTreeSet<&str> = found
        .iter()
        .filter_map(|t| t.labels.get("instance").map(String::as_str))
        .collect();
    assert_eq!(pods.len(), 3, "three distinct pod names: {found:#?}");
    assert_eq!(instances.len(), 3, "three distinct addresses: {found:#?}");
    for pod in pods {
        // `<deployment>-<pod-template-hash>-<5 characters>`, as Kubernetes names them.
        let rest = pod
            .strip_prefix("echo-deployment-")
            .unwrap_or_else(|| panic!("{pod} is not a pod of echo-deployment"));
        let (hash, suffix) = rest
            .rsplit_once('-')
            .unwrap_or_else(|| panic!("{pod} has no pod-template-hash"));
        assert!(!hash.is_empty() && suffix.len() == 5, "{pod}");
    }
}

const POD_RULES: &str = r#"
groups:
  - name: echo-pods
    rules:
      - alert: EchoPodsGone
        expr: absent(up{job="kubernetes-pods", app="echo"})
        for: 30s
        labels:
          severity: critical
        annotations:
          summary: no echo pod is discovered
"#;

#[tokio::test]
async fn a_killed_app_leaves_kubernetes_discovery_so_its_absent_alert_fires_as_on_a_cluster() {
    if !discovery_runs() {
        return;
    }
    let kube = std::env::var("FIREDRILL_BACKEND").as_deref() == Ok("kube");
    let manifests = firedrill::fixtures::repository_root()
        .join("fixtures/manifests/corpus/working/pod-annotation-discovery/manifests");
    let stack = StackBuilder::new(&manifests)
        .with_extra_rules("pod-rules.yaml", POD_RULES)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // On Kubernetes a killed workload is scaled to 0: its pod, and the target discovery
    // found for it, are gone, so `up` of the job is absent, not 0.
    let outcomes = run(
        &stack,
        &[
            Check::TargetsUp,
            Check::Fault("echo-server".into(), Fault::Kill),
            Check::AlertFiring("EchoPodsGone".into()),
            Check::AlertInAlertmanager("EchoPodsGone".into()),
            Check::AlertDelivered("EchoPodsGone".into()),
        ],
    )
    .await;
    assert_all_passed(&outcomes);
    if !kube {
        assert!(
            outcomes[1]
                .detail
                .contains("left the emulated Kubernetes discovery, as scaled away"),
            "{}",
            outcomes[1].detail
        );
    }
    let prometheus = PrometheusClient::new(&stack.endpoints().prometheus);
    let up = prometheus
        .query(r#"up{job="kubernetes-pods", app="echo"}"#)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(up.is_empty(), "the killed pod is still a target: {up:#?}");
    let outcomes = run(
        &stack,
        &[
            Check::Fault("echo-server".into(), Fault::Restart),
            Check::TargetsUp,
            Check::AlertResolved("EchoPodsGone".into()),
        ],
    )
    .await;
    assert_all_passed(&outcomes);
    if !kube {
        assert!(
            outcomes[0]
                .detail
                .contains("is back in the emulated Kubernetes discovery"),
            "{}",
            outcomes[0].detail
        );
    }
    stack.shutdown().await;
}
