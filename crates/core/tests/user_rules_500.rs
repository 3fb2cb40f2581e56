//! The 500-rule policy of the benches decides calls that match one of its rules exactly as a
//! policy holding that rule alone does: whatever facts evaluation shares between rules, the first
//! rule that matches decides, with the same evidence.

#[path = "../benches/common/mod.rs"]
mod common;

use portcullis_core::detect::paths::PathContext;
use portcullis_core::message::{Direction, Kind, Target, View};
use portcullis_core::policy::{Action, Decision, Policy, Source, Sources};
use serde_json::{Value, json};

const RULES: usize = 500;

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

/// Rule `index` of the generated configuration alone, before the built-in rules.
fn one_rule_policy(index: usize, paths: PathContext) -> Policy {
    let all = common::user_rules_yaml(RULES);
    // The first piece is the `rules:` line.
    let rule = all
        .split("\n  - ")
        .nth(index + 1)
        .expect("the generated configuration has the rule");
    let sources = Sources {
        user: Some(Source {
            path: "one-rule.yaml".into(),
            text: format!("rules:\n  - {}\n", rule.trim_end()),
        }),
        project: None,
    };
    Policy::compile(&sources, paths).unwrap_or_else(|e| panic!("{e}"))
}

/// Calls that match a rule of the generated configuration: (rule index, server, tool,
/// arguments, the action that rule takes).
fn matching_calls() -> Vec<(usize, &'static str, &'static str, Value, Action)> {
    vec![
        // The first rule: a tool glob.
        (0, "bench", "team0_admin_reset", json!({}), Action::Deny),
        // A path `under` a home directory, selected by key.
        (
            1,
            "bench",
            "read_file",
            json!({"path": "~/archive/dataset-1/rows.csv"}),
            Action::Deny,
        ),
        // A path glob, on any argument.
        (
            2,
            "bench",
            "read_file",
            json!({"file": "out/exports/report-2-q1.csv"}),
            Action::Ask,
        ),
        // A command's program.
        (
            3,
            "bench",
            "run_command",
            json!({"command": "deploy-svc3 --env prod"}),
            Action::Ask,
        ),
        // A server and tool pair.
        (4, "prod-4-eu", "write_row", json!({}), Action::Deny),
        // A regex on a keyed argument.
        (
            5,
            "bench",
            "search",
            json!({"query": "orders of ACCT-5"}),
            Action::Log,
        ),
        // A command rule near the end.
        (
            495,
            "bench",
            "run_command",
            json!({"command": "cargo build && svc495ctl restart"}),
            Action::Ask,
        ),
        // The last rule: an absolute path `under`, selected by key, the same path in two
        // arguments.
        (
            499,
            "bench",
            "copy_file",
            json!({"source_path": "/srv/data/dataset-499/a.csv", "dest_path": "/srv/data/dataset-499/a.csv"}),
            Action::Deny,
        ),
    ]
}

fn same_verdicts(paths: fn() -> PathContext) {
    let policy = common::policy_with_user_rules(RULES, paths());
    for (index, server, tool, arguments, action) in matching_calls() {
        let decided = call(&policy, server, tool, arguments.clone());
        let alone = call(&one_rule_policy(index, paths()), server, tool, arguments);
        assert_eq!(decided.action, action, "rule {index}: {decided:?}");
        assert!(
            decided
                .rule
                .as_deref()
                .is_some_and(|r| r.contains(&index.to_string())),
            "rule {index} decides: {decided:?}"
        );
        assert_eq!(decided, alone, "rule {index}");
    }
}

#[test]
fn matching_calls_get_the_verdict_of_their_rule_on_lexical_paths() {
    same_verdicts(common::lexical_paths);
}

#[test]
fn matching_calls_get_the_verdict_of_their_rule_on_a_real_project() {
    same_verdicts(|| common::project_paths(true));
}

/// Calls that no user rule matches are decided by the built-in rules alone.
#[test]
fn other_calls_get_the_built_in_verdict() {
    let paths = common::lexical_paths;
    let policy = common::policy_with_user_rules(RULES, paths());
    let builtin = common::builtin_policy(paths());
    for (tool, arguments) in [
        ("read_file", json!({"path": "src/main.rs"})),
        ("read_file", json!({"path": "~/.ssh/id_rsa"})),
        (
            "run_command",
            json!({"command": "cargo test --workspace && git status --short"}),
        ),
        ("run_command", json!({"command": "cat ~/.aws/credentials"})),
    ] {
        assert_eq!(
            call(&policy, "bench", tool, arguments.clone()),
            call(&builtin, "bench", tool, arguments),
            "{tool}"
        );
    }
}
