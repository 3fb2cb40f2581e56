//! Held calls and who decides them. The session holds a request that a rule asks about; an
//! [`Approver`] (the approval daemon, through `portcullis run`) decides it while every other
//! message keeps flowing; the session then forwards or answers it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use portcullis_core::message::IdKey;
use tokio::task::AbortHandle;

use crate::pump::Sinks;
use crate::session::{Approval, Held, Session};

/// A decision on its way.
pub type Pending = Pin<Box<dyn Future<Output = Approval> + Send>>;

/// Decides held calls. It must always come to an answer (a timeout, or `Unreachable`): a held
/// request is answered only when its decision arrives or the session ends.
pub trait Approver: Send + Sync {
    /// Decides `held`; `id` names it uniquely among the calls held on this machine now.
    fn approve(&self, id: String, held: &Held) -> Pending;
}

/// An approver and the decisions it has in progress, by request id, so that a request the client
/// cancels can have its decision abandoned.
#[derive(Clone)]
pub struct Approvals {
    approver: Arc<dyn Approver>,
    deciding: Arc<Mutex<HashMap<IdKey, AbortHandle>>>,
}

impl Approvals {
    pub fn new(approver: Arc<dyn Approver>) -> Self {
        Self {
            approver,
            deciding: Arc::default(),
        }
    }

    /// Asks the approver about `held` and, once decided, forwards it to the server or answers
    /// the client, without holding up anything else.
    pub fn release_when_decided(&self, held: Held, session: Arc<Mutex<Session>>, sinks: Sinks) {
        let id = format!("{}:{}", std::process::id(), held.id.0);
        let decision = self.approver.approve(id, &held);
        let key = held.id.clone();
        // Locked until the task is registered, so it cannot unregister itself first.
        let mut deciding = self.lock();
        let this = self.clone();
        let task = tokio::spawn(async move {
            let approval = decision.await;
            let id = held.id.clone();
            let outcome = session
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .release(held, &approval);
            sinks.write(outcome.forward, outcome.reply).await;
            this.lock().remove(&id);
        });
        deciding.insert(key, task.abort_handle());
    }

    /// Abandons the decisions of requests the client cancelled: dropping an approver's future
    /// ends its ask (the daemon sees its connection close and withdraws it from the dashboard).
    pub fn withdraw(&self, ids: &[IdKey]) {
        if ids.is_empty() {
            return;
        }
        let mut deciding = self.lock();
        for id in ids {
            if let Some(task) = deciding.remove(id) {
                task.abort();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IdKey, AbortHandle>> {
        self.deciding.lock().unwrap_or_else(|p| p.into_inner())
    }
}
