use super::{errors, repository, seed_copy, tools_installed};
use crate::lint::{lint, lint_dir};
use crate::load::load_dir;

#[test]
fn the_seed_and_its_variants_lint_clean() {
    for dir in [
        "manifests",
        "fixtures/manifests/renamed",
        "fixtures/manifests/projected",
        "fixtures/manifests/no-grafana",
    ] {
        let findings = lint_dir(&repository().join(dir));
        assert!(errors(&findings).is_empty(), "{dir}: {findings:#?}");
        if tools_installed() {
            assert!(findings.is_empty(), "{dir}: {findings:#?}");
        }
    }
}

#[test]
fn the_seed_with_its_config_as_plain_text_lints_clean_too() {
    let dir = seed_copy();
    let findings = lint_dir(dir.path());
    assert!(errors(&findings).is_empty(), "{findings:#?}");
}

#[test]
fn a_loaded_stack_is_linted_from_what_the_loader_read_not_the_directory_read_again() {
    let mut spec = load_dir(&repository().join("manifests")).expect("the seed loads");
    spec.dir = repository().join("no-such-directory");
    let findings = lint(&spec);
    assert!(errors(&findings).is_empty(), "{findings:#?}");
    if tools_installed() {
        assert!(findings.is_empty(), "{findings:#?}");
    }
}

#[test]
fn a_manifest_the_loader_rejects_is_one_error_finding_with_its_file_resource_and_key() {
    let findings =
        lint_dir(&repository().join("fixtures/manifests/bad/undefined-receiver/manifests"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = &findings[0];
    assert!(
        finding.file.ends_with("alertmanager-secret.yaml"),
        "{finding}"
    );
    assert_eq!(
        finding.resource.as_deref(),
        Some("Secret/alertmanager-secret")
    );
    assert!(
        finding.key.as_deref().unwrap().contains("route.receiver"),
        "{finding}"
    );
}
