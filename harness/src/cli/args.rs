//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::backend::{parse_skippable, parse_time_scale, BackendKind};
use crate::checks::{MetricExpectation, Traffic};
use crate::spec::ComponentKind;

/// Proves a monitoring stack works before it ships: the app is scraped by a real
/// Prometheus, its alert rules fire, a real Alertmanager delivers the notification to a
/// mock Slack webhook that records every payload, and Grafana's datasource resolves.
#[derive(Debug, Parser)]
#[command(name = "firedrill", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  firedrill verify --skip grafana\n  FIREDRILL_IMAGE_PROMETHEUS=firedrill-local/prometheus:2.42 FIREDRILL_IMAGE_ALERTMANAGER=firedrill-local/alertmanager:0.25 firedrill verify --backend docker --skip grafana\n  firedrill verify --manifests k8s/ --expect-alert HighErrorRate --traffic /hello=10\n  firedrill verify --manifests k8s/ --step 'traffic echo GET /hello x5' --step 'kill echo' --step 'expect EchoDown' --step 'restart echo' --step 'expect-resolved EchoDown'\n  firedrill render --time-scale 1\n  firedrill lint --manifests k8s/\n  firedrill up\n\nExit codes: 0 every check passed, 1 a check failed, 2 bad input or a component that cannot start, 130 interrupted (Ctrl-C)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the stack, send traffic, run every check, write the artifacts, tear down.
    Verify(VerifyArgs),
    /// Start the stack and keep it running, printing its URLs, until Ctrl-C.
    Up(StackArgs),
    /// Print the effective configs and every change made to the manifests; start nothing.
    Render(StackArgs),
    /// Replay promtool rule unit-test files live through the manifests' Prometheus,
    /// Alertmanager and a Slack mock, with promtool as the oracle (exit 0 all passed, 1 a test
    /// failed, 2 bad input).
    ///
    /// Each test gets its own Prometheus and Alertmanager, as the manifests configure them;
    /// its series reach Prometheus by remote write (nothing is scraped, so neither the app nor
    /// the scrape discovery is needed); at every eval_time the live alerts, labels and
    /// annotations must be what `promtool test rules` found, and each alert expected to fire
    /// must reach Alertmanager, be routed and delivered to Slack as Alertmanager renders it,
    /// and resolve where a later eval_time expects it gone. Time runs compressed, in scenario
    /// time: ranges, offsets, `for`, intervals and per-second values keep their meaning.
    ///
    /// Example: firedrill test --manifests k8s/ k8s/tests/*.yaml
    Test(TestArgs),
    /// Report what is wrong with the manifests, and everything `verify` would refuse before
    /// starting them on the backend; start nothing (exit 0 clean or warnings only, 2 errors).
    ///
    /// Services that select no pod or miss its ports, static targets naming no Service or
    /// none of its ports, configs, rules and templates promtool/amtool reject, Slack templates
    /// reading annotations no alert routed there has or group labels no route groups by; then
    /// what the chosen --backend cannot run (on kube: a start-up script, one name in two
    /// namespaces) and what its placement and plan refuse, all at once. `verify` runs the same
    /// steps first and stops on an error. Nothing is started, no image built, no cluster
    /// contacted.
    Lint(StackArgs),
    /// Run the seed's instrumented app (GET /hello, GET /metrics).
    EchoServer(EchoServerArgs),
    /// Run the Slack mock as a recorder the harness reads back (the kube backend runs it in
    /// the stack's namespace).
    SlackRecorder(SlackRecorderArgs),
    /// Answer STATUS to every HTTP request on each --listen address (or, with --silent,
    /// accept connections and never answer) until stopped: what the Docker and kube backends
    /// run in a component's place while a `fail NAME STATUS` step holds (and the kube
    /// backend while a `pause NAME` does).
    StandIn(StandInArgs),
}

/// `firedrill stand-in`: `--status` or `--silent`, one of them.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("reply").required(true).args(["status", "silent"])))]
pub struct StandInArgs {
    /// An address to answer on (repeatable: one per port of the component it stands in for).
    #[arg(long, value_name = "ADDR", required = true)]
    pub listen: Vec<String>,
    /// The HTTP status every request gets (400 to 599).
    #[arg(long, value_name = "STATUS", value_parser = parse_fail_status)]
    pub status: Option<u16>,
    /// Accept connections and never answer (a frozen component, a target that times out).
    #[arg(long)]
    pub silent: bool,
}

fn parse_fail_status(status: &str) -> Result<u16, String> {
    match crate::backend::Fault::fail(status)? {
        crate::backend::Fault::Fail(status) => Ok(status),
        other => Err(format!("`{status}` reads as {other}, not a status")),
    }
}

/// `firedrill slack-recorder`.
#[derive(Debug, Clone, Args)]
pub struct SlackRecorderArgs {
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8080")]
    pub listen: String,
    /// Fail as Slack does from the start (repeatable, the last holds): STATUS[xN], or
    /// slow=DURATION[xN] with DURATION as the recorder waits it.
    #[arg(long = "fail", value_name = "STATUS[xN]|slow=DURATION[xN]")]
    pub fail: Vec<crate::slack::SlackFault>,
}

/// Where the stack comes from and how it runs.
#[derive(Debug, Clone, Args)]
pub struct StackArgs {
    /// The directory of Kubernetes manifests (read recursively).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "manifests",
        env = "FIREDRILL_MANIFESTS"
    )]
    pub manifests: PathBuf,
    /// Where the stack runs: `process` (local binaries on 127.0.0.1), `docker` (the manifests'
    /// images, one container each, on a network of their own; images can be overridden with
    /// FIREDRILL_IMAGE_PROMETHEUS/_ALERTMANAGER/_GRAFANA/_APP or redirected to a mirror with
    /// FIREDRILL_IMAGE_PREFIX) or `kube` (the manifests applied to a cluster, in a namespace
    /// of the run's own; see --context).
    #[arg(long, value_name = "BACKEND", default_value = "process", env = "FIREDRILL_BACKEND", value_parser = parse_backend)]
    pub backend: BackendKind,
    /// Divide every duration (intervals, for, group_wait, ...) by N; 1 keeps the manifests' timings.
    #[arg(long, value_name = "N", default_value = "30", env = "FIREDRILL_TIME_SCALE", value_parser = parse_time_scale)]
    pub time_scale: f64,
    /// Leave a component out explicitly (only `grafana`); its checks are reported as skipped.
    #[arg(long = "skip", value_name = "COMPONENT", env = "FIREDRILL_SKIP", value_delimiter = ',', value_parser = parse_skippable)]
    pub skip: Vec<ComponentKind>,
    /// Run an app image as a local command (process backend): IMAGE=COMMAND, with {listen} and {port} placeholders.
    #[arg(long = "app-command", value_name = "IMAGE=COMMAND", value_parser = parse_app_command)]
    pub app_commands: Vec<(String, String)>,
    /// The kubeconfig context (kube backend); default: the current context.
    #[arg(long, value_name = "CONTEXT", env = "FIREDRILL_KUBE_CONTEXT")]
    pub context: Option<String>,
    /// A key of a Secret the manifests reference but do not hold (created with kubectl, by CI),
    /// its value read from FILE and never printed (repeatable, once per key).
    #[arg(long = "secret", value_name = "[NAMESPACE/]NAME:KEY=FILE")]
    pub secrets: Vec<crate::load::GivenSecret>,
    /// Keep the work dir (and containers) after the run, for debugging.
    #[arg(long, env = "FIREDRILL_KEEP", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub keep: bool,
}

/// `firedrill verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The stack.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Where to write the artifacts [default: firedrill-runs/<UTC time>].
    #[arg(long, value_name = "DIR", env = "FIREDRILL_ARTIFACTS")]
    pub artifacts: Option<PathBuf>,
    /// An alert that must fire and be delivered (repeatable) [default: the rules whose expression is constant].
    #[arg(long = "expect-alert", value_name = "NAME")]
    pub expect_alert: Vec<String>,
    /// An alert that must fire, be delivered, then resolve with the resolved message delivered (repeatable).
    #[arg(long = "expect-resolved", value_name = "NAME")]
    pub expect_resolved: Vec<String>,
    /// Requests to send (repeatable): `[APP] [METHOD] PATH [xCOUNT | RATE/s for DURATION] [header 'NAME: VALUE'] [body TEXT] [expect STATUS]`, e.g. 'echo GET /boom x20 expect 5xx', or PATH=COUNT [default: /hello=3].
    #[arg(long = "traffic", value_name = "SPEC", value_parser = parse_traffic)]
    pub traffic: Vec<Traffic>,
    /// A scenario step, in order (repeatable; replaces --traffic and --expect-*): `traffic SPEC`, `stop|kill|pause|resume|restart NAME` (a container, Deployment or Service), `fail NAME STATUS` (answers STATUS in its place until restart), `expect ALERT`, `expect-resolved ALERT`, `slack-fail STATUS[xN]|slow=DURATION[xN]`, `wait DURATION` (scenario time passes: an outage held).
    #[arg(
        long = "step",
        value_name = "STEP",
        conflicts_with_all = ["traffic", "expect_alert", "expect_resolved", "expect_metric"]
    )]
    pub steps: Vec<crate::verify::Step>,
    /// How much a metric (summed) must rise with the traffic, from right before it: NAME=INCREASE [default with the seed's app: api_request_total = requests to /hello].
    #[arg(long = "expect-metric", value_name = "NAME=INCREASE", value_parser = parse_metric)]
    pub expect_metric: Option<MetricExpectation>,
    /// Seconds added to every deadline.
    #[arg(long, value_name = "SECONDS", env = "FIREDRILL_MARGIN")]
    pub margin: Option<f64>,
    /// Make the Slack mock fail as Slack does: STATUS to every request, or STATUSxN to the
    /// next N (e.g. 500x3: Alertmanager retries a 5xx; 404: it does not); slow=DURATION[xN]
    /// answers 200 only after DURATION of scenario time (e.g. slow=2m).
    #[arg(long = "slack-fail", value_name = "STATUS[xN]|slow=DURATION[xN]")]
    pub slack_fail: Vec<crate::slack::SlackFault>,
}

/// `firedrill test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// The directory of Kubernetes manifests (read recursively).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "manifests",
        env = "FIREDRILL_MANIFESTS"
    )]
    pub manifests: PathBuf,
    /// promtool rule unit-test files (their `rule_files` name the manifests' rule files).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Where the stacks run: `process` or `docker` (see `verify --help`).
    #[arg(long, value_name = "BACKEND", default_value = "process", env = "FIREDRILL_BACKEND", value_parser = parse_backend)]
    pub backend: BackendKind,
    /// Run scenario time N times faster; it must divide every duration into whole
    /// milliseconds [default: the largest that does and keeps an evaluation 100 ms long when
    /// up to three tests a core replay at once, else 200 ms].
    #[arg(long, value_name = "N")]
    pub time_scale: Option<u32>,
    /// How many tests replay at once (as many more start meanwhile) [default: twelve a core].
    #[arg(long, value_name = "N", env = "FIREDRILL_JOBS")]
    pub jobs: Option<usize>,
    /// Write each test's artifacts (payloads, configs, logs, review page) and rule-tests.json here.
    #[arg(long, value_name = "DIR", env = "FIREDRILL_ARTIFACTS")]
    pub artifacts: Option<PathBuf>,
    /// Compare each test's Slack payloads with DIR/<test file's stem>/test-<index>.yaml; a
    /// difference fails the test with a diff.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// With --snapshots: record the snapshots that are missing or differ instead of failing.
    #[arg(long, requires = "snapshots", env = "FIREDRILL_UPDATE_SNAPSHOTS")]
    pub update_snapshots: bool,
    /// A key of a Secret the manifests reference but do not hold, from FILE (as verify takes it).
    #[arg(long = "secret", value_name = "[NAMESPACE/]NAME:KEY=FILE")]
    pub secrets: Vec<crate::load::GivenSecret>,
}

/// `firedrill echo-server`.
#[derive(Debug, Clone, Args)]
pub struct EchoServerArgs {
    /// The address to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "0.0.0.0:8081",
        env = "ECHO_SERVER_LISTEN"
    )]
    pub listen: String,
}

fn parse_backend(text: &str) -> Result<BackendKind, String> {
    text.parse()
}

fn parse_traffic(text: &str) -> Result<Traffic, String> {
    text.parse()
}

fn parse_metric(text: &str) -> Result<MetricExpectation, String> {
    text.parse()
}

fn parse_app_command(text: &str) -> Result<(String, String), String> {
    let (image, command) = text
        .split_once('=')
        .ok_or_else(|| format!("invalid app command `{text}`: expected IMAGE=COMMAND"))?;
    if image.is_empty() || command.trim().is_empty() {
        return Err(format!(
            "invalid app command `{text}`: IMAGE and COMMAND must not be empty"
        ));
    }
    Ok((image.to_string(), command.to_string()))
}
