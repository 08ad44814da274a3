//! Who owns what a run created: labels naming the run, the owning harness's host and pid,
//! and whether that owner is gone (its leftovers may then be removed at the next start).
//! Container engines and clusters label alike (`firedrill.run`, `firedrill.pid`,
//! `firedrill.host`, `firedrill.keep`).

use std::collections::HashMap;

/// The label every container and network of a run carries: the run's id.
pub(crate) const LABEL_RUN: &str = "firedrill.run";
/// The owning harness's process id.
pub(crate) const LABEL_PID: &str = "firedrill.pid";
/// The owning harness's host name (a pid means nothing on another host).
pub(crate) const LABEL_HOST: &str = "firedrill.host";
/// Present on runs kept with `FIREDRILL_KEEP=1`: the reaper leaves them alone.
pub(crate) const LABEL_KEEP: &str = "firedrill.keep";

/// A new run's name, unique on this host and across hosts: `firedrill-<pid>-<n>-<random>`
/// (a Docker run's id, a kube run's namespace).
pub(crate) fn new_run_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU32, Ordering};
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(n);
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    let random = hasher.finish() & 0xff_ffff;
    format!("firedrill-{}-{n}-{random:06x}", std::process::id())
}

/// Whether labels name a run of a harness on this host that is no longer running (and that
/// was not asked to be kept).
pub(crate) fn is_orphan(labels: Option<&HashMap<String, String>>) -> bool {
    let Some(labels) = labels else { return false };
    if labels.contains_key(LABEL_KEEP) || labels.get(LABEL_HOST) != Some(&host_name()) {
        return false;
    }
    match labels.get(LABEL_PID).and_then(|p| p.parse::<i32>().ok()) {
        Some(pid) => !process_alive(pid),
        None => false,
    }
}

pub(crate) fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let status = unsafe { libc::kill(pid, 0) };
    let exists = status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !is_zombie(pid)
}

/// A killed harness whose parent died too stays a zombie until init reaps it: dead all the same.
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after_name = stat.rsplit_once(')')?.1;
            after_name
                .split_whitespace()
                .next()
                .map(|state| state == "Z")
        })
        .unwrap_or(false)
}

/// This host's name, as the labels record it.
pub(crate) fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is passed.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return "unknown".to_string();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}
