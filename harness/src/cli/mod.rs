//! The `firedrill` command: parsing, the subcommands, the exit code. Lives in the library
//! (behind the `cli` feature) so that the command uses the library's internals without making
//! them public; `src/main.rs` only calls [`main`].

mod args;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use args::Cli;
use commands::run;

/// Runs the `firedrill` command with the process's arguments; the exit code is the run's.
pub fn main() -> ExitCode {
    let args = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(run(args));
    ExitCode::from(code as u8)
}

/// Logs (of the harness itself) to stderr, filtered by `FIREDRILL_LOG` (default `warn`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIREDRILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
