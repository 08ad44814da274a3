//! Alertmanager: its config file, route timings, receivers and Slack configs.
//!
//! The file usually comes from a Secret: messages name receivers but never show URLs,
//! templates or other values.

use std::collections::BTreeSet;

use super::config_file::read_config;
use super::container_site::ContainerSite;
use super::yaml_node::Node;
use crate::error::InputError;
use crate::secret::SecretString;
use crate::spec::file_refs::ConfigFormat;
use crate::spec::{AlertmanagerSpec, MountedFile, Receiver, SlackConfig};

/// The image's config path when `--config.file` is not given.
const DEFAULT_CONFIG_PATH: &str = "/etc/alertmanager/alertmanager.yml";

/// Alertmanager's spec from the container's mounted files.
pub(crate) fn parse_alertmanager(
    site: ContainerSite<'_>,
    files: &[MountedFile],
) -> Result<AlertmanagerSpec, InputError> {
    let (config_path, document) = read_config(
        site,
        files,
        DEFAULT_CONFIG_PATH,
        ConfigFormat::Alertmanager,
        "alertmanager",
    )?;
    let root = document.root()?;
    let global = root.get("global").map(Node::mapping).transpose()?;
    let global_slack_api_url = match &global {
        Some(global) => global.text_of("slack_api_url")?.map(SecretString::new),
        None => None,
    };
    let resolve_timeout = match &global {
        Some(global) => global.duration_or("resolve_timeout", "5m")?,
        None => crate::time::PromDuration::from_secs(300),
    };
    let mut receivers = Vec::new();
    for receiver in root.items_of("receivers")? {
        receivers.push(parse_receiver(
            &receiver.mapping()?,
            global_slack_api_url.as_ref(),
        )?);
    }
    let defined: BTreeSet<&str> = receivers.iter().map(|r| r.name.as_str()).collect();
    let route = root
        .get("route")
        .ok_or_else(|| root.error("`route` is missing; add a route with a `receiver`"))?
        .mapping()?;
    let route_receiver = route.required_text("receiver")?;
    check_routes(&route, &defined)?;
    Ok(AlertmanagerSpec {
        config_path,
        config: document.value.clone(),
        global_slack_api_url,
        resolve_timeout,
        route_receiver,
        group_wait: route.duration_or("group_wait", "30s")?,
        group_interval: route.duration_or("group_interval", "5m")?,
        repeat_interval: route.duration_or("repeat_interval", "4h")?,
        receivers,
    })
}

/// Every route's receiver is defined and its timings are valid, recursively.
fn check_routes(route: &Node<'_>, defined: &BTreeSet<&str>) -> Result<(), InputError> {
    if let Some(receiver) = route.get("receiver") {
        let name = receiver.text()?;
        if !defined.contains(name.as_str()) {
            let known: Vec<&str> = defined.iter().copied().collect();
            return Err(receiver.error(format!(
                "receiver `{name}` is not defined; define it under `receivers` or route to one of: {}",
                crate::error::list_or_none(&known)
            )));
        }
    }
    for key in ["group_wait", "group_interval", "repeat_interval"] {
        route.duration_of(key)?;
    }
    for child in route.items_of("routes")? {
        check_routes(&child.mapping()?, defined)?;
    }
    Ok(())
}

fn parse_receiver(
    receiver: &Node<'_>,
    global_url: Option<&SecretString>,
) -> Result<Receiver, InputError> {
    let mut slack = Vec::new();
    for config in receiver.items_of("slack_configs")? {
        let config = config.mapping()?;
        slack.push(SlackConfig {
            api_url: config
                .text_of("api_url")?
                .map(SecretString::new)
                .or_else(|| global_url.cloned()),
            channel: config.text_of("channel")?,
            username: config.text_of("username")?,
            title: config.text_of("title")?,
            text: config.text_of("text")?,
            send_resolved: config.flag("send_resolved", false)?,
        });
    }
    Ok(Receiver {
        name: receiver.required_text("name")?,
        slack,
    })
}
