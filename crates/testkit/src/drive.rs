//! Driving a real `portcullis run` process from a test: write lines, read lines with a deadline.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a test waits for an expected line before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A running wrapper with its stdin and a line-by-line view of its stdout and stderr.
pub struct Wrapped {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<Vec<u8>>,
    stderr: Receiver<String>,
}

impl Wrapped {
    /// Starts `command` (already holding its arguments and environment) with piped stdio.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the wrapper starts");
        let stdin = child.stdin.take();
        let stdout = lines(child.stdout.take().expect("piped stdout"));
        let (tx, stderr) = channel();
        let err = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("[wrapper stderr] {line}");
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    /// Writes raw bytes to the wrapper's stdin.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).expect("write to the wrapper");
        stdin.flush().expect("flush to the wrapper");
    }

    /// Writes one line (a newline is added).
    pub fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes());
    }

    /// The next stdout line as bytes (without its newline), or `None` after `timeout`.
    pub fn recv_bytes_within(&self, timeout: Duration) -> Option<Vec<u8>> {
        self.stdout.recv_timeout(timeout).ok()
    }

    /// The next stdout line, parsed; panics if none arrives in time.
    pub fn recv(&self) -> Value {
        let line = self
            .recv_bytes_within(PATIENCE)
            .expect("a line from the wrapper in time");
        serde_json::from_slice(&line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&line)))
    }

    /// Sends a request and returns the answer with the same id, skipping other lines.
    pub fn call(&mut self, request: &Value) -> Value {
        self.send(&request.to_string());
        let id = request["id"].clone();
        loop {
            let answer = self.recv();
            if answer.get("id") == Some(&id) && answer.get("method").is_none() {
                return answer;
            }
        }
    }

    /// Closes the wrapper's stdin (the client hangs up).
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Waits for the wrapper to exit, at most `timeout`.
    pub fn wait_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait on the wrapper") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits until a stderr line contains `needle`; returns whether one did within `timeout`.
    pub fn stderr_contains_within(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for Wrapped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(stream: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Whether a file contains `needle` (for checking what the recording server received).
pub fn file_contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path).is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(needle))
}
