//! The command line that runs each component as a local process.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::ProcessPlacement;
use crate::backend::StartOptions;
use crate::error::{Error, Result};
use crate::plan::{ComponentPlan, Placement, StackPlan};
use crate::secret::SecretString;
use crate::spec::{ComponentKind, EnvValue};
use crate::tools::{self, find_binary, on_path};

/// How to run an app whose image firedrill does not know.
const APP_COMMAND_HINT: &str =
    "map the app's image to a local command with `--app-command IMAGE=COMMAND`";

/// The component firedrill runs from a program of its own (installed or downloaded), for a
/// kind of container; `None` for an app.
pub(crate) fn released(kind: ComponentKind) -> Option<tools::Component> {
    match kind {
        ComponentKind::Prometheus => Some(tools::Component::Prometheus),
        ComponentKind::Alertmanager => Some(tools::Component::Alertmanager),
        ComponentKind::Grafana => Some(tools::Component::Grafana),
        ComponentKind::App => None,
    }
}

/// What runs a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Program {
    /// An executable, run as a child process.
    Executable(PathBuf),
    /// The seed's app, served on a thread of firedrill's own (no executable needed).
    InProcessEchoServer,
}

/// A component's program, arguments and environment.
#[derive(Debug)]
pub(crate) struct Launch {
    pub(crate) program: Program,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, EnvValue)>,
    /// Where the component listens, `127.0.0.1:PORT`.
    pub(crate) listen: String,
    /// The reserved listener itself, for a component served inside firedrill.
    pub(crate) listener: Option<std::net::TcpListener>,
    /// The args as the log shows them: redacted of the manifests' secrets (an arg may hold a
    /// Secret's value, by `$(VAR)` or a start-up script).
    pub(crate) shown_args: String,
}

pub use crate::spec::ECHO_SERVER_IMAGE;

/// The flags the process backend sets itself on a component: where it listens, where it
/// stores data (in the work dir), and, for Alertmanager, no clustering (stacks running at
/// once must not find each other).
pub(crate) fn backend_flags(
    component: &ComponentPlan,
    placement: &ProcessPlacement,
) -> Vec<(&'static str, String)> {
    let spec = &component.spec;
    let Some(port) = crate::backend::container_port(spec) else {
        return Vec::new();
    };
    let Some(host_port) = placement.host_port(&spec.name, port) else {
        return Vec::new();
    };
    let listen = format!("127.0.0.1:{host_port}");
    let data_dir = data_dir(placement, &spec.name)
        .to_string_lossy()
        .into_owned();
    match spec.kind() {
        ComponentKind::Prometheus => vec![
            ("--web.listen-address", listen),
            ("--storage.tsdb.path", data_dir),
        ],
        ComponentKind::Alertmanager => vec![
            ("--web.listen-address", listen),
            ("--storage.path", data_dir),
            ("--cluster.listen-address", String::new()),
        ],
        ComponentKind::Grafana | ComponentKind::App => Vec::new(),
    }
}

/// Applies [`backend_flags`] to every component's args, each listed as a change.
pub(crate) fn apply_backend_flags(plan: &mut StackPlan, placement: &ProcessPlacement) {
    crate::backend::flags::apply_overrides(plan, |component| backend_flags(component, placement));
}

fn data_dir(placement: &ProcessPlacement, component: &str) -> PathBuf {
    placement.workdir().join(component).join("data")
}

/// How to run pod `replica` (0 for the first) of a component whose args the plan already
/// holds (see [`apply_backend_flags`]), with the programs [`tools::resolve`] found for the
/// images (PATH otherwise).
pub(crate) fn launch_of(
    component: &ComponentPlan,
    placement: &ProcessPlacement,
    options: &StartOptions,
    programs: &BTreeMap<String, PathBuf>,
    replica: usize,
) -> Result<Launch> {
    let spec = &component.spec;
    let port = crate::backend::container_port(spec).ok_or_else(|| {
        Error::start(
            &spec.name,
            "the container declares no containerPort",
            format!(
                "add `ports: [{{containerPort: N}}]` to container {} in {}",
                spec.origin.key.as_deref().unwrap_or(&spec.name),
                spec.origin.file.display()
            ),
        )
    })?;
    let host_port = placement
        .listen_port(&spec.name, port, replica)
        .expect("the placement reserved every container port of every pod");
    let listen = format!("127.0.0.1:{host_port}");
    let data_dir = data_dir(placement, &spec.name);
    let mut env: Vec<(String, EnvValue)> = spec
        .env
        .iter()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect();

    let program_of = |kind: tools::Component| match programs.get(&spec.image) {
        Some(program) => Ok(program.clone()),
        None => find_binary(kind),
    };
    let (program, args) = match spec.kind() {
        ComponentKind::Prometheus => (
            Program::Executable(program_of(tools::Component::Prometheus)?),
            component.args.clone(),
        ),
        ComponentKind::Alertmanager => (
            Program::Executable(program_of(tools::Component::Alertmanager)?),
            component.args.clone(),
        ),
        ComponentKind::Grafana => {
            let program = program_of(tools::Component::Grafana)?;
            let home = grafana_home(&program)?;
            let grafana = match &spec.config {
                crate::spec::ComponentConfig::Grafana(g) => g,
                _ => unreachable!("a grafana component has a grafana config"),
            };
            let provisioning = grafana
                .datasources_dir
                .trim_end_matches('/')
                .trim_end_matches("/datasources")
                .to_string();
            let server_subcommand = program.file_name().and_then(|n| n.to_str()) == Some("grafana");
            let mut args = Vec::new();
            if server_subcommand {
                args.push("server".to_string());
            }
            args.push(format!("--homepath={}", home.display()));
            args.extend(component.args.iter().cloned());
            let plain = |v: String| EnvValue::Plain(v);
            env.extend([
                ("GF_SERVER_HTTP_ADDR".to_string(), plain("127.0.0.1".into())),
                (
                    "GF_SERVER_HTTP_PORT".to_string(),
                    plain(host_port.to_string()),
                ),
                (
                    "GF_PATHS_DATA".to_string(),
                    plain(data_dir.to_string_lossy().into_owned()),
                ),
                (
                    "GF_PATHS_LOGS".to_string(),
                    plain(data_dir.join("log").to_string_lossy().into_owned()),
                ),
                (
                    "GF_PATHS_PLUGINS".to_string(),
                    plain(data_dir.join("plugins").to_string_lossy().into_owned()),
                ),
                (
                    "GF_PATHS_PROVISIONING".to_string(),
                    plain(placement.file_path(spec, &provisioning)),
                ),
                (
                    "GF_ANALYTICS_REPORTING_ENABLED".to_string(),
                    plain("false".into()),
                ),
                (
                    "GF_ANALYTICS_CHECK_FOR_UPDATES".to_string(),
                    plain("false".into()),
                ),
            ]);
            (Program::Executable(program), args)
        }
        ComponentKind::App => app_command(&spec.image, &spec.name, &listen, host_port, options)?,
    };
    Ok(Launch {
        program,
        args,
        env,
        listen,
        listener: None,
        shown_args: String::new(),
    })
}

/// Refuses, before anything starts, an app this backend cannot run: an image with no
/// `--app-command` (other than the seed's), a command that is empty or not on PATH.
pub(super) fn require_app_commands(plan: &StackPlan, options: &StartOptions) -> Result<()> {
    for component in &plan.components {
        let spec = &component.spec;
        if spec.kind() == ComponentKind::App && !options.skips(ComponentKind::App) {
            app_command(&spec.image, &spec.name, "127.0.0.1:0", 0, options)?;
        }
    }
    Ok(())
}

/// How the app of `image` runs: the user's `--app-command` for it, else the seed's app inside
/// firedrill for `echo_server:latest`.
fn app_command(
    image: &str,
    name: &str,
    listen: &str,
    port: u16,
    options: &StartOptions,
) -> Result<(Program, Vec<String>)> {
    if let Some(command) = options.app_commands.get(image) {
        let expanded = command
            .replace("{listen}", listen)
            .replace("{port}", &port.to_string());
        let mut words = expanded.split_whitespace().map(str::to_string);
        let program = words.next().ok_or_else(|| {
            Error::start(
                name,
                format!("the command for image {image} is empty"),
                APP_COMMAND_HINT,
            )
        })?;
        let program = if program.contains('/') {
            // Relative to where firedrill was started, as the user wrote it (the app itself
            // runs in a work dir of its own).
            std::path::absolute(&program).unwrap_or_else(|_| PathBuf::from(&program))
        } else {
            on_path(&program).ok_or_else(|| {
                Error::start(
                    name,
                    format!("`{program}` (the command for image {image}) is not on PATH"),
                    APP_COMMAND_HINT,
                )
            })?
        };
        return Ok((Program::Executable(program), words.collect()));
    }
    if image == ECHO_SERVER_IMAGE {
        return Ok((Program::InProcessEchoServer, Vec::new()));
    }
    Err(Error::start(
        name,
        format!("the process backend does not know how to run image `{image}`"),
        format!(
            "map it to a local command with `--app-command '{image}=/path/to/app --listen {{listen}}'` ({{listen}} is 127.0.0.1:PORT, {{port}} the port), or use the docker backend"
        ),
    ))
}

/// Grafana's home (its `public/` and `conf/`): `FIREDRILL_GRAFANA_HOMEPATH`, else the
/// directory above the binary's `bin/`, else `/usr/share/grafana`.
fn grafana_home(program: &std::path::Path) -> Result<PathBuf> {
    if let Ok(home) = std::env::var("FIREDRILL_GRAFANA_HOMEPATH") {
        return Ok(PathBuf::from(home));
    }
    let beside = program
        .canonicalize()
        .ok()
        .and_then(|p| p.parent()?.parent().map(|d| d.to_path_buf()));
    beside
        .into_iter()
        .chain([PathBuf::from("/usr/share/grafana")])
        .find(|dir| dir.join("conf").join("defaults.ini").is_file())
        .ok_or_else(|| {
            Error::start(
                "grafana",
                "grafana's home (the directory holding conf/defaults.ini) was not found",
                "set FIREDRILL_GRAFANA_HOMEPATH to it",
            )
        })
}

/// A secret env var never reaches a log: only its name is shown.
pub(crate) fn describe_env(env: &[(String, EnvValue)]) -> String {
    env.iter()
        .map(|(name, value)| match value {
            EnvValue::Plain(v) => format!("{name}={v}"),
            EnvValue::Secret(_) => format!("{name}={}", SecretString::REDACTED),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::seed_manifests;
    use crate::load::load_dir;
    use crate::plan::{plan, PlanOptions};

    /// A stand-in grafana install: an executable `bin/grafana-server` and `conf/defaults.ini`.
    fn fake_grafana_install() -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("bin")).unwrap();
        std::fs::create_dir_all(home.path().join("conf")).unwrap();
        std::fs::write(home.path().join("conf/defaults.ini"), "").unwrap();
        let bin = home.path().join("bin/grafana-server");
        std::fs::write(&bin, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    #[test]
    fn grafana_runs_with_the_provisioning_dir_port_and_credentials_of_the_manifests() {
        let home = fake_grafana_install();
        let spec = load_dir(&seed_manifests()).unwrap();
        let placement = ProcessPlacement::new(&spec).unwrap();
        let stack_plan = plan(&spec, &placement, 1, PlanOptions::default());
        let grafana = stack_plan.component("grafana").unwrap().clone();
        let programs = BTreeMap::from([(
            grafana.spec.image.clone(),
            home.path().join("bin/grafana-server"),
        )]);
        let launch =
            launch_of(&grafana, &placement, &StartOptions::default(), &programs, 0).unwrap();

        let port = placement
            .host_port("grafana", 3000)
            .expect("grafana's default port is reserved");
        assert_eq!(launch.listen, format!("127.0.0.1:{port}"));
        assert_eq!(
            launch.args,
            vec![format!(
                "--homepath={}",
                home.path().canonicalize().unwrap().display()
            )]
        );
        let env = |name: &str| {
            launch
                .env
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            env("GF_SERVER_HTTP_PORT").map(|v| v.expose().to_string()),
            Some(port.to_string())
        );
        let provisioning = env("GF_PATHS_PROVISIONING").unwrap();
        assert!(
            provisioning
                .expose()
                .ends_with("/grafana/root/etc/grafana/provisioning"),
            "{provisioning:?}"
        );
        assert!(matches!(
            env("GF_SECURITY_ADMIN_PASSWORD"),
            Some(EnvValue::Secret(_))
        ));
        let shown = describe_env(&launch.env);
        assert!(
            shown.contains("GF_SECURITY_ADMIN_PASSWORD=<redacted>")
                && shown.contains("GF_SECURITY_ADMIN_USER="),
            "{shown}"
        );
    }

    #[test]
    fn an_unknown_app_image_says_how_to_map_it_to_a_command() {
        let err = app_command(
            "registry.local/shop:1.2",
            "shop",
            "127.0.0.1:1",
            1,
            &StartOptions::default(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("--app-command 'registry.local/shop:1.2=")
                && text.contains("docker backend"),
            "{text}"
        );
    }

    #[test]
    fn the_seeds_app_runs_inside_firedrill_unless_a_command_is_given_for_it() {
        let (program, args) = app_command(
            ECHO_SERVER_IMAGE,
            "echo",
            "127.0.0.1:1",
            1,
            &StartOptions::default(),
        )
        .unwrap();
        assert_eq!((program, args), (Program::InProcessEchoServer, Vec::new()));

        let options = StartOptions::default()
            .with_app_command(ECHO_SERVER_IMAGE, "/opt/echo --listen {listen}");
        let (program, args) =
            app_command(ECHO_SERVER_IMAGE, "echo", "127.0.0.1:7", 7, &options).unwrap();
        assert_eq!(program, Program::Executable("/opt/echo".into()));
        assert_eq!(args, vec!["--listen", "127.0.0.1:7"]);
    }

    #[test]
    fn an_app_command_expands_listen_and_port() {
        let options = StartOptions::default().with_app_command("shop:1", "sh -c {listen}/{port}");
        let (program, args) =
            app_command("shop:1", "shop", "127.0.0.1:4242", 4242, &options).unwrap();
        assert!(
            matches!(&program, Program::Executable(p) if p.ends_with("sh")),
            "{program:?}"
        );
        assert_eq!(args, vec!["-c", "127.0.0.1:4242/4242"]);
    }
}
