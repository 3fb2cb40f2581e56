//! Moving bytes: read a stream, frame it, judge each frame, and queue what to write where.

use std::sync::{Arc, Mutex};

use portcullis_core::framing::{Frame, Framer};
use portcullis_core::message::Direction;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::approve::Approvals;
use crate::session::Session;

const READ_CHUNK: usize = 64 * 1024;

/// A message for a writer task.
#[derive(Debug)]
pub enum Write {
    Bytes(Vec<u8>),
    /// Close the stream (the server's stdin after the client's EOF); later bytes are discarded.
    Close,
}

/// Where a pump's results go: `forward` to the receiving side, `reply` back to the sender; held
/// calls go to `approvals` (only the client's pump has them).
#[derive(Clone)]
pub struct Sinks {
    pub forward: mpsc::Sender<Write>,
    pub reply: mpsc::Sender<Write>,
    pub approvals: Option<Approvals>,
}

impl Sinks {
    /// Queues bytes to forward and answers to send back. A closed writer means that side is
    /// gone; the shutdown path handles it.
    pub async fn write(&self, forward: Vec<u8>, reply: Vec<u8>) {
        if !forward.is_empty() {
            let _ = self.forward.send(Write::Bytes(forward)).await;
        }
        if !reply.is_empty() {
            let _ = self.reply.send(Write::Bytes(reply)).await;
        }
    }
}

/// Reads `input` to its end, judging every frame in `direction`.
pub async fn pump(
    mut input: impl AsyncRead + Unpin,
    direction: Direction,
    max_message_bytes: usize,
    session: Arc<Mutex<Session>>,
    sinks: Sinks,
) {
    let mut framer = Framer::new(max_message_bytes);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut frames = Vec::new();
    loop {
        let n = match input.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(direction = direction.name(), "read failed: {e}");
                break;
            }
        };
        framer.push(&buf[..n], &mut frames);
        deliver(&mut frames, direction, &session, &sinks).await;
    }
    framer.finish(&mut frames);
    deliver(&mut frames, direction, &session, &sinks).await;
}

async fn deliver(
    frames: &mut Vec<Frame>,
    direction: Direction,
    session: &Arc<Mutex<Session>>,
    sinks: &Sinks,
) {
    for frame in frames.drain(..) {
        // Judging catches its own panics, so the lock cannot be poisoned by it.
        let outcome = session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .handle(direction, frame);
        sinks.write(outcome.forward, outcome.reply).await;
        // Only a session with approvals holds calls.
        if let Some(approvals) = &sinks.approvals {
            approvals.withdraw(&outcome.withdrawn);
            for held in outcome.held {
                approvals.release_when_decided(held, session.clone(), sinks.clone());
            }
        }
    }
}

/// Writes queued bytes to `output` until the queue closes or a [`Write::Close`] arrives.
pub async fn writer(
    mut output: impl AsyncWrite + Unpin,
    mut queue: mpsc::Receiver<Write>,
    name: &str,
) {
    let mut carried = None;
    loop {
        let item = match carried.take() {
            Some(item) => item,
            None => match queue.recv().await {
                Some(item) => item,
                None => break,
            },
        };
        let Write::Bytes(bytes) = item else { break };
        // Messages queued meanwhile go out in the same write: one system call, not one each.
        let (batch, next) = gather(bytes, &mut queue);
        carried = next;
        let written = async {
            output.write_all(&batch).await?;
            output.flush().await
        };
        if let Err(e) = written.await {
            tracing::debug!("{name} is closed: {e}");
            break;
        }
    }
    let _ = output.shutdown().await;
    drop(output);
    // Keep draining so senders never block on a side that is gone.
    while queue.recv().await.is_some() {}
}

/// How many bytes of already-queued messages join one write; a message that would not fit goes
/// in a write of its own, so a large one is never copied.
const GATHER: usize = 64 * 1024;

/// `first` and the messages queued behind it that fit in [`GATHER`] bytes, and the next item when
/// it did not fit or is a [`Write::Close`].
fn gather(mut batch: Vec<u8>, queue: &mut mpsc::Receiver<Write>) -> (Vec<u8>, Option<Write>) {
    while batch.len() < GATHER {
        match queue.try_recv() {
            Ok(Write::Bytes(bytes)) if batch.len() + bytes.len() <= GATHER => {
                batch.extend_from_slice(&bytes)
            }
            Ok(next) => return (batch, Some(next)),
            Err(_) => break,
        }
    }
    (batch, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_queued_messages_join_and_a_large_one_is_carried_uncopied() {
        let (tx, mut rx) = mpsc::channel(8);
        let large = vec![b'x'; GATHER];
        let at = large.as_ptr();
        for item in [
            Write::Bytes(b"b\n".to_vec()),
            Write::Bytes(large),
            Write::Bytes(b"c\n".to_vec()),
            Write::Close,
        ] {
            tx.try_send(item).unwrap();
        }
        let (batch, next) = gather(b"a\n".to_vec(), &mut rx);
        assert_eq!(batch, b"a\nb\n");
        let Some(Write::Bytes(carried)) = next else {
            panic!("the large message is carried: {next:?}")
        };
        let (batch, next) = gather(carried, &mut rx);
        assert_eq!(
            batch.as_ptr(),
            at,
            "the large message was moved, not copied"
        );
        assert!(next.is_none(), "a full batch takes nothing more: {next:?}");
        let Ok(Write::Bytes(c)) = rx.try_recv() else {
            panic!("the message after the large one waits in the queue")
        };
        let (batch, next) = gather(c, &mut rx);
        assert_eq!(batch, b"c\n");
        assert!(matches!(next, Some(Write::Close)), "{next:?}");
        let (_, next) = gather(Vec::new(), &mut rx);
        assert!(next.is_none());
    }
}
