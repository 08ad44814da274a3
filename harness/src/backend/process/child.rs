//! A child process that logs to a file and dies with its owner.

use std::fs::File;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use super::launch::Launch;
use crate::error::{Error, Result};

/// A running component process. Killed on drop.
#[derive(Debug)]
pub(crate) struct ManagedChild {
    pub(crate) name: String,
    pub(crate) child: tokio::process::Child,
    pub(crate) log_path: PathBuf,
}

impl ManagedChild {
    /// Spawns `launch` with stdout and stderr appended to `log_path`. On Linux the child gets
    /// SIGKILL when the thread that spawned it dies, so a killed harness leaves nothing behind.
    pub(crate) fn spawn(name: &str, launch: &Launch, log_path: PathBuf) -> Result<Self> {
        let log = File::create(&log_path)
            .map_err(|e| Error::io(format!("creating {}", log_path.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| Error::io("duplicating a log handle", e))?;
        let mut command = tokio::process::Command::new(&launch.program);
        command
            .args(&launch.args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        if let Some(dir) = log_path.parent() {
            command.current_dir(dir);
        }
        for (key, value) in &launch.env {
            command.env(key, value.expose());
        }
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| {
            Error::start(
                name,
                format!("could not run {}: {e}", launch.program.display()),
                "check that the binary exists and is executable",
            )
        })?;
        tracing::debug!(component = name, program = %launch.program.display(), args = ?launch.args, env = %super::launch::describe_env(&launch.env), "started");
        Ok(Self {
            name: name.to_string(),
            child,
            log_path,
        })
    }

    /// `Err(reason)` once the process has exited.
    pub(crate) fn alive(&mut self) -> std::result::Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("exited with {status}")),
            Err(e) => Err(format!("could not be waited on: {e}")),
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub(crate) async fn stop(&mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            // SAFETY: sending a signal to our own child's pid.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}
