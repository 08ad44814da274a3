//! What each subcommand does.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::backend::{self, StartOptions};
use crate::checks::StderrProgress;
use crate::error::Error;
use crate::load::load_dir_given;
use crate::plan::format_changes;
use crate::secret::redact_secret_keys;
use crate::spec::FileContent;
use crate::time::format_timestamp;
use crate::verify::VerifyOptions;

use super::args::{
    Cli, Command, EchoServerArgs, SlackRecorderArgs, StackArgs, StandInArgs, TestArgs, VerifyArgs,
};

/// Runs the command; returns the exit code.
pub async fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Verify(args) => verify_command(args).await,
        Command::Up(args) => up_command(args).await,
        Command::Render(args) => render_command(args),
        Command::Lint(args) => Ok(lint_command(args)),
        Command::Test(args) => test_command(args).await,
        Command::EchoServer(args) => echo_server_command(args).await,
        Command::SlackRecorder(args) => slack_recorder_command(args).await,
        Command::StandIn(args) => stand_in_command(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn start_options(args: &StackArgs) -> StartOptions {
    let mut options = StartOptions::new(args.backend)
        .with_time_scale(args.time_scale)
        .with_keep(args.keep)
        .with_context(args.context.clone());
    for kind in &args.skip {
        options = options.with_skip(*kind);
    }
    for (image, command) in &args.app_commands {
        options = options.with_app_command(image, command);
    }
    for secret in &args.secrets {
        options = options.with_secret(secret.clone());
    }
    options
}

async fn test_command(args: TestArgs) -> Result<i32, Error> {
    let mut options = StartOptions::new(args.backend);
    for secret in &args.secrets {
        options = options.with_secret(secret.clone());
    }
    let mut tests = crate::replay::RuleTests::new(&args.manifests).with_options(options);
    // One run in this process: it has the machine to itself (`--jobs`, `FIREDRILL_JOBS`, else
    // twelve tests a core).
    tests = tests.with_jobs(args.jobs.unwrap_or_else(crate::replay::machine_jobs));
    for file in &args.files {
        tests = tests.with_file(file);
    }
    if let Some(scale) = args.time_scale {
        tests = tests.with_time_scale(scale);
    }
    if let Some(dir) = &args.artifacts {
        tests = tests.with_artifacts(dir);
    }
    if let Some(dir) = &args.snapshots {
        tests = tests.with_snapshots(dir);
        if args.update_snapshots {
            tests = tests.with_snapshot_update();
        }
    }
    let mut progress = StderrProgress;
    let report = tokio::select! {
        report = tests.run_with_progress(&mut progress) => report?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("firedrill: interrupted; every test's stack was stopped and cleaned up");
            return Ok(130);
        }
    };
    let (_, failed) = report.totals();
    if let Some(line) = report.to_string().lines().last() {
        println!("{line}");
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

async fn verify_command(args: VerifyArgs) -> Result<i32, Error> {
    // A directory of its own, claimed before anything starts (also when another run started
    // in the same millisecond).
    let artifacts = match args.artifacts.clone() {
        Some(dir) => dir,
        None => crate::report::claim_run_dir(
            Path::new("firedrill-runs"),
            &format_timestamp(SystemTime::now()).replace(':', "-"),
        )?,
    };
    let options = VerifyOptions {
        manifests: args.stack.manifests.clone(),
        start: start_options(&args.stack),
        traffic: args.traffic.clone(),
        alerts: args.expect_alert.clone(),
        resolved: args.expect_resolved.clone(),
        metric: args.expect_metric.clone(),
        artifacts: Some(artifacts.clone()),
        slack_faults: args.slack_fail.clone(),
        steps: args.steps.clone(),
        margin: match args.margin {
            Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(Error::Input(crate::error::InputError::new(
                    "--margin",
                    format!("invalid margin {s}: expected seconds ≥ 0"),
                )))
            }
            None => None,
        },
    };
    let mut progress = StderrProgress;
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let Some(summary) = crate::verify::verify_until(&options, &mut progress, interrupt).await?
    else {
        eprintln!("firedrill: interrupted while the stack started; it was stopped and cleaned up");
        return Ok(130);
    };
    if summary.interrupted {
        eprintln!(
            "firedrill: interrupted; the checks that ended and the rest as not run are in {}, \
             and the stack was stopped and cleaned up",
            artifacts.display()
        );
    }
    for component in &summary.skipped_components {
        eprintln!(
            "firedrill: skipped {}: {}",
            component.kind, component.reason
        );
    }
    eprintln!(
        "firedrill: {} in {:.1} s (stack start {:.1} s)",
        if summary.interrupted {
            "verification interrupted"
        } else if summary.all_passed() {
            "verified"
        } else {
            "verification FAILED"
        },
        summary.wall_ms as f64 / 1000.0,
        summary.stack_start_ms as f64 / 1000.0
    );
    println!("firedrill: {}", summary.closing_line());
    let review = crate::report::review_path(&artifacts);
    if review.is_file() {
        println!(
            "firedrill: review the notifications in {}",
            review.display()
        );
    }
    Ok(summary.exit_code())
}

async fn up_command(args: StackArgs) -> Result<i32, Error> {
    let spec = load_dir_given(&args.manifests, &args.secrets)?;
    let options = start_options(&args);
    eprintln!(
        "firedrill: starting the stack from {} on the {} backend",
        args.manifests.display(),
        args.backend
    );
    let stack = backend::start(&spec, &options).await?;
    let endpoints = stack.endpoints();
    println!("prometheus    {}", endpoints.prometheus);
    println!("alertmanager  {}", endpoints.alertmanager);
    match &endpoints.grafana {
        Some(url) => println!("grafana       {url}"),
        None => println!("grafana       (skipped)"),
    }
    for app in &endpoints.apps {
        println!("{:<13} {}", app.name, app.url);
    }
    println!("slack mock    {}", stack.slack().uri());
    eprintln!("firedrill: running; press Ctrl-C to stop and clean up");
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("firedrill: stopping");
    stack.shutdown().await;
    Ok(0)
}

fn render_command(args: StackArgs) -> Result<i32, Error> {
    let spec = load_dir_given(&args.manifests, &args.secrets)?;
    let options = start_options(&args);
    if let Some((yaml, plan)) = backend::render_manifests(&spec, &options)? {
        print!("{yaml}");
        println!("### changes ({})", plan.changes.len());
        print!("{}", format_changes(&plan.changes));
        return Ok(0);
    }
    let plan = backend::render(&spec, &options)?;
    for component in &plan.components {
        println!("### {} ({})", component.spec.name, component.spec.image);
        // An arg may hold a Secret's value (`$(VAR)` from a `secretKeyRef`, a start-up
        // script's final command).
        println!("args: {}", spec.redact(&component.args.join(" ")));
        for file in &component.files {
            let text = match &file.content {
                FileContent::Plain(text) => text.clone(),
                FileContent::Secret(secret) => redact_secret_keys(secret.expose()),
            };
            println!("--- {}", file.path);
            println!("{}", spec.redact(text.trim_end()));
        }
        println!();
    }
    println!("### changes ({})", plan.changes.len());
    print!("{}", format_changes(&plan.changes));
    Ok(0)
}

fn lint_command(args: StackArgs) -> i32 {
    let findings = crate::stack::StackBuilder::new(&args.manifests)
        .with_options(start_options(&args))
        .lint();
    for finding in &findings {
        println!("{finding}");
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let warnings = findings.len() - errors;
    println!(
        "firedrill: lint of {}: {errors} error{}, {warnings} warning{}",
        args.manifests.display(),
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    );
    if errors > 0 {
        2
    } else {
        0
    }
}

async fn echo_server_command(args: EchoServerArgs) -> Result<i32, Error> {
    match echo_server::run(&args.listen).await {
        Ok(()) => Ok(0),
        Err(e) => Err(Error::start(
            "echo-server",
            format!("cannot serve on {}: {e}", args.listen),
            "choose another --listen address",
        )),
    }
}

async fn slack_recorder_command(args: SlackRecorderArgs) -> Result<i32, Error> {
    let listener = std::net::TcpListener::bind(&args.listen).map_err(|e| {
        Error::start(
            "slack-recorder",
            format!("cannot listen on {}: {e}", args.listen),
            "choose another --listen address",
        )
    })?;
    let recorder = crate::slack::SlackMock::start_on(listener).await;
    for fault in &args.fail {
        recorder
            .fail_next(*fault)
            .await
            .map_err(|e| Error::start("slack-recorder", e, "report this as a bug"))?;
    }
    eprintln!("firedrill: slack recorder listening on {}", args.listen);
    until_stopped().await?;
    eprintln!(
        "firedrill: slack recorder stopping after {} requests",
        recorder.messages().await.len()
    );
    Ok(0)
}

async fn stand_in_command(args: StandInArgs) -> Result<i32, Error> {
    use backend::stand_in::Reply;
    let reply = args.status.map_or(Reply::Nothing, Reply::Status);
    let mut answering = Vec::new();
    for listen in &args.listen {
        let task = backend::stand_in::answer(listen, reply)
            .await
            .map_err(|e| Error::start("stand-in", e, "choose another --listen address"))?;
        answering.push(task);
    }
    eprintln!(
        "firedrill: standing in, set to {reply} on {}",
        args.listen.join(", ")
    );
    until_stopped().await?;
    for task in answering {
        task.abort();
    }
    Ok(0)
}

/// Resolves at Ctrl-C or SIGTERM (how a container or pod is stopped).
async fn until_stopped() -> Result<(), Error> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::io("installing the SIGTERM handler", e))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}
