//! The things measured: a target is how the echo server is reached (directly, or behind a proxy's
//! command prefix), and a session is one running connection to it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::memory::{self, Resident};

/// How to reach the server: `prefix` is prepended to the server's command (empty for direct).
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub prefix: Vec<String>,
}

impl Target {
    pub fn direct() -> Self {
        Self {
            name: "direct".to_owned(),
            prefix: Vec::new(),
        }
    }

    pub fn is_direct(&self) -> bool {
        self.prefix.is_empty()
    }

    /// `NAME=COMMAND PREFIX`, the prefix split as a POSIX shell would.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let (name, command) = spec
            .split_once('=')
            .context("a proxy is given as NAME=COMMAND PREFIX, e.g. 'mcpwall=npx -y mcpwall --'")?;
        let prefix = shlex::split(command)
            .with_context(|| format!("cannot split the command prefix {command:?}"))?;
        if name.is_empty() || prefix.is_empty() {
            bail!("a proxy needs a name and a command: {spec:?}");
        }
        Ok(Self {
            name: name.to_owned(),
            prefix,
        })
    }
}

/// What every session of a run shares: the server, and a scratch directory for state and logs.
pub struct Setup {
    pub server: PathBuf,
    pub scratch: PathBuf,
}

/// One running connection: requests go to `stdin`, answers come from `stdout`, a line each.
pub struct Session {
    pub target: Target,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    server: PathBuf,
    log: PathBuf,
    next_id: u64,
    line: Vec<u8>,
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"portcullis-bench","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

impl Session {
    /// Starts the target and completes the handshake; returns the session and how long the first
    /// answer (to `initialize`, sent at once) took from the moment of spawning.
    pub fn start(target: &Target, setup: &Setup) -> anyhow::Result<(Self, Duration)> {
        let mut argv = target.prefix.iter().map(Into::into).collect::<Vec<_>>();
        argv.push(setup.server.clone().into_os_string());
        let home = setup.scratch.join(&target.name);
        std::fs::create_dir_all(&home)?;
        let log = setup.scratch.join(format!("{}.stderr", target.name));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let started = Instant::now();
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .env("PORTCULLIS_HOME", &home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {}: {:?}", target.name, argv[0]))?;
        let mut session = Self {
            target: target.clone(),
            stdin: child.stdin.take(),
            stdout: BufReader::with_capacity(1 << 16, child.stdout.take().context("stdout")?),
            child,
            server: setup.server.clone(),
            log,
            next_id: 1,
            line: Vec::new(),
        };
        session.send(INITIALIZE.as_bytes())?;
        session.answer()?;
        let first_answer = started.elapsed();
        session.send(INITIALIZED.as_bytes())?;
        session.call(r#""method":"tools/list""#)?;
        Ok((session, first_answer))
    }

    /// Sends one request (`body` is its members after the id) and waits for its answer.
    pub fn call(&mut self, body: &str) -> anyhow::Result<Duration> {
        let request = self.request(body);
        let started = Instant::now();
        self.send(&request)?;
        self.answer()?;
        Ok(started.elapsed())
    }

    /// The length of the last answer read.
    pub fn answer_len(&self) -> usize {
        self.line.len()
    }

    /// Sends `count` copies of a request with at most `window` unanswered at a time; returns
    /// how long all the answers took.
    pub fn pipeline(
        &mut self,
        body: &str,
        count: usize,
        window: usize,
    ) -> anyhow::Result<Duration> {
        let mut stdin = self.stdin.take().context("stdin is open")?;
        let requests: Vec<Vec<u8>> = (0..count).map(|_| self.request(body)).collect();
        let (credit, credits) = sync_channel::<()>(window);
        for _ in 0..window.min(count) {
            credit.send(())?;
        }
        let started = Instant::now();
        let writer = std::thread::spawn(move || -> std::io::Result<ChildStdin> {
            for request in requests {
                if credits.recv().is_err() {
                    break;
                }
                stdin.write_all(&request)?;
            }
            Ok(stdin)
        });
        let mut answered = Ok(());
        for i in 0..count {
            answered = self.answer();
            if answered.is_err() {
                break;
            }
            if i + window < count {
                let _ = credit.send(());
            }
        }
        let elapsed = started.elapsed();
        drop(credit);
        let stdin = writer
            .join()
            .map_err(|_| anyhow::anyhow!("writer panicked"))??;
        self.stdin = Some(stdin);
        answered.map(|()| elapsed)
    }

    /// The proxy's memory (every process but the server), or the server's for a direct session.
    pub fn memory(&self) -> Option<Resident> {
        if self.target.is_direct() {
            memory::of_server(self.child.id(), &self.server)
        } else {
            memory::of_tree_without(self.child.id(), &self.server)
        }
    }

    /// Closes the connection the way a client does (end of input) and waits for the exit.
    pub fn close(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn request(&mut self, body: &str) -> Vec<u8> {
        let id = self.next_id;
        self.next_id += 1;
        format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},{body}}}\n").into_bytes()
    }

    fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let stdin = self.stdin.as_mut().context("stdin is open")?;
        let mut written = stdin.write_all(bytes);
        if written.is_ok() && !bytes.ends_with(b"\n") {
            written = stdin.write_all(b"\n");
        }
        written.with_context(|| self.gone("stopped reading"))
    }

    /// Reads the next line and checks that it is an answer, not an error.
    fn answer(&mut self) -> anyhow::Result<()> {
        self.line.clear();
        let n = self.stdout.read_until(b'\n', &mut self.line)?;
        if n == 0 {
            bail!(self.gone("closed its output"));
        }
        let head = &self.line[..self.line.len().min(512)];
        if let Some(at) = find(head, br#""error""#) {
            let shown = String::from_utf8_lossy(&head[at..]);
            bail!(
                "{} refused the request: {}",
                self.target.name,
                shown.trim_end()
            );
        }
        Ok(())
    }

    fn gone(&self, what: &str) -> String {
        let tail = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "{} {what}; its stderr ({}) ends with:\n{}",
            self.target.name,
            self.log.display(),
            tail.join("\n")
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A `tools/call` body for the echo tool.
pub fn echo(text: &str) -> String {
    let text = serde_json::to_string(text).expect("a string serializes");
    format!(r#""method":"tools/call","params":{{"name":"echo","arguments":{{"text":{text}}}}}"#)
}

/// A `tools/call` body asking for `bytes` bytes of text.
pub fn blob(bytes: usize) -> String {
    format!(r#""method":"tools/call","params":{{"name":"blob","arguments":{{"bytes":{bytes}}}}}"#)
}

/// The sibling of this executable named `name` (cargo builds the workspace's binaries together).
pub fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().unwrap_or(Path::new("."));
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}
