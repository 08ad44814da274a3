//! TEMPORARY stub, replaced by the clients branch.
#![allow(missing_docs)]
use std::path::{Path, PathBuf};
pub struct SlackMock { server: wiremock::MockServer }
#[derive(Debug, Clone)]
pub struct SlackMessage { pub seq: usize, pub received_at: std::time::SystemTime, pub path: String, pub body: serde_json::Value }
impl SlackMessage { pub fn texts(&self) -> Vec<String> { vec![] } pub fn titles(&self) -> Vec<String> { vec![] } pub fn channel(&self) -> Option<&str> { None } }
impl SlackMock {
    pub async fn start() -> Self { Self { server: wiremock::MockServer::start().await } }
    pub fn uri(&self) -> String { self.server.uri() }
    pub fn port(&self) -> u16 { self.server.address().port() }
    pub async fn messages(&self) -> Vec<SlackMessage> { vec![] }
    pub async fn write_artifacts(&self, _dir: &Path) -> std::io::Result<Vec<PathBuf>> { Ok(vec![]) }
}
