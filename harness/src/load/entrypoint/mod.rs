//! Shell entrypoints that fill a config in at start-up (`sh -c "sed ... > FILE && exec
//! alertmanager ..."`, `envsubst < TEMPLATE > FILE; prometheus ...`), evaluated before anything
//! starts, as the container's shell would run them: the files the script writes become mounted
//! files of the component (secret when a Secret's value went in), and the component runs the
//! program the script ends with, with its arguments.
//!
//! The script may use `sed` (`s` commands), `envsubst`, `cp`, `cat`, `echo`, `mkdir`, `set`
//! and `true`, reading mounted files and the container's env; it ends by running the
//! component's own program (`exec` or not). Anything else is refused before anything starts,
//! naming the container's key and what it would need, never a secret value.

mod sed;
mod shell;
#[cfg(test)]
mod tests;

use shell::{Command, Refusal, Word};

use super::container_site::ContainerSite;
use super::expansion::Expanded;
use super::paths;
use crate::error::InputError;
use crate::secret::{redact_secrets, SecretString};
use crate::spec::{
    ComponentKind, EnvValue, EnvVar, FileContent, MountedFile, Origin, StartupScript,
};

/// The shells a `command` may start a script with.
const SHELLS: [&str; 4] = ["sh", "bash", "ash", "dash"];

/// A start-up script, evaluated.
#[derive(Debug)]
pub(crate) struct Startup {
    /// The arguments the component's program is run with (after the program).
    pub args: Vec<String>,
    /// The files the script writes, with their final content.
    pub written: Vec<MountedFile>,
    /// What it does, for the spec.
    pub script: StartupScript,
}

/// The container's start-up script evaluated, when its `command` runs a shell with `-c` (and
/// it runs Prometheus or Alertmanager); `None` when it runs its program directly. `argv` is
/// `command` then `args`, after Kubernetes' `$(VAR)` expansion.
pub(crate) fn startup(
    site: ContainerSite<'_>,
    kind: ComponentKind,
    argv: &[Expanded],
    env: &[EnvVar],
    files: &[MountedFile],
) -> Result<Option<Startup>, InputError> {
    let program = match kind {
        ComponentKind::Prometheus => "prometheus",
        ComponentKind::Alertmanager => "alertmanager",
        _ => return Ok(None),
    };
    let Some(shell) = site.container.command.first() else {
        return Ok(None);
    };
    if !SHELLS.contains(&paths::file_name(shell)) {
        return Ok(None);
    }
    let secrets: Vec<SecretString> = env
        .iter()
        .filter_map(|v| match &v.value {
            EnvValue::Secret(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        })
        .collect();
    let refs: Vec<&SecretString> = secrets.iter().collect();
    let (script_index, script) = script_of(site, argv)?;
    let key = if script_index < site.container.command.len() {
        "command"
    } else {
        "args"
    };
    let refuse = |what: String| -> InputError {
        site.error(
            key,
            redact_secrets(
                &format!(
                    "the container's start-up script (`{shell} -c`) {what}; firedrill runs the \
                     script's work before the start only when it is sed, envsubst, cp, cat, \
                     echo or mkdir on mounted files and env vars of the manifests, ending with \
                     the {program} it starts"
                ),
                &refs,
            ),
        )
    };
    let commands = shell::parse(&script.text, env).map_err(|refusal| match refusal {
        Refusal::Unset(name) => site.error(
            key,
            format!(
                "the container's start-up script (`{shell} -c`) reads ${name}, which the \
                 container's env does not set; add it to the container's env (a Secret's value \
                 with `valueFrom.secretKeyRef`; a Secret the manifests do not hold can be given \
                 with --secret [NAMESPACE/]NAME:KEY=FILE)"
            ),
        ),
        Refusal::Unsupported(what) => refuse(format!("uses {what}")),
    })?;
    let mut run = Run {
        site,
        env,
        files: files
            .iter()
            .map(|f| State {
                path: f.path.clone(),
                text: f.content.expose().to_string(),
                secret: matches!(f.content, FileContent::Secret(_)),
                origin: f.origin.clone(),
                written: false,
            })
            .collect(),
        steps: Vec::new(),
    };
    let count = commands.len();
    for (index, command) in commands.into_iter().enumerate() {
        let Some(name) = command.words.first().map(|w| w.text.clone()) else {
            return Err(refuse("redirects without a command".into()));
        };
        if name == "exec" || paths::file_name(&name) == program {
            let words = if name == "exec" {
                &command.words[1..]
            } else {
                &command.words[..]
            };
            let runs = words.first().map(|w| w.text.as_str()).unwrap_or_default();
            if paths::file_name(runs) != program {
                return Err(refuse(format!(
                    "ends by running `{runs}`, where the image runs {program}"
                )));
            }
            if command.input.is_some() || command.output.is_some() {
                return Err(refuse(format!("redirects {program}'s input or output")));
            }
            if name != "exec" && index + 1 != count {
                return Err(refuse(format!(
                    "runs {program} before its last command (with `&&` or `;`, the rest runs \
                     only once {program} exits)"
                )));
            }
            run.steps.push(format!("runs {runs}"));
            let written: Vec<MountedFile> = run
                .files
                .into_iter()
                .filter(|f| f.written)
                .map(|f| MountedFile {
                    path: f.path,
                    content: if f.secret {
                        FileContent::Secret(SecretString::new(f.text))
                    } else {
                        FileContent::Plain(f.text)
                    },
                    origin: f.origin,
                })
                .collect();
            return Ok(Some(Startup {
                args: words[1..].iter().map(|w| w.text.clone()).collect(),
                written,
                script: StartupScript {
                    component: String::new(),
                    origin: site.origin(),
                    key: format!("containers[{}].{key}", site.container.name),
                    steps: run.steps,
                },
            }));
        }
        run.command(&command).map_err(refuse)?;
    }
    Err(refuse(format!(
        "never runs {program}; end it with `exec /bin/{program} --config.file=...`"
    )))
}

/// The script `sh -c` runs: its index in `argv` and the word. A shell started without `-c`
/// (on a script file) is refused.
fn script_of<'a>(
    site: ContainerSite<'_>,
    argv: &'a [Expanded],
) -> Result<(usize, &'a Expanded), InputError> {
    let mut with_c = false;
    for (index, word) in argv.iter().enumerate().skip(1) {
        if with_c {
            return Ok((index, word));
        }
        match word.text.strip_prefix('-') {
            Some(options)
                if !options.is_empty() && options.chars().all(|c| "ceuxv".contains(c)) =>
            {
                with_c |= options.contains('c');
            }
            _ => break,
        }
    }
    Err(site.error(
        "command",
        format!(
            "the container starts a shell (`{}`) on a script file, or without `-c`, whose \
             commands firedrill cannot read; write the commands in `args` after `command: [sh, \
             -c]`, or run the program directly",
            argv.iter()
                .map(|w| if w.secret {
                    SecretString::REDACTED
                } else {
                    w.text.as_str()
                })
                .collect::<Vec<_>>()
                .join(" ")
        ),
    ))
}

/// A file as the script sees it.
struct State {
    path: String,
    text: String,
    secret: bool,
    origin: Origin,
    /// Whether the script wrote it.
    written: bool,
}

/// The script's effect so far.
struct Run<'a> {
    site: ContainerSite<'a>,
    env: &'a [EnvVar],
    files: Vec<State>,
    steps: Vec<String>,
}

impl Run<'_> {
    /// Evaluates one command that is not the program; `Err` describes what is refused.
    fn command(&mut self, command: &Command) -> Result<(), String> {
        let name = command.words[0].text.as_str();
        let args = &command.words[1..];
        match name {
            "sed" => self.sed(command),
            "envsubst" => self.envsubst(command),
            "cp" => {
                let operands = operands(args, &["-f"], "cp")?;
                let [from, to] = operands.as_slice() else {
                    return Err("runs cp with other than one file and its destination".into());
                };
                let (text, secret, origin) = self.read(from)?;
                let into_directory = to.text.ends_with('/');
                let mut to = self.path(to);
                if into_directory || self.is_directory(&to) {
                    to = paths::join(&to, paths::file_name(&self.path(from)));
                }
                let how = format!("cp from {}", self.path(from));
                self.write_path(&to, text, secret, origin, how)
            }
            "cat" => {
                let operands = operands(args, &[], "cat")?;
                let Some(output) = &command.output else {
                    return Ok(());
                };
                let Some(first) = operands.first() else {
                    return Err("runs cat without a file".into());
                };
                let (mut text, mut secret, origin) = self.read(first)?;
                for more in &operands[1..] {
                    let (more, more_secret, _) = self.read(more)?;
                    text.push_str(&more);
                    secret |= more_secret;
                }
                let from: Vec<String> = operands.iter().map(|w| self.path(w)).collect();
                self.write(
                    output,
                    text,
                    secret,
                    origin,
                    format!("cat of {}", from.join(", ")),
                )
            }
            "echo" => {
                let Some(output) = &command.output else {
                    return Ok(());
                };
                let text = args.iter().map(|w| w.text.as_str()).collect::<Vec<_>>();
                let secret = args.iter().any(|w| w.secret);
                let origin = self.site.origin();
                self.write(output, text.join(" ") + "\n", secret, origin, "echo".into())
            }
            "mkdir" | "set" | "true" | ":" if command.output.is_none() => Ok(()),
            other => Err(format!("runs `{other}`, which firedrill does not evaluate")),
        }
    }

    fn sed(&mut self, command: &Command) -> Result<(), String> {
        let mut scripts: Vec<&Word> = Vec::new();
        let mut inputs: Vec<&Word> = Vec::new();
        let mut in_place = false;
        let mut extended = false;
        let mut words = command.words[1..].iter();
        while let Some(word) = words.next() {
            match word.text.as_str() {
                "-e" | "--expression" => {
                    scripts.push(words.next().ok_or("runs sed -e without a script")?);
                }
                "-E" | "-r" | "--regexp-extended" => extended = true,
                "-i" | "--in-place" => in_place = true,
                option if option.starts_with("-i") || option.starts_with("--in-place=") => {
                    in_place = true;
                }
                option if option.starts_with('-') && option.len() > 1 => {
                    return Err(format!("runs sed with the option `{option}`"));
                }
                _ if scripts.is_empty() => scripts.push(word),
                _ => inputs.push(word),
            }
        }
        let script: String = scripts
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let script_secret = scripts.iter().any(|w| w.secret);
        let substitutions = sed::parse(&script, extended).map_err(|e| format!("uses {e}"))?;
        if in_place {
            if command.output.is_some() || inputs.is_empty() {
                return Err("runs sed -i with a redirection or without a file".into());
            }
            for input in inputs {
                let (text, secret, origin) = self.read(input)?;
                let path = self.path(input);
                let text = sed::apply(&substitutions, &text);
                self.write_path(
                    &path,
                    text,
                    secret || script_secret,
                    origin,
                    "sed -i".into(),
                )?;
            }
            return Ok(());
        }
        let Some(output) = &command.output else {
            return Ok(());
        };
        let source = match (inputs.as_slice(), &command.input) {
            ([one], None) => *one,
            ([], Some(one)) => one,
            _ => return Err("runs sed on other than one file".into()),
        };
        let (text, secret, origin) = self.read(source)?;
        let from = self.path(source);
        let text = sed::apply(&substitutions, &text);
        self.write(
            output,
            text,
            secret || script_secret,
            origin,
            format!("sed from {from}"),
        )
    }

    fn envsubst(&mut self, command: &Command) -> Result<(), String> {
        let only: Option<Vec<String>> = match &command.words[1..] {
            [] => None,
            [format] if !format.text.starts_with('-') => Some(variables_in(&format.text)),
            _ => return Err("runs envsubst with options".into()),
        };
        let (Some(input), Some(output)) = (&command.input, &command.output) else {
            return Ok(());
        };
        let (text, mut secret, origin) = self.read(input)?;
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, skip) = match after.strip_prefix('{') {
                Some(braced) => match braced.find('}') {
                    Some(close) if shell::is_name(&braced[..close]) => {
                        (&braced[..close], close + 2)
                    }
                    _ => ("", 0),
                },
                None => {
                    let end = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    let name = &after[..end];
                    (if shell::is_name(name) { name } else { "" }, end)
                }
            };
            let wanted = only
                .as_ref()
                .is_none_or(|only| only.iter().any(|v| v == name));
            if name.is_empty() || !wanted {
                out.push('$');
                rest = after;
                continue;
            }
            let Some(var) = self.env_var(name) else {
                return Err(format!(
                    "substitutes ${name} into {} with envsubst, and the container's env does \
                     not set it (envsubst would write it empty); add it to the container's env \
                     (a Secret's value with `valueFrom.secretKeyRef`)",
                    self.path(input)
                ));
            };
            secret |= var.1;
            out.push_str(&var.0);
            rest = &after[skip..];
        }
        out.push_str(rest);
        let from = self.path(input);
        self.write(output, out, secret, origin, format!("envsubst from {from}"))
    }

    /// A variable of the container's env: its value and whether it is secret.
    fn env_var(&self, name: &str) -> Option<(String, bool)> {
        let var = self.env.iter().rev().find(|v| v.name == name)?;
        Some((
            var.value.expose().to_string(),
            matches!(var.value, EnvValue::Secret(_)),
        ))
    }

    /// The in-container path a word names (relative to the working directory).
    fn path(&self, word: &Word) -> String {
        let working_dir = self.site.container.working_dir.as_deref().unwrap_or("/");
        paths::join(working_dir, &word.text)
    }

    fn is_directory(&self, path: &str) -> bool {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        self.files.iter().any(|f| f.path.starts_with(&prefix))
            || self
                .site
                .container
                .volume_mounts
                .iter()
                .any(|m| paths::normalize(&m.mount_path) == path)
    }

    /// The file's text, whether it is secret, and where it came from.
    fn read(&self, word: &Word) -> Result<(String, bool, Origin), String> {
        let path = self.path(word);
        match self.files.iter().find(|f| f.path == path) {
            Some(file) => Ok((file.text.clone(), file.secret, file.origin.clone())),
            None => {
                let mounted: Vec<&str> = self
                    .files
                    .iter()
                    .filter(|f| !f.written)
                    .map(|f| f.path.as_str())
                    .collect();
                Err(format!(
                    "reads {path}, which is not mounted into the container (mounted: {}); mount \
                     the ConfigMap or Secret key there",
                    crate::error::list_or_none(&mounted)
                ))
            }
        }
    }

    fn write(
        &mut self,
        word: &Word,
        text: String,
        secret: bool,
        origin: Origin,
        how: String,
    ) -> Result<(), String> {
        let path = self.path(word);
        self.write_path(&path, text, secret, origin, how)
    }

    /// Writes a file; one where a ConfigMap, Secret or projected volume is mounted is refused,
    /// as Kubernetes mounts those read-only.
    fn write_path(
        &mut self,
        path: &str,
        text: String,
        secret: bool,
        origin: Origin,
        how: String,
    ) -> Result<(), String> {
        if let Some(volume) = self.mount_covering(path) {
            return Err(format!(
                "writes {path}, inside volume `{volume}`, which Kubernetes mounts read-only; \
                 write it to an emptyDir and point the program at it"
            ));
        }
        self.steps.push(format!("writes {path} ({how})"));
        self.files.retain(|f| f.path != path);
        self.files.push(State {
            path: path.to_string(),
            text,
            secret,
            origin,
            written: true,
        });
        Ok(())
    }

    /// The ConfigMap, Secret or projected volume mounted at or above `path`, if any.
    fn mount_covering(&self, path: &str) -> Option<&str> {
        let volumes = &self.site.workload.manifest.spec.template.spec.volumes;
        self.site.container.volume_mounts.iter().find_map(|mount| {
            let volume = volumes.iter().find(|v| v.name == mount.name)?;
            let read_only = volume.config_map.is_some()
                || volume.secret.is_some()
                || volume.projected.is_some();
            let at = paths::normalize(&mount.mount_path);
            let inside = path == at || path.starts_with(&format!("{}/", at.trim_end_matches('/')));
            (read_only && inside).then_some(volume.name.as_str())
        })
    }
}

/// A command's operands, its allowed options dropped; another option is refused.
fn operands<'w>(words: &'w [Word], allowed: &[&str], name: &str) -> Result<Vec<&'w Word>, String> {
    let mut found = Vec::new();
    for word in words {
        if word.text.starts_with('-') && word.text.len() > 1 {
            if !allowed.contains(&word.text.as_str()) {
                return Err(format!("runs {name} with the option `{}`", word.text));
            }
        } else {
            found.push(word);
        }
    }
    Ok(found)
}

/// The variable names a SHELL-FORMAT names (`'$SLACK_URL ${OTHER}'`).
fn variables_in(format: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = format;
    while let Some(at) = rest.find('$') {
        let after = rest[at + 1..].trim_start_matches('{');
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        names.push(after[..end].to_string());
        rest = &after[end..];
    }
    names
}
