//! Work dirs left behind by a harness that was killed (SIGKILL gives no chance to clean up):
//! each records its owner's pid, and the next run removes those whose owner is gone.

use std::path::Path;

/// The file naming the process that owns a work dir.
pub(crate) const OWNER_FILE: &str = "owner.pid";

/// Records this process as the owner of `workdir`.
pub(crate) fn claim(workdir: &Path) -> std::io::Result<()> {
    std::fs::write(workdir.join(OWNER_FILE), std::process::id().to_string())
}

/// Gives a kept work dir up: it is no longer reaped.
pub(crate) fn release(workdir: &Path) {
    let _ = std::fs::remove_file(workdir.join(OWNER_FILE));
}

/// Removes `firedrill-*` work dirs under `parent` whose owner process no longer runs.
pub(crate) fn reap_stale_workdirs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("firedrill-"));
        if !is_ours {
            continue;
        }
        let Ok(owner) = std::fs::read_to_string(path.join(OWNER_FILE)) else {
            continue;
        };
        let Ok(pid) = owner.trim().parse::<i32>() else {
            continue;
        };
        if !process_runs(pid) {
            tracing::info!(dir = %path.display(), pid, "removing a work dir its dead owner left behind");
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn process_runs(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_work_dir_whose_owner_died_is_removed_and_a_live_ones_kept() {
        let parent = tempfile::tempdir().unwrap();
        let dead = parent.path().join("firedrill-dead");
        let live = parent.path().join("firedrill-live");
        let kept = parent.path().join("firedrill-kept");
        for dir in [&dead, &live, &kept] {
            std::fs::create_dir(dir).unwrap();
        }
        // pid_max on Linux is at most 2^22, so this pid cannot run.
        std::fs::write(dead.join(OWNER_FILE), "99999999").unwrap();
        claim(&live).unwrap();
        reap_stale_workdirs(parent.path());
        assert!(!dead.exists(), "the dead owner's dir should be gone");
        assert!(
            live.exists() && kept.exists(),
            "live and unowned dirs must stay"
        );
    }
}
