//! The audit trail, end to end: the real `portcullis run` writing, `portcullis logs` reading.
//! Several wrappers at once, a wrapper killed mid-stream, and a search of every byte Portcullis
//! wrote for any trace of the secrets that passed through it.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use portcullis_testkit::drive::Wrapped;
use portcullis_testkit::locate::binary;
use portcullis_testkit::secrets::{Sample, fragments, samples};
use serde_json::{Value, json};
use support::{Home, call, initialize};

/// How long a wrapper gets to write its last records and exit after its client hangs up.
const EXIT: Duration = Duration::from_secs(20);

fn run(home: &Home, args: &[&str]) -> Output {
    home.portcullis(args).output().expect("portcullis runs")
}

/// Every record, oldest first, through `portcullis logs export`.
fn records(home: &Home) -> Vec<Value> {
    let out = run(home, &["logs", "export", "--format", "jsonl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn verify(home: &Home) -> Output {
    run(home, &["logs", "verify"])
}

fn assert_verified(home: &Home) {
    let out = verify(home);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("verified"), "{text}");
}

fn finish(mut w: Wrapped) {
    w.close_stdin();
    assert!(w.wait_within(EXIT).is_some(), "the wrapper exits");
}

#[test]
fn every_decision_of_a_session_is_recorded() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    w.call(&initialize(1));
    w.call(&call(json!(2), "echo", json!({"path": "src/main.rs"})));
    w.call(&call(json!(3), "echo", json!({"path": "~/.ssh/id_rsa"})));
    finish(w);
    let all = records(&home);
    let seen: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("-");
            (s("method"), s("kind"), s("verdict"))
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("initialize", "request", "allow"),
            ("initialize", "response", "allow"),
            ("tools/call", "request", "allow"),
            ("tools/call", "response", "allow"),
            ("tools/call", "request", "deny"),
        ]
    );
    let denied = &all[4];
    assert_eq!(denied["rule"], "ssh-keys");
    assert_eq!(denied["server"], "rec");
    assert_eq!(denied["client"], "test 1");
    assert_eq!(denied["target"], "echo");
    assert!(
        denied["evidence"].to_string().contains(".ssh/id_rsa"),
        "{denied}"
    );
    assert!(all.iter().all(|r| r["session"] == all[0]["session"]));
    assert_verified(&home);
}

#[test]
fn several_wrappers_at_once_lose_no_record() {
    const WRAPPERS: usize = 4;
    const CALLS: u64 = 150;
    let home = Home::new();
    std::thread::scope(|scope| {
        for _ in 0..WRAPPERS {
            scope.spawn(|| {
                let mut w = home.wrap(&[]);
                w.call(&initialize(0));
                for id in 1..=CALLS {
                    let answer = w.call(&call(json!(id), "echo", json!({"n": id})));
                    assert!(answer["result"].is_object(), "{answer}");
                }
                finish(w);
            });
        }
    });
    let all = records(&home);
    let per_session = 2 + 2 * CALLS as usize;
    assert_eq!(all.len(), WRAPPERS * per_session);
    let sessions: BTreeSet<&str> = all.iter().map(|r| r["session"].as_str().unwrap()).collect();
    assert_eq!(sessions.len(), WRAPPERS);
    let ids: Vec<i64> = all.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=all.len() as i64).collect::<Vec<_>>());
    assert_verified(&home);
}

#[test]
fn a_wrapper_killed_mid_stream_leaves_a_log_that_verifies() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    w.call(&initialize(0));
    for id in 1..=2000 {
        w.send(&call(json!(id), "echo", json!({"n": id})).to_string());
    }
    for _ in 0..300 {
        w.recv();
    }
    w.child.kill().expect("SIGKILL the wrapper");
    w.child.wait().unwrap();
    assert_verified(&home);
    let all = records(&home);
    assert!(!all.is_empty());
    let stats = run(&home, &["logs", "stats"]);
    assert!(stats.status.success());
}

/// The user configuration for the leak test: secrets in arguments let through (so they reach
/// the server and come back), personal data redacted, stderr kept, a JSON Lines copy.
fn leaky_config(home: &Home) -> String {
    format!(
        "disable_builtin: [secrets-in-arguments]\n\
         redact: {{email: redact, phone: redact}}\n\
         audit:\n  stderr: true\n  jsonl:\n    path: {}\n    max_mb: 1\n    keep: 2\n",
        home.path().join("logs/audit.jsonl").display()
    )
}

/// Sends `sample` through every path a wrapper has: an allowed call whose echo is redacted on
/// the way back, a denied call, the server's stderr, and as the name of a tool and of a resource
/// (both answered with errors that repeat it). Always in its context: a bare random string with
/// no recognizable format is no more a secret to the log than to the relay.
fn send_everywhere(w: &mut Wrapped, sample: &Sample, id: &mut u64) {
    let mut next = || {
        *id += 1;
        json!(*id)
    };
    let text = &sample.text;
    w.call(&call(next(), "echo", json!({ "text": text })));
    w.call(&call(
        next(),
        "echo",
        json!({"path": "~/.ssh/id_rsa", "note": text}),
    ));
    let lines: Vec<&str> = text.lines().collect();
    w.call(&call(next(), "stderr", json!({ "lines": lines })));
    w.call(&call(next(), text, json!({})));
    let read = json!({"jsonrpc": "2.0", "id": next(), "method": "resources/read",
        "params": {"uri": format!("note://x?{text}")}});
    w.call(&read);
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[test]
fn no_secret_reaches_the_log_in_any_form() {
    let home = Home::new();
    let samples = samples();
    for sample in &samples {
        let safe = portcullis_core::audit::redact_untagged(None, &sample.text);
        assert!(
            !safe.contains(&sample.value),
            "the detectors must know the sample of {}",
            sample.kind
        );
    }
    // The server's command line carries a key too.
    let key = &samples
        .iter()
        .find(|s| s.kind == "openai-key")
        .unwrap()
        .value;
    let server = binary("recording-server");
    for config in [leaky_config(&home), String::new()] {
        home.user_config(&config);
        let mut command = home.portcullis(&["run", "--name", "rec", "--"]);
        command.arg(&server).args(["--api-key", key]);
        let mut w = Wrapped::spawn(command);
        w.call(&initialize(0));
        let mut id = 0;
        for sample in &samples {
            send_everywhere(&mut w, sample, &mut id);
        }
        finish(w);
    }

    let state = files(&home.path().join("state"));
    let jsonl = files(&home.path().join("logs"));
    assert!(state.iter().any(|(p, _)| p.ends_with("audit.sqlite")));
    assert!(
        jsonl.iter().any(|(_, bytes)| !bytes.is_empty()),
        "the JSONL copy was written"
    );
    for (path, bytes) in state.iter().chain(&jsonl) {
        let text = String::from_utf8_lossy(bytes);
        for sample in &samples {
            for fragment in fragments(&sample.value) {
                assert!(
                    !text.contains(&fragment),
                    "{path} holds {:?} of a {}",
                    fragment,
                    sample.kind
                );
            }
        }
    }

    // Redacted, not lost: each value is recorded by type, summaries and stderr were kept.
    let all = records(&home);
    let kinds: BTreeSet<String> = all
        .iter()
        .flat_map(|r| r["secrets"].as_array().unwrap().clone())
        .map(|s| s["kind"].as_str().unwrap().to_owned())
        .collect();
    for sample in &samples {
        assert!(
            kinds.contains(sample.kind),
            "{} is not recorded: {kinds:?}",
            sample.kind
        );
    }
    assert!(
        all.iter().any(|r| r["summary"]
            .as_str()
            .is_some_and(|s| s.contains("[REDACTED:github-token#"))),
        "summaries show what was redacted"
    );
    let first = all[0]["id"].as_i64().unwrap().to_string();
    let shown = run(&home, &["logs", "show", &first, "--stderr"]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("[REDACTED:private-key"),
        "the server's stderr was kept, redacted: {}",
        String::from_utf8_lossy(&shown.stdout)
    );
    assert_verified(&home);
}
