//! Held calls and who decides them. The session holds a request that a rule asks about; an
//! [`Approver`] (the approval daemon, through `portcullis run`) decides it while every other
//! message keeps flowing; the session then forwards or answers it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use portcullis_core::message::IdKey;
use tokio::task::AbortHandle;

use crate::pump::{Sinks, Write};
use crate::session::{Approval, Held, Session};

/// A decision on its way.
pub type Pending = Pin<Box<dyn Future<Output = Approval> + Send>>;

/// Decides held calls. It must always come to an answer (a timeout, or `Unreachable`): a held
/// request is answered only when its decision arrives or the session ends.
pub trait Approver: Send + Sync {
    /// Decides `held`; `id` names it uniquely among the calls held on this machine now.
    fn approve(&self, id: String, held: &Held) -> Pending;
}

/// The decisions in progress, by request id, so a cancelled request's can be abandoned.
pub type Deciding = Arc<Mutex<HashMap<IdKey, AbortHandle>>>;

/// Asks `approver` about `held` and, once decided, forwards it to the server or answers the
/// client, without holding up anything else.
pub fn release_when_decided(
    approver: &Arc<dyn Approver>,
    held: Held,
    session: Arc<Mutex<Session>>,
    sinks: Sinks,
) {
    let id = format!("{}:{}", std::process::id(), held.id.0);
    let decision = approver.approve(id, &held);
    let key = held.id.clone();
    let held_id = key.clone();
    let deciding = sinks.deciding.clone();
    let mut table = lock(&deciding);
    let task = tokio::spawn(async move {
        let approval = decision.await;
        let outcome = session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .release(held, &approval);
        if !outcome.forward.is_empty() {
            let _ = sinks.forward.send(Write::Bytes(outcome.forward)).await;
        }
        if !outcome.reply.is_empty() {
            let _ = sinks.reply.send(Write::Bytes(outcome.reply)).await;
        }
        lock(&sinks.deciding).remove(&held_id);
    });
    table.insert(key, task.abort_handle());
}

/// Abandons the decisions of requests the client cancelled: dropping an approver's future ends
/// its ask (the daemon sees its connection close and withdraws it from the dashboard).
pub fn withdraw(deciding: &Deciding, ids: &[IdKey]) {
    let mut table = lock(deciding);
    for id in ids {
        if let Some(task) = table.remove(id) {
            task.abort();
        }
    }
}

fn lock(deciding: &Deciding) -> std::sync::MutexGuard<'_, HashMap<IdKey, AbortHandle>> {
    deciding.lock().unwrap_or_else(|p| p.into_inner())
}
