//! Desktop notifications (cargo feature `notify`): a notice for each call waiting for a person,
//! pointing to the dashboard. Best effort: without a notification service nothing is shown, and
//! approvals work the same.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use crate::broker::{Broker, Event};

pub async fn announce(broker: Arc<Broker>) {
    let mut events = broker.subscribe();
    loop {
        let pending = match events.recv().await {
            Ok(Event::Pending(pending)) => pending,
            Ok(_) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        let ask = &pending.ask;
        let body = format!(
            "{} · {} asks for approval (rule {}, {} s left).\nRun `portcullis dashboard` or `portcullis approve`.",
            ask.server,
            ask.tool,
            ask.rule,
            pending.remaining_ms / 1000
        );
        let shown = tokio::task::spawn_blocking(move || {
            notify_rust::Notification::new()
                .summary("Portcullis: a call is waiting for you")
                .body(&body)
                .show()
                .map(drop)
        })
        .await;
        if let Ok(Err(e)) = shown {
            tracing::debug!("no desktop notification: {e}");
        }
    }
}
