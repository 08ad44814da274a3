//! A component that logs to a file and dies with its owner: a child process, or the seed's
//! app served inside firedrill.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use super::in_process::InProcessApp;
use super::launch::{Launch, Program};
use crate::error::{Error, Result};

/// A running component. Killed (or stopped) on drop.
#[derive(Debug)]
pub(crate) struct ManagedChild {
    pub(crate) name: String,
    pub(crate) log_path: PathBuf,
    running: Running,
    /// How it was started, to start it again (a restart after a fault).
    launch: Launch,
}

/// How a component runs.
#[derive(Debug)]
enum Running {
    Process(tokio::process::Child),
    InProcess(InProcessApp),
}

impl ManagedChild {
    /// Starts `launch` with its log in `log_path`: a program is spawned with stdout and stderr
    /// appended there, and on Linux gets SIGKILL when the thread that spawned it dies, so a
    /// killed harness leaves nothing behind; the in-process app is served on a thread.
    pub(crate) fn spawn(name: &str, launch: &mut Launch, log_path: PathBuf) -> Result<Self> {
        let running = Self::run(name, launch, &log_path, false)?;
        Ok(Self {
            name: name.to_string(),
            log_path,
            running,
            launch: Launch {
                program: launch.program.clone(),
                args: launch.args.clone(),
                env: launch.env.clone(),
                listen: launch.listen.clone(),
                listener: None,
                shown_args: launch.shown_args.clone(),
            },
        })
    }

    /// Starts the component again as it was first started, its log appended to, once it has
    /// exited (after a stop or a kill).
    pub(crate) fn respawn(&mut self) -> std::result::Result<(), String> {
        if self.alive().is_ok() {
            return Err(format!(
                "{} is still running: stop or kill it first (a paused one is resumed)",
                self.name
            ));
        }
        self.running = Self::run(&self.name, &mut self.launch, &self.log_path, true)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Where the component listens (`127.0.0.1:PORT`).
    pub(crate) fn listen(&self) -> &str {
        &self.launch.listen
    }

    /// Whether it is the seed's app served inside firedrill (no process of its own).
    pub(crate) fn in_process(&self) -> bool {
        matches!(self.running, Running::InProcess(_))
    }

    /// Sends `signal` to the child process; `Err` for the app served inside firedrill, or
    /// once the child is gone.
    pub(crate) fn signal(&mut self, signal: libc::c_int) -> std::result::Result<(), String> {
        match &self.running {
            Running::InProcess(_) => Err(format!(
                "{} is the seed's app served inside firedrill, which has no process to signal",
                self.name
            )),
            Running::Process(child) => {
                let pid = child
                    .id()
                    .ok_or_else(|| format!("{} has already exited", self.name))?;
                // SAFETY: sending a signal to our own child's pid, which is not reaped yet.
                let sent = unsafe { libc::kill(pid as libc::pid_t, signal) };
                if sent == 0 {
                    Ok(())
                } else {
                    Err(format!(
                        "signalling {}: {}",
                        self.name,
                        std::io::Error::last_os_error()
                    ))
                }
            }
        }
    }

    fn run(
        name: &str,
        launch: &mut Launch,
        log_path: &std::path::Path,
        append: bool,
    ) -> Result<Running> {
        let program = match &launch.program {
            Program::Executable(program) => program,
            Program::InProcessEchoServer => {
                let app = InProcessApp::start(
                    name,
                    &launch.listen,
                    launch.listener.take(),
                    log_path,
                    append,
                )?;
                tracing::debug!(component = name, listen = %launch.listen, "started inside firedrill");
                return Ok(Running::InProcess(app));
            }
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(log_path)
            .map_err(|e| Error::io(format!("creating {}", log_path.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| Error::io("duplicating a log handle", e))?;
        let mut command = tokio::process::Command::new(program);
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
                format!("could not run {}: {e}", program.display()),
                "check that the binary exists and is executable",
            )
        })?;
        tracing::debug!(component = name, program = %program.display(), args = %launch.shown_args, env = %super::launch::describe_env(&launch.env), "started");
        Ok(Running::Process(child))
    }

    /// The process holding the component's listener: the child's pid, or firedrill's own for
    /// the in-process app; `None` once a child has been reaped.
    pub(crate) fn pid(&self) -> Option<u32> {
        match &self.running {
            Running::Process(child) => child.id(),
            Running::InProcess(_) => Some(std::process::id()),
        }
    }

    /// `Err(reason)` once the component has exited.
    pub(crate) fn alive(&mut self) -> std::result::Result<(), String> {
        match &mut self.running {
            Running::Process(child) => match child.try_wait() {
                Ok(None) => Ok(()),
                Ok(Some(status)) => Err(format!("exited with {status}")),
                Err(e) => Err(format!("could not be waited on: {e}")),
            },
            Running::InProcess(app) => app.alive(),
        }
    }

    /// Starts killing the component without waiting (for `Drop`).
    pub(crate) fn start_kill(&mut self) {
        match &mut self.running {
            Running::Process(child) => {
                let _ = child.start_kill();
            }
            Running::InProcess(app) => app.signal_stop(),
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; the in-process app is asked
    /// to stop and given `grace` to finish.
    pub(crate) async fn stop(&mut self, grace: Duration) {
        let child = match &mut self.running {
            Running::Process(child) => child,
            Running::InProcess(app) => return app.stop(grace).await,
        };
        if let Some(pid) = child.id() {
            // SAFETY: sending a signal to our own child's pid.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
            if tokio::time::timeout(grace, child.wait()).await.is_ok() {
                return;
            }
        }
        let _ = child.kill().await;
    }

    /// Waits for a child process to exit (tests).
    #[cfg(test)]
    pub(crate) async fn wait(&mut self) {
        if let Running::Process(child) = &mut self.running {
            let _ = child.wait().await;
        }
    }
}
