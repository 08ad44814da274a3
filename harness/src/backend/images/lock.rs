//! One build of an image at a time on this machine: several firedrill processes started
//! together (the corpus runs many) may all find the image missing or built by another
//! firedrill; the first takes the lock and builds, the others wait for it and then find the
//! image fresh.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a firedrill waits for another one building the same image.
const WAIT_DEADLINE: Duration = Duration::from_secs(300);
/// How often it looks again.
const POLL: Duration = Duration::from_millis(100);

/// An exclusive lock on building one image, released when dropped (its file is closed; the
/// file itself stays, so that no two processes ever lock two different files).
#[derive(Debug)]
pub(crate) struct BuildLock {
    _file: File,
}

impl BuildLock {
    /// Takes the lock for `reference`, waiting while another process holds it.
    pub(crate) async fn acquire(reference: &str) -> Result<Self> {
        let path = lock_path(reference);
        let failed = |why: String| {
            Error::start(
                reference,
                why,
                "check that the temp dir is writable (TMPDIR), or build the image with \
                 `ci/build-local-images`",
            )
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                failed(format!(
                    "cannot open the build lock {}: {e}",
                    path.display()
                ))
            })?;
        let started = Instant::now();
        loop {
            // SAFETY: flock on a descriptor this function owns; it touches no memory.
            let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if taken == 0 {
                return Ok(Self { _file: file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::WouldBlock {
                return Err(failed(format!(
                    "cannot lock {} to build the image: {error}",
                    path.display()
                )));
            }
            if started.elapsed() >= WAIT_DEADLINE {
                return Err(failed(format!(
                    "another firedrill has been building it for {} s (it holds {})",
                    WAIT_DEADLINE.as_secs(),
                    path.display()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// The lock file of `reference`, in the temp dir.
fn lock_path(reference: &str) -> PathBuf {
    let name: String = reference
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    std::env::temp_dir().join(format!("firedrill-image-build-{name}.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_builder_waits_until_the_first_releases_the_lock() {
        let reference = format!("firedrill-test/lock-{}:1", std::process::id());
        let first = BuildLock::acquire(&reference).await.unwrap();
        let second = tokio::spawn({
            let reference = reference.clone();
            async move { BuildLock::acquire(&reference).await }
        });
        // The second cannot have it while the first holds it.
        let waited = tokio::time::timeout(Duration::from_millis(300), async {
            while !second.is_finished() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(waited.is_err(), "the second builder got the lock too");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the second builder never got the lock")
            .unwrap();
        assert!(second.is_ok(), "{second:?}");
        let _ = std::fs::remove_file(lock_path(&reference));
    }
}
