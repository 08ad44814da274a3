//! Bad manifests are rejected before anything starts, naming file, resource and key.

use firedrill::fixtures::repository_root;
use firedrill::internal::{verify, VerifyOptions};
use firedrill::Error;
use firedrill::SilentProgress;

#[tokio::test]
async fn every_bad_manifest_directory_is_rejected_as_bad_input_before_anything_starts() {
    let bad = repository_root().join("fixtures/manifests/bad");
    let mut cases: Vec<_> = std::fs::read_dir(&bad)
        .unwrap_or_else(|e| panic!("reading {}: {e}", bad.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 8,
        "expected the bad-input cases, found {cases:?}"
    );
    for case in cases {
        let options = VerifyOptions {
            manifests: case.clone(),
            ..VerifyOptions::default()
        };
        match verify(&options, &mut SilentProgress).await {
            Err(Error::Input(error)) => {
                let text = error.to_string();
                assert!(
                    text.starts_with("bad input in ") && Error::Input(error).exit_code() == 2,
                    "{}: {text}",
                    case.display()
                );
            }
            Err(other) => panic!("{}: expected bad input, got {other}", case.display()),
            Ok(summary) => panic!(
                "{}: expected bad input, but it ran: {}",
                case.display(),
                summary.closing_line()
            ),
        }
    }
}
