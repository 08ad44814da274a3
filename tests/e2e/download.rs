//! A machine without Prometheus, Alertmanager and amtool: `verify` downloads the releases the
//! manifests pin, and amtool's own Alertmanager release, from a mirror (here a local server
//! holding tarballs of this machine's own binaries under the pinned names), runs the stack on
//! them, renders with that amtool, and the next run uses the cache.

use std::path::{Path, PathBuf};

use firedrill::fixtures::repository_root;
use firedrill::internal::on_path;
use firedrill::internal::this_platform;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An installed binary: its `FIREDRILL_<VAR>_BIN`, else the first name on PATH.
fn installed(var: &str, names: &[&str]) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| names.iter().find_map(|n| on_path(n)))
        .unwrap_or_else(|| panic!("{} is installed (the e2e suite needs it)", names[0]))
}

/// A gzipped tarball (stored, not compressed: the binaries are large) holding each
/// `(name, binary)` as `top/name`.
fn tarball(top: &str, files: &[(&str, &Path)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::none(),
    ));
    for (name, binary) in files {
        builder
            .append_path_with_name(binary, format!("{top}/{name}"))
            .expect("the binary is readable");
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// This machine's amtool as the release's would be: a script running it with Debian's default
/// templates first (Debian's amtool reads them from a file beside it, no longer beside it
/// once in the cache; the official amtool holds them).
fn amtool_as_released(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let amtool = installed("FIREDRILL_AMTOOL_BIN", &["amtool"]);
    let real = std::fs::canonicalize(&amtool).expect("amtool resolves");
    let defaults = real
        .parent()
        .and_then(Path::parent)
        .map(|usr| usr.join("share/prometheus/alertmanager/default.tmpl"))
        .filter(|file| file.is_file());
    let render = match defaults {
        Some(file) => format!(
            "if [ \"$1 $2\" = \"template render\" ]; then\n  shift 2\n  exec '{}' template render '--template.glob={}' \"$@\"\nfi\n",
            real.display(),
            file.display()
        ),
        None => String::new(),
    };
    let script = dir.join("amtool");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n{render}exec '{}' \"$@\"\n", real.display()),
    )
    .expect("a temp file");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("a temp file");
    script
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Serves a release holding `files` as the mirror lays it out: `<component>/v<version>/...`.
async fn serve_release(
    server: &MockServer,
    component: &str,
    version: &str,
    files: &[(&str, &Path)],
) {
    let platform = this_platform().expect("releases are published for this platform");
    let top = format!("{component}-{version}.{platform}");
    let archive = tarball(&top, files);
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
        .env_remove("FIREDRILL_AMTOOL_BIN")
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
async fn verify_without_prometheus_alertmanager_and_amtool_downloads_the_pinned_releases_and_amtools_runs_on_them_and_reuses_the_cache(
) {
    let server = MockServer::start().await;
    let scripts = tempfile::tempdir().expect("a temp dir");
    serve_release(
        &server,
        "prometheus",
        "2.27.1",
        &[(
            "prometheus",
            &installed("FIREDRILL_PROMETHEUS_BIN", &["prometheus"]),
        )],
    )
    .await;
    let alertmanager = installed(
        "FIREDRILL_ALERTMANAGER_BIN",
        &["alertmanager", "prometheus-alertmanager"],
    );
    serve_release(
        &server,
        "alertmanager",
        "0.22.2",
        &[("alertmanager", &alertmanager)],
    )
    .await;
    serve_release(
        &server,
        "alertmanager",
        "0.28.1",
        &[
            ("alertmanager", &alertmanager),
            ("amtool", &amtool_as_released(scripts.path())),
        ],
    )
    .await;
    let cache = tempfile::tempdir().expect("a temp dir");
    let empty_path = tempfile::tempdir().expect("a temp dir");

    let (code, text) = verify(&server.uri(), cache.path(), empty_path.path()).await;
    assert_eq!(code, Some(0), "{text}");
    for needle in [
        "downloading prometheus 2.27.1 from http://127.0.0.1",
        "downloading alertmanager 0.22.2 from http://127.0.0.1",
        "downloading amtool 0.28.1 from http://127.0.0.1",
        "/alertmanager/v0.28.1/alertmanager-0.28.1.linux-amd64.tar.gz",
        "SHA-256 verified",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    for binary in [
        "prometheus/2.27.1/prometheus",
        "alertmanager/0.22.2/alertmanager",
        "alertmanager/0.28.1/amtool",
    ] {
        assert!(
            cache.path().join("firedrill").join(binary).is_file(),
            "{binary} is not cached"
        );
    }
    let fetched = server.received_requests().await.unwrap().len();
    assert_eq!(fetched, 6, "three releases, two files each");

    let (code, text) = verify(&server.uri(), cache.path(), empty_path.path()).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("downloading"), "{text}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        fetched,
        "the cached releases were fetched again"
    );
}
