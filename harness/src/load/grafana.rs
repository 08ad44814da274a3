//! Grafana: provisioned datasources and admin credentials.

use super::paths;
use super::yaml_node::ConfigDocument;
use crate::error::InputError;
use crate::secret::SecretString;
use crate::spec::{Datasource, EnvValue, EnvVar, GrafanaSpec, MountedFile};

/// Where provisioning files live unless the manifests mount them elsewhere.
const DEFAULT_DATASOURCES_DIR: &str = "/etc/grafana/provisioning/datasources";
const DATASOURCES_DIR_SUFFIX: &str = "provisioning/datasources";

/// Grafana's spec from the container's env and mounted files.
pub(crate) fn parse_grafana(
    files: &[MountedFile],
    env: &[EnvVar],
) -> Result<GrafanaSpec, InputError> {
    let mut provisioning: Vec<&MountedFile> = files
        .iter()
        .filter(|f| paths::parent(&f.path).ends_with(DATASOURCES_DIR_SUFFIX))
        .filter(|f| f.path.ends_with(".yaml") || f.path.ends_with(".yml"))
        .collect();
    provisioning.sort_by(|a, b| a.path.cmp(&b.path));
    let datasources_dir = provisioning
        .first()
        .map(|f| paths::parent(&f.path).to_string())
        .unwrap_or_else(|| DEFAULT_DATASOURCES_DIR.to_string());
    let mut datasources = Vec::new();
    for file in provisioning {
        datasources.extend(parse_datasources(file)?);
    }
    let value_of = |name: &str| env.iter().find(|e| e.name == name).map(|e| &e.value);
    let admin_user = value_of("GF_SECURITY_ADMIN_USER")
        .map(|v| v.expose().to_string())
        .unwrap_or_else(|| "admin".to_string());
    let admin_password = match value_of("GF_SECURITY_ADMIN_PASSWORD") {
        Some(EnvValue::Secret(secret)) => secret.clone(),
        Some(EnvValue::Plain(text)) => SecretString::new(text.clone()),
        None => SecretString::new("admin"),
    };
    Ok(GrafanaSpec {
        admin_user,
        admin_password,
        datasources_dir,
        datasources,
    })
}

fn parse_datasources(file: &MountedFile) -> Result<Vec<Datasource>, InputError> {
    let document = ConfigDocument::parse(file)?;
    let root = document.root()?;
    let mut datasources = Vec::new();
    for (index, datasource) in root.items_of("datasources")?.into_iter().enumerate() {
        let datasource = datasource.mapping()?;
        datasources.push(Datasource {
            name: datasource.required_text("name")?,
            kind: datasource.required_text("type")?,
            url: datasource.text_of("url")?.unwrap_or_default(),
            is_default: datasource.flag("isDefault", false)?,
            uid: datasource.text_of("uid")?,
            file: format!("{}#{index}", file.path),
        });
    }
    Ok(datasources)
}
