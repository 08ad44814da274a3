//! The default backend: every component a child process on 127.0.0.1, in a temp dir.

mod child;
mod forward;
mod in_process;
mod launch;
mod placement;
mod ready;
mod stale;

pub use placement::ProcessPlacement;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use child::ManagedChild;

use super::discovery::{container_name, FollowedDiscovery};
use super::{Backend, Fault, Launched, LaunchedComponent, NotReady, StackHandle, StartOptions};
use crate::error::{Error, Result};
use crate::plan::{ComponentPlan, StackPlan};
use crate::slack::SlackMock;
use crate::spec::{ComponentKind, StackSpec};
use crate::tools;

/// The process backend.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProcessBackend;

impl Backend for ProcessBackend {
    type Placement = ProcessPlacement;

    fn place(&self, spec: &StackSpec, _options: &StartOptions) -> Result<ProcessPlacement> {
        ProcessPlacement::new(spec)
    }

    /// The placement holds each free port until just before the process binds it, so
    /// another program (an outgoing connection, another run) may take it in between.
    fn retries_taken_ports(&self) -> bool {
        true
    }

    fn adjust(
        &self,
        plan: &mut StackPlan,
        placement: &ProcessPlacement,
        options: &StartOptions,
    ) -> Result<()> {
        launch::apply_backend_flags(plan, placement);
        // What `lint` reports too: it runs the placement, plan and adjustment.
        launch::require_app_commands(plan, options)
    }

    async fn start_recorder(&self) -> Result<SlackMock> {
        Ok(SlackMock::start().await)
    }

    async fn launch<'a>(
        &'a self,
        plan: &'a StackPlan,
        placement: ProcessPlacement,
        components: Vec<&'a ComponentPlan>,
        _slack: &'a SlackMock,
        options: &'a StartOptions,
    ) -> Result<Launched> {
        // Every binary is found (or downloaded) before any process starts.
        let images: Vec<(tools::Component, String)> = components
            .iter()
            .filter_map(|c| Some((launch::released(c.spec.kind())?, c.spec.image.clone())))
            .collect();
        let programs = tools::resolve(&images, tools::find_installed).await?;
        start(&plan.spec, placement, components, options, &programs)
    }
}

/// One component process and how it proves it is ours.
#[derive(Debug)]
struct Component {
    child: ManagedChild,
    identity: ready::Identity,
    /// What answers at its port in its place while a `fail` fault holds.
    stand_in: Option<tokio::task::JoinHandle<()>>,
}

/// Where each planned file is on this machine, by (component, in-container path).
type DiscoveryPaths = BTreeMap<(String, String), PathBuf>;

/// The processes of a running stack and their work dir.
#[derive(Debug)]
pub(crate) struct ProcessStack {
    components: Vec<Mutex<Component>>,
    /// Each pod's own address forwarded to its containers (Kubernetes discovery), and each
    /// replicated component's port spread across its pods.
    _forwards: Option<forward::Forwarders>,
    /// The emulated Kubernetes discovery, following the pods faults stop, and where each of
    /// its files is on this machine.
    discovery: Mutex<(FollowedDiscovery, DiscoveryPaths)>,
    workdir: Option<tempfile::TempDir>,
    keep: bool,
}

impl ProcessStack {
    fn each_child(&mut self) -> impl Iterator<Item = &mut ManagedChild> {
        self.components.iter_mut().map(|c| {
            &mut c
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .child
        })
    }
}

impl StackHandle for ProcessStack {
    fn logs(&self) -> BoxFuture<'_, Vec<(String, String)>> {
        let logs = self
            .components
            .iter()
            .map(|c| {
                let c = c.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let text = std::fs::read(&c.child.log_path)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                (c.child.name.clone(), text)
            })
            .collect();
        Box::pin(async move { logs })
    }

    fn exited<'a>(&'a self, component: &'a str) -> BoxFuture<'a, String> {
        Box::pin(async move {
            loop {
                let status = self.components.iter().find_map(|c| {
                    let mut c = c.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    (c.child.name == component).then(|| c.child.alive())
                });
                match status {
                    Some(Ok(())) => tokio::time::sleep(Duration::from_millis(100)).await,
                    Some(Err(how)) => return how,
                    None => return format!("{component} is not a component of this stack"),
                }
            }
        })
    }

    fn wait_ready<'a>(
        &'a mut self,
        component: &'a LaunchedComponent,
        timeout: Duration,
    ) -> BoxFuture<'a, std::result::Result<Duration, NotReady>> {
        Box::pin(async move {
            let Some(slot) = self.components.iter_mut().find_map(|c| {
                let c = c
                    .get_mut()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                (c.child.name == component.name).then_some(c)
            }) else {
                return Err(NotReady::Exited("was never started".to_string()));
            };
            let Component {
                child, identity, ..
            } = slot;
            ready::wait_until_ours(component.kind, identity, &component.address, child, timeout)
                .await
        })
    }

    fn fault<'a>(
        &'a self,
        component: &'a str,
        fault: Fault,
    ) -> BoxFuture<'a, std::result::Result<String, String>> {
        Box::pin(async move {
            // Every pod of the component: its first keeps its name, its further replicas are
            // `component@pod`. A fault stops all of them, as on Kubernetes.
            let slots: Vec<(String, &Mutex<Component>)> = self
                .components
                .iter()
                .filter_map(|c| {
                    let name = c
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .child
                        .name
                        .clone();
                    let ours = name == component
                        || name
                            .strip_prefix(component)
                            .is_some_and(|rest| rest.starts_with('@'));
                    ours.then_some((name, c))
                })
                .collect();
            if slots.is_empty() {
                return Err(format!("{component} is not a component of this stack"));
            }
            let mut done = Vec::new();
            let names: Vec<String> = slots.iter().map(|(name, _)| name.clone()).collect();
            for (name, slot) in slots {
                done.push(fault_one(slot, &name, fault).await?);
            }
            let rewrites = {
                let mut discovery = self
                    .discovery
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let (followed, paths) = &mut *discovery;
                followed.after(&names, fault).map(|(rewrites, said)| {
                    let files: Vec<(PathBuf, String)> = rewrites
                        .into_iter()
                        .filter_map(|r| Some((paths.get(&(r.component, r.path))?.clone(), r.text)))
                        .collect();
                    (files, said)
                })
            };
            if let Some((files, said)) = rewrites {
                for (path, text) in files {
                    write_atomically(&path, &text)?;
                }
                done.push(said);
            }
            Ok(done.join("; "))
        })
    }

    fn shutdown(mut self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut children: Vec<&mut ManagedChild> = self.each_child().collect();
            for child in children.iter_mut().rev() {
                child.stop(Duration::from_secs(5)).await;
            }
        })
    }
}

impl Drop for ProcessStack {
    fn drop(&mut self) {
        for component in &mut self.components {
            let component = component
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // A stand-in answering in a component's place closes its port with the stack.
            if let Some(answering) = component.stand_in.take() {
                answering.abort();
            }
            component.child.start_kill();
        }
        if let Some(dir) = self.workdir.take() {
            if self.keep {
                stale::release(dir.path());
                let kept = dir.keep();
                eprintln!(
                    "firedrill: kept the work dir {} (FIREDRILL_KEEP); remove it with `rm -rf {}`",
                    kept.display(),
                    kept.display()
                );
            }
        }
    }
}

/// Writes the plan's files and starts every component; readiness is awaited by the caller.
/// Does `fault` to the one process in `slot`, named `component` in what it says.
async fn fault_one(
    slot: &Mutex<Component>,
    component: &str,
    fault: Fault,
) -> std::result::Result<String, String> {
    let child = || {
        slot.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    match fault {
        Fault::Fail(status) => {
            let stopped = Box::pin(fault_one(slot, component, Fault::Stop)).await?;
            let listen = child().child.listen().to_string();
            let answering = crate::backend::stand_in::answer(
                &listen,
                crate::backend::stand_in::Reply::Status(status),
            )
            .await?;
            child().stand_in = Some(answering);
            Ok(format!(
                "{stopped}; {listen} answers {status} to every request in its place"
            ))
        }
        Fault::Stop | Fault::Kill => {
            {
                let mut c = child();
                if let Err(how) = c.child.alive() {
                    return Err(format!("{component} is not running: it {how}"));
                }
                if c.child.in_process() {
                    c.child.start_kill();
                } else if fault == Fault::Kill {
                    c.child.signal(libc::SIGKILL)?;
                } else {
                    c.child.signal(libc::SIGTERM)?;
                    // A paused process takes its SIGTERM once it runs again.
                    c.child.signal(libc::SIGCONT)?;
                }
            }
            let how = match exit_within(slot, STOP_GRACE).await {
                Some(how) => how,
                None => {
                    child().child.signal(libc::SIGKILL)?;
                    exit_within(slot, STOP_GRACE)
                        .await
                        .ok_or_else(|| format!("{component} did not exit, even after SIGKILL"))?
                }
            };
            Ok(match (fault, child().child.in_process()) {
                (Fault::Kill, false) => format!("{component} killed (SIGKILL): it {how}"),
                (_, true) => {
                    format!("{component} stopped (served inside firedrill): {how}")
                }
                _ => format!("{component} stopped (SIGTERM): it {how}"),
            })
        }
        // Served inside firedrill, it has no process to freeze: it stops, and its port
        // accepts connections and answers nothing in its place, as a frozen one does.
        Fault::Pause if child().child.in_process() => {
            let stopped = Box::pin(fault_one(slot, component, Fault::Stop)).await?;
            let listen = child().child.listen().to_string();
            let answering =
                crate::backend::stand_in::answer(&listen, crate::backend::stand_in::Reply::Nothing)
                    .await?;
            child().stand_in = Some(answering);
            Ok(format!(
                "{component} paused: {stopped}; {listen} accepts connections and answers \
                 nothing in its place (it has no process of its own to SIGSTOP)"
            ))
        }
        Fault::Resume if child().child.in_process() => {
            if child().stand_in.is_none() {
                return Err(format!("{component} is not paused: nothing to resume"));
            }
            let restarted = Box::pin(fault_one(slot, component, Fault::Restart)).await?;
            Ok(format!("{component} resumed: {restarted}"))
        }
        Fault::Pause => {
            child().child.signal(libc::SIGSTOP).map_err(|e| {
                format!(
                    "{e}; to pause it, run the app as a program of its own \
                     (--app-command IMAGE=COMMAND)"
                )
            })?;
            Ok(format!(
                "{component} paused (SIGSTOP): its port accepts connections, nothing answers"
            ))
        }
        Fault::Resume => {
            child().child.signal(libc::SIGCONT)?;
            Ok(format!("{component} resumed (SIGCONT)"))
        }
        Fault::Restart => {
            // What answered in its place goes first, its port closed.
            let answering = child().stand_in.take();
            if let Some(answering) = answering {
                answering.abort();
                let _ = answering.await;
            }
            let listen = {
                let mut c = child();
                c.child.respawn()?;
                c.child.listen().to_string()
            };
            let started = Instant::now();
            loop {
                if tokio::net::TcpStream::connect(&listen).await.is_ok() {
                    break;
                }
                if let Err(how) = child().child.alive() {
                    return Err(format!("{component} did not start again: it {how}"));
                }
                if started.elapsed() > RESTART_DEADLINE {
                    return Err(format!(
                        "{component} started again but did not listen on {listen} within \
                         {} s",
                        RESTART_DEADLINE.as_secs()
                    ));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(format!(
                "{component} started again, listening on {listen} after {:.1} s",
                started.elapsed().as_secs_f64()
            ))
        }
    }
}

/// Writes `text` to `path` through a file renamed into place, so that Prometheus's file
/// discovery (watching the directory) never reads it half-written.
fn write_atomically(path: &std::path::Path, text: &str) -> std::result::Result<(), String> {
    let fresh = path.with_extension("json.firedrill-new");
    std::fs::write(&fresh, text)
        .and_then(|()| std::fs::rename(&fresh, path))
        .map_err(|e| format!("cannot rewrite the discovery file {}: {e}", path.display()))
}

/// How long a stopped component has to exit before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long a restarted component has to listen again.
const RESTART_DEADLINE: Duration = Duration::from_secs(30);

/// How the component in `slot` exited, once it has within `deadline`; `None` if it has not.
async fn exit_within(slot: &Mutex<Component>, deadline: Duration) -> Option<String> {
    let started = Instant::now();
    loop {
        let exited = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .child
            .alive()
            .err();
        if exited.is_some() || started.elapsed() >= deadline {
            return exited;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn start(
    spec: &StackSpec,
    mut placement: ProcessPlacement,
    components: Vec<&ComponentPlan>,
    options: &StartOptions,
    programs: &std::collections::BTreeMap<String, std::path::PathBuf>,
) -> Result<Launched> {
    let mut launches = Vec::new();
    let followed = FollowedDiscovery::of(spec, &components);
    let mut discovery_paths = BTreeMap::new();
    for component in components {
        let kind = component.spec.kind();
        for file in &component.files {
            let target = std::path::PathBuf::from(crate::plan::Placement::file_path(
                &placement,
                &component.spec,
                &file.path,
            ));
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            }
            std::fs::write(&target, file.content.expose())
                .map_err(|e| Error::io(format!("writing {}", target.display()), e))?;
            discovery_paths.insert((component.spec.name.clone(), file.path.clone()), target);
        }
        // Each pod of a workload running several is a process of its own; the first one is
        // the component (its name, its log, its faults), the others are named after their
        // pods.
        let pods = crate::plan::replica_pods(spec, &component.spec.pod);
        for replica in 0..placement.replicas(&component.spec.name) {
            let mut launch = launch::launch_of(component, &placement, options, programs, replica)?;
            launch.shown_args = spec.redact(&launch.args.join(" "));
            if launch.program == launch::Program::InProcessEchoServer {
                // Served with the reserved listener itself: the port is never free in between.
                launch.listener =
                    crate::backend::container_port(&component.spec).and_then(|port| {
                        placement.take_reservation(&component.spec.name, port, replica)
                    });
            }
            let name = pods.get(replica).map_or_else(
                || component.spec.name.clone(),
                |pod| container_name(&component.spec.name, replica, &pod.name),
            );
            launches.push((name, replica, kind, launch));
        }
    }

    let logs_dir = placement.workdir().join("logs");
    std::fs::create_dir_all(&logs_dir).map_err(|e| Error::io("creating the logs dir", e))?;
    placement.release_ports();

    let forwards = placement.take_forwards();
    let mut stack = ProcessStack {
        components: Vec::new(),
        _forwards: (!forwards.is_empty()).then(|| forward::Forwarders::start(forwards)),
        discovery: Mutex::new((followed, discovery_paths)),
        workdir: None,
        keep: options.keep,
    };
    let mut prometheus_started = Instant::now();
    let mut launched: Vec<LaunchedComponent> = Vec::new();
    for (name, replica, kind, launch) in &mut launches {
        if *kind == ComponentKind::Prometheus {
            prometheus_started = Instant::now();
        }
        let child = ManagedChild::spawn(name, launch, logs_dir.join(format!("{name}.log")))?;
        stack.components.push(Mutex::new(Component {
            child,
            identity: ready::Identity::of(*kind, &launch.args),
            stand_in: None,
        }));
        if *replica > 0 {
            if let Some(first) = launched.last_mut() {
                first.replicas.push(launch.listen.clone());
            }
            continue;
        }
        launched.push(LaunchedComponent {
            name: name.clone(),
            kind: *kind,
            address: launch.listen.clone(),
            probe: super::readiness_of(*kind),
            what: String::new(),
            replicas: Vec::new(),
        });
    }
    stack.workdir = Some(placement.into_workdir());
    Ok(Launched {
        handle: Box::new(stack),
        components: launched,
        prometheus_started,
    })
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::backend::seam::{start_on, Registered};
    use crate::backend::BackendKind;

    /// The process backend, but another program takes Prometheus's port between the
    /// placement and the start, on the first start only.
    #[derive(Default)]
    struct PortThief {
        stolen: Mutex<Option<TcpListener>>,
        struck: AtomicBool,
    }

    impl Registered for PortThief {
        const KIND: BackendKind = BackendKind::Process;
    }

    impl Backend for PortThief {
        type Placement = ProcessPlacement;

        fn place(&self, spec: &StackSpec, options: &StartOptions) -> Result<ProcessPlacement> {
            ProcessBackend.place(spec, options)
        }

        fn adjust(
            &self,
            plan: &mut StackPlan,
            placement: &ProcessPlacement,
            options: &StartOptions,
        ) -> Result<()> {
            ProcessBackend.adjust(plan, placement, options)
        }

        fn retries_taken_ports(&self) -> bool {
            ProcessBackend.retries_taken_ports()
        }

        async fn start_recorder(&self) -> Result<SlackMock> {
            ProcessBackend.start_recorder().await
        }

        async fn launch<'a>(
            &'a self,
            plan: &'a StackPlan,
            mut placement: ProcessPlacement,
            components: Vec<&'a ComponentPlan>,
            slack: &'a SlackMock,
            options: &'a StartOptions,
        ) -> Result<Launched> {
            if !self.struck.swap(true, Ordering::SeqCst) {
                let prometheus = plan
                    .components
                    .iter()
                    .find(|c| c.spec.kind() == ComponentKind::Prometheus)
                    .expect("the seed has Prometheus");
                let port = crate::backend::container_port(&prometheus.spec)
                    .expect("Prometheus declares its port");
                // Kept, not released: Prometheus finds the port taken.
                *self.stolen.lock().unwrap() =
                    placement.take_reservation(&prometheus.spec.name, port, 0);
            }
            ProcessBackend
                .launch(plan, placement, components, slack, options)
                .await
        }
    }

    #[tokio::test]
    async fn a_port_taken_between_placement_and_start_starts_the_stack_again_on_new_ports() {
        let spec = crate::load::load_dir(&crate::fixtures::seed_manifests()).unwrap();
        let options = StartOptions::new(BackendKind::Process).with_skip(ComponentKind::Grafana);
        let thief = PortThief::default();
        let stack = start_on(&thief, &spec, &options)
            .await
            .unwrap_or_else(|error| panic!("the second start should have run: {error}"));
        let stolen = thief
            .stolen
            .lock()
            .unwrap()
            .as_ref()
            .map(|listener| listener.local_addr().unwrap().port())
            .expect("the first start's Prometheus port was taken");
        let prometheus = &stack.endpoints().prometheus;
        assert!(
            !prometheus.ends_with(&format!(":{stolen}")),
            "Prometheus answers at {prometheus}, the port taken from it"
        );
        stack.shutdown().await;
    }
}
