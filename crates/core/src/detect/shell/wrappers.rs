//! Wrappers (`sudo`, `env`, `timeout`, `xargs`, `su -c`, ...): how each leads to the command it runs.

use std::rc::Rc;

use super::analyze::Analyzer;
use super::args::{OptSpec, has_flag, option_value, parse_args};
use super::ast::is_name;
use super::value::{Field, Flow, Scope, join_fields};
use super::{MAX_LOOP_VALUES, PLACEHOLDER};

/// A program that runs the command given after its options.
struct Wrapper {
    names: &'static [&'static str],
    opts: OptSpec,
    /// Operands before the command (`timeout DURATION`, `chroot DIR`, `flock FILE`).
    operands: usize,
}

const fn wrapper(
    names: &'static [&'static str],
    short: &'static str,
    long: &'static [&'static str],
    operands: usize,
) -> Wrapper {
    Wrapper {
        names,
        opts: OptSpec { short, long },
        operands,
    }
}

const WRAPPERS: &[Wrapper] = &[
    wrapper(
        &["sudo"],
        "CDghpRrTtUu",
        &[
            "user",
            "group",
            "host",
            "prompt",
            "role",
            "type",
            "close-from",
            "chdir",
            "chroot",
            "other-user",
            "command-timeout",
        ],
        0,
    ),
    wrapper(&["doas"], "Cu", &[], 0),
    wrapper(&["pkexec"], "", &["user"], 0),
    wrapper(&["env"], "uCP", &["unset", "chdir"], 0),
    wrapper(&["nice"], "n", &["adjustment"], 0),
    wrapper(
        &["ionice"],
        "cnpPu",
        &["class", "classdata", "pid", "pgid", "uid"],
        0,
    ),
    wrapper(
        &[
            "nohup",
            "setsid",
            "builtin",
            "unbuffer",
            "torsocks",
            "tsocks",
            "catchsegv",
            "coproc",
            "unshare",
            "command",
            "rlwrap",
        ],
        "",
        &[],
        0,
    ),
    wrapper(&["time"], "fo", &["format", "output"], 0),
    wrapper(&["timeout"], "sk", &["signal", "kill-after"], 1),
    wrapper(&["exec"], "a", &[], 0),
    wrapper(&["stdbuf"], "ioe", &["input", "output", "error"], 0),
    wrapper(
        &["strace"],
        "abeEIoOpPsSuUX",
        &["output", "expr", "attach", "user", "env"],
        0,
    ),
    wrapper(&["ltrace"], "aAeEnopsSuX", &["output"], 0),
    wrapper(&["chroot"], "", &["userspec", "groups"], 1),
    wrapper(&["taskset"], "", &[], 1),
    wrapper(&["nsenter"], "tSG", &["target", "setuid", "setgid"], 0),
    wrapper(&["caffeinate"], "tw", &[], 0),
    wrapper(&["proxychains", "proxychains4"], "f", &[], 0),
    wrapper(&["flock"], "wE", &["timeout", "conflict-exit-code"], 1),
    wrapper(&["busybox", "toybox"], "", &[], 0),
    wrapper(
        &["systemd-run"],
        "pEuHM",
        &[
            "property",
            "setenv",
            "unit",
            "host",
            "machine",
            "description",
            "slice",
            "uid",
            "gid",
            "nice",
            "working-directory",
            "service-type",
            "on-active",
            "on-boot",
            "on-startup",
            "on-unit-active",
            "on-unit-inactive",
            "on-calendar",
            "timer-property",
            "path-property",
            "socket-property",
        ],
        0,
    ),
];

const SCREEN_OPTS: OptSpec = OptSpec {
    short: "SchepTtsX",
    long: &[],
};

const AT_OPTS: OptSpec = OptSpec {
    short: "fqt",
    long: &[],
};

const PARALLEL_OPTS: OptSpec = OptSpec {
    short: "aCdEIjnNSs",
    long: &[
        "jobs",
        "arg-file",
        "delay",
        "joblog",
        "timeout",
        "results",
        "colsep",
        "tmpdir",
        "workdir",
        "wd",
        "sshlogin",
        "max-args",
        "max-replace-args",
        "delimiter",
        "eof",
        "replace",
        "env",
    ],
};

/// `sudo -s` / `sudo -i` among short options: the command is run by a shell.
fn shell_flag(args: &[Field]) -> bool {
    args.iter().any(|a| {
        a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains(['s', 'i'])
    })
}

/// `tmux new-session 'CMD'` and the other tmux commands that run a shell command.
fn tmux_command(args: &[Field]) -> Step {
    let (_, i) = parse_args(
        args,
        OptSpec {
            short: "cfLST",
            long: &[],
        },
        true,
    );
    let Some(sub) = args.get(i) else {
        return Step::Stop;
    };
    let short = match sub.text.as_str() {
        "new" | "new-session" | "new-window" | "neww" | "split-window" | "splitw"
        | "respawn-pane" | "respawnp" | "respawn-window" | "respawnw" => "ceFfnstxyl",
        "run-shell" | "run" => "cdt",
        "display-popup" | "popup" => "bcdehsStTwxy",
        _ if sub.dynamic => "",
        _ => return Step::Stop,
    };
    let rest = &args[i + 1..];
    let (_, j) = parse_args(rest, OptSpec { short, long: &[] }, true);
    match &rest[j..] {
        [] => Step::Stop,
        words => Step::Code(join_fields(words.to_vec(), " ")),
    }
}

/// `parallel CMD ::: ARGS`: the command with each argument appended (or put where `{}` is), run
/// by a shell; without `:::` the arguments are read from standard input, as `xargs` does.
fn parallel_command(
    args: &[Field],
    stdin: &Flow,
    items_added: &mut bool,
    scope: &mut Scope,
) -> Step {
    let (opts, i) = parse_args(args, PARALLEL_OPTS, true);
    let marker = option_value(&opts, &["I", "replace"])
        .map_or_else(|| PLACEHOLDER.to_owned(), |v| v.text.clone());
    let rest = &args[i..];
    let sep = rest
        .iter()
        .position(|a| a.text.starts_with(":::"))
        .unwrap_or(rest.len());
    let mut cmd: Vec<Field> = rest[..sep].to_vec();
    if cmd.is_empty() {
        return Step::Stop;
    }
    if cmd.len() == 1 && cmd[0].text.contains(char::is_whitespace) {
        cmd = vec![Field::known("sh"), Field::known("-c"), cmd.remove(0)];
    }
    let items: Vec<Field> = if sep < rest.len() {
        let listed: Vec<Field> = rest[sep + 1..]
            .iter()
            .filter(|a| !a.text.starts_with(":::"))
            .cloned()
            .collect();
        if std::mem::replace(items_added, true) {
            return Step::Rewrite(cmd);
        }
        listed
    } else {
        if std::mem::replace(items_added, true) {
            return Step::Rewrite(cmd);
        }
        stdin_items(stdin, true)
    };
    let item = match items.as_slice() {
        [one] => one.clone(),
        _ => Field::placeholder(stdin.taint.clone(), stdin.found_under.clone()),
    };
    if cmd.iter().skip(1).any(|w| w.text.contains(&marker)) {
        substitute_items(&mut cmd, &marker, &item, scope);
        Step::Rewrite(cmd)
    } else {
        if items.len() <= MAX_LOOP_VALUES && items.iter().all(|f| !f.dynamic) {
            cmd.extend(items);
        } else {
            cmd.push(item);
        }
        Step::Rewrite(cmd)
    }
}

const XARGS_OPTS: OptSpec = OptSpec {
    short: "adEILnPs",
    long: &[
        "arg-file",
        "delimiter",
        "eof",
        "replace",
        "max-lines",
        "max-args",
        "max-procs",
        "max-chars",
        "process-slot-var",
    ],
};

/// How a wrapper leads to the command it runs.
pub(super) enum Step {
    /// Skip this many words: the wrapped command starts there.
    Into(usize),
    /// The command line becomes this (`env -S`, `xargs` with its input items).
    Rewrite(Vec<Field>),
    /// Runs this shell code (`watch`, `su -c`, `flock -c`).
    Code(Field),
    /// Runs nothing further.
    Stop,
    /// Not a wrapper.
    Final,
}

/// Items a command reads from standard input as arguments (`xargs`): the words of a known input
/// (at most [`MAX_LOOP_VALUES`], then a placeholder for the rest), else one placeholder that
/// remembers where the input came from.
fn stdin_items(stdin: &Flow, by_line: bool) -> Vec<Field> {
    if let Some(text) = &stdin.text {
        let separator = |c: char| c == '\0' || c == '\n' || (!by_line && c.is_whitespace());
        let mut words = text.split(separator).filter(|t| !t.is_empty());
        let mut items: Vec<Field> = words
            .by_ref()
            .take(MAX_LOOP_VALUES)
            .map(|t| Field {
                taint: stdin.taint.clone(),
                ..Field::known(t)
            })
            .collect();
        // Items past the cap are not looked at: they stand for any items.
        if words.next().is_some() {
            items.push(Field::placeholder(
                stdin.taint.clone(),
                stdin.found_under.clone(),
            ));
        }
        if !items.is_empty() {
            return items;
        }
    }
    vec![Field::placeholder(
        stdin.taint.clone(),
        stdin.found_under.clone(),
    )]
}

impl Analyzer {
    /// How a wrapper (`sudo`, `env`, `xargs`, ...) leads to the command it runs.
    pub(super) fn unwrap(
        &self,
        key: &str,
        argv: &[Field],
        stdin: &Flow,
        items_added: &mut bool,
        scope: &mut Scope,
    ) -> Step {
        let args = &argv[1..];
        match key {
            "command"
                if args
                    .first()
                    .is_some_and(|a| a.text == "-v" || a.text == "-V") =>
            {
                Step::Stop
            }
            "env" => env_split_string(argv)
                .map_or_else(|| self.generic_wrapper(key, args), Step::Rewrite),
            "xargs" => Step::Rewrite(xargs_command(args, stdin, items_added, scope)),
            "watch" => {
                let (opts, i) = parse_args(
                    args,
                    OptSpec {
                        short: "nd",
                        long: &["interval"],
                    },
                    true,
                );
                match &args[i..] {
                    [] => Step::Stop,
                    _ if has_flag(&opts, &["x", "exec"]) => Step::Into(i + 1),
                    rest => Step::Code(join_fields(rest.to_vec(), " ")),
                }
            }
            "su" | "runuser" | "script" | "flock" => self.unwrap_code_option(key, args),
            "sudo" => match self.generic_wrapper(key, args) {
                // `sudo -s CMD` / `sudo -i CMD`: the shell is given the command as code.
                Step::Into(n) if shell_flag(&args[..n - 1]) => {
                    Step::Code(join_fields(args[n - 1..].to_vec(), " "))
                }
                // `sudo -s` / `sudo -i` alone: an interactive shell reading standard input.
                Step::Stop if shell_flag(args) => Step::Rewrite(vec![Field::known("sh")]),
                step => step,
            },
            "tmux" => tmux_command(args),
            "screen" => {
                let (opts, i) = parse_args(args, SCREEN_OPTS, true);
                if has_flag(&opts, &["X", "r", "R", "x", "list", "ls", "wipe"]) || i >= args.len() {
                    Step::Stop
                } else {
                    Step::Into(i + 1)
                }
            }
            // `at` and `batch` run the shell commands they read (standard input or `-f FILE`).
            "at" | "batch" => {
                let (opts, _) = parse_args(args, AT_OPTS, false);
                if has_flag(&opts, &["l", "r", "d", "c", "V"]) {
                    Step::Stop
                } else if let Some(file) = option_value(&opts, &["f"]) {
                    Step::Rewrite(vec![Field::known("sh"), file.clone()])
                } else {
                    Step::Rewrite(vec![Field::known("sh")])
                }
            }
            "parallel" => parallel_command(args, stdin, items_added, scope),
            // Package runners: `npx PKG ARGS`, `pnpm dlx PKG`, `bunx PKG`; `npx -c CODE`.
            "npx" | "bunx" => {
                let spec = OptSpec {
                    short: "pc",
                    long: &["package", "call"],
                };
                let (opts, i) = parse_args(args, spec, true);
                match option_value(&opts, &["c", "call"]) {
                    Some(code) => Step::Code(code.clone()),
                    None if i < args.len() => Step::Into(i + 1),
                    None => Step::Stop,
                }
            }
            "pnpm" | "yarn" | "bun" | "npm"
                if args
                    .first()
                    .is_some_and(|a| matches!(a.text.as_str(), "dlx" | "x" | "exec")) =>
            {
                let rest = &args[1..];
                let (_, i) = parse_args(
                    rest,
                    OptSpec {
                        short: "p",
                        long: &["package"],
                    },
                    true,
                );
                if i < rest.len() {
                    Step::Into(i + 2)
                } else {
                    Step::Stop
                }
            }
            "busybox" | "toybox" => match args.first() {
                Some(applet) if !applet.text.starts_with('-') => Step::Into(1),
                _ => Step::Stop,
            },
            _ => self.generic_wrapper(key, args),
        }
    }

    /// Programs that run shell code given with `-c` (`su -c CMD`, `flock -c CMD`, `script -c`).
    fn unwrap_code_option(&self, key: &str, args: &[Field]) -> Step {
        let spec = OptSpec {
            short: "cgGswuE",
            long: &[
                "command",
                "group",
                "supp-group",
                "shell",
                "user",
                "session-command",
            ],
        };
        let (opts, _) = parse_args(args, spec, false);
        match option_value(&opts, &["c", "command", "session-command"]) {
            Some(code) => Step::Code(code.clone()),
            None if key == "flock" => self.generic_wrapper(key, args),
            None if key == "runuser" && option_value(&opts, &["u", "user"]).is_some() => {
                let (_, i) = parse_args(args, spec, true);
                if i < args.len() {
                    Step::Into(i + 1)
                } else {
                    Step::Stop
                }
            }
            // An interactive shell: it reads commands from standard input.
            None if key != "script" => Step::Rewrite(vec![Field::known("sh")]),
            None => Step::Stop,
        }
    }

    fn generic_wrapper(&self, key: &str, args: &[Field]) -> Step {
        let Some(wrapper) = WRAPPERS.iter().find(|w| w.names.contains(&key)) else {
            return Step::Final;
        };
        let (_, mut i) = parse_args(args, wrapper.opts, true);
        while args
            .get(i)
            .is_some_and(|a| !a.dynamic && a.text.split_once('=').is_some_and(|(n, _)| is_name(n)))
        {
            i += 1;
        }
        i += wrapper.operands;
        if i < args.len() {
            Step::Into(i + 1)
        } else {
            Step::Stop
        }
    }
}

/// The command `xargs` runs: its words, plus the items read from standard input (appended, or
/// replacing `-I` strings). Items are added once even when `xargs` wraps `xargs`.
fn xargs_command(
    args: &[Field],
    stdin: &Flow,
    items_added: &mut bool,
    scope: &mut Scope,
) -> Vec<Field> {
    let (opts, i) = parse_args(args, XARGS_OPTS, true);
    let replace = option_value(&opts, &["I", "replace"])
        .map(|v| v.text.clone())
        .or_else(|| has_flag(&opts, &["i"]).then(|| PLACEHOLDER.to_owned()));
    let mut cmd: Vec<Field> = args[i..].to_vec();
    if cmd.is_empty() {
        cmd.push(Field::known("echo"));
    }
    if std::mem::replace(items_added, true) {
        return cmd;
    }
    let mut items = stdin_items(stdin, replace.is_some());
    match replace {
        Some(marker) => {
            let item = if items.len() == 1 {
                items.remove(0)
            } else {
                Field::placeholder(stdin.taint.clone(), stdin.found_under.clone())
            };
            substitute_items(&mut cmd, &marker, &item, scope);
        }
        None => cmd.extend(items),
    }
    cmd
}

/// The variable standing for `{}` inside a word (`sh -c 'rm -rf {}'`).
const ITEM_VAR: &str = "__item";

/// Puts the item a command runs on where its words say `marker` (`find -exec .. {}`,
/// `xargs -I{}`): whole words become the item; inside a word (code for `sh -c`) the marker
/// becomes a variable bound to the item.
pub(super) fn substitute_items(words: &mut [Field], marker: &str, item: &Field, scope: &mut Scope) {
    for word in words.iter_mut().skip(1).filter(|w| w.text.contains(marker)) {
        if word.text == marker {
            *word = item.clone();
        } else {
            word.text = word.text.replace(marker, &format!("${{{ITEM_VAR}}}"));
            scope
                .vars
                .insert(ITEM_VAR.to_owned(), Rc::from([item.clone()]));
        }
    }
}

/// `env -S 'cmd args'` / `--split-string=..`: the string is split into words.
fn env_split_string(argv: &[Field]) -> Option<Vec<Field>> {
    let args = &argv[1..];
    let (at, value, rest) = args.iter().enumerate().find_map(|(i, a)| {
        let t = a.text.as_str();
        if t == "-S" || t == "--split-string" {
            Some((i, args.get(i + 1)?.text.clone(), i + 2))
        } else {
            let glued = t
                .strip_prefix("--split-string=")
                .or_else(|| t.strip_prefix("-S"));
            glued
                .filter(|v| !v.is_empty())
                .map(|v| (i, v.to_owned(), i + 1))
        }
    })?;
    let mut out = vec![argv[0].clone()];
    out.extend_from_slice(&args[..at]);
    out.extend(value.split_whitespace().map(Field::known));
    out.extend_from_slice(&args[rest.min(args.len())..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::RecursiveDelete;
    use crate::detect::shell::tests::{assert_clean, assert_flags, run};

    #[test]
    fn wrappers_are_seen_through() {
        assert_flags(
            RecursiveDelete,
            &[
                "sudo rm -rf /",
                "sudo -u root -E rm -rf /",
                "doas rm -rf /",
                "env -u BAR FOO=1 rm -rf /",
                "env -S 'rm -rf /'",
                "nice -n 5 rm -rf /",
                "nohup rm -rf / &",
                "time rm -rf /",
                "timeout 10 rm -rf /",
                "timeout -s KILL 5s rm -rf /",
                "command rm -rf /",
                "builtin command exec rm -rf /",
                "stdbuf -oL rm -rf /",
                "setsid rm -rf /",
                "strace -f -o /dev/null rm -rf /",
                "busybox rm -rf /",
                "watch -n 1 'rm -rf /'",
                "watch -x rm -rf /",
                "flock /tmp/lock rm -rf /",
                "flock -c 'rm -rf /' /tmp/lock",
                "su -c 'rm -rf /' root",
                "FOO=1 BAR=2 rm -rf /",
                "echo / | xargs rm -rf",
                "echo / | xargs -I{} rm -rf {}",
                "trap 'rm -rf /' EXIT",
                "chroot /mnt rm -rf /",
                "/usr/bin/rm -rf /",
                "/bin/rm.exe -rf /",
                "RM -RF /",
            ],
        );
        assert_eq!(
            run("sudo -u root nice rm -rf x").programs,
            ["sudo", "nice", "rm"]
        );
        assert_clean(&["command -v rm", "sudo -l", "type rm", "which rm"]);
    }

    #[test]
    fn programs_that_run_a_command() {
        assert_flags(
            RecursiveDelete,
            &[
                "sudo -s 'rm -rf ~'",
                "sudo -i rm -rf ~",
                "systemd-run rm -rf ~",
                "systemd-run --user -p Nice=5 --unit=x rm -rf ~",
                "tmux new -d 'rm -rf ~'",
                "tmux new-session -d -s x 'rm -rf ~'",
                "tmux new-window 'rm -rf ~'",
                "screen -dm rm -rf ~",
                "screen -d -m -S x rm -rf ~",
                "at now <<< 'rm -rf ~'",
                "echo 'rm -rf ~' | at now",
                "echo 'rm -rf ~' | batch",
                "parallel rm -rf ::: ~",
                "parallel -j2 'rm -rf {}' ::: ~",
            ],
        );
        assert_clean(&["tmux ls", "tmux attach -t x", "screen -ls", "at -l"]);
    }

    #[test]
    fn items_inside_code_words() {
        assert_flags(
            RecursiveDelete,
            &[
                "find / -name x -exec sh -c 'rm -rf {}' \\;",
                "ls | xargs -I{} sh -c 'rm -rf {}'",
                "echo / | xargs -I % sh -c 'rm -rf %'",
                "python3 -c 'import os,sys; os.system(f\"rm -rf {sys.argv[1]}\")' /",
                "python3 -c 'import os; os.system(\"rm -rf %s\" % \"/\")'",
                "ruby -e 'system(\"rm -rf #{ARGV[0]}\")' /",
            ],
        );
        assert_clean(&[
            "find . -name x -exec sh -c 'rm -rf {}' \\;",
            "find . -type f -exec sh -c 'echo {}' \\;",
        ]);
    }
}
