//! Grafana's provisioning and credentials as the manifests give them.

use crate::secret::SecretString;

/// Grafana's datasources and admin credentials.
#[derive(Debug, Clone)]
pub struct GrafanaSpec {
    /// `GF_SECURITY_ADMIN_USER` (Grafana's default `admin`).
    pub admin_user: String,
    /// `GF_SECURITY_ADMIN_PASSWORD` (Grafana's default `admin`).
    pub admin_password: SecretString,
    /// In-container directory of datasource provisioning files
    /// (`/etc/grafana/provisioning/datasources`).
    pub datasources_dir: String,
    /// Every provisioned datasource.
    pub datasources: Vec<Datasource>,
}

impl GrafanaSpec {
    /// The default datasource (`isDefault: true`), else the only one.
    pub fn default_datasource(&self) -> Option<&Datasource> {
        self.datasources
            .iter()
            .find(|d| d.is_default)
            .or(match self.datasources.as_slice() {
                [only] => Some(only),
                _ => None,
            })
    }
}

/// One provisioned datasource.
#[derive(Debug, Clone)]
pub struct Datasource {
    /// `name`.
    pub name: String,
    /// `type` (`prometheus`).
    pub kind: String,
    /// `url` as written (a logical address).
    pub url: String,
    /// `isDefault`.
    pub is_default: bool,
    /// `uid`, when set.
    pub uid: Option<String>,
    /// The provisioning file it came from (in-container path) and its index there.
    pub file: String,
}
