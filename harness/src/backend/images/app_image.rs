//! The seed's app image, `echo_server:latest`, built by the harness when it is missing: FROM
//! scratch, holding the `firedrill` executable (whose `echo-server` subcommand is the seed's
//! app) and the shared libraries `ldd` lists. No base image is pulled, so the build works
//! offline and on any Linux CI runner alike.
//!
//! The `firedrill` executable is used rather than the `echo-server` fixture binary because it
//! is always there when the harness runs (tests included: see
//! [`crate::tools::firedrill_executable`]), while the fixture binary is only built
//! on request.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use testcontainers::bollard::body_full;
use testcontainers::bollard::query_parameters::BuildImageOptions;

use super::archive::Archive;
use super::engine::Docker;
use crate::error::{Error, Result};
use crate::tools::firedrill_executable;

/// How long building the app image may take.
const BUILD_TIMEOUT: Duration = Duration::from_secs(300);

/// The build context's Dockerfile: the app listens on 0.0.0.0:8081 as the seed's does.
pub(crate) const DOCKERFILE: &str = r#"FROM scratch
COPY rootfs/ /
USER 65534:65534
EXPOSE 8081
ENTRYPOINT ["/firedrill", "echo-server"]
CMD ["--listen", "0.0.0.0:8081"]
"#;

/// The label naming the executable an app image was built from: the image is firedrill's.
const BUILT_FROM_LABEL: &str = "firedrill.built-from";
/// The label holding the version of firedrill that built an app image.
const VERSION_LABEL: &str = "firedrill.version";
/// This firedrill's version.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The label telling which build of the executable an app image holds (its size and
/// modification time): a rebuilt firedrill of the same version rebuilds the image, so that
/// a recorder never runs an older build's flags.
const EXECUTABLE_LABEL: &str = "firedrill.executable";

/// The running executable's build, as [`EXECUTABLE_LABEL`] records it.
pub(crate) fn executable_build() -> Option<String> {
    let executable = firedrill_executable().ok()?;
    let metadata = std::fs::metadata(executable).ok()?;
    let modified = metadata
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{}-{}", metadata.len(), modified.as_nanos()))
}

/// Why an app image that is present must be built again, given its labels: only an image
/// an earlier firedrill built (another version, or one from before images carried it). An
/// image firedrill did not build (yours, or `ci/build-local-images`') is used as it is.
pub(crate) fn stale_app_image(
    labels: Option<&std::collections::HashMap<String, String>>,
    build: Option<&str>,
) -> Option<String> {
    let labels = labels?;
    labels.get(BUILT_FROM_LABEL)?;
    match labels.get(VERSION_LABEL) {
        Some(version) if version == VERSION => match (labels.get(EXECUTABLE_LABEL), build) {
            (Some(built), Some(build)) if built == build => None,
            (_, None) => None,
            _ => Some(format!(
                "it was built from another build of firedrill {VERSION}"
            )),
        },
        Some(version) => Some(format!(
            "it was built by firedrill {version}, this is {VERSION}"
        )),
        None => Some(format!("it was built by a firedrill older than {VERSION}")),
    }
}

/// Builds `tag` from the `firedrill` executable.
pub(crate) async fn build_app_image(docker: &Docker, tag: &str) -> Result<()> {
    let executable = firedrill_executable()?;
    let context = build_context(&executable).map_err(|e| {
        Error::start(
            tag,
            format!(
                "cannot assemble the build context from {}: {e}",
                executable.display()
            ),
            "build it with `ci/build-local-images --only app`, or set FIREDRILL_IMAGE_APP to an image you have",
        )
    })?;
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".to_string(),
        t: Some(tag.to_string()),
        rm: true,
        forcerm: true,
        labels: Some(
            [
                (
                    BUILT_FROM_LABEL.to_string(),
                    executable.display().to_string(),
                ),
                (VERSION_LABEL.to_string(), VERSION.to_string()),
                (
                    EXECUTABLE_LABEL.to_string(),
                    executable_build().unwrap_or_default(),
                ),
            ]
            .into(),
        ),
        ..Default::default()
    };
    let failed = |why: String| {
        Error::start(
            tag,
            format!("building the app image failed: {why}"),
            "build it with `ci/build-local-images --only app`, or set FIREDRILL_IMAGE_APP to an image you have",
        )
    };
    let build = async {
        let mut stream = docker.build_image(options, None, Some(body_full(context.into())));
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| failed(e.to_string()))?;
            if let Some(detail) = info.error_detail {
                return Err(failed(detail.message.unwrap_or_default()));
            }
        }
        Ok(())
    };
    match tokio::time::timeout(BUILD_TIMEOUT, build).await {
        Ok(result) => result,
        Err(_) => Err(failed(format!(
            "not done within {}s",
            BUILD_TIMEOUT.as_secs()
        ))),
    }
}

/// The build context: Dockerfile, and rootfs/ with the executable, its libraries, and the
/// few files a static Linux userland needs (users, name resolution order, /tmp).
pub(crate) fn build_context(executable: &Path) -> std::io::Result<Vec<u8>> {
    let mut archive = Archive::new();
    archive.file("Dockerfile", DOCKERFILE.as_bytes(), 0o644)?;
    archive.file("rootfs/firedrill", &std::fs::read(executable)?, 0o755)?;
    for library in shared_libraries(executable)? {
        let content = std::fs::read(&library)?;
        archive.file(&format!("rootfs{}", library.display()), &content, 0o755)?;
    }
    archive.file(
        "rootfs/etc/passwd",
        b"root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
        0o644,
    )?;
    archive.file("rootfs/etc/group", b"root:x:0:\nnogroup:x:65534:\n", 0o644)?;
    archive.file(
        "rootfs/etc/nsswitch.conf",
        b"passwd: files\ngroup: files\nhosts: files dns\n",
        0o644,
    )?;
    archive.dir("rootfs/tmp", 0o1777)?;
    archive.finish()
}

/// The libraries a dynamic executable loads, as `ldd` lists them (none for a static one).
fn shared_libraries(executable: &Path) -> std::io::Result<Vec<PathBuf>> {
    let output = match std::process::Command::new("ldd").arg(executable).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(std::io::Error::new(
                e.kind(),
                "`ldd` is not installed (it lists the libraries to copy into the image)",
            ))
        }
        Err(e) => return Err(e),
    };
    if !output.status.success() {
        // "not a dynamic executable": a static build needs nothing else.
        return Ok(Vec::new());
    }
    Ok(parse_ldd(&String::from_utf8_lossy(&output.stdout)))
}

/// Every absolute path in `ldd`'s output, deduplicated.
pub(crate) fn parse_ldd(output: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = output
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
        .map(PathBuf::from)
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldds_listing_gives_every_library_path_once_and_skips_the_vdso() {
        let output = "\tlinux-vdso.so.1 (0x00007ffd)\n\
            \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f)\n\
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
        assert_eq!(
            parse_ldd(output),
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib/x86_64-linux-gnu/libgcc_s.so.1"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2"),
            ]
        );
    }

    fn labels(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_app_image_another_firedrill_built_is_rebuilt_and_any_other_is_kept() {
        let from = (BUILT_FROM_LABEL, "/usr/local/bin/firedrill");
        let build = Some("1234-5678");
        let old = labels(&[from, (VERSION_LABEL, "0.0.1-old")]);
        assert_eq!(
            stale_app_image(Some(&old), build).as_deref(),
            Some(format!("it was built by firedrill 0.0.1-old, this is {VERSION}").as_str())
        );
        let unversioned = labels(&[from]);
        assert!(stale_app_image(Some(&unversioned), build).is_some());
        let current = labels(&[
            from,
            (VERSION_LABEL, VERSION),
            (EXECUTABLE_LABEL, "1234-5678"),
        ]);
        assert_eq!(stale_app_image(Some(&current), build), None);
        // The same version built again (a recorder with flags the old build lacks).
        let rebuilt = labels(&[
            from,
            (VERSION_LABEL, VERSION),
            (EXECUTABLE_LABEL, "1234-0001"),
        ]);
        assert_eq!(
            stale_app_image(Some(&rebuilt), build).as_deref(),
            Some(format!("it was built from another build of firedrill {VERSION}").as_str())
        );
        let unlabelled = labels(&[from, (VERSION_LABEL, VERSION)]);
        assert!(stale_app_image(Some(&unlabelled), build).is_some());
        let yours = labels(&[("org.opencontainers.image.title", "echo")]);
        assert_eq!(stale_app_image(Some(&yours), build), None);
        assert_eq!(stale_app_image(None, build), None);
    }

    #[test]
    fn the_app_image_has_no_base_image_and_runs_firedrills_echo_server_on_8081() {
        assert!(DOCKERFILE.starts_with("FROM scratch\n"));
        assert!(DOCKERFILE.contains(r#"ENTRYPOINT ["/firedrill", "echo-server"]"#));
        assert!(DOCKERFILE.contains("0.0.0.0:8081"));
    }

    #[test]
    fn the_build_context_holds_the_dockerfile_the_executable_and_its_libraries() {
        let executable = std::env::current_exe().unwrap();
        let paths = crate::backend::images::entry_paths(&build_context(&executable).unwrap());
        for expected in [
            "Dockerfile",
            "rootfs/firedrill",
            "rootfs/etc/passwd",
            "rootfs/tmp/",
        ] {
            assert!(
                paths.iter().any(|p| p == expected),
                "{expected} in {paths:?}"
            );
        }
        for library in shared_libraries(&executable).unwrap() {
            let entry = format!("rootfs{}", library.display());
            assert!(paths.contains(&entry), "{entry} in {paths:?}");
        }
    }
}
