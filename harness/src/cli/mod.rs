//! Command-line parsing and the subcommands.

mod args;
mod commands;

pub use args::Cli;
pub use commands::run;

/// Logs (of the harness itself) to stderr, filtered by `FIREDRILL_LOG` (default `warn`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIREDRILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
