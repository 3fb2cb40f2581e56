//! The real `portcullis run` around the recording server: transparency, blocking, framing, batches,
//! ids, and the child's lifecycle.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Home, assert_blocked, call, initialize};

#[test]
fn allowed_messages_reach_the_server_byte_for_byte() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    // Odd spacing, unknown fields, _meta, escapes: all must arrive exactly as sent.
    let init = r#"{ "jsonrpc":"2.0" , "id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"x-unknown":{"a":[1,2.50,"\u00e9"]}},"clientInfo":{"name":"t","version":"1"},"_meta":{"trace":"abc"}} }"#;
    w.send(init);
    let answer = w.recv();
    assert_eq!(answer["result"]["serverInfo"]["name"], "recording-server");
    let note = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    w.send(note);
    let unknown = r#"{"jsonrpc":"2.0","id":"u-1","method":"vendor/custom","params":{"k":1}}"#;
    w.send(unknown);
    assert_eq!(
        w.recv()["error"]["code"],
        -32601,
        "the server's own answer comes back"
    );
    let list = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    w.send(list);
    assert!(w.recv()["result"]["tools"].as_array().unwrap().len() > 3);
    assert_eq!(
        home.received(),
        format!("{init}\n{note}\n{unknown}\n{list}\n")
    );
}

#[test]
fn server_answers_reach_the_client_byte_for_byte() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    let weird = r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"  spaced \u00e9 ","_meta":{}}   }"#;
    let emit = call(json!(3), "emit", json!({"lines": [weird]}));
    w.send(&emit.to_string());
    let line = w.recv_bytes_within(Duration::from_secs(20)).unwrap();
    assert_eq!(String::from_utf8(line).unwrap(), weird);
}

#[test]
fn blocked_call_is_answered_and_never_reaches_the_server() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    w.call(&initialize(1));
    let answer = w.call(&call(json!(2), "echo", json!({"path": "~/.ssh/id_rsa"})));
    assert_blocked(&answer, "ssh-keys");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{}/.ssh/id_rsa", home.path().display())),
        "{message}"
    );
    assert!(!home.received().contains("id_rsa"));
    // The session goes on.
    let ok = w.call(&call(json!(3), "echo", json!({"path": "src/main.rs"})));
    assert!(ok["result"].is_object(), "{ok}");
}

#[test]
fn id_zero_and_string_ids_are_ids() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    for id in [
        json!(0),
        json!("zero"),
        json!(-5),
        json!(9007199254740993u64),
    ] {
        let answer = w.call(&call(id.clone(), "echo", json!({"file": "/etc/shadow"})));
        assert_eq!(answer["id"], id);
        assert_blocked(&answer, "system-secrets");
    }
    let big = r#"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"tools/call","params":{"name":"echo","arguments":{"p":"~/.aws/credentials"}}}"#;
    w.send(big);
    let line = String::from_utf8(w.recv_bytes_within(Duration::from_secs(20)).unwrap()).unwrap();
    assert!(
        line.contains(r#""id":123456789012345678901234567890"#),
        "{line}"
    );
    assert!(home.received().is_empty());
}

#[test]
fn batches_are_inspected_element_by_element() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    let allowed = call(json!(1), "echo", json!({"text": "hello"}));
    let blocked = call(json!(2), "run_command", json!({"command": "rm -rf ~"}));
    let note = json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 1, "progress": 1}});
    w.send(&json!([allowed, blocked, note]).to_string());
    let mut seen = Vec::new();
    for _ in 0..2 {
        let line = w.recv();
        seen.extend(line.as_array().cloned().unwrap_or_else(|| vec![line]));
    }
    let denial = seen
        .iter()
        .find(|m| m["id"] == 2)
        .expect("an answer for the blocked element");
    assert_blocked(denial, "dangerous-commands");
    assert!(
        seen.iter().any(|m| m["id"] == 1 && m["result"].is_object()),
        "{seen:?}"
    );
    let received = home.received();
    assert!(received.contains("hello") && received.contains("notifications/progress"));
    assert!(!received.contains("rm -rf"), "{received}");
}

#[test]
fn fully_blocked_batch_gets_answers_and_nothing_reaches_the_server() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    let a = call(json!(1), "echo", json!({"p": "~/.ssh"}));
    let b = call(json!(2), "echo", json!({"p": "~/.gnupg/private-keys-v1.d"}));
    w.send(&json!([a, b]).to_string());
    let answers = w.recv();
    let answers = answers.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 2);
    assert_blocked(&answers[0], "ssh-keys");
    assert_blocked(&answers[1], "gnupg");
    assert!(home.received().is_empty());
}

#[test]
fn out_of_order_responses_find_their_requests() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    w.send(&call(json!(10), "hold", json!({})).to_string());
    w.send(&call(json!(11), "hold", json!({})).to_string());
    w.send(&call(json!(12), "release", json!({})).to_string());
    let ids: Vec<Value> = (0..3).map(|_| w.recv()["id"].clone()).collect();
    assert_eq!(ids, vec![json!(11), json!(10), json!(12)]);
}

#[test]
fn multibyte_text_split_across_writes_arrives_intact() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    let answer = w.call(&call(json!(1), "utf8", json!({})));
    assert_eq!(
        answer["result"]["content"][0]["text"],
        "h\u{e9}llo \u{1f600} \u{4e16}\u{754c}"
    );
    // And from the client side, one byte at a time.
    let request = call(json!(2), "echo", json!({"text": "\u{e9}\u{1f600}"})).to_string();
    for byte in request.as_bytes() {
        w.send_bytes(&[*byte]);
    }
    w.send_bytes(b"\n");
    let answer = w.recv();
    assert!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("\u{1f600}")
    );
}

#[test]
fn malformed_input_is_rejected_with_an_answer_and_never_forwarded() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    // Duplicate keys: the server would act on the last `path`, so neither is trusted.
    w.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"path":"ok.txt","path":"/home/x/.ssh/id_rsa"}}}"#);
    let answer = w.recv();
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (json!(1), json!(-32700))
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate")
    );
    // Invalid UTF-8.
    w.send_bytes(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"t\":\"\xff\xfe\"}}}\n");
    let answer = w.recv();
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (json!(2), json!(-32700))
    );
    // Not JSON at all.
    w.send("rm -rf /");
    let answer = w.recv();
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (Value::Null, json!(-32700))
    );
    // Too deep.
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"echo","arguments":{{"a":{}1{}}}}}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    w.send(&deep);
    let answer = w.recv();
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (json!(3), json!(-32700))
    );
    // Not JSON-RPC.
    w.send(r#"{"id":4,"hello":"world","method":7}"#);
    assert_eq!(w.recv()["id"], 4);
    assert!(home.received().is_empty(), "{}", home.received());
    // The stream is still in sync.
    let ok = w.call(&call(json!(5), "echo", json!({"text": "fine"})));
    assert!(ok["result"].is_object());
}

#[test]
fn oversized_messages_are_answered_without_desynchronizing() {
    let home = Home::new();
    home.user_config("max_message_bytes: 2048\n");
    let mut w = home.wrap(&[]);
    let huge = call(json!(7), "echo", json!({"text": "a".repeat(100_000)}));
    w.send(&huge.to_string());
    let answer = w.recv();
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (json!(7), json!(-32092))
    );
    let ok = w.call(&call(json!(8), "echo", json!({"text": "small"})));
    assert!(ok["result"].is_object(), "{ok}");
    // A response over the limit: the client gets an error for its request instead of hanging.
    let answer = w.call(&call(json!(9), "big", json!({"bytes": 50_000})));
    assert_eq!(answer["error"]["code"], -32092, "{answer}");
    assert!(!home.received().contains("aaaa"));
}

#[test]
fn server_to_client_requests_and_client_answers_pass() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    let sampling = r#"{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{"messages":[],"maxTokens":10}}"#;
    w.send(&call(json!(1), "emit", json!({"lines": [sampling]})).to_string());
    let forwarded = w.recv();
    assert_eq!(forwarded["method"], "sampling/createMessage");
    let _ = w.recv(); // the emit result
    let reply = r#"{"jsonrpc":"2.0","id":"s1","result":{"role":"assistant","content":{"type":"text","text":"hi"},"model":"m"}}"#;
    w.send(reply);
    let ping = w.call(&json!({"jsonrpc":"2.0","id":2,"method":"ping"}));
    assert!(ping["result"].is_object());
    assert!(home.received().contains(reply));
}

#[test]
fn responses_can_be_blocked_by_to_client_rules() {
    let home = Home::new();
    home.user_config(
        "rules:\n  - name: no-echo-results\n    action: deny\n    direction: to_client\n    tool: echo\n    reason: echo results are not trusted\n",
    );
    let mut w = home.wrap(&[]);
    let answer = w.call(&call(json!(1), "echo", json!({"text": "x"})));
    assert_blocked(&answer, "no-echo-results");
    assert!(
        home.received().contains("\"text\":\"x\""),
        "the request itself was allowed"
    );
}

#[test]
fn ask_rules_hold_nothing_in_monitor_mode() {
    // Asking a person is tested in tests/approvals.rs; monitor mode never holds a call, and so
    // never starts the approval daemon.
    let home = Home::new();
    home.user_config("rules:\n  - name: confirm-commands\n    action: ask\n    tool: run_command\n    reason: commands need a person's approval\n");
    let mut w = home.wrap(&["--monitor"]);
    let answer = w.call(&call(json!(1), "run_command", json!({"command": "ls"})));
    assert!(answer["result"].is_object(), "{answer}");
    assert!(home.received().contains("\"ls\""));
    assert!(w.stderr_contains_within("would ask", Duration::from_secs(20)));
    assert!(!home.path().join("state/daemon").exists());
}

#[test]
fn monitor_mode_forwards_what_it_would_block() {
    let home = Home::new();
    let mut w = home.wrap(&["--monitor"]);
    let answer = w.call(&call(json!(1), "echo", json!({"path": "~/.ssh/id_rsa"})));
    assert!(answer["result"].is_object(), "{answer}");
    assert!(home.received().contains("id_rsa"));
    assert!(w.stderr_contains_within("would deny", Duration::from_secs(20)));
}

#[test]
fn project_file_adds_rules_but_cannot_loosen() {
    let home = Home::new();
    std::fs::write(
        home.project().join(".portcullis.yaml"),
        "rules:\n  - name: no-echo\n    action: deny\n    tool: echo\n    reason: the project forbids echo\n  - name: allow-everything\n    action: allow\n",
    )
    .unwrap();
    let mut w = home.wrap(&[]);
    assert_blocked(&w.call(&call(json!(1), "echo", json!({"t": 1}))), "no-echo");
    // The project's catch-all allow cannot override a built-in denial.
    assert_blocked(
        &w.call(&call(
            json!(2),
            "run_command",
            json!({"command": "cat ~/.ssh/id_rsa"}),
        )),
        "ssh-keys",
    );
    drop(w);

    std::fs::write(
        home.project().join(".portcullis.yaml"),
        "rules: []\ndisable_builtin:\n  - ssh-keys\n",
    )
    .unwrap();
    let output = home.portcullis(&["run", "--", "true"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(".portcullis.yaml:3:"), "{stderr}");
    assert!(stderr.contains("cannot disable built-in rules"), "{stderr}");
}

#[test]
fn server_exit_status_becomes_ours_and_pending_requests_are_answered() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    w.send(&call(json!(1), "hold", json!({})).to_string());
    w.send(&call(json!(2), "exit", json!({"code": 7})).to_string());
    let mut answered = Vec::new();
    for _ in 0..2 {
        let answer = w.recv();
        assert_eq!(answer["error"]["code"], -32093, "{answer}");
        answered.push(answer["id"].clone());
    }
    answered.sort_by_key(|v| v.as_i64());
    assert_eq!(answered, vec![json!(1), json!(2)]);
    let status = w
        .wait_within(Duration::from_secs(20))
        .expect("the wrapper exits");
    assert_eq!(status.code(), Some(7));
}

#[test]
fn client_eof_closes_the_server_and_exits_cleanly() {
    let home = Home::new();
    let mut w = home.wrap(&[]);
    w.call(&initialize(1));
    w.close_stdin();
    let status = w
        .wait_within(Duration::from_secs(20))
        .expect("the wrapper exits");
    assert_eq!(status.code(), Some(0));
}

#[cfg(unix)]
mod signals {
    use super::*;

    fn alive(pid: i32) -> bool {
        // SAFETY: signal 0 only checks for existence.
        unsafe { libc::kill(pid, 0) == 0 }
    }

    fn sigterm(pid: u32) {
        // SAFETY: sending a signal to our own child.
        unsafe {
            libc::kill(pid as i32, libc::SIGTERM);
        }
    }

    #[test]
    fn sigterm_is_forwarded_and_reported_in_the_exit_status() {
        let home = Home::new();
        let mut w = home.wrap(&[]);
        w.call(&initialize(1));
        sigterm(w.child.id());
        let status = w
            .wait_within(Duration::from_secs(20))
            .expect("the wrapper exits");
        assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    }

    #[test]
    fn a_server_that_ignores_sigterm_is_killed() {
        let home = Home::new();
        let mut command = home.portcullis(&["run", "--"]);
        command
            .arg(portcullis_testkit::locate::binary("recording-server"))
            .env("IGNORE_SIGTERM", "1");
        let mut w = portcullis_testkit::drive::Wrapped::spawn(command);
        w.call(&initialize(1));
        sigterm(w.child.id());
        let status = w
            .wait_within(Duration::from_secs(30))
            .expect("the wrapper exits");
        assert_eq!(status.code(), Some(128 + libc::SIGKILL));
    }

    #[test]
    fn no_process_of_the_server_outlives_the_wrapper() {
        let home = Home::new();
        let mut w = home.wrap(&[]);
        let answer = w.call(&call(json!(1), "spawn_sleeper", json!({})));
        let pid: i32 = answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(alive(pid));
        w.close_stdin();
        w.wait_within(Duration::from_secs(20))
            .expect("the wrapper exits");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while alive(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive(pid), "grandchild {pid} survived");
    }
}

/// Regression: servers such as server-filesystem resolve relative paths against the directory they
/// were given, not their working directory (Claude Desktop starts servers in `/`). `../.netrc`
/// must be judged in that reading too.
#[test]
fn relative_paths_are_also_resolved_against_directories_on_the_server_command_line() {
    let home = Home::new();
    let elsewhere = home.path().join("elsewhere/deep");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut command = home.portcullis(&["run", "--name", "fs", "--"]);
    command
        .current_dir(&elsewhere)
        .arg(portcullis_testkit::locate::binary("recording-server"))
        .arg(home.project());
    let mut w = portcullis_testkit::drive::Wrapped::spawn(command);
    assert_blocked(
        &w.call(&call(
            json!(1),
            "read_text_file",
            json!({"path": "../.netrc"}),
        )),
        "package-and-git-tokens",
    );
    assert_blocked(
        &w.call(&call(
            json!(2),
            "read_text_file",
            json!({"path": "../.ssh/id_rsa"}),
        )),
        "ssh-keys",
    );
    let ok = w.call(&call(json!(3), "echo", json!({"path": "src/main.rs"})));
    assert!(ok["result"].is_object(), "{ok}");
    assert!(!home.received().contains(".netrc"));
}
