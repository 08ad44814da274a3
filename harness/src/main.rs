//! The `firedrill` command: `verify` (the main job), `up`, `render`, `lint`, `echo-server`,
//! `slack-recorder`, `stand-in`. Everything is in the library's `cli` module.

fn main() -> std::process::ExitCode {
    firedrill::cli::main()
}
