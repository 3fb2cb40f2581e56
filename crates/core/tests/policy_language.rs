//! Every selector, matcher and layering rule that docs/policy.md documents, on small policies.

use std::path::{Path, PathBuf};

use portcullis_core::detect::paths::PathContext;
use portcullis_core::message::{Direction, Kind, Target, View};
use portcullis_core::policy::{Action, Decision, Mode, Policy, Source, Sources};
use serde_json::{Value, json};

fn paths() -> PathContext {
    let mut paths = PathContext::for_host(
        Some(PathBuf::from("/home/alice")),
        PathBuf::from("/home/alice/project"),
    );
    paths.case_insensitive = false;
    paths
}

fn source(name: &str, yaml: &str) -> Source {
    Source {
        path: Path::new(name).to_path_buf(),
        text: yaml.to_owned(),
    }
}

fn user(yaml: &str) -> Policy {
    let sources = Sources {
        user: Some(source("user.yaml", yaml)),
        project: None,
    };
    Policy::compile(&sources, paths()).unwrap_or_else(|e| panic!("{e}"))
}

fn call(policy: &Policy, server: &str, tool: &str, arguments: Value) -> Decision {
    let params = json!({"name": tool, "arguments": arguments});
    let target = Target::of("tools/call", Some(&params));
    policy.evaluate(&View {
        direction: Direction::ToServer,
        kind: Kind::Request,
        server,
        target: &target,
        payload: params.get("arguments"),
    })
}

fn rule_of(d: &Decision) -> Option<&str> {
    d.rule.as_deref()
}

/// A one-rule policy with a single argument condition, denying as `t`.
fn condition(yaml: &str) -> Policy {
    user(&format!(
        "rules:\n  - name: t\n    action: deny\n    arguments:\n      - {yaml}\n"
    ))
}

#[test]
fn selectors_choose_which_values_are_matched() {
    let any = condition("equals: secret-value");
    assert_eq!(
        rule_of(&call(&any, "s", "x", json!({"a": [{"b": "secret-value"}]}))),
        Some("t")
    );
    let keys_too = condition("glob: \"forbidden-*\"");
    assert_eq!(
        rule_of(&call(&keys_too, "s", "x", json!({"forbidden-key": 1}))),
        Some("t")
    );

    let key = user(
        "rules:\n  - name: t\n    action: deny\n    arguments:\n      - key: \"*path\"\n        equals: /x\n",
    );
    assert_eq!(
        rule_of(&call(&key, "s", "x", json!({"deep": {"file_path": "/x"}}))),
        Some("t")
    );
    assert_eq!(rule_of(&call(&key, "s", "x", json!({"other": "/x"}))), None);

    let pointer = user(
        "rules:\n  - name: t\n    action: deny\n    arguments:\n      - pointer: /opts/1\n        equals: force\n",
    );
    assert_eq!(
        rule_of(&call(&pointer, "s", "x", json!({"opts": ["a", "force"]}))),
        Some("t")
    );
    assert_eq!(
        rule_of(&call(&pointer, "s", "x", json!({"opts": ["force"]}))),
        None
    );
}

#[test]
fn every_matcher_matches_what_it_says_and_nothing_else() {
    let regex = condition("regex: \"(?i)prod[-_]?db\"");
    assert_eq!(
        rule_of(&call(
            &regex,
            "s",
            "q",
            json!({"sql": "select from PROD_DB"})
        )),
        Some("t")
    );
    assert_eq!(
        rule_of(&call(&regex, "s", "q", json!({"sql": "select from dev"}))),
        None
    );

    let not_under = condition("path: { not_under: [\".\"] }");
    assert_eq!(
        rule_of(&call(&not_under, "s", "r", json!({"path": "src/a.rs"}))),
        None
    );
    assert_eq!(
        rule_of(&call(&not_under, "s", "r", json!({"path": "/etc/hosts"}))),
        Some("t")
    );

    let program = condition("command: { program: [kubectl] }");
    assert_eq!(
        rule_of(&call(
            &program,
            "s",
            "run",
            json!({"command": "sudo kubectl delete ns x"})
        )),
        Some("t")
    );
    assert_eq!(
        rule_of(&call(
            &program,
            "s",
            "run",
            json!({"command": "echo kubectl"})
        )),
        None
    );

    let one_kind = condition("secret: [github-token]");
    let github = format!("ghp_{}", "a1B2c3D4e5F6".repeat(3));
    let aws = format!("AKIA{}", "Z7Q4".repeat(4));
    assert_eq!(
        rule_of(&call(&one_kind, "s", "w", json!({"t": github}))),
        Some("t")
    );
    // The AWS key is still a secret for the built-in rule, but not for a rule asking for GitHub only.
    assert_eq!(
        rule_of(&call(&one_kind, "s", "w", json!({"t": aws}))),
        Some("secrets-in-arguments")
    );

    let entropy = condition("entropy: { min_bits: 4.0, min_length: 24 }");
    assert_eq!(
        rule_of(&call(
            &entropy,
            "s",
            "w",
            json!({"t": "x Zq8vR3xT9wKp2mN7bY4cL6dFgH1j"})
        )),
        Some("t")
    );
    assert_eq!(
        rule_of(&call(
            &entropy,
            "s",
            "w",
            json!({"t": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        )),
        None
    );

    let size = condition("size: { over: 100 }");
    assert_eq!(
        rule_of(&call(&size, "s", "w", json!({"t": "x".repeat(200)}))),
        Some("t")
    );
    assert_eq!(rule_of(&call(&size, "s", "w", json!({"t": "x"}))), None);
}

#[test]
fn header_fields_and_direction_narrow_a_rule() {
    let policy = user(
        "rules:\n  - name: t\n    action: deny\n    server: \"git*\"\n    tool: [\"push_*\", delete]\n",
    );
    assert_eq!(
        rule_of(&call(&policy, "github", "push_branch", json!({}))),
        Some("t")
    );
    assert_eq!(rule_of(&call(&policy, "github", "list", json!({}))), None);
    assert_eq!(rule_of(&call(&policy, "files", "delete", json!({}))), None);

    let resource = user(
        "rules:\n  - name: t\n    action: deny\n    method: \"resources/*\"\n    resource: \"db://prod/*\"\n",
    );
    let params = json!({"uri": "db://prod/users"});
    let target = Target::of("resources/read", Some(&params));
    let view = View {
        direction: Direction::ToServer,
        kind: Kind::Request,
        server: "s",
        target: &target,
        payload: Some(&params),
    };
    assert_eq!(rule_of(&resource.evaluate(&view)), Some("t"));
    // Rules default to `to_server`: the same view travelling to the client does not match.
    let back = View {
        direction: Direction::ToClient,
        ..view
    };
    assert_eq!(rule_of(&resource.evaluate(&back)), None);
}

#[test]
fn first_match_wins_then_the_default() {
    let policy = user(
        "default: deny\nrules:\n  - name: allow-reads\n    action: allow\n    tool: read\n  - name: log-writes\n    action: log\n    tool: write\n  - name: ask-run\n    action: ask\n    tool: run\n",
    );
    assert_eq!(call(&policy, "s", "read", json!({})).action, Action::Allow);
    assert_eq!(call(&policy, "s", "write", json!({})).action, Action::Log);
    assert_eq!(call(&policy, "s", "run", json!({})).action, Action::Ask);
    let other = call(&policy, "s", "other", json!({}));
    assert_eq!((other.action, other.rule), (Action::Deny, None));
    // A user allow rule comes before the built-ins, which is the user's choice to make.
    let d = call(&policy, "s", "read", json!({"path": "~/.ssh/id_rsa"}));
    assert_eq!(d.action, Action::Allow);
}

#[test]
fn the_user_can_disable_one_built_in_rule_and_set_monitor_mode() {
    let policy = user("mode: monitor\ndisable_builtin: [ssh-keys]\n");
    assert_eq!(policy.mode, Mode::Monitor);
    assert_eq!(
        call(&policy, "s", "r", json!({"path": "~/.ssh/id_rsa"})).action,
        Action::Allow
    );
    assert_eq!(
        rule_of(&call(&policy, "s", "r", json!({"path": "~/.aws/config"}))),
        Some("cloud-credentials")
    );
    assert_eq!(policy.disabled_rules().len(), 1);
}

#[test]
fn a_project_file_only_tightens() {
    let compile = |user_yaml: &str, project_yaml: &str| {
        let sources = Sources {
            user: Some(source("user.yaml", user_yaml)),
            project: Some(source(".portcullis.yaml", project_yaml)),
        };
        Policy::compile(&sources, paths())
    };
    let policy = compile(
        "rules:\n  - name: user-allows\n    action: allow\n    tool: deploy\n",
        "default: deny\nrules:\n  - name: project-allows-read\n    action: allow\n    tool: read\n",
    )
    .unwrap();
    // The project's allowlist denies what it does not allow, even what the user allowed.
    assert_eq!(call(&policy, "s", "deploy", json!({})).action, Action::Deny);
    assert_eq!(call(&policy, "s", "read", json!({})).action, Action::Allow);
    // And its allow rules never override a built-in denial.
    assert_eq!(
        rule_of(&call(
            &policy,
            "s",
            "read",
            json!({"path": "~/.ssh/id_rsa"})
        )),
        Some("ssh-keys")
    );

    for loosening in [
        "mode: monitor\n",
        "disable_builtin: [ssh-keys]\n",
        "max_message_bytes: 999999999\n",
    ] {
        let err = compile("", loosening).unwrap_err();
        assert!(err.to_string().contains(".portcullis.yaml:1:"), "{err}");
    }
}
