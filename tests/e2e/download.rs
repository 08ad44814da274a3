//! A machine without Prometheus and Alertmanager: `verify` downloads the releases the
//! manifests pin from a mirror (here a local server holding tarballs of this machine's own
//! binaries under the pinned names), runs the stack on them, and the next run uses the cache.

use std::path::{Path, PathBuf};

use firedrill::backend::on_path;
use firedrill::backend::process::download::this_platform;
use firedrill::fixtures::repository_root;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An installed binary: its `FIREDRILL_<VAR>_BIN`, else the first name on PATH.
fn installed(var: &str, names: &[&str]) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| names.iter().find_map(|n| on_path(n)))
        .unwrap_or_else(|| panic!("{} is installed (the e2e suite needs it)", names[0]))
}

/// A gzipped tarball (stored, not compressed: the binaries are large) holding `binary` as
/// `top/name`.
fn tarball(binary: &Path, top: &str, name: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::none(),
    ));
    builder
        .append_path_with_name(binary, format!("{top}/{name}"))
        .expect("the binary is readable");
    builder.into_inner().unwrap().finish().unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Serves a release as the mirror lays it out: `<component>/v<version>/...`.
async fn serve_release(server: &MockServer, component: &str, version: &str, binary: &Path) {
    let platform = this_platform().expect("releases are published for this platform");
    let top = format!("{component}-{version}.{platform}");
    let archive = tarball(binary, &top, component);
    let sums = format!("{}  {top}.tar.gz\n", sha256(&archive));
    for (file, body) in [
        ("sha256sums.txt".to_string(), sums.into_bytes()),
        (format!("{top}.tar.gz"), archive),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/{component}/v{version}/{file}")))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
            .mount(server)
            .await;
    }
}

async fn verify(base: &str, cache: &Path, empty_path: &Path) -> (Option<i32>, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["verify", "--backend", "process", "--skip", "grafana"])
        .current_dir(repository_root())
        .env("PATH", empty_path)
        .env("XDG_CACHE_HOME", cache)
        .env("FIREDRILL_DOWNLOAD_BASE", base)
        .env(
            "FIREDRILL_AMTOOL_BIN",
            installed("FIREDRILL_AMTOOL_BIN", &["amtool"]),
        )
        .env_remove("FIREDRILL_PROMETHEUS_BIN")
        .env_remove("FIREDRILL_ALERTMANAGER_BIN")
        .env_remove("FIREDRILL_OFFLINE")
        .output()
        .await
        .expect("the firedrill binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn verify_without_prometheus_and_alertmanager_downloads_the_pinned_releases_runs_on_them_and_reuses_the_cache(
) {
    let server = MockServer::start().await;
    serve_release(
        &server,
        "prometheus",
        "2.27.1",
        &installed("FIREDRILL_PROMETHEUS_BIN", &["prometheus"]),
    )
    .await;
    serve_release(
        &server,
        "alertmanager",
        "0.22.2",
        &installed(
            "FIREDRILL_ALERTMANAGER_BIN",
            &["alertmanager", "prometheus-alertmanager"],
        ),
    )
    .await;
    let cache = tempfile::tempdir().expect("a temp dir");
    let empty_path = tempfile::tempdir().expect("a temp dir");

    let (code, text) = verify(&server.uri(), cache.path(), empty_path.path()).await;
    assert_eq!(code, Some(0), "{text}");
    for needle in [
        "downloading prometheus 2.27.1 from http://127.0.0.1",
        "downloading alertmanager 0.22.2 from http://127.0.0.1",
        "SHA-256 verified",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    for binary in [
        "prometheus/2.27.1/prometheus",
        "alertmanager/0.22.2/alertmanager",
    ] {
        assert!(
            cache.path().join("firedrill").join(binary).is_file(),
            "{binary} is not cached"
        );
    }
    let fetched = server.received_requests().await.unwrap().len();
    assert_eq!(fetched, 4, "two releases, two files each");

    let (code, text) = verify(&server.uri(), cache.path(), empty_path.path()).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("downloading"), "{text}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        fetched,
        "the cached releases were fetched again"
    );
}
