//! The socket side of the daemon: wrappers ask, the terminal approver subscribes and decides, the
//! command line asks for a login link or a stop. Every connection is checked to come from this
//! user before a byte of it is read.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast::error::RecvError;

use crate::Daemon;
use crate::broker::Event;
use crate::client::MAX_LINE;
use crate::protocol::{Request, Response, line};
use crate::socket::same_user;

/// Accepts connections until the daemon stops.
pub async fn serve(listener: UnixListener, daemon: Arc<Daemon>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("accepting a connection failed: {e}");
                continue;
            }
        };
        if !same_user(&stream) {
            tracing::warn!("refused a connection from another user");
            continue;
        }
        tokio::spawn(connection(stream, daemon.clone()));
    }
}

async fn connection(stream: UnixStream, daemon: Arc<Daemon>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    while let Some(request) = next_request(&mut reader, &mut write).await {
        let answer = match request {
            Request::Ping => Response::Pong {
                version: env!("CARGO_PKG_VERSION").into(),
                pid: std::process::id(),
            },
            Request::Ask(ask) => {
                let id = ask.id.clone();
                tokio::select! {
                    decision = daemon.broker.ask(*ask) => match decision {
                        Some(decision) => Response::Decided { id, decision },
                        None => Response::TimedOut { id },
                    },
                    // The wrapper went away: dropping the ask withdraws it.
                    () = closed(&mut reader) => return,
                }
            }
            Request::Subscribe => return subscribe(reader, write, &daemon).await,
            Request::Decide(decide) => match daemon.broker.decide(decide) {
                Ok(()) => Response::Ok,
                Err(e) => Response::Error {
                    message: e.to_string(),
                },
            },
            Request::Login => Response::Login {
                url: daemon.dashboard.login_url(),
            },
            Request::Stop => {
                let _ = write.write_all(&line(&Response::Ok)).await;
                daemon.stop.notify_one();
                return;
            }
        };
        if write.write_all(&line(&answer)).await.is_err() {
            return;
        }
    }
}

/// The next request; `None` at the end of the connection or after answering a bad line.
async fn next_request(
    reader: &mut BufReader<OwnedReadHalf>,
    write: &mut OwnedWriteHalf,
) -> Option<Request> {
    let mut text = String::new();
    match (&mut *reader)
        .take(MAX_LINE as u64)
        .read_line(&mut text)
        .await
    {
        Ok(0) | Err(_) => None,
        Ok(_) => match serde_json::from_str(text.trim_end()) {
            Ok(request) => Some(request),
            Err(e) => {
                let message = format!("not a request: {e}");
                let _ = write.write_all(&line(&Response::Error { message })).await;
                None
            }
        },
    }
}

/// Resolves when the peer closes its side (anything it sends meanwhile is ignored).
async fn closed(reader: &mut BufReader<OwnedReadHalf>) {
    let mut sink = [0u8; 256];
    while let Ok(n) = reader.read(&mut sink).await {
        if n == 0 {
            return;
        }
    }
}

/// Streams pending asks, then every new one and how each ends, until the subscriber leaves.
async fn subscribe(
    mut reader: BufReader<OwnedReadHalf>,
    mut write: OwnedWriteHalf,
    daemon: &Daemon,
) {
    let mut events = daemon.broker.subscribe();
    for pending in daemon.broker.pending() {
        if write
            .write_all(&line(&Response::Pending(Box::new(pending))))
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = closed(&mut reader) => return,
        };
        let response = match event {
            Ok(Event::Pending(pending)) => Response::Pending(pending),
            Ok(Event::Resolved { id, outcome }) => Response::Resolved { id, outcome },
            Ok(Event::Remembered) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        if write.write_all(&line(&response)).await.is_err() {
            return;
        }
    }
}
