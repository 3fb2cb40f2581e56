//! Recursive deletion (`rm -r`, `rsync --delete`, `find -delete`), judged by whether each target is
//! strictly inside the project.

use super::analyze::{Analyzer, is_absolute};
use super::args::operands;
use super::expand::has_glob;
use super::value::{Field, Flow, Scope, Taint};
use super::wrappers::substitute_items;
use super::{CommandCategory, PLACEHOLDER};

/// How a delete command spells its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RmStyle {
    Unix,
    /// PowerShell (`-Recurse`) or cmd (`/s`).
    Windows,
    /// A program unknown until run time, judged as if it were `rm`.
    Unknown,
}

/// A glob pattern that can only match some names (`*.o`), not all (`*`, `.*`, `[a-z]*`,
/// `!(keep)`).
fn narrow_glob(pattern: &str) -> bool {
    if pattern.contains("!(") {
        return false;
    }
    let mut in_class = false;
    pattern.chars().any(|c| match c {
        '[' => {
            in_class = true;
            false
        }
        ']' => {
            in_class = false;
            false
        }
        c => !in_class && c.is_alphanumeric(),
    })
}

/// Splits a glob at its first wildcard component: (`build/*.o` → `build`, `*.o`).
fn glob_parent(text: &str) -> (&str, Option<&str>) {
    let mut offset = 0;
    for component in text.split('/') {
        if has_glob(component) {
            let dir = text[..offset].trim_end_matches('/');
            let dir = if dir.is_empty() && text.starts_with('/') {
                "/"
            } else {
                dir
            };
            return (dir, Some(component));
        }
        offset += component.len() + 1;
    }
    (text, None)
}

/// Directories that are no project: deleting inside them is never routine.
const SYSTEM_DIRS: [&str; 30] = [
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/mnt",
    "/media",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/local",
    "/usr/sbin",
    "/usr/share",
    "/var",
    "/var/lib",
    "/Users",
    "/System",
    "/Library",
    "/private",
];

/// Trees inside which nothing is a project.
const SYSTEM_TREES: [&str; 10] = [
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/proc",
    "/sbin",
    "/sys",
    "/usr/bin",
    "/usr/sbin",
];

/// Whether the working directory `cwd` is a project to confine deletions to.
pub(super) fn is_project_dir(cwd: &str, home: Option<&str>) -> bool {
    let drive_root = cwd.len() <= 3 && cwd.as_bytes().get(1) == Some(&b':');
    let system = SYSTEM_DIRS.iter().any(|d| d.eq_ignore_ascii_case(cwd))
        || SYSTEM_TREES.iter().any(|t| is_strictly_inside(cwd, t));
    let home_or_above = home.is_some_and(|h| h == cwd || is_strictly_inside(h, cwd));
    !(cwd == "/" || drive_root || system || home_or_above)
}

/// `path` is a descendant of `dir` (not `dir` itself).
fn is_strictly_inside(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path.len() > dir.len() + 1 && path.starts_with(dir) && path[dir.len()..].starts_with('/')
}

/// A path ending in `/`, `.` or `..` (`link/`, `link/.`) names a directory to enter: a symlink
/// there is followed, by every program.
fn enters(text: &str) -> bool {
    matches!(text.rsplit(['/', '\\']).next(), Some("" | "." | ".."))
}

/// `target` spelled so that it is entered (`link` → `link/`).
fn entered(target: &Field) -> Field {
    if target.dynamic || enters(&target.text) {
        return target.clone();
    }
    Field {
        text: format!("{}/", target.text),
        ..target.clone()
    }
}

/// Whether `path` is itself a symlink (not what it leads to). Reads the disk.
fn is_symlink(path: &str) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

impl Analyzer {
    /// `rm` with a recursive flag in any spelling, judged by its targets.
    pub(super) fn check_rm(&mut self, argv: &[Field], style: RmStyle, scope: &Scope) {
        let (mut recursive, mut no_preserve, mut options_done) = (false, false, false);
        let mut options = Vec::new();
        let mut targets = Vec::new();
        for a in &argv[1..] {
            let t = a.text.as_str();
            let lower = t.to_ascii_lowercase();
            let switch = style == RmStyle::Windows
                && t.len() >= 2
                && t.starts_with('/')
                && !t[1..].contains('/')
                && t.len() <= 4;
            if options_done || a.dynamic || !(t.starts_with('-') && t.len() >= 2 || switch) {
                targets.push(a);
                continue;
            }
            if t == "--" {
                options_done = true;
                continue;
            }
            options.push(t);
            recursive |= match (style, t.strip_prefix("--")) {
                (RmStyle::Windows, _) => {
                    lower == "/s" || (lower.len() >= 2 && "-recurse".starts_with(lower.as_str()))
                }
                (_, Some(long)) => {
                    no_preserve |= long.len() >= 4 && "no-preserve-root".starts_with(long);
                    long.len() >= 3 && "recursive".starts_with(long)
                }
                (_, None) => t.contains(['r', 'R']),
            };
        }
        let mut label = std::iter::once(argv[0].text.as_str())
            .chain(options)
            .collect::<Vec<_>>()
            .join(" ");
        if style == RmStyle::Unknown {
            label.push_str(" (a program unknown until run time)");
        }
        if no_preserve {
            self.add_finding(
                CommandCategory::RecursiveDelete,
                format!("{label} lifts the protection of /"),
            );
        }
        // Paths found by `find` stand for whole trees.
        for t in targets
            .into_iter()
            .filter(|t| recursive || t.found_under.is_some())
        {
            if let Some(risk) = self.deletion_risk(t, scope, false) {
                self.add_finding(
                    CommandCategory::RecursiveDelete,
                    format!("{label} targets {risk}"),
                );
            }
        }
    }

    /// `rsync --delete SRC DEST` empties DEST of what SRC lacks.
    pub(super) fn check_rsync(&mut self, args: &[Field], scope: &Scope) {
        let deletes = args
            .iter()
            .any(|a| a.text == "--del" || a.text.starts_with("--delete"));
        let ops = operands(args);
        let Some(dest) = ops.last().filter(|_| deletes && ops.len() >= 2) else {
            return;
        };
        let remote = dest
            .text
            .split('/')
            .next()
            .is_some_and(|host| host.contains(':') && !is_absolute(&dest.text));
        // rsync writes into a destination that leads to a directory, as if it ended in `/`.
        let dest = entered(dest);
        if !remote && let Some(risk) = self.deletion_risk(&dest, scope, false) {
            self.add_finding(
                CommandCategory::RecursiveDelete,
                format!("rsync --delete deletes files in {risk}"),
            );
        }
    }

    /// Why deleting `target` recursively is dangerous, or `None` when it is strictly inside the
    /// project (or the project itself, with `root_ok`, for `find` roots).
    pub(super) fn deletion_risk(
        &self,
        target: &Field,
        scope: &Scope,
        root_ok: bool,
    ) -> Option<String> {
        if let Some(roots) = &target.found_under {
            return roots
                .iter()
                .find_map(|r| self.deletion_risk(r, scope, true))
                .map(|r| format!("paths found under {r}"));
        }
        if target.is_placeholder() {
            return Some("paths read at run time".to_owned());
        }
        if target.dynamic {
            return Some(format!(
                "{}, which is not known until run time",
                target.text
            ));
        }
        if target.text.is_empty() {
            return None;
        }
        let (dir, pattern) = if target.glob {
            glob_parent(&target.text)
        } else {
            (target.text.as_str(), None)
        };
        let dir = if dir.is_empty() { "." } else { dir };
        // A glob's directory is entered: what it matches is inside what a symlink leads to.
        let entered = pattern.is_some() || enters(dir);
        let Some(paths) = self.deleted_paths(dir, entered, scope) else {
            return Some(match scope.cwd {
                None => format!(
                    "{}, relative to a directory not known until run time",
                    target.text
                ),
                Some(_) => format!("{}, which cannot be resolved", target.text),
            });
        };
        // Any spelling outside the project is a risk; the first one found is reported.
        paths.iter().enumerate().find_map(|(i, path)| {
            if self.may_delete(path, pattern, root_ok) {
                return None;
            }
            let mut place = self.describe_dir(path);
            if i > 0 {
                place = format!("{place}, where {dir} leads through a symlink");
            }
            Some(match pattern {
                Some(_) => format!("everything in {place}"),
                None => place,
            })
        })
    }

    /// Where deleting `text` reaches: where it points and, when the caller's context resolves
    /// symlinks, where it really leads. A bare name that is a symlink (`rm -rf link`) is the link
    /// itself, which is all that is deleted; an entered one (`link/`, a glob's directory) is
    /// followed.
    fn deleted_paths(&self, text: &str, entered: bool, scope: &Scope) -> Option<Vec<String>> {
        let path = self.canonical_path(text, scope, true)?;
        if !entered && path.real.is_some() && is_symlink(&path.lexical) {
            return Some(vec![path.lexical]);
        }
        Some(path.forms().map(str::to_owned).collect())
    }

    /// Deleting `path` is routine: it is strictly inside the project (as spelled or where the
    /// project really is), or the project itself when only some names go (`*.o`) or, with
    /// `root_ok`, for `find` roots.
    fn may_delete(&self, path: &str, pattern: Option<&str>, root_ok: bool) -> bool {
        self.project
            .iter()
            .chain(&self.project_real)
            .any(|project| {
                is_strictly_inside(path, project)
                    || (path == project && pattern.map_or(root_ok, narrow_glob))
            })
    }

    fn describe_dir(&self, path: &str) -> String {
        let mut homes = self.home.iter().chain(&self.home_real);
        let projects = || self.project.iter().chain(&self.project_real);
        if path == "/" {
            return "the filesystem root (/)".to_owned();
        }
        if homes.clone().any(|h| h == path) {
            return format!("the home directory ({path})");
        }
        if homes.any(|h| is_strictly_inside(h, path)) {
            return format!("{path}, which contains the home directory");
        }
        if self.project.is_none() {
            return format!(
                "{path} (the working directory {} is no project to confine deletions to)",
                self.start_cwd
            );
        }
        if projects().any(|p| p == path) {
            format!("the project directory itself ({path})")
        } else if projects().any(|p| is_strictly_inside(p, path)) {
            format!("{path}, which contains the project")
        } else {
            format!("{path}, outside the project")
        }
    }

    /// `find ROOT.. -delete`, and the commands `-exec` runs on what it finds.
    pub(super) fn check_find(&mut self, argv: &[Field], scope: &mut Scope) {
        let FindRoots {
            roots,
            expr_start,
            follows,
        } = find_roots(&argv[1..]);
        let expr = &argv[1 + expr_start.min(argv.len() - 1)..];
        if expr.iter().any(|a| a.text == "-delete") {
            let how = if follows { ", following symlinks" } else { "" };
            for root in &roots {
                if let Some(risk) = self.deletion_risk(root, scope, true) {
                    self.add_finding(
                        CommandCategory::RecursiveDelete,
                        format!("find -delete deletes what it matches under {risk}{how}"),
                    );
                }
            }
        }
        let mut i = 0;
        while i < expr.len() {
            if !matches!(
                expr[i].text.as_str(),
                "-exec" | "-execdir" | "-ok" | "-okdir"
            ) {
                i += 1;
                continue;
            }
            let mut cmd: Vec<Field> = expr[i + 1..]
                .iter()
                .take_while(|a| !matches!(a.text.as_str(), ";" | "+"))
                .cloned()
                .collect();
            i += cmd.len() + 2;
            let mut inner = scope.clone();
            let found = Field::placeholder(Taint::default(), Some(roots.clone()));
            substitute_items(&mut cmd, PLACEHOLDER, &found, &mut inner);
            self.exec(&cmd, &Flow::default(), &mut inner);
        }
    }
}

/// What `find` walks.
pub(super) struct FindRoots {
    /// The starting points (default `.`).
    pub(super) roots: Vec<Field>,
    /// Where the expression starts, in the arguments.
    pub(super) expr_start: usize,
    /// `-L` or `-follow`: symlinks met anywhere in the trees are followed.
    pub(super) follows: bool,
}

/// `find`'s starting points and where its expression starts. With `-H` or `-L`, starting points
/// are entered, as if they ended in `/`; with `-L` or `-follow` every symlink in the trees is
/// followed, so a root stands for everything it holds wherever links lead (`ROOT/*`): only a
/// root strictly inside the project keeps what is found there inside it.
pub(super) fn find_roots(args: &[Field]) -> FindRoots {
    let mut i = 0;
    let (mut follow, mut follows) = (false, false);
    while let Some(a) = args.get(i) {
        match a.text.as_str() {
            "-H" | "-L" | "-P" => {
                follow = a.text != "-P";
                follows = a.text == "-L";
                i += 1;
            }
            "-D" => i += 2,
            t if t.starts_with("-O") => i += 1,
            _ => break,
        }
    }
    let start = i.min(args.len());
    let roots: Vec<&Field> = args[start..]
        .iter()
        .take_while(|a| {
            a.dynamic
                || !(a.text.starts_with('-') || matches!(a.text.as_str(), "(" | ")" | "!" | ","))
        })
        .collect();
    let expr_start = start + roots.len();
    follows |= args[expr_start..]
        .iter()
        .any(|a| !a.dynamic && a.text == "-follow");
    let dot = Field::known(".");
    let roots = if roots.is_empty() { vec![&dot] } else { roots };
    let roots = roots
        .into_iter()
        .map(|a| {
            if follows && !a.dynamic {
                Field {
                    text: format!("{}/*", a.text.trim_end_matches('/')),
                    glob: true,
                    ..a.clone()
                }
            } else if follow || follows {
                entered(a)
            } else {
                a.clone()
            }
        })
        .collect();
    FindRoots {
        roots,
        expr_start,
        follows,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use proptest::prelude::*;

    use crate::detect::paths::PathContext;
    use crate::detect::shell::CommandCategory::RecursiveDelete;
    use crate::detect::shell::analyze;
    use crate::detect::shell::tests::{assert_clean, assert_flags, ctx, detail, has, quote, run};

    #[test]
    fn recursive_delete_outside_the_project() {
        assert_flags(
            RecursiveDelete,
            &[
                "rm -rf /",
                "rm -rf /*",
                "rm -rf ~",
                "rm -rf ~/",
                "rm -rf $HOME",
                "rm -rf ${HOME}/",
                "rm -rf ~/Documents",
                "rm -rf /home",
                "rm -rf ..",
                "rm -rf ../other",
                "rm -rf /etc /usr",
                "rm -rf .",
                "rm -rf ./",
                "rm -rf *",
                "rm -rf .*",
                "rm -rf \"$PWD\"",
                "rm -rf $(pwd)",
                "rm -rf $UNKNOWN",
                "rm -rf \"$TARGET/\"",
                "rm -r /etc",
                "rm -R /etc",
                "rm -fr /etc",
                "rm -Rf /etc",
                "rm -r -f /etc",
                "rm -vrf /etc",
                "rm /etc -rf",
                "rm --recursive /etc",
                "rm --recursive --force /etc",
                "rm --recur /etc",
                "rm -rf --no-preserve-root /",
                "rm -rf build /etc",
                "rm -rf build/../../x",
                "cd / && rm -rf *",
                "cd .. && rm -rf project",
                "cd /tmp; rm -rf build",
                "cd $X && rm -rf build",
                "for d in / /etc; do rm -rf \"$d\"; done",
                "for f in *; do rm -rf \"$f\"; done",
                "$x -rf /",
                "/???/?m -rf /",
                "\"$RM\" -r ~",
                "shopt -s extglob; rm -rf !(keep)",
                "find / -name x -delete",
                "find ~ -delete",
                "find .. -name '*.o' -delete",
                "find $DIR -delete",
                "find / -exec rm {} \\;",
                "find /etc -name '*.conf' -exec rm -f {} +",
                "find / -name '*.pyc' | xargs rm",
                "ls | xargs rm -rf",
                "xargs rm -rf < list.txt",
                "printf '%s\\0' / | xargs -0 rm -rf",
                "rsync -a --delete empty/ ~/",
                "python3 -c 'import shutil; shutil.rmtree(\"/\")'",
                "python3 -c 'import shutil,os; shutil.rmtree(os.path.expanduser(\"~\"))'",
                "perl -MFile::Path -e 'rmtree(\"/etc\")'",
                "ruby -rfileutils -e 'FileUtils.rm_rf(\"/etc\")'",
                "node -e 'require(\"fs\").rmSync(\"/\", {recursive: true})'",
                "Remove-Item -Recurse -Force C:\\Users\\alice",
                "powershell -c 'Remove-Item -Recurse -Force ~'",
                "cmd /c rd /s /q C:\\Users",
            ],
        );
        assert_eq!(
            detail("rm -r -f ~", RecursiveDelete),
            "rm -r -f targets the home directory (/home/alice)"
        );
        assert_eq!(
            detail("rm -rf /", RecursiveDelete),
            "rm -rf targets the filesystem root (/)"
        );
        assert_eq!(
            detail("rm -rf .", RecursiveDelete),
            "rm -rf targets the project directory itself (/home/alice/project)"
        );
        assert_eq!(
            detail("rm -rf ../x", RecursiveDelete),
            "rm -rf targets /home/alice/x, outside the project"
        );
        assert!(detail("$x -rf /", RecursiveDelete).contains("unknown until run time"));
    }

    #[test]
    fn recursive_delete_inside_the_project_is_fine() {
        assert_clean(&[
            "rm -rf build/",
            "rm -rf .next",
            "rm -rf ./dist node_modules",
            "rm -rf build/*",
            "rm -rf src/*/target",
            "rm -rf *.o",
            "rm -rf target && cargo build",
            "rm -rf ${BUILD_DIR:-build}",
            "rm -rf \"$PWD/dist\"",
            "rm -rf ~/project/dist",
            "rm -rf /home/alice/project/out",
            "rm -f /etc/hosts.bak",
            "rm /tmp/x",
            "rm -i -- -r",
            "rm -rf ''",
            "rm -rf -- -weird",
            "cd build && rm -rf *",
            "(cd /tmp && make); rm -rf build",
            "for d in build dist; do rm -rf $d; done",
            "find . -name '*.o' -delete",
            "find . -type d -name __pycache__ -exec rm -rf {} +",
            "find src -name '*.orig' -delete",
            "find . -name '*.pyc' | xargs rm -f",
            "find . -name '*.tmp' -print0 | xargs -0 rm -rf",
            "git clean -fdx",
            "rmdir build",
            "$PYTHON script.py",
            "rsync -a --delete src/ dist/",
            "rsync -av --delete ./ host:/backup",
            "python3 -c 'import shutil; shutil.rmtree(\"build\")'",
            "node -e 'require(\"fs\").rmSync(\"x.txt\")'",
            "Remove-Item -Force C:\\x.txt",
            "cmd /c del /q build\\x.txt",
        ]);
    }

    #[test]
    fn find_following_symlinks_deletes_through_them() {
        assert_flags(
            RecursiveDelete,
            &[
                "find -L . -delete",
                "find -L . -name '*.o' -delete",
                "find . -follow -delete",
                "find . -name '*.o' -follow -delete",
                "find -L . -exec rm {} \\;",
                "find -L . -type f -exec rm -f {} +",
                "find -L . -execdir rm -rf {} +",
                "find -L . -exec sh -c 'rm -rf {}' \\;",
                "find -L . | xargs rm -rf",
                "find -L . -print0 | xargs -0 rm",
                "find -H -L . -delete",
                "find -L ./ -delete",
                "find -L ../project -delete",
                "find -L .. -name x -delete",
            ],
        );
        assert_eq!(
            detail("find -L . -delete", RecursiveDelete),
            "find -delete deletes what it matches under everything in the project directory \
             itself (/home/alice/project), following symlinks"
        );
        assert_clean(&[
            "find . -name '*.o' -delete",
            "find . -name '*.o' | xargs rm -f",
            "find -L build -name '*.o' -delete",
            "find src -follow -name '*.orig' -delete",
            "find -L . -name '*.rs'",
            "find -L . -type l -print",
            "find -L -P . -delete",
            "find -H . -name '*.o' -delete",
        ]);
    }

    #[test]
    fn without_a_project_every_recursive_delete_counts() {
        for cwd in ["/", "/home/alice", "/home", "/etc", "/usr", "/var"] {
            let ctx = PathContext {
                cwd: PathBuf::from(cwd),
                ..ctx()
            };
            let a = analyze("rm -rf build", &ctx);
            assert!(
                a.findings.iter().any(|f| f.category == RecursiveDelete),
                "{cwd}: {a:?}"
            );
            assert!(
                analyze("find . -delete", &ctx)
                    .findings
                    .iter()
                    .any(|f| f.category == RecursiveDelete)
            );
        }
        let ctx = PathContext {
            cwd: PathBuf::from("/srv/app/project"),
            ..ctx()
        };
        assert!(analyze("rm -rf build", &ctx).findings.is_empty());
    }

    #[test]
    fn case_insensitive_hosts() {
        let ctx = PathContext {
            home: Some(PathBuf::from("/Users/Alice")),
            cwd: PathBuf::from("/Users/Alice/Project"),
            case_insensitive: true,
            resolve_symlinks: false,
        };
        assert!(analyze("rm -rf build", &ctx).findings.is_empty());
        assert!(
            analyze("rm -rf /users/alice/project/Build", &ctx)
                .findings
                .is_empty()
        );
        assert!(!analyze("rm -rf ~/Documents", &ctx).findings.is_empty());
        assert!(!analyze("dd if=x of=/dev/DISK2", &ctx).findings.is_empty());
    }

    /// A directory tree in the temp directory, removed when dropped (even when an assertion fails).
    struct TempTree(PathBuf);

    impl TempTree {
        fn new(name: &str) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let root = std::env::temp_dir().join(format!(
                "portcullis-shell-{name}-{}-{nanos}",
                std::process::id()
            ));
            std::fs::create_dir_all(&root).expect("create the temp tree");
            Self(root)
        }
    }

    impl Drop for TempTree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_judged_where_they_lead() {
        use std::fs::create_dir_all;
        use std::os::unix::fs::symlink;

        let tree = TempTree::new("symlinks");
        let (project, home) = (tree.0.join("project"), tree.0.join("alice"));
        for dir in [
            project.join("build"),
            project.join("src"),
            home.join("docs"),
        ] {
            create_dir_all(dir).expect("create a directory");
        }
        // `link` leads out of the project (to the home directory), `self` back into it.
        symlink(&home, project.join("link")).expect("create a symlink");
        symlink(&project, project.join("src/self")).expect("create a symlink");
        let ctx = PathContext {
            home: Some(home.clone()),
            cwd: project.clone(),
            case_insensitive: false,
            resolve_symlinks: true,
        };
        let flags = |script: &str| {
            analyze(script, &ctx)
                .findings
                .iter()
                .any(|f| f.category == RecursiveDelete)
        };
        for script in [
            "rm -rf link/",
            "rm -rf link/*",
            "rm -rf link/docs",
            "rm -rf ./link/.",
            "cd link && rm -rf *",
            "find link/ -delete",
            "find -L link -name '*.txt' -delete",
            "rsync -a --delete build/ link",
        ] {
            assert!(flags(script), "expected recursive-delete in {script:?}");
        }
        // Without a trailing slash the link itself is deleted, not what it leads to.
        for script in [
            "rm -rf link",
            "rm -rf build/",
            "rm -rf build/*",
            "find link -delete",
            "rm -rf src/self/build",
        ] {
            assert!(!flags(script), "expected no finding in {script:?}");
        }
        let detail = analyze("rm -rf link/", &ctx).findings[0].detail.clone();
        assert!(
            detail.contains("the home directory") && detail.contains("link/"),
            "{detail}"
        );
        // Lexically the same commands are harmless.
        let lexical = PathContext {
            resolve_symlinks: false,
            ..ctx.clone()
        };
        assert!(analyze("rm -rf link/", &lexical).findings.is_empty());

        // A project reached through a symlink is still the project.
        let via = tree.0.join("via");
        symlink(&project, &via).expect("create a symlink");
        let ctx = PathContext { cwd: via, ..ctx };
        for script in ["rm -rf build/", "rm -rf ./build", "rm -rf src/self/build"] {
            assert!(
                analyze(script, &ctx).findings.is_empty(),
                "expected no finding in {script:?} from a symlinked project"
            );
        }
        assert!(!analyze("rm -rf link/", &ctx).findings.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn recursive_delete_outside_the_project_is_always_found(
            base in prop::sample::select(vec!["/", "/etc", "/usr/local", "/home", "/home/alice", "/home/bob", "/tmp", "/var/lib", "~", "$HOME", "..", "../..", "/home/alice/project/..", "/home/alice/projects"]),
            segments in proptest::collection::vec("[a-z][a-z0-9_.-]{0,7}", 0..4),
            style in 0usize..4,
            flags in prop::sample::select(vec!["-rf", "-r", "-R", "-fr", "-r -f", "--recursive", "-Rfv"]),
        ) {
            prop_assume!(segments.iter().all(|s| s != "project" && !s.starts_with("..")));
            let path = std::iter::once(base.to_owned()).chain(segments).collect::<Vec<_>>().join("/");
            let quoted = if path.starts_with('~') || path.starts_with('$') { path.clone() } else { quote(&path, style) };
            let script = format!("rm {flags} {quoted}");
            prop_assert!(has(&script, RecursiveDelete), "{}", script);
        }

        #[test]
        fn recursive_delete_inside_the_project_is_never_found(
            segments in proptest::collection::vec("[a-z_][a-z0-9_-]{0,7}", 1..4),
            style in 0usize..4,
            prefix in prop::sample::select(vec!["", "./", "~/project/", "$PWD/", "/home/alice/project/"]),
        ) {
            let path = segments.join("/");
            let script = format!("rm -rf {prefix}{}", quote(&path, style));
            prop_assert!(run(&script).findings.is_empty(), "{}", script);
        }
    }
}
