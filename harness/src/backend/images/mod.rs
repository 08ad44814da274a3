//! Container images, for the backends that run them (Docker, kube): which image each
//! component runs (`FIREDRILL_IMAGE_*`), the images firedrill builds from its own executable
//! (the seed's app, the kube backend's Slack recorder), and the Docker engine that builds and
//! holds them. Neither backend imports the other: what both use is here.

mod app_image;
mod archive;
mod choice;
mod engine;
mod lock;

#[cfg(test)]
pub(crate) use archive::entry_paths;
pub(crate) use archive::Archive;
pub(crate) use choice::{missing_image_hint, ImageChoice, ResolvedImage};
pub(crate) use engine::{connect, Docker};

use crate::error::Result;

/// Replaces firedrill's own image (default: `firedrill-harness:<version>`, built from the
/// `firedrill` executable in this machine's Docker): the kube backend's Slack recorder runs
/// it, and so do the stand-ins a `fail` step starts on Docker and on Kubernetes.
pub(crate) const HARNESS_IMAGE_VAR: &str = "FIREDRILL_IMAGE_RECORDER";

/// The image of firedrill's own executable, and whether firedrill builds it.
pub(crate) fn harness_image() -> (String, bool) {
    match std::env::var(HARNESS_IMAGE_VAR) {
        Ok(image) if !image.is_empty() => (image, false),
        _ => (
            format!("firedrill-harness:{}", env!("CARGO_PKG_VERSION")),
            true,
        ),
    }
}

/// Makes sure an image firedrill builds from its own executable (`buildable`) is in the
/// engine: built when missing or built by another firedrill build, by one process at a
/// time (the others wait and find it built). Any other image is left as it is. Whether the
/// image is there now: `false` for one that is neither present nor buildable (to pull, or
/// for a cluster to pull).
pub(crate) async fn ensure_built(
    docker: &Docker,
    reference: &str,
    buildable: bool,
) -> Result<bool> {
    match state(docker, reference).await {
        Present::Fresh => return Ok(true),
        Present::Stale(_) if !buildable => return Ok(true),
        Present::Missing if !buildable => return Ok(false),
        _ => {}
    }
    let _lock = lock::BuildLock::acquire(reference).await?;
    match state(docker, reference).await {
        Present::Fresh => {}
        Present::Stale(why) => {
            tracing::info!("rebuilding {reference}: {why}");
            app_image::build_app_image(docker, reference).await?;
        }
        Present::Missing => app_image::build_app_image(docker, reference).await?,
    }
    Ok(true)
}

/// Whether an image is in the engine, and whether an image firedrill builds is this
/// build's.
enum Present {
    Fresh,
    Stale(String),
    Missing,
}

async fn state(docker: &Docker, reference: &str) -> Present {
    let Ok(present) = docker.inspect_image(reference).await else {
        return Present::Missing;
    };
    let labels = present.config.and_then(|c| c.labels);
    let build = app_image::executable_build();
    match app_image::stale_app_image(labels.as_ref(), build.as_deref()) {
        Some(why) => Present::Stale(why),
        None => Present::Fresh,
    }
}

/// Makes sure a local image is in this machine's Docker engine, for backends whose nodes
/// run it from there (the kube backend on a cluster whose kubelet uses this engine, or one
/// it is loaded into): an image firedrill builds from its own executable (`buildable`) is
/// built when missing or built by another firedrill version; any other image is left as it
/// is (present, or for the cluster to pull).
#[cfg(feature = "kube")]
pub(crate) async fn ensure_local_image(reference: &str, buildable: bool) -> Result<()> {
    let docker = connect().await?;
    ensure_built(&docker, reference, buildable)
        .await
        .map(|_| ())
}
