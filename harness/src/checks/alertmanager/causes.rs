//! The causes Alertmanager can tell: it failed to send notifications (its own metric, and
//! its log's account of why).

use crate::checks::cause::Cause;
use crate::checks::checker::Checker;
use crate::checks::prometheus::metric_sum;

impl Checker<'_> {
    /// Why Slack got no matching message: Alertmanager failed to notify.
    pub(crate) async fn delivery_cause(&self) -> Option<Cause> {
        let metrics = self.alertmanager.own_metrics().await.ok()?;
        let failed = metric_sum(&metrics, "alertmanager_notifications_failed_total");
        if failed == 0.0 {
            return None;
        }
        let log = self
            .log_mention(
                "alertmanager",
                &["Notify for alerts failed", "notify retry canceled"],
            )
            .await;
        Some(Cause::NotifyFailed { failed, log })
    }
}
