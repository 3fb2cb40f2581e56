//! Approvals end to end: the real wrapper holds a call a rule asks about, starts the real daemon,
//! and a person's decision (sent over the daemon's socket, as `portcullis approve` does) lets it
//! through or answers it. Remembered decisions, timeouts, an unreachable daemon, and a socket
//! peer of another user.

#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::Duration;

use portcullis_store::decisions::DecisionStore;
use portcullis_testkit::drive::Wrapped;
use serde_json::{Value, json};
use support::{Home, call, initialize};

const CONFIG: &str = "rules:
  - name: confirm-commands
    action: ask
    reason: commands need a person's approval
    tool: run_command
    timeout: 30s
  - name: confirm-echo-quickly
    action: ask
    tool: echo
    timeout: 1s
    always: never
";

/// A person at the daemon: subscribed to pending asks, deciding them. Stops the daemon when done.
struct Person {
    state: PathBuf,
    pending: BufReader<UnixStream>,
    _daemon: StopDaemon,
}

/// Stops the daemon of a state directory when dropped, so a failing test leaves none behind.
struct StopDaemon(PathBuf);

impl Drop for StopDaemon {
    fn drop(&mut self) {
        if let Ok(mut stream) = UnixStream::connect(self.0.join("daemon/portcullis.sock")) {
            let _ = stream.write_all(b"{\"type\":\"stop\"}\n");
            let _ = BufReader::new(stream).read_line(&mut String::new());
        }
    }
}

impl Person {
    fn new(home: &Home) -> Self {
        let state = home.path().join("state");
        let socket = state.join("daemon/portcullis.sock");
        // The wrapper starts the daemon on its first ask; wait for it.
        let mut stream = None;
        for _ in 0..400 {
            if let Ok(s) = UnixStream::connect(&socket) {
                stream = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let mut stream = stream.expect("the wrapper started the daemon");
        stream.write_all(b"{\"type\":\"subscribe\"}\n").unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Self {
            _daemon: StopDaemon(state.clone()),
            state,
            pending: BufReader::new(stream),
        }
    }

    /// The next event: a pending ask or how one ended.
    fn next(&mut self) -> Value {
        let mut line = String::new();
        self.pending
            .read_line(&mut line)
            .expect("the daemon sends events");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    /// The next pending ask.
    fn asked(&mut self) -> Value {
        loop {
            let event = self.next();
            if event["type"] == "pending" {
                return event["ask"].clone();
            }
        }
    }

    fn decide(&self, id: &Value, decision: &str, remember: Value) -> Value {
        let mut stream = UnixStream::connect(self.state.join("daemon/portcullis.sock")).unwrap();
        let request =
            json!({"type": "decide", "id": id, "decision": decision, "remember": remember});
        stream.write_all(format!("{request}\n").as_bytes()).unwrap();
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }
}

fn started(home: &Home) -> Wrapped {
    home.user_config(CONFIG);
    let mut w = home.wrap(&[]);
    assert!(w.call(&initialize(0)).get("result").is_some());
    w
}

fn command(id: u64, line: &str) -> Value {
    call(json!(id), "run_command", json!({"command": line}))
}

fn error_of(answer: &Value) -> (i64, String) {
    let error = answer
        .get("error")
        .unwrap_or_else(|| panic!("expected an error, got {answer}"));
    (
        error["code"].as_i64().unwrap(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn a_held_call_waits_for_a_person_while_other_calls_flow_and_passes_when_allowed() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "ls /tmp").to_string());
    let mut person = Person::new(&home);
    let ask = person.asked();
    assert_eq!(ask["server"], "rec");
    assert_eq!(ask["tool"], "run_command");
    assert_eq!(ask["rule"], "confirm-commands");
    assert_eq!(ask["reason"], "commands need a person's approval");
    assert_eq!(ask["arguments"], r#"{"command":"ls /tmp"}"#);
    let evidence = ask["evidence"].to_string();
    assert!(evidence.contains("command `ls /tmp` runs ls"), "{evidence}");
    // Meanwhile other calls pass (the held one is not at the server).
    let other = w.call(&call(json!(2), "big", json!({"bytes": 10})));
    assert!(other.get("result").is_some(), "{other}");
    assert!(!home.received().contains("ls /tmp"));
    assert_eq!(
        person.decide(&ask["id"], "allow", Value::Null)["type"],
        "ok"
    );
    let answer = w.recv();
    assert_eq!(answer["id"], 1, "{answer}");
    assert!(answer.get("result").is_some(), "{answer}");
    assert!(home.received().contains("ls /tmp"));
}

#[test]
fn a_held_call_is_answered_with_why_when_denied_or_when_nobody_decides() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "whoami").to_string());
    let mut person = Person::new(&home);
    let ask = person.asked();
    person.decide(&ask["id"], "deny", Value::Null);
    let (code, message) = error_of(&w.recv());
    assert_eq!(code, -32090);
    assert!(
        message.contains("confirm-commands") && message.contains("a person denied it"),
        "{message}"
    );

    // The echo rule waits 1 s; nobody decides.
    let answer = w.call(&call(json!(2), "echo", json!({"text": "hello"})));
    let (code, message) = error_of(&answer);
    assert_eq!(code, -32091);
    assert!(
        message.contains("nobody approved it within 1 s"),
        "{message}"
    );
    let received = home.received();
    assert!(
        !received.contains("whoami") && !received.contains("hello"),
        "{received}"
    );
    // Approvers saw it come and go.
    let pending = person.asked();
    assert_eq!(pending["tool"], "echo");
    let resolved = person.next();
    assert_eq!(resolved["outcome"], "timed_out", "{resolved}");
    // A rule with `always: never` refuses to remember.
    w.send(&call(json!(3), "echo", json!({"text": "again"})).to_string());
    let ask = person.asked();
    let refused = person.decide(&ask["id"], "allow", json!({"scope": "exact"}));
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(error_of(&w.recv()).1.contains("nobody approved"));
}

#[test]
fn always_allow_covers_exactly_the_same_arguments_until_revoked() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "ls /tmp").to_string());
    let mut person = Person::new(&home);
    let ask = person.asked();
    let ok = person.decide(&ask["id"], "allow", json!({"scope": "exact"}));
    assert_eq!(ok["type"], "ok", "{ok}");
    assert!(w.recv().get("result").is_some());
    // The same call passes at once; another asks again.
    let again = w.call(&command(2, "ls /tmp"));
    assert!(again.get("result").is_some(), "{again}");
    w.send(&command(3, "ls /etc").to_string());
    let other = person.asked();
    assert_eq!(other["arguments"], r#"{"command":"ls /etc"}"#);
    person.decide(&other["id"], "deny", Value::Null);
    assert_eq!(error_of(&w.recv()).0, -32090);
    // Revoked, it asks again.
    let mut store = DecisionStore::open(&home.path().join("state")).unwrap();
    let remembered = store.list(None).unwrap();
    assert_eq!(remembered.len(), 1);
    assert!(store.revoke(remembered[0].id).unwrap());
    w.send(&command(4, "ls /tmp").to_string());
    let asked = person.asked();
    assert_eq!(asked["arguments"], r#"{"command":"ls /tmp"}"#);
    person.decide(&asked["id"], "allow", Value::Null);
    assert!(w.recv().get("result").is_some());
}

#[test]
fn a_remembered_pattern_covers_what_it_says_and_no_more() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "ls /tmp").to_string());
    let mut person = Person::new(&home);
    let ask = person.asked();
    assert_eq!(
        ask["suggested_pattern"],
        "- command:\n    program: [\"ls\"]\n"
    );
    let bad = person.decide(
        &ask["id"],
        "allow",
        json!({"scope": "pattern", "pattern": "- nonsense: 1"}),
    );
    assert_eq!(bad["type"], "error");
    let pattern = json!({"scope": "pattern", "pattern": ask["suggested_pattern"]});
    assert_eq!(person.decide(&ask["id"], "allow", pattern)["type"], "ok");
    assert!(w.recv().get("result").is_some());
    assert!(w.call(&command(2, "ls -la /var")).get("result").is_some());
    // `ls` does not cover another program smuggled beside it.
    w.send(&command(3, "ls; id").to_string());
    let asked = person.asked();
    assert_eq!(asked["arguments"], r#"{"command":"ls; id"}"#);
    person.decide(&asked["id"], "deny", Value::Null);
    assert_eq!(error_of(&w.recv()).0, -32090);
}

#[test]
fn without_a_daemon_the_call_is_denied_with_how_to_start_one() {
    let home = Home::new();
    // The daemon's directory cannot be created: it cannot start.
    std::fs::write(home.path().join("state/daemon"), "not a directory").unwrap();
    let mut w = started(&home);
    let (code, message) = error_of(&w.call(&command(1, "ls")));
    assert_eq!(code, -32091);
    assert!(message.contains("portcullis daemon"), "{message}");
    assert!(!home.received().contains("\"ls\""));
}

#[test]
fn a_call_held_when_its_client_leaves_is_withdrawn() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "ls").to_string());
    let mut person = Person::new(&home);
    person.asked();
    w.close_stdin();
    let answer = w.recv();
    assert!(answer.get("error").is_some(), "{answer}");
    assert!(w.wait_within(Duration::from_secs(20)).is_some());
    let resolved = person.next();
    assert_eq!(resolved["outcome"], "withdrawn", "{resolved}");
}

#[test]
fn the_socket_refuses_another_user() {
    let home = Home::new();
    let w = started(&home);
    drop(w);
    let state = home.path().join("state");
    let exe = portcullis_testkit::locate::binary("portcullis");
    let status = std::process::Command::new(&exe)
        .args(["daemon", "--detach", "--state-dir"])
        .arg(&state)
        .status()
        .unwrap();
    assert!(status.success());
    let _daemon = StopDaemon(state.clone());
    let socket = state.join("daemon/portcullis.sock");
    let mode = std::fs::metadata(state.join("daemon"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o700,
        "only this user may open the daemon's directory"
    );
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("not root: cannot act as another user; checked the directory's mode only");
    } else {
        // Connects as `nobody`; prints `refused` (cannot connect), `closed` (hung up on) or
        // what the daemon answered.
        let ping = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1])\nexcept OSError as e:\n print('refused', e.errno); sys.exit(0)\ntry:\n s.sendall(b'{\"type\":\"ping\"}\\n')\n s.settimeout(5)\n data = s.recv(4096)\nexcept OSError:\n data = b''\nprint(data.decode() if data else 'closed')\n";
        let as_nobody = |path: &std::path::Path| {
            let out = std::process::Command::new("python3")
                .args(["-c", ping])
                .arg(path)
                .uid(65534)
                .gid(65534)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        // The directory keeps other users out...
        let out = as_nobody(&socket);
        assert!(out.starts_with("refused"), "{out}");
        // ...and were it open to them, the daemon would still hang up on them.
        for dir in [
            home.path().to_path_buf(),
            state.clone(),
            state.join("daemon"),
            socket.clone(),
        ] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let out = as_nobody(&socket);
        assert_eq!(out.trim(), "closed", "{out}");
    }
}

#[test]
fn a_daemon_whose_socket_is_removed_stops() {
    let home = Home::new();
    let state = home.path().join("state");
    let out = home
        .portcullis(&["daemon", "--detach"])
        .output()
        .expect("portcullis runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pid: i32 = text
        .trim()
        .strip_suffix(')')
        .and_then(|t| t.rsplit(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a pid in {text:?}"));
    let _daemon = StopDaemon(state.clone());
    std::fs::remove_dir_all(state.join("daemon")).unwrap();
    // SAFETY: kill with signal 0 only asks whether the process exists.
    let alive = || unsafe { libc::kill(pid, 0) } == 0;
    for _ in 0..200 {
        if !alive() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the daemon {pid} outlived its socket");
}

#[test]
fn a_held_call_the_client_cancels_leaves_the_dashboard_and_is_never_answered() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "make deploy").to_string());
    let mut person = Person::new(&home);
    let ask = person.asked();
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 1, "reason": "the user gave up"}});
    w.send(&cancel.to_string());
    let resolved = person.next();
    assert_eq!(resolved["outcome"], "withdrawn", "{resolved}");
    assert_eq!(resolved["id"], ask["id"]);
    // Too late to decide, and nothing reaches the client or the server for it.
    assert_eq!(
        person.decide(&ask["id"], "allow", Value::Null)["type"],
        "error"
    );
    let next = w.call(&call(json!(2), "big", json!({"bytes": 3})));
    assert_eq!(next["id"], 2, "{next}");
    assert!(!home.received().contains("make deploy"));
}

#[test]
fn a_held_call_is_denied_when_the_daemon_stops() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "ls").to_string());
    let mut person = Person::new(&home);
    person.asked();
    let out = home.portcullis(&["daemon", "stop"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, message) = error_of(&w.recv());
    assert_eq!(code, -32091);
    assert!(
        message.contains("stopped before anyone decided"),
        "{message}"
    );
    assert!(!home.received().contains("\"ls\""));
}

#[test]
fn a_rule_tightened_since_a_decision_was_saved_no_longer_honours_it() {
    let home = Home::new();
    let mut w = started(&home);
    w.send(&command(1, "ls /tmp").to_string());
    let mut person = Person::new(&home);
    let ask = person.asked();
    let pattern = json!({"scope": "pattern", "pattern": ask["suggested_pattern"]});
    assert_eq!(person.decide(&ask["id"], "allow", pattern)["type"], "ok");
    assert!(w.recv().get("result").is_some());
    assert!(w.call(&command(2, "ls /var")).get("result").is_some());
    drop(w);
    // The rule now lets only exact arguments be remembered: the saved pattern no longer counts.
    home.user_config(&CONFIG.replacen(
        "    timeout: 30s\n",
        "    timeout: 30s\n    always: exact\n",
        1,
    ));
    let mut w = home.wrap(&[]);
    assert!(w.call(&initialize(0)).get("result").is_some());
    w.send(&command(3, "ls /var").to_string());
    let asked = person.asked();
    assert_eq!(asked["arguments"], r#"{"command":"ls /var"}"#);
    person.decide(&asked["id"], "deny", Value::Null);
    assert_eq!(error_of(&w.recv()).0, -32090);
}
