//! One server entry of a client's configuration, read into the few things Portcullis needs: how
//! the client reaches the server, and whether Portcullis already stands in between.
//!
//! Every format is first turned into a `serde_json::Value` (TOML tables included), so the shapes
//! clients use are recognised in one place.

use serde_json::Value;

/// The argument that follows the wrapper's program: `portcullis run ...`.
const RUN: &str = "run";
/// What separates the wrapper's own options from the server's command.
const SEPARATOR: &str = "--";

/// How a client reaches a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A local process spoken to over stdin and stdout: what `portcullis run` can wrap.
    Stdio(Launch),
    /// A server reached over HTTP or SSE; it cannot be wrapped until the HTTP gateway exists.
    Remote { url: String },
    /// Something else, with the reason it cannot be wrapped.
    Unsupported(String),
}

/// A process a client starts: its command, arguments, extra environment and directory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Launch {
    pub command: String,
    pub args: Vec<String>,
    /// The entry's environment, as written (`${VAR}` and the like are not expanded).
    pub env: Vec<(String, String)>,
    pub cwd: Option<String>,
}

impl Launch {
    /// The command line: program then arguments.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.command.clone())
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// The server inside, when this launch is `portcullis run [options] -- CMD...`.
    pub fn wrapped(&self) -> Option<Wrapped> {
        if !is_portcullis(&self.command) {
            return None;
        }
        let program = program_index(self.args.iter().map(|a| Some(a.as_str())))?;
        let (command, args) = self.args[program..].split_first()?;
        let options = &self.args[1..program - 1];
        let name = options
            .iter()
            .position(|o| o == "--name")
            .and_then(|i| options.get(i + 1))
            .cloned()
            .or_else(|| {
                options
                    .iter()
                    .find_map(|o| o.strip_prefix("--name=").map(str::to_owned))
            });
        Some(Wrapped {
            name,
            options: options.to_vec(),
            inner: Launch {
                command: command.clone(),
                args: args.to_vec(),
                env: self.env.clone(),
                cwd: self.cwd.clone(),
            },
        })
    }
}

/// A server already wrapped in `portcullis run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    /// The `--name` given to the wrapper, if any.
    pub name: Option<String>,
    /// Every wrapper option, `--name` included (`--monitor`, `--config FILE`, ...).
    pub options: Vec<String>,
    /// The server as the wrapper starts it.
    pub inner: Launch,
}

impl Wrapped {
    /// Whether the wrapper only watches (`--monitor`): it blocks nothing.
    pub fn monitor_only(&self) -> bool {
        self.options.iter().any(|o| o == "--monitor")
    }
}

/// The wrapper's arguments that go before the server's command.
pub fn wrapper_prefix(name: &str) -> [String; 4] {
    [
        RUN.to_owned(),
        "--name".to_owned(),
        name.to_owned(),
        SEPARATOR.to_owned(),
    ]
}

/// Where the server's program sits in a wrapper's arguments (`run [options] -- PROGRAM ...`),
/// given each argument's text (`None` for one that is not a string).
pub fn program_index<'a>(args: impl IntoIterator<Item = Option<&'a str>>) -> Option<usize> {
    let mut args = args.into_iter().enumerate();
    if args.next()?.1 != Some(RUN) {
        return None;
    }
    let separator = args.find(|(_, a)| *a == Some(SEPARATOR))?.0;
    Some(separator + 1)
}

/// Whether `command` names a Portcullis binary, wherever it lives.
fn is_portcullis(command: &str) -> bool {
    let file = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let stem = file.strip_suffix(".exe").unwrap_or(file);
    stem == "portcullis"
}

/// How a client reaches the server an entry describes. The field names cover every client we
/// know: `url` (most), `serverUrl` (Windsurf), `httpUrl` (Gemini); a `command` that is an object
/// is Zed's older `{path, args, env}` form.
pub fn transport(entry: &Value) -> Transport {
    let Some(object) = entry.as_object() else {
        return Transport::Unsupported("the entry is not an object".to_owned());
    };
    let args_ok = |args: Option<&Value>| match args {
        None => true,
        Some(Value::Array(items)) => items.iter().all(Value::is_string),
        Some(_) => false,
    };
    if !args_ok(object.get("args")) || !args_ok(object.get("command").and_then(|c| c.get("args"))) {
        return Transport::Unsupported("its `args` is not a list of strings".to_owned());
    }
    match object.get("command") {
        Some(Value::String(command)) => Transport::Stdio(Launch {
            command: command.clone(),
            args: strings(object.get("args")),
            env: env(object.get("env")),
            cwd: object.get("cwd").and_then(Value::as_str).map(str::to_owned),
        }),
        Some(Value::Object(nested)) => match nested.get("path") {
            Some(Value::String(command)) => Transport::Stdio(Launch {
                command: command.clone(),
                args: strings(nested.get("args")),
                env: env(nested.get("env")),
                cwd: None,
            }),
            _ => Transport::Unsupported("its `command` has no `path`".to_owned()),
        },
        Some(_) => Transport::Unsupported("its `command` is not a string".to_owned()),
        None => match ["url", "serverUrl", "httpUrl"]
            .iter()
            .find_map(|key| object.get(*key).and_then(Value::as_str))
        {
            Some(url) => Transport::Remote {
                url: url.to_owned(),
            },
            None if object.contains_key("settings") => Transport::Unsupported(
                "a Zed extension's server: the extension starts it, there is no command to wrap"
                    .to_owned(),
            ),
            None => Transport::Unsupported("it has neither a `command` nor a `url`".to_owned()),
        },
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().map(display).collect())
        .unwrap_or_default()
}

fn env(value: Option<&Value>) -> Vec<(String, String)> {
    value
        .and_then(Value::as_object)
        .map(|vars| vars.iter().map(|(k, v)| (k.clone(), display(v))).collect())
        .unwrap_or_default()
}

/// A scalar as a client would pass it to a process (VS Code allows numbers in `env`).
fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stdio_remote_and_others_are_told_apart() {
        let stdio = transport(&json!({"command": "npx", "args": ["-y", "x"], "env": {"A": 1}}));
        assert_eq!(
            stdio,
            Transport::Stdio(Launch {
                command: "npx".into(),
                args: vec!["-y".into(), "x".into()],
                env: vec![("A".into(), "1".into())],
                cwd: None,
            })
        );
        let zed = transport(&json!({"command": {"path": "uvx", "args": ["git"]}, "settings": {}}));
        assert!(matches!(zed, Transport::Stdio(l) if l.argv() == ["uvx", "git"]));
        for remote in [
            json!({"url": "https://a"}),
            json!({"serverUrl": "https://a"}),
            json!({"httpUrl": "https://a"}),
        ] {
            assert_eq!(
                transport(&remote),
                Transport::Remote {
                    url: "https://a".into()
                }
            );
        }
        assert!(matches!(
            transport(&json!({"settings": {}})),
            Transport::Unsupported(why) if why.contains("Zed extension")
        ));
        for odd in [
            json!({"type": "stdio"}),
            json!({"command": "x", "args": "--flag"}),
            json!({"command": "x", "args": [1]}),
        ] {
            assert!(
                matches!(transport(&odd), Transport::Unsupported(_)),
                "{odd}"
            );
        }
    }

    #[test]
    fn a_wrapped_launch_yields_the_server_inside() {
        let launch = |command: &str, args: &[&str]| Launch {
            command: command.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            ..Launch::default()
        };
        let wrapped = launch(
            "/opt/bin/portcullis",
            &["run", "--name", "fs", "--monitor", "--", "npx", "-y", "x"],
        )
        .wrapped()
        .unwrap();
        assert_eq!(wrapped.name.as_deref(), Some("fs"));
        assert!(wrapped.monitor_only());
        assert_eq!(wrapped.inner.argv(), ["npx", "-y", "x"]);
        let windows = launch(
            r"C:\Tools\portcullis.exe",
            &["run", "--name=a", "--", "cmd"],
        );
        assert_eq!(windows.wrapped().unwrap().name.as_deref(), Some("a"));
        // Not ours, or not a run: left for what they are.
        assert!(launch("npx", &["run", "--", "x"]).wrapped().is_none());
        assert!(launch("portcullis", &["scan"]).wrapped().is_none());
        assert!(
            launch("portcullis-helper", &["run", "--", "x"])
                .wrapped()
                .is_none()
        );
        assert!(launch("portcullis", &["run", "--"]).wrapped().is_none());
    }
}
