//! The Slack side of the stack: a mock incoming webhook that records every notification
//! Alertmanager sends, with arrival times, redacted paths and headers, and artifacts.

pub(crate) mod message;
pub(crate) mod mock;
pub(crate) mod recorder;

pub use message::{NotificationStatus, SlackMessage};
pub use mock::{SlackFault, SlackMock};
