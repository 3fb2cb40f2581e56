//! A look at a server for `portcullis scan`: start it, shake hands as an MCP client, list what it
//! offers, stop it. It lists and never uses anything: no tool is called, no resource read, no
//! prompt fetched, and every request the server makes of us (sampling, roots, elicitation) is
//! refused so that nothing waits on an answer.
//!
//! It lives in the relay because the relay owns the server process: the probe starts it the same
//! way (its own process group, killed with its children, never an orphan). What the listing means
//! is judged elsewhere, by the core's detectors (see the CLI's `scan`).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portcullis_core::framing::{DEFAULT_MAX_MESSAGE_BYTES, Frame, Framer};
use portcullis_core::screen::listing::ListKind;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdin, ChildStdout};

use crate::child::{Server, spawn_with};

/// The protocol version the probe asks for.
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// How many pages of one list are read before the rest is left out (a server whose cursor never
/// ends must not keep the scan busy until its timeout).
pub const MAX_PAGES: usize = 100;

/// How much of the server's stderr is kept, from its end, to show why it failed.
const STDERR_TAIL: usize = 4 * 1024;

/// How long the server gets to exit after its stdin closes, and again after SIGTERM.
const GRACE: Duration = Duration::from_secs(1);

/// JSON-RPC's error code for a method the receiver does not have.
const METHOD_NOT_FOUND: i64 = -32601;

/// Lines of stdout that were not JSON, kept to explain a failure.
const NOISE_LINES: usize = 3;

/// How to start one server.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// Set on top of our own environment.
    pub env: Vec<(String, String)>,
    /// Its working directory; ours when `None`.
    pub cwd: Option<PathBuf>,
}

/// The lists a server handed over, as it sent them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    /// The `result` of `initialize`.
    pub initialize: Option<Value>,
    pub tools: Vec<Value>,
    pub prompts: Vec<Value>,
    pub resources: Vec<Value>,
    pub resource_templates: Vec<Value>,
    /// What went wrong without spoiling the rest: a list answered with an error, a list cut at
    /// [`MAX_PAGES`], lines on stdout that were not JSON.
    pub warnings: Vec<String>,
}

impl Listing {
    /// The items of one list.
    pub fn items(&self, kind: ListKind) -> &[Value] {
        match kind {
            ListKind::Tools => &self.tools,
            ListKind::Prompts => &self.prompts,
            ListKind::Resources => &self.resources,
            ListKind::ResourceTemplates => &self.resource_templates,
        }
    }

    fn items_mut(&mut self, kind: ListKind) -> &mut Vec<Value> {
        match kind {
            ListKind::Tools => &mut self.tools,
            ListKind::Prompts => &mut self.prompts,
            ListKind::Resources => &mut self.resources,
            ListKind::ResourceTemplates => &mut self.resource_templates,
        }
    }
}

/// Why a probe stopped short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What the probe was doing: `start`, `initialize`, or the list method it waited on.
    pub stage: &'static str,
    pub message: String,
    /// The end of what the server wrote to stderr (lossy UTF-8, not escaped).
    pub stderr: String,
}

/// What a probe found: the lists read (those before a failure, if any), and the failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    pub listing: Listing,
    pub failure: Option<Failure>,
}

impl Probe {
    /// A probe that found nothing because of `message` at `stage`.
    fn failed(stage: &'static str, message: String) -> Probe {
        Probe {
            listing: Listing::default(),
            failure: Some(Failure {
                stage,
                message,
                stderr: String::new(),
            }),
        }
    }
}

/// Probes every server, `parallel` at a time, each within `timeout`; the results come in the
/// order of `launches`.
pub fn probe_all(launches: Vec<Launch>, timeout: Duration, parallel: usize) -> Vec<Probe> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let message = format!("cannot start the async runtime: {e}");
            return launches
                .iter()
                .map(|_| Probe::failed("start", message.clone()))
                .collect();
        }
    };
    runtime.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        let count = launches.len();
        for (index, launch) in launches.into_iter().enumerate() {
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (index, probe(&launch, timeout).await)
            });
        }
        // A probe that never reports (its task panicked) must not pass for a clean server.
        let lost = "the probe stopped unexpectedly (an internal error); nothing was checked";
        let mut probes = vec![Probe::failed("start", lost.to_owned()); count];
        while let Some(done) = tasks.join_next().await {
            if let Ok((index, found)) = done {
                probes[index] = found;
            }
        }
        probes
    })
}

/// Starts the server, lists what it offers within `timeout`, and stops it.
pub async fn probe(launch: &Launch, timeout: Duration) -> Probe {
    let mut found = Probe::default();
    let mut server = match start(launch) {
        Ok(server) => server,
        Err(message) => return Probe::failed("start", message),
    };
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let stderr = server
        .child
        .stderr
        .take()
        .map(|err| tokio::spawn(keep_tail(err, tail.clone())));
    let (Some(stdin), Some(stdout)) = (server.child.stdin.take(), server.child.stdout.take())
    else {
        unreachable!("spawn_with pipes stdin and stdout");
    };
    let mut client = Client::new(stdin, stdout);
    let mut stage = "initialize";
    let outcome = tokio::time::timeout(timeout, client.list(&mut found.listing, &mut stage)).await;
    let noise = std::mem::take(&mut client.noise);
    drop(client);
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(Stop::Closed)) => {
            let status = tokio::time::timeout(GRACE, server.child.wait()).await;
            Some(match status {
                Ok(Ok(status)) => format!("the server exited ({status}) before answering"),
                _ => "the server closed its stdout before answering".to_owned(),
            })
        }
        Ok(Err(Stop::Broken(message))) => Some(message),
        Err(_) => Some(format!(
            "no answer within {}s (--timeout)",
            timeout.as_secs_f64()
        )),
    };
    let _ = server.stop_within(GRACE).await;
    server.kill_leftovers();
    if !noise.is_empty() {
        found.listing.warnings.push(format!(
            "the server wrote lines to stdout that are not JSON-RPC messages, such as: {}",
            noise.join(" / ")
        ));
    }
    if let Some(message) = failure {
        if let Some(task) = stderr {
            let _ = tokio::time::timeout(GRACE, task).await;
        }
        let bytes: Vec<u8> = tail
            .lock()
            .map(|t| t.iter().copied().collect())
            .unwrap_or_default();
        found.failure = Some(Failure {
            stage,
            message,
            stderr: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    found
}

fn start(launch: &Launch) -> Result<Server, String> {
    if let Some(cwd) = launch.cwd.as_ref().filter(|cwd| !cwd.is_dir()) {
        return Err(format!(
            "its working directory {} does not exist",
            cwd.display()
        ));
    }
    let argv: Vec<std::ffi::OsString> = launch.command.iter().map(Into::into).collect();
    let child = spawn_with(&argv, |command| {
        command.stderr(Stdio::piped());
        command.envs(launch.env.iter().map(|(k, v)| (k, v)));
        if let Some(cwd) = &launch.cwd {
            command.current_dir(cwd);
        }
    })
    .map_err(|e| format!("{e:#}"))?;
    Ok(Server::new(child))
}

/// Keeps the last [`STDERR_TAIL`] bytes of `input` in `tail`.
async fn keep_tail(mut input: impl AsyncRead + Unpin, tail: Arc<Mutex<VecDeque<u8>>>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = input.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let Ok(mut tail) = tail.lock() else { break };
        tail.extend(&buf[..n]);
        let excess = tail.len().saturating_sub(STDERR_TAIL);
        tail.drain(..excess);
    }
}

/// Why the conversation ended early.
#[derive(Debug)]
enum Stop {
    /// The server closed its stdout (exited, most likely).
    Closed,
    /// It answered with an error, or with something that is not an answer.
    Broken(String),
}

/// The client side of the conversation, one request at a time.
struct Client {
    stdin: ChildStdin,
    stdout: ChildStdout,
    framer: Framer,
    frames: VecDeque<Frame>,
    /// Where stdout is read into.
    buf: Vec<u8>,
    next_id: u64,
    /// The first few lines of stdout that were not JSON.
    noise: Vec<String>,
}

impl Client {
    fn new(stdin: ChildStdin, stdout: ChildStdout) -> Self {
        Self {
            stdin,
            stdout,
            framer: Framer::new(DEFAULT_MAX_MESSAGE_BYTES),
            frames: VecDeque::new(),
            buf: vec![0; 64 * 1024],
            next_id: 0,
            noise: Vec::new(),
        }
    }

    /// The whole conversation: the handshake, then each list the server announced. `stage` says
    /// where it is, for a timeout to report.
    async fn list(&mut self, listing: &mut Listing, stage: &mut &'static str) -> Result<(), Stop> {
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "portcullis-scan", "version": env!("CARGO_PKG_VERSION")}
        });
        let init = match self.request("initialize", params).await? {
            Ok(init) if init.is_object() => init,
            Ok(other) => return Err(Stop::Broken(format!("initialize answered {other}"))),
            Err(error) => {
                let error = describe_error(&error);
                return Err(Stop::Broken(format!("initialize failed: {error}")));
            }
        };
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        let capabilities = init.get("capabilities").cloned().unwrap_or(Value::Null);
        listing.initialize = Some(init);
        for kind in ListKind::ALL {
            if capabilities.get(kind.capability()).is_none() {
                continue;
            }
            *stage = kind.method();
            let items = listing.items_mut(kind);
            if let Err(warning) = self.pages(kind.method(), kind.array_key(), items).await? {
                listing.warnings.push(warning);
            }
        }
        Ok(())
    }

    /// Every page of one list into `items`; `Ok(Err(warning))` when the server refused it or
    /// the pages did not end.
    async fn pages(
        &mut self,
        method: &str,
        key: &str,
        items: &mut Vec<Value>,
    ) -> Result<Result<(), String>, Stop> {
        let mut cursor: Option<Value> = None;
        for _ in 0..MAX_PAGES {
            let params = match &cursor {
                Some(cursor) => json!({ "cursor": cursor }),
                None => json!({}),
            };
            let page = match self.request(method, params).await? {
                Ok(page) => page,
                // Announcing `resources` without templates is common, and means none.
                Err(error) if error.get("code") == Some(&json!(METHOD_NOT_FOUND)) => {
                    return Ok(Ok(()));
                }
                Err(error) => {
                    return Ok(Err(format!("{method} failed: {}", describe_error(&error))));
                }
            };
            match page.get(key).and_then(Value::as_array) {
                Some(array) => items.extend(array.iter().cloned()),
                None => {
                    return Err(Stop::Broken(format!(
                        "{method} answered without a `{key}` array"
                    )));
                }
            }
            cursor = page.get("nextCursor").filter(|c| !c.is_null()).cloned();
            if cursor.is_none() {
                return Ok(Ok(()));
            }
        }
        Ok(Err(format!(
            "{method} had more than {MAX_PAGES} pages; the rest is not scanned"
        )))
    }

    /// Sends a request and waits for its answer: `Ok(result)` or `Err(error)`. Whatever else
    /// arrives meanwhile is handled on the way: notifications are ignored, requests refused.
    async fn request(&mut self, method: &str, params: Value) -> Result<Result<Value, Value>, Stop> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        loop {
            for message in self.next_messages().await? {
                if message.get("method").is_some() {
                    self.refuse(&message).await?;
                } else if message.get("id") == Some(&json!(id)) {
                    return match (message.get("result"), message.get("error")) {
                        (Some(result), _) => Ok(Ok(result.clone())),
                        (None, Some(error)) => Ok(Err(error.clone())),
                        (None, None) => Err(Stop::Broken(format!(
                            "{method} was answered with neither result nor error: {message}"
                        ))),
                    };
                }
            }
        }
    }

    /// Answers a request from the server: `ping` as the protocol asks, anything else refused.
    /// Notifications need no answer.
    async fn refuse(&mut self, message: &Value) -> Result<(), Stop> {
        let Some(id) = message.get("id") else {
            return Ok(());
        };
        let answer = if message["method"] == "ping" {
            json!({"jsonrpc": "2.0", "id": id, "result": {}})
        } else {
            json!({"jsonrpc": "2.0", "id": id, "error": {
                "code": METHOD_NOT_FOUND,
                "message": "portcullis scan only lists what a server offers and answers no requests"
            }})
        };
        self.send(&answer).await
    }

    /// The messages of the next line that holds any (a batch holds several).
    async fn next_messages(&mut self) -> Result<Vec<Value>, Stop> {
        loop {
            let line = match self.next_frame().await? {
                Frame::Line(line) => line,
                Frame::Oversize(over) => {
                    return Err(Stop::Broken(format!(
                        "the server sent a message of {} bytes, over the limit of {}",
                        over.size, DEFAULT_MAX_MESSAGE_BYTES
                    )));
                }
            };
            match serde_json::from_slice::<Value>(&line) {
                Ok(Value::Array(batch)) => return Ok(batch),
                Ok(message @ Value::Object(_)) => return Ok(vec![message]),
                _ if self.noise.len() < NOISE_LINES => {
                    let text = String::from_utf8_lossy(&line);
                    let cut = portcullis_core::text::floor_boundary(&text, 120);
                    self.noise.push(text[..cut].to_owned());
                }
                _ => {}
            }
        }
    }

    async fn next_frame(&mut self) -> Result<Frame, Stop> {
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return Ok(frame);
            }
            let n = self
                .stdout
                .read(&mut self.buf)
                .await
                .map_err(|_| Stop::Closed)?;
            let mut out = Vec::new();
            if n == 0 {
                self.framer.finish(&mut out);
                if out.is_empty() {
                    return Err(Stop::Closed);
                }
            } else {
                self.framer.push(&self.buf[..n], &mut out);
            }
            self.frames.extend(out);
        }
    }

    async fn send(&mut self, message: &Value) -> Result<(), Stop> {
        let mut line = message.to_string().into_bytes();
        line.push(b'\n');
        // A server that closed its stdin is about to be found gone on its stdout.
        self.stdin
            .write_all(&line)
            .await
            .map_err(|_| Stop::Closed)?;
        self.stdin.flush().await.map_err(|_| Stop::Closed)
    }
}

/// A JSON-RPC error as `code message`.
fn describe_error(error: &Value) -> String {
    let code = error.get("code").map(Value::to_string).unwrap_or_default();
    let message = error.get("message").and_then(Value::as_str).unwrap_or("");
    format!("error {code}: {message}").trim_end().to_owned()
}
