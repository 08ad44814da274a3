//! Bad manifests are rejected before anything starts, naming file, resource and key, and
//! never panic, hang or eat the machine's memory.
//!
//! One test per directory of `fixtures/manifests/bad/<case>/`, each holding `manifests/` (what
//! `--manifests` is given), `expect.yaml` and a README. The built `firedrill` runs `verify`
//! and `lint` on the case's manifests with at most [`MEMORY_LIMIT`] of memory, killed after
//! [`RUN_LIMIT`]: both must exit with the expected code (a panic exits 101, a crash with no
//! code), `verify` saying `error: bad input in ...` and both the expected message; `lint`
//! on every backend (`--backend`), as `verify` refuses bad input before starting on any.
//!
//! `expect.yaml`:
//! - `exit`: the exit code (2: bad input, before anything starts);
//! - `message`: a substring of the message, from the file's name on (`echo-service.yaml,
//!   resource Service/echo-service, key ...: ...`), so that it names the file, and where it
//!   applies the resource and the key;
//! - `make`: what is made in a copy of `manifests/` before the run, for what git should not
//!   hold: `{file: NAME, line: TEXT, bytes: N}` writes `line` over and over up to `n` bytes;
//!   `{link: NAME, to: PATH}` a symbolic link.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rstest::rstest;
use serde::Deserialize;

/// How long one run may take before the test kills it and fails: bad input is reported in
/// well under a second.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The address space one run may take: a run that would eat gigabytes fails to allocate.
const MEMORY_LIMIT: u64 = 4 << 30;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    exit: i32,
    message: String,
    #[serde(default)]
    make: Vec<Make>,
}

/// Something made in a copy of the case's manifests before the run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, untagged)]
enum Make {
    /// A file of `line` repeated up to `bytes` bytes.
    File {
        file: String,
        line: String,
        bytes: usize,
    },
    /// A symbolic link to `to`.
    Link { link: String, to: PathBuf },
}

fn read_expect(case: &Path) -> Expect {
    let path = case.join("expect.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The case's manifests, as they are or copied into `work` with `make` applied.
fn manifests(case: &Path, make: &[Make], work: &Path) -> PathBuf {
    let source = case.join("manifests");
    if make.is_empty() {
        return source;
    }
    let dir = work.join("manifests");
    copy_tree(&source, &dir);
    for item in make {
        match item {
            Make::File { file, line, bytes } => {
                assert!(!line.is_empty(), "{}: an empty line", case.display());
                let text = line.repeat(bytes.div_ceil(line.len()));
                std::fs::write(dir.join(file), &text.as_bytes()[..*bytes]).expect("written");
            }
            Make::Link { link, to } => {
                std::os::unix::fs::symlink(to, dir.join(link)).expect("a symbolic link");
            }
        }
    }
    dir
}

/// Copies `from` (if there) to `to`: files, folders, and symbolic links as links.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("a file type");
        if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).expect("a link");
            std::os::unix::fs::symlink(link, target).expect("a symbolic link");
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copied");
        }
    }
}

/// What one run printed, and how it ended (`None`: killed by a signal or after the limit).
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `firedrill ARGS` with no input, at most [`MEMORY_LIMIT`] of memory, killed after
/// [`RUN_LIMIT`].
fn firedrill(args: &[&std::ffi::OsStr]) -> Run {
    use std::os::unix::process::CommandExt;

    let mut command = Command::new(env!("CARGO_BIN_EXE_firedrill"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let child = command.spawn().expect("the firedrill binary runs");
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(RUN_LIMIT) {
        Ok(output) => {
            let output = output.expect("waiting for firedrill");
            Run {
                code: output.status.code(),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }
        }
        Err(_) => {
            // SAFETY: kill(2) on the child's own pid, which the waiting thread has not reaped.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            Run {
                code: None,
                stdout: String::new(),
                stderr: format!("still running after {RUN_LIMIT:?}: killed"),
            }
        }
    }
}

/// Asserts one run's exit code and that its output holds `wanted`.
#[track_caller]
fn assert_run(run: &Run, expect: &Expect, wanted: &str, what: &str) {
    let transcript = format!(
        "{what} (exit {:?})\n--- stderr ---\n{}\n--- stdout ---\n{}",
        run.code, run.stderr, run.stdout
    );
    assert!(
        !run.stderr.contains("panicked"),
        "{what} panicked:\n{transcript}"
    );
    assert_eq!(run.code, Some(expect.exit), "{transcript}");
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(
        output.contains(wanted),
        "the output does not hold `{wanted}`:\n{transcript}"
    );
}

#[rstest]
fn every_case_is_refused_with_its_exit_code_and_message_and_never_panics(
    #[files("*")]
    #[base_dir = "../fixtures/manifests/bad"]
    #[dirs]
    case: PathBuf,
) {
    let expect = read_expect(&case);
    let work = tempfile::tempdir().expect("a temp dir");
    let manifests = manifests(&case, &expect.make, work.path());
    let artifacts = work.path().join("artifacts");
    let verify = firedrill(&[
        "verify".as_ref(),
        "--manifests".as_ref(),
        manifests.as_os_str(),
        "--artifacts".as_ref(),
        artifacts.as_os_str(),
    ]);
    assert_run(
        &verify,
        &expect,
        &format!("error: bad input in {}", manifests.display()),
        "verify",
    );
    assert_run(&verify, &expect, &expect.message, "verify");
    // Lint refuses it as verify does, on every backend (verify refuses it before starting
    // on any: the loader's refusal comes first).
    for backend in ["process", "docker", "kube"] {
        let lint = firedrill(&[
            "lint".as_ref(),
            "--backend".as_ref(),
            backend.as_ref(),
            "--manifests".as_ref(),
            manifests.as_os_str(),
        ]);
        assert_run(
            &lint,
            &expect,
            &expect.message,
            &format!("lint --backend {backend}"),
        );
    }
}

/// The corpus keeps its promised size, and every case is complete.
#[test]
fn there_are_at_least_25_cases_each_with_manifests_expectations_and_readme() {
    let bad = firedrill::fixtures::repository_root().join("fixtures/manifests/bad");
    let cases: Vec<PathBuf> = std::fs::read_dir(&bad)
        .unwrap_or_else(|e| panic!("reading {}: {e}", bad.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    assert!(cases.len() >= 25, "only {} cases: {cases:?}", cases.len());
    for case in cases {
        let expect = read_expect(&case);
        assert!(
            case.join("README.md").is_file()
                && (case.join("manifests").is_dir() || !expect.make.is_empty()),
            "{}: README.md or manifests/ missing",
            case.display()
        );
        assert!(
            expect.exit == 2 && !expect.message.is_empty(),
            "{}: bad input exits 2 with a message",
            case.display()
        );
    }
}
