//! `portcullis check`: what the policy decides for one message, and why.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict_str};
use portcullis_core::message::{Direction, Kind, Message, Target, View};
use serde_json::{Map, Value, json};

use crate::config::load_policy;

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    /// The server name rules see.
    #[arg(long, default_value = "default")]
    name: String,
    /// A whole JSON-RPC message.
    #[arg(long, conflicts_with_all = ["tool", "arg"])]
    message: Option<String>,
    /// A tool to call (builds a `tools/call` request).
    #[arg(long)]
    tool: Option<String>,
    /// A tool argument: `key=text` for a string, `key:=json` for any JSON value.
    #[arg(long = "arg", value_name = "KEY=VALUE")]
    arg: Vec<String>,
    /// Judge the message as travelling from the server to the client.
    #[arg(long)]
    to_client: bool,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

/// Exit codes: 0 allowed, 1 denied (or held for approval), 2 error.
pub fn run(args: CheckArgs) -> anyhow::Result<u8> {
    let policy = load_policy(args.config.clone())?;
    let value = message_value(&args)?;
    let message = Message::from_value(value).context("the message is not JSON-RPC")?;
    let target = match message.kind {
        Kind::Request | Kind::Notification => Target::of(
            message.method.as_deref().unwrap_or_default(),
            message.params(),
        ),
        Kind::Response | Kind::Error => Target::default(),
    };
    let view = View {
        direction: if args.to_client {
            Direction::ToClient
        } else {
            Direction::ToServer
        },
        kind: message.kind,
        server: &args.name,
        target: &target,
        payload: message.payload(),
    };
    let decision = policy.evaluate(&view);
    let origin = decision
        .rule
        .as_deref()
        .and_then(|name| policy.rules().find(|r| r.name == name))
        .map_or_else(|| "default".to_owned(), |r| r.origin.to_string());
    if args.json {
        let out = json!({
            "verdict": decision.action.name(),
            "rule": decision.rule,
            "origin": origin,
            "reason": decision.reason,
            "matched": decision.evidence,
        });
        println!("{out}");
    } else {
        println!("verdict: {}", decision.action.name());
        println!(
            "rule:    {} ({origin})",
            decision.rule.as_deref().unwrap_or("none")
        );
        println!("reason:  {}", decision.reason);
        for evidence in &decision.evidence {
            println!("matched: {evidence}");
        }
    }
    Ok(if decision.action.passes() { 0 } else { 1 })
}

fn message_value(args: &CheckArgs) -> anyhow::Result<Value> {
    if let Some(text) = &args.message {
        return parse_strict_str(text, DEFAULT_MAX_DEPTH)
            .context("--message is not acceptable JSON");
    }
    let Some(tool) = &args.tool else {
        bail!("give --message JSON, or --tool NAME with --arg key=value");
    };
    let mut arguments = Map::new();
    for arg in &args.arg {
        let (key, value) = parse_arg(arg)?;
        arguments.insert(key, value);
    }
    Ok(json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments}
    }))
}

fn parse_arg(arg: &str) -> anyhow::Result<(String, Value)> {
    if let Some((key, json)) = arg.split_once(":=") {
        let value = parse_strict_str(json, DEFAULT_MAX_DEPTH)
            .with_context(|| format!("--arg {key}:= needs JSON after `:=`"))?;
        return Ok((key.to_owned(), value));
    }
    match arg.split_once('=') {
        Some((key, value)) if !key.is_empty() => {
            Ok((key.to_owned(), Value::String(value.to_owned())))
        }
        _ => bail!("--arg {arg:?} must be key=value (a string) or key:=json"),
    }
}
