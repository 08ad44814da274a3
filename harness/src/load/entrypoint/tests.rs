//! Start-up scripts on the corpus's `sed-slack-url-from-secret` stack, its Alertmanager's
//! script (and env) replaced.

use super::shell::{self, Refusal};
use crate::error::InputError;
use crate::fixtures::repository_root;
use crate::spec::{ComponentKind, EnvValue, EnvVar, FileContent, StackSpec};

/// The Slack URL the variant's Secret holds.
const SLACK_URL: &str =
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";

/// The variant's script, as its manifest writes it.
const SCRIPT_LINE: &str = "            - sed -e \"s|SLACK_URL_PLACEHOLDER|${SLACK_URL}|g\" /etc/alertmanager-tpl/alertmanager.yml > /etc/alertmanager/alertmanager.yml && exec /bin/alertmanager --config.file=/etc/alertmanager/alertmanager.yml --storage.path=/alertmanager\n";

/// The variant's stack, with its script replaced by `script` (when given) and `env` entries
/// added after its `SLACK_URL`, loaded.
fn load_with(script: Option<&str>, env: &str) -> Result<StackSpec, InputError> {
    let variant = repository_root()
        .join("fixtures/manifests/corpus/working/sed-slack-url-from-secret/manifests/stack.yaml");
    let mut text = std::fs::read_to_string(&variant).expect("the corpus variant");
    assert!(text.contains(SCRIPT_LINE), "the variant's script changed");
    if let Some(script) = script {
        let block = format!(
            "            - |-\n{}\n",
            script
                .lines()
                .map(|line| format!("              {line}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        text = text.replace(SCRIPT_LINE, &block);
    }
    text = text.replace(
        "                  key: url\n",
        &format!("                  key: url\n{env}"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("stack.yaml"), text).expect("written");
    crate::load::load_dir(dir.path())
}

#[track_caller]
fn loaded(script: Option<&str>, env: &str) -> StackSpec {
    load_with(script, env).unwrap_or_else(|e| panic!("should load, got: {e}"))
}

/// Asserts the script is refused at the Alertmanager's `args`, with every `expected` part in
/// the message and never the Slack URL; returns the message.
#[track_caller]
fn refused(script: &str, env: &str, expected: &[&str]) -> String {
    let error = match load_with(Some(script), env) {
        Ok(_) => panic!("`{script}` should be refused"),
        Err(error) => error,
    };
    assert_eq!(
        (error.resource.as_deref(), error.key.as_deref()),
        (
            Some("Deployment/prometheus-deployment"),
            Some("spec.template.spec.containers[alertmanager].args")
        ),
        "{error}"
    );
    let message = error.to_string();
    for part in expected {
        assert!(message.contains(part), "`{part}` is not in: {message}");
    }
    assert!(
        !message.contains("hooks.slack.com"),
        "a secret leaked: {message}"
    );
    message
}

/// Alertmanager's global Slack URL, exposed.
fn slack_url(spec: &StackSpec) -> Option<String> {
    let url = spec.alertmanager().global_slack_api_url.as_ref()?;
    Some(url.expose().to_string())
}

#[test]
fn a_sed_from_a_secret_env_var_writes_a_secret_config_and_runs_the_final_program() {
    let spec = loaded(None, "");
    let alertmanager = spec.component(ComponentKind::Alertmanager).expect("am");
    assert_eq!(
        alertmanager.args,
        [
            "--config.file=/etc/alertmanager/alertmanager.yml",
            "--storage.path=/alertmanager"
        ]
    );
    let written = alertmanager
        .file("/etc/alertmanager/alertmanager.yml")
        .expect("the written config is a file of the component");
    assert!(matches!(written.content, FileContent::Secret(_)));
    assert_eq!(slack_url(&spec).as_deref(), Some(SLACK_URL));
    let [script] = spec.startup_scripts.as_slice() else {
        panic!("one script: {:?}", spec.startup_scripts);
    };
    assert_eq!(script.component, "alertmanager");
    assert_eq!(script.key, "containers[alertmanager].args");
    assert_eq!(
        script.steps,
        [
            "writes /etc/alertmanager/alertmanager.yml (sed from /etc/alertmanager-tpl/alertmanager.yml)",
            "runs /bin/alertmanager"
        ]
    );
}

#[test]
fn envsubst_fills_both_placeholder_spellings_and_cp_copies_into_a_directory() {
    let spec = loaded(
        Some(
            "cp /etc/alertmanager-tpl/alertmanager.yml /etc/alertmanager/\n\
             sed -i 's/SLACK_URL_PLACEHOLDER/${URL}/' /etc/alertmanager/alertmanager.yml\n\
             envsubst '$URL' < /etc/alertmanager/alertmanager.yml > /etc/alertmanager/final.yml\n\
             exec alertmanager --config.file=$(CONFIG_FILE)",
        ),
        "            - name: URL\n              value: $(SLACK_URL)\n            - name: CONFIG_FILE\n              value: /etc/alertmanager/final.yml\n",
    );
    assert_eq!(slack_url(&spec).as_deref(), Some(SLACK_URL));
    let alertmanager = spec.component(ComponentKind::Alertmanager).expect("am");
    assert_eq!(
        alertmanager.args,
        ["--config.file=/etc/alertmanager/final.yml"]
    );
    assert!(
        matches!(alertmanager.env_var("URL"), Some(EnvValue::Secret(_))),
        "a variable expanded from a Secret's stays secret"
    );
}

#[test]
fn a_variable_the_env_does_not_set_is_refused_naming_it_and_what_gives_it() {
    refused(
        "sed \"s|SLACK_URL_PLACEHOLDER|$WEBHOOK|\" /etc/alertmanager-tpl/alertmanager.yml > /etc/alertmanager/alertmanager.yml && exec /bin/alertmanager",
        "",
        &["reads $WEBHOOK", "env does not set", "secretKeyRef", "--secret"],
    );
}

#[test]
fn a_template_variable_envsubst_cannot_fill_is_refused() {
    refused(
        "sed 's|SLACK_URL_PLACEHOLDER|$MISSING|' /etc/alertmanager-tpl/alertmanager.yml > /tmp/t.yml\n\
         envsubst < /tmp/t.yml > /etc/alertmanager/a.yml; /bin/alertmanager --config.file=/etc/alertmanager/a.yml",
        "",
        &["substitutes $MISSING into /tmp/t.yml", "envsubst would write it empty"],
    );
    // The template itself has no `$`: a fine substitution; one it names must be set.
    let spec = loaded(
        Some(
            "envsubst < /etc/alertmanager-tpl/alertmanager.yml > /etc/alertmanager/a.yml; /bin/alertmanager --config.file=/etc/alertmanager/a.yml",
        ),
        "",
    );
    assert_eq!(slack_url(&spec).as_deref(), Some("SLACK_URL_PLACEHOLDER"));
}

#[test]
fn an_unknown_command_a_file_not_mounted_and_a_read_only_mount_are_refused() {
    refused(
        "curl -o /etc/alertmanager/alertmanager.yml http://config && exec /bin/alertmanager",
        "",
        &["runs `curl`"],
    );
    refused(
        "sed 's|a|b|' /etc/nowhere.yml > /etc/alertmanager/alertmanager.yml && exec /bin/alertmanager",
        "",
        &["reads /etc/nowhere.yml, which is not mounted"],
    );
    refused(
        "sed -i 's|a|b|' /etc/alertmanager-tpl/alertmanager.yml && exec /bin/alertmanager --config.file=/etc/alertmanager-tpl/alertmanager.yml",
        "",
        &["volume `alertmanager-template`", "read-only"],
    );
    refused(
        "sed 's|a|b|' /etc/alertmanager-tpl/alertmanager.yml > /etc/alertmanager/alertmanager.yml",
        "",
        &["never runs alertmanager"],
    );
}

#[test]
fn a_secret_value_in_a_refused_script_is_never_printed() {
    let message = refused(
        "\"$SLACK_URL\" && exec /bin/alertmanager",
        "",
        &["<redacted>"],
    );
    assert!(!message.contains("T00000000"), "{message}");
}

#[test]
fn an_unknown_dollar_paren_reference_reaches_the_shell_as_a_command_substitution() {
    refused(
        "exec /bin/alertmanager --config.file=$(NOT_SET)",
        "",
        &["`$(NOT_SET)`", "Kubernetes leaves"],
    );
}

fn env(vars: &[(&str, &str)]) -> Vec<EnvVar> {
    vars.iter()
        .map(|(name, value)| EnvVar {
            name: (*name).to_string(),
            value: EnvValue::Plain((*value).to_string()),
        })
        .collect()
}

#[track_caller]
fn words(script: &str, vars: &[(&str, &str)]) -> Vec<Vec<String>> {
    shell::parse(script, &env(vars))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_iter()
        .map(|c| c.words.into_iter().map(|w| w.text).collect())
        .collect()
}

#[test]
fn quotes_keep_their_contents_and_an_unquoted_value_is_split_at_blanks() {
    assert_eq!(
        words(
            "echo '$A' \"$A\" $A ${A}x # a comment\nexec a\\ b",
            &[("A", "one two")]
        ),
        [
            vec!["echo", "$A", "one two", "one", "two", "one", "twox"],
            vec!["exec", "a b"]
        ]
    );
}

#[test]
fn pipes_subshells_and_default_values_are_refused_naming_them() {
    for (script, named) in [
        ("cat a | envsubst", "pipe"),
        ("(cd /x)", "subshell"),
        ("echo ${A:-x}", "`${A:-x}`"),
        ("echo $1", "`$1`"),
        ("echo `date`", "command substitution"),
    ] {
        match shell::parse(script, &env(&[("A", "a")])) {
            Err(Refusal::Unsupported(what)) => assert!(what.contains(named), "{script}: {what}"),
            other => panic!("{script}: {other:?}"),
        }
    }
}
