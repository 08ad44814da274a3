//! Downloads against a local HTTP server serving tarballs built here; each test caches in a
//! temp dir of its own and passes its configuration explicitly.

use std::io::Write;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::fetch::{expected_sum, line_step, progress_text, remove_leftovers, LEFTOVER_AGE};
use super::*;
use crate::tools::Lookup;

const PLATFORM: &str = "linux-amd64";
/// The Alertmanager release amtool is downloaded from (the tools module's constant).
const AMTOOL_VERSION: &str = "0.28.1";

fn prometheus() -> Release {
    Release::of_image(Component::Prometheus, "prom/prometheus:v2.27.1").unwrap()
}

/// A gzipped tarball holding `files` (path, content, mode).
fn tarball(files: &[(&str, &str, u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (name, content, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(*mode);
        header.set_cksum();
        builder
            .append_data(&mut header, name, content.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// Prometheus 2.27.1's tarball as upstream lays it out, with a fake `prometheus` script.
fn prometheus_tarball() -> Vec<u8> {
    tarball(&[
        (
            "prometheus-2.27.1.linux-amd64/prometheus",
            "#!/bin/sh\necho fake prometheus 2.27.1\n",
            0o755,
        ),
        (
            "prometheus-2.27.1.linux-amd64/LICENSE",
            "Apache 2.0\n",
            0o644,
        ),
    ])
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sums_for(archive: &[u8]) -> String {
    format!(
        "{}  prometheus-2.27.1.darwin-amd64.tar.gz\n{}  prometheus-2.27.1.linux-amd64.tar.gz\n",
        "0".repeat(64),
        sha256(archive)
    )
}

fn config(cache: &Path, base: &str) -> DownloadConfig {
    let mut config = DownloadConfig::new(cache);
    config.base = Some(parse_base(base).unwrap());
    config.platform = Some(PLATFORM.to_string());
    config
}

/// Everything under `dir`, relative, sorted: what a failure left behind.
fn listing(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

async fn serve(server: &MockServer, at: &str, body: Vec<u8>) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
        .mount(server)
        .await;
}

#[test]
fn the_upstream_urls_are_the_ones_each_project_publishes() {
    let grafana = Release::of_image(Component::Grafana, "grafana/grafana:7.5.9").unwrap();
    let alertmanager =
        Release::of_image(Component::Alertmanager, "prom/alertmanager:v0.22.2").unwrap();
    let urls = |r: &Release| {
        (
            r.archive_url(None, PLATFORM).to_string(),
            r.checksums_url(None, PLATFORM).to_string(),
        )
    };
    assert_eq!(
        urls(&prometheus()),
        (
            "https://github.com/prometheus/prometheus/releases/download/v2.27.1/prometheus-2.27.1.linux-amd64.tar.gz".to_string(),
            "https://github.com/prometheus/prometheus/releases/download/v2.27.1/sha256sums.txt".to_string()
        )
    );
    assert_eq!(
        urls(&alertmanager),
        (
            "https://github.com/prometheus/alertmanager/releases/download/v0.22.2/alertmanager-0.22.2.linux-amd64.tar.gz".to_string(),
            "https://github.com/prometheus/alertmanager/releases/download/v0.22.2/sha256sums.txt".to_string()
        )
    );
    assert_eq!(
        urls(&Tool::Amtool.release().unwrap()),
        (
            "https://github.com/prometheus/alertmanager/releases/download/v0.28.1/alertmanager-0.28.1.linux-amd64.tar.gz".to_string(),
            "https://github.com/prometheus/alertmanager/releases/download/v0.28.1/sha256sums.txt".to_string()
        )
    );
    assert_eq!(
        urls(&grafana),
        (
            "https://dl.grafana.com/oss/release/grafana-7.5.9.linux-amd64.tar.gz".to_string(),
            "https://dl.grafana.com/oss/release/grafana-7.5.9.linux-amd64.tar.gz.sha256"
                .to_string()
        )
    );
}

#[test]
fn a_mirror_holds_each_component_in_a_folder_of_its_own_laid_out_as_upstream() {
    let base = parse_base("https://mirror.example/firedrill").unwrap();
    let grafana = Release::of_image(Component::Grafana, "grafana/grafana:7.5.9").unwrap();
    assert_eq!(
        prometheus().checksums_url(Some(&base), PLATFORM).as_str(),
        "https://mirror.example/firedrill/prometheus/v2.27.1/sha256sums.txt"
    );
    assert_eq!(
        grafana.archive_url(Some(&base), PLATFORM).as_str(),
        "https://mirror.example/firedrill/grafana/grafana-7.5.9.linux-amd64.tar.gz"
    );
}

#[test]
fn a_mirror_base_that_is_not_an_http_url_is_rejected_by_name() {
    let vars = |name: &str| match name {
        "HOME" => Some("/home/someone".to_string()),
        BASE_VAR => Some("ftp://mirror.example/".to_string()),
        _ => None,
    };
    let err = DownloadConfig::from_vars(vars).unwrap_err().to_string();
    assert!(
        err.contains("FIREDRILL_DOWNLOAD_BASE=\"ftp://mirror.example/\"") && err.contains("http"),
        "{err}"
    );
}

#[test]
fn the_cache_is_under_xdg_cache_home_else_home_and_offline_takes_only_1_or_0() {
    let with = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let config =
        DownloadConfig::from_vars(with(&[("XDG_CACHE_HOME", "/xdg"), ("HOME", "/h")])).unwrap();
    assert_eq!(config.cache_dir, Path::new("/xdg/firedrill"));
    assert!(!config.offline);
    let config =
        DownloadConfig::from_vars(with(&[("HOME", "/h"), ("FIREDRILL_OFFLINE", "1")])).unwrap();
    assert_eq!(config.cache_dir, Path::new("/h/.cache/firedrill"));
    assert!(config.offline);
    let err = DownloadConfig::from_vars(with(&[("HOME", "/h"), ("FIREDRILL_OFFLINE", "maybe")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("FIREDRILL_OFFLINE=\"maybe\""), "{err}");
}

#[test]
fn the_version_comes_from_the_image_tag_and_an_untagged_image_pins_none() {
    assert_eq!(prometheus().version, "2.27.1");
    assert_eq!(
        Release::of_image(Component::Grafana, "grafana/grafana:10.4.2-ubuntu")
            .unwrap()
            .version,
        "10.4.2"
    );
    let err = Release::of_image(Component::Prometheus, "prom/prometheus:latest").unwrap_err();
    assert!(
        err.contains("`prom/prometheus:latest` pins no release version"),
        "{err}"
    );
    assert!(Release::of_image(Component::Prometheus, "prom/prometheus").is_err());
}

#[test]
fn checksums_are_read_from_sha256sum_lines_or_a_bare_sum() {
    let sum = "a".repeat(64);
    let listing = format!(
        "{}  other.tar.gz\n{sum}  prometheus-2.27.1.linux-amd64.tar.gz\n",
        "b".repeat(64)
    );
    assert_eq!(
        expected_sum(&listing, "prometheus-2.27.1.linux-amd64.tar.gz"),
        Some(sum.clone())
    );
    assert_eq!(expected_sum(&listing, "missing.tar.gz"), None);
    assert_eq!(expected_sum(&format!("{sum}\n"), "any"), Some(sum));
}

#[test]
fn progress_shows_bytes_of_the_total_and_plain_lines_come_every_quarter() {
    let mib = 1024 * 1024;
    assert_eq!(
        progress_text(12 * mib, Some(60 * mib)),
        "12.0 MiB / 60.0 MiB (20%)"
    );
    assert_eq!(progress_text(3 * mib / 2, None), "1.5 MiB");
    assert_eq!(line_step(14, Some(60)), 0);
    assert_eq!(line_step(15, Some(60)), 1);
    assert_eq!(line_step(60, Some(60)), 4);
    assert_eq!(line_step(25 * mib, None), 2);
}

#[tokio::test]
async fn a_good_download_is_cached_and_reused_without_a_second_request() {
    let server = MockServer::start().await;
    let archive = prometheus_tarball();
    serve(
        &server,
        "/mirror/prometheus/v2.27.1/sha256sums.txt",
        sums_for(&archive).into_bytes(),
    )
    .await;
    serve(
        &server,
        "/mirror/prometheus/v2.27.1/prometheus-2.27.1.linux-amd64.tar.gz",
        archive,
    )
    .await;
    let cache = tempfile::tempdir().unwrap();
    let config = config(cache.path(), &format!("{}/mirror", server.uri()));

    let first = provide(&[prometheus()], &config).await.unwrap();
    assert_eq!(
        first,
        vec![cache.path().join("prometheus/2.27.1/prometheus")]
    );
    let out = std::process::Command::new(&first[0]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "fake prometheus 2.27.1\n"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert_eq!(
        listing(&cache.path().join("prometheus")),
        vec!["2.27.1", "2.27.1/LICENSE", "2.27.1/prometheus"],
        "temp files were left behind"
    );

    let second = provide(&[prometheus()], &config).await.unwrap();
    assert_eq!(second, first);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "the cached release was fetched again"
    );
}

#[tokio::test]
async fn grafana_is_checked_against_its_sha256_file_and_runs_from_bin() {
    let server = MockServer::start().await;
    let archive = tarball(&[
        ("grafana-7.5.9/bin/grafana-server", "#!/bin/sh\n", 0o755),
        ("grafana-7.5.9/conf/defaults.ini", "", 0o644),
    ]);
    serve(
        &server,
        "/grafana/grafana-7.5.9.linux-amd64.tar.gz.sha256",
        format!("{}\n", sha256(&archive)).into_bytes(),
    )
    .await;
    serve(
        &server,
        "/grafana/grafana-7.5.9.linux-amd64.tar.gz",
        archive,
    )
    .await;
    let cache = tempfile::tempdir().unwrap();
    let grafana = Release::of_image(Component::Grafana, "grafana/grafana:7.5.9").unwrap();

    let paths = provide(&[grafana], &config(cache.path(), &server.uri()))
        .await
        .unwrap();
    assert_eq!(
        paths,
        vec![cache.path().join("grafana/7.5.9/bin/grafana-server")]
    );
    assert!(cache
        .path()
        .join("grafana/7.5.9/conf/defaults.ini")
        .is_file());
}

#[tokio::test]
async fn a_wrong_checksum_fails_naming_both_sums_and_leaves_no_cache_entry() {
    let server = MockServer::start().await;
    let archive = prometheus_tarball();
    let published = "f".repeat(64);
    serve(
        &server,
        "/prometheus/v2.27.1/sha256sums.txt",
        format!("{published}  prometheus-2.27.1.linux-amd64.tar.gz\n").into_bytes(),
    )
    .await;
    serve(
        &server,
        "/prometheus/v2.27.1/prometheus-2.27.1.linux-amd64.tar.gz",
        archive.clone(),
    )
    .await;
    let cache = tempfile::tempdir().unwrap();

    let err = provide(&[prometheus()], &config(cache.path(), &server.uri()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&published) && err.contains(&sha256(&archive)),
        "both sums are not named: {err}"
    );
    assert!(
        err.contains("/prometheus/v2.27.1/prometheus-2.27.1.linux-amd64.tar.gz")
            && err.contains("FIREDRILL_PROMETHEUS_BIN"),
        "{err}"
    );
    assert_eq!(listing(cache.path()), vec!["prometheus"], "{err}");
}

/// Serves `sums` at any path ending in `.txt` and, elsewhere, announces `archive` whole but
/// sends only its first half before closing the connection.
async fn truncating_server(sums: String, archive: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&request)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let (body, sent) = if line.contains(".txt ") {
                (sums.clone().into_bytes(), sums.len())
            } else {
                (archive.clone(), archive.len() / 2)
            };
            let mut response = Vec::new();
            write!(
                response,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )
            .unwrap();
            response.extend_from_slice(&body[..sent]);
            let _ = socket.write_all(&response).await;
            let _ = socket.shutdown().await;
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_truncated_download_fails_saying_so_and_leaves_nothing() {
    let archive = prometheus_tarball();
    let base = truncating_server(sums_for(&archive), archive.clone()).await;
    let cache = tempfile::tempdir().unwrap();

    let err = provide(&[prometheus()], &config(cache.path(), &base))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("broke off after") && err.contains(&format!("of {}", archive.len())),
        "{err}"
    );
    assert!(
        err.contains("prometheus-2.27.1.linux-amd64.tar.gz"),
        "{err}"
    );
    assert_eq!(listing(cache.path()), vec!["prometheus"], "{err}");
}

#[tokio::test]
async fn offline_refuses_naming_every_url_it_would_fetch_and_the_other_ways() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(cache.path(), &server.uri());
    config.base = None;
    config.offline = true;
    let grafana = Release::of_image(Component::Grafana, "grafana/grafana:7.5.9").unwrap();

    let err = provide(&[prometheus(), grafana], &config)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    for needle in [
        "FIREDRILL_OFFLINE=1",
        "https://github.com/prometheus/prometheus/releases/download/v2.27.1/prometheus-2.27.1.linux-amd64.tar.gz",
        "https://dl.grafana.com/oss/release/grafana-7.5.9.linux-amd64.tar.gz",
        "apt-get install prometheus",
        "FIREDRILL_PROMETHEUS_BIN",
        "FIREDRILL_GRAFANA_BIN",
        "--skip grafana",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    assert!(listing(cache.path()).is_empty());
}

#[tokio::test]
async fn offline_still_uses_a_release_already_cached() {
    let cache = tempfile::tempdir().unwrap();
    let entry = prometheus().entry(cache.path());
    std::fs::create_dir_all(&entry).unwrap();
    let binary = entry.join("prometheus");
    std::fs::write(&binary, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut config = DownloadConfig::new(cache.path());
    config.offline = true;

    assert_eq!(
        provide(&[prometheus()], &config).await.unwrap(),
        vec![binary]
    );
}

#[tokio::test]
async fn an_unknown_platform_fails_naming_the_published_ones_and_the_other_ways() {
    let cache = tempfile::tempdir().unwrap();
    let mut config = DownloadConfig::new(cache.path());
    config.platform = None;
    let text = provide(&[prometheus()], &config)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("linux-amd64, linux-arm64") && text.contains("apt-get install prometheus"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unreachable_host_fails_naming_the_url_it_tried() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = tempfile::tempdir().unwrap();
    let text = provide(
        &[prometheus()],
        &config(cache.path(), &format!("http://127.0.0.1:{port}")),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        text.contains(&format!(
            "cannot fetch http://127.0.0.1:{port}/prometheus/v2.27.1/sha256sums.txt"
        )) && text.contains("apt-get install prometheus")
            && text.contains("FIREDRILL_DOWNLOAD_BASE"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_file_on_the_server_fails_with_its_status() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    let text = provide(&[prometheus()], &config(cache.path(), &server.uri()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("/prometheus/v2.27.1/sha256sums.txt answered 404"),
        "{text}"
    );
}

#[test]
fn the_temp_files_of_a_killed_download_are_removed_once_old_and_nothing_else_is() {
    let folder = tempfile::tempdir().unwrap();
    let old = std::time::SystemTime::now() - LEFTOVER_AGE - std::time::Duration::from_secs(60);
    for name in [".download-old.tar.gz", ".download-new.tar.gz", "2.27.1"] {
        let file = std::fs::File::create(folder.path().join(name)).unwrap();
        if name != ".download-new.tar.gz" {
            file.set_modified(old).unwrap();
        }
    }
    std::fs::create_dir(folder.path().join(".extract-old")).unwrap();
    std::fs::File::create(folder.path().join(".extract-old/prometheus")).unwrap();
    let dir = std::fs::File::open(folder.path().join(".extract-old")).unwrap();
    dir.set_modified(old).unwrap();

    remove_leftovers(folder.path(), LEFTOVER_AGE);

    assert_eq!(
        listing(folder.path()),
        vec![".download-new.tar.gz", "2.27.1"]
    );
}

/// A stand-in for amtool: `exit 0` renders (`template render --help` succeeds), `exit 1` is
/// an amtool older than 0.25.
const AMTOOL_THAT_RENDERS: &str = "#!/bin/sh\nexit 0\n";
const AMTOOL_TOO_OLD: &str =
    "#!/bin/sh\necho 'amtool: error: expected command but got \"template\"' >&2\nexit 1\n";

/// An executable script `name` in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Serves Alertmanager's release of amtool's fixed version as upstream lays it out (amtool
/// beside alertmanager), its sums listed as `sums` makes them from the tarball; returns the
/// tarball.
async fn serve_amtool_release(server: &MockServer, sums: impl Fn(&[u8]) -> String) -> Vec<u8> {
    let top = format!("alertmanager-{AMTOOL_VERSION}.{PLATFORM}");
    let archive = tarball(&[
        (&format!("{top}/alertmanager"), "#!/bin/sh\n", 0o755),
        (&format!("{top}/amtool"), AMTOOL_THAT_RENDERS, 0o755),
    ]);
    let folder = format!("/alertmanager/v{AMTOOL_VERSION}");
    serve(
        server,
        &format!("{folder}/sha256sums.txt"),
        sums(&archive).into_bytes(),
    )
    .await;
    serve(server, &format!("{folder}/{top}.tar.gz"), archive.clone()).await;
    archive
}

fn published_sums(archive: &[u8]) -> String {
    format!(
        "{}  alertmanager-{AMTOOL_VERSION}.darwin-amd64.tar.gz\n{}  alertmanager-{AMTOOL_VERSION}.{PLATFORM}.tar.gz\n",
        "0".repeat(64),
        sha256(archive)
    )
}

/// What a machine has for amtool: nothing set, `on_path` on PATH, downloads per `config`.
fn amtool_lookup(on_path: Option<std::path::PathBuf>, config: &DownloadConfig) -> Lookup {
    Lookup {
        explicit: None,
        on_path,
        download: Ok(config.clone()),
    }
}

#[tokio::test]
async fn without_an_installed_amtool_it_is_fetched_from_alertmanagers_release_on_the_mirror_and_found_in_the_cache_from_then_on(
) {
    let server = MockServer::start().await;
    serve_amtool_release(&server, published_sums).await;
    let cache = tempfile::tempdir().unwrap();
    let config = config(cache.path(), &format!("{}/", server.uri()));

    let provided = Tool::Amtool
        .provide(amtool_lookup(None, &config))
        .await
        .unwrap();
    let expected = cache
        .path()
        .join(format!("alertmanager/{AMTOOL_VERSION}/amtool"));
    assert_eq!(provided, expected);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert_eq!(
        listing(&cache.path().join("alertmanager")),
        vec![
            AMTOOL_VERSION.to_string(),
            format!("{AMTOOL_VERSION}/alertmanager"),
            format!("{AMTOOL_VERSION}/amtool"),
        ],
        "temp files were left behind"
    );

    // `lint` and the renderer look it up without downloading: the cache has it.
    assert_eq!(
        Tool::Amtool.find_in(&amtool_lookup(None, &config)),
        Ok(expected.clone())
    );
    assert_eq!(
        Tool::Amtool
            .provide(amtool_lookup(None, &config))
            .await
            .unwrap(),
        expected
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "the cached amtool was fetched again"
    );
}

#[tokio::test]
async fn an_amtool_on_path_too_old_to_render_is_passed_over_for_the_download() {
    let server = MockServer::start().await;
    serve_amtool_release(&server, published_sums).await;
    let cache = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let old = script(bin.path(), "amtool", AMTOOL_TOO_OLD);
    let config = config(cache.path(), &server.uri());

    // Before the download, `lint` still has the old one to check configs with.
    assert_eq!(
        Tool::Amtool.find_in(&amtool_lookup(Some(old.clone()), &config)),
        Ok(old.clone())
    );
    let provided = Tool::Amtool
        .provide(amtool_lookup(Some(old.clone()), &config))
        .await
        .unwrap();
    let downloaded = cache
        .path()
        .join(format!("alertmanager/{AMTOOL_VERSION}/amtool"));
    assert_eq!(provided, downloaded);
    assert_eq!(
        Tool::Amtool.find_in(&amtool_lookup(Some(old), &config)),
        Ok(downloaded)
    );
}

#[tokio::test]
async fn an_amtool_release_with_a_wrong_checksum_fails_naming_both_sums_and_leaves_no_cache_entry()
{
    let server = MockServer::start().await;
    let published = "f".repeat(64);
    let archive = serve_amtool_release(&server, |_| {
        format!(
            "{published}  alertmanager-{AMTOOL_VERSION}.{PLATFORM}.tar.gz\n",
            published = "f".repeat(64)
        )
    })
    .await;
    let cache = tempfile::tempdir().unwrap();
    let config = config(cache.path(), &server.uri());

    let err = Tool::Amtool
        .provide(amtool_lookup(None, &config))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    for needle in [
        published.as_str(),
        &sha256(&archive),
        &format!("amtool {AMTOOL_VERSION} is not installed and could not be downloaded"),
        &format!("/alertmanager/v{AMTOOL_VERSION}/alertmanager-{AMTOOL_VERSION}.{PLATFORM}.tar.gz"),
        "apt-get install prometheus-alertmanager",
        "FIREDRILL_AMTOOL_BIN",
        "FIREDRILL_DOWNLOAD_BASE",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    assert_eq!(listing(cache.path()), vec!["alertmanager"], "{text}");
    assert!(Tool::Amtool.find_in(&amtool_lookup(None, &config)).is_err());
}

#[tokio::test]
async fn offline_without_an_amtool_says_what_it_would_fetch_and_the_other_ways() {
    let cache = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let old = script(bin.path(), "amtool", AMTOOL_TOO_OLD);
    let mut config = DownloadConfig::new(cache.path());
    config.platform = Some(PLATFORM.to_string());
    config.offline = true;

    for on_path in [None, Some(old.clone())] {
        let err = Tool::Amtool
            .provide(amtool_lookup(on_path.clone(), &config))
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        for needle in [
            "cannot start amtool",
            "FIREDRILL_OFFLINE=1",
            &format!(
                "firedrill would download amtool {AMTOOL_VERSION} from https://github.com/prometheus/alertmanager/releases/download/v{AMTOOL_VERSION}/alertmanager-{AMTOOL_VERSION}.{PLATFORM}.tar.gz"
            ),
            "apt-get install prometheus-alertmanager",
            "FIREDRILL_AMTOOL_BIN",
            "unset FIREDRILL_OFFLINE",
        ] {
            assert!(text.contains(needle), "`{needle}` missing from: {text}");
        }
        if on_path.is_some() {
            assert!(
                text.contains(&format!("{} has no `template render`", old.display())),
                "the installed amtool is not named: {text}"
            );
        }
    }
    assert!(listing(cache.path()).is_empty());
}

#[tokio::test]
async fn an_explicit_amtool_or_one_installed_that_renders_wins_over_the_download() {
    let server = MockServer::start().await;
    serve_amtool_release(&server, published_sums).await;
    let cache = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let explicit = script(bin.path(), "my-amtool", AMTOOL_THAT_RENDERS);
    let installed = script(bin.path(), "amtool", AMTOOL_THAT_RENDERS);
    let config = config(cache.path(), &server.uri());

    let lookup = |explicit: Option<&Path>| Lookup {
        explicit: explicit.map(|p| p.display().to_string()),
        on_path: Some(installed.clone()),
        download: Ok(config.clone()),
    };
    assert_eq!(
        Tool::Amtool.provide(lookup(Some(&explicit))).await.unwrap(),
        explicit
    );
    assert_eq!(
        Tool::Amtool.find_in(&lookup(Some(&explicit))),
        Ok(explicit.clone())
    );
    assert_eq!(Tool::Amtool.provide(lookup(None)).await.unwrap(), installed);

    // An explicit one that cannot render is an error, not a reason to download.
    let old = script(bin.path(), "old-amtool", AMTOOL_TOO_OLD);
    let text = Tool::Amtool
        .provide(lookup(Some(&old)))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains(&format!(
            "FIREDRILL_AMTOOL_BIN is set, and {} has no `template render`",
            old.display()
        )),
        "{text}"
    );
    let text = Tool::Amtool
        .provide(lookup(Some(Path::new("/nonexistent/amtool"))))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("FIREDRILL_AMTOOL_BIN=/nonexistent/amtool is not a file")
            && text.contains("apt-get install prometheus-alertmanager"),
        "{text}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "something was downloaded"
    );
    assert!(listing(cache.path()).is_empty());
}
