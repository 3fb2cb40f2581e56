//! Path canonicalization: one spelling per file, so that policy globs cannot be evaded by writing the
//! same path differently (`~/.ssh/id_rsa`, `$HOME//.ssh/./id_rsa`, `file:///home/u/%2essh/id_rsa`, …).
//!
//! [`canonicalize`] runs a fixed pipeline:
//! 1. **Scheme.** `file:` URIs are unwrapped (`file:///x`, `file://localhost/x`, `file:/x`; query and
//!    fragment dropped). Other `scheme://` URLs are not paths (`None`), unless they contain a `..`
//!    segment: a server that hands the string to `open()` resolves it as a relative path that can climb
//!    out of the working directory, so it is canonicalized as one.
//! 2. **Percent-decoding**, repeated until stable (at most four rounds) to undo
//!    double encoding. Invalid UTF-8 is decoded lossily (U+FFFD) rather than rejected, because `None`
//!    means "not a path" and would let such an argument through unchecked.
//! 3. **Home expansion** of a leading `~`, `$HOME`, `${HOME}`, `%USERPROFILE%`, `$env:USERPROFILE`.
//! 4. **Root.** Backslashes are separators. Drive letters (`C:\x` → `c:/x`), device paths
//!    (`\\?\C:\x` → `c:/x`) and UNC paths (`\\server\share`) are recognized.
//! 5. **Anchoring and normalization.** Relative paths join the working directory; empty and `.`
//!    segments are dropped and `..` is resolved lexically, never above the root.
//! 6. **Case folding** when the filesystem is case-insensitive.
//! 7. **Symlinks** (optional): the path as the OS would resolve it, in [`CanonicalPath::real`].
//!
//! Some syntax means different things on different hosts, and the server runs on this host, so it is
//! read the host's way:
//! - A leading `//` (or `\\`) is a UNC root on Windows (`//server/share`) but the plain root on Unix,
//!   where the kernel treats `//etc/shadow` as `/etc/shadow`.
//! - On Windows, trailing dots and spaces of a name are dropped (`id_rsa.` opens `id_rsa`), and so is
//!   the default-stream suffix `::$DATA`.
//! - On Unix, a drive path whose `..` segments climb above the drive root (`C:/../../etc/shadow`) is
//!   read as the relative path it really is there, since lexically clamping it at `c:/` would hide
//!   where it leads.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// Longest accepted path, in bytes after percent-decoding (Linux `PATH_MAX`).
const MAX_PATH_BYTES: usize = 4096;

/// Enough rounds for double and triple encoding; bounded so hostile input stays linear.
const MAX_DECODE_ROUNDS: u32 = 4;

/// Whether host-dependent syntax (UNC roots, trailing-dot trimming) follows Windows rules.
const WINDOWS_HOST: bool = cfg!(windows);

/// Home-directory spellings matched exactly (POSIX shells are case-sensitive).
const HOME_VARS: [&str; 3] = ["~", "$HOME", "${HOME}"];

/// Windows home-directory spellings; cmd and PowerShell variable names are case-insensitive.
const WINDOWS_HOME_VARS: [&str; 3] = ["%USERPROFILE%", "$env:USERPROFILE", "${env:USERPROFILE}"];

/// Prefixes that make [`looks_like_path`] true on their own (compared case-insensitively).
const PATH_PREFIXES: [&str; 11] = [
    "/", "\\", "./", "../", ".\\", "..\\", "file:", "%2f", "%2e", "%5c", "%7e",
];

/// Where relative paths and `~` resolve.
#[derive(Debug, Clone)]
pub struct PathContext {
    /// The user's home directory (`~`, `$HOME`, `${HOME}`).
    pub home: Option<PathBuf>,
    /// The server's working directory: relative paths resolve against it.
    pub cwd: PathBuf,
    /// Fold case before matching (macOS and Windows default filesystems).
    pub case_insensitive: bool,
    /// Resolve symlinks of paths that exist on disk.
    pub resolve_symlinks: bool,
}

impl PathContext {
    /// The context for a server running on this host: case folding on macOS and Windows (whose
    /// default filesystems ignore case), symlink resolution on.
    pub fn for_host(home: Option<PathBuf>, cwd: PathBuf) -> Self {
        Self {
            home,
            cwd,
            case_insensitive: cfg!(any(target_os = "macos", windows)),
            resolve_symlinks: true,
        }
    }
}

/// A path argument in canonical form: absolute, `/`-separated, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalPath {
    /// The path after expansion, decoding and lexical normalization.
    pub lexical: String,
    /// The path with symlinks resolved, when it differs from `lexical`.
    pub real: Option<String>,
    /// The path as a server would see it after decoding fewer times than we did (not at all,
    /// once, ...), when that differs: a server that takes `~/.ssh/%2e%2e/..` literally lists
    /// `~/.ssh`, while the fully decoded form points elsewhere.
    pub alternates: Vec<String>,
}

impl CanonicalPath {
    /// Every form a policy must check: `lexical`, `real` if any, then the alternates.
    pub fn forms(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.lexical.as_str())
            .chain(self.real.as_deref())
            .chain(self.alternates.iter().map(String::as_str))
    }
}

/// Canonicalize `raw` if it is a path or `file://` URI; `None` for anything else (e.g. `https://`),
/// for empty input, input containing NUL or a newline, or longer than 4096 bytes after decoding. A
/// percent-encoded NUL or newline only disqualifies the decoding levels that contain it.
pub fn canonicalize(raw: &str, ctx: &PathContext) -> Option<CanonicalPath> {
    canonicalize_as(raw, ctx, WINDOWS_HOST)
}

/// Heuristic for values in free-form argument positions. The exact rule:
///
/// false for empty strings, strings with NUL, `\n` or `\r`, and `scheme://` URLs other than `file:`
/// (unless they contain a `..` segment, see [`canonicalize`]); otherwise true when the string
/// - starts with `/`, `\`, `./`, `../`, `.\`, `..\`, `file:`, `%2f`, `%2e`, `%5c`, `%7e`
///   (case-insensitively), a home prefix (`~`, `$HOME`, `${HOME}`, `%USERPROFILE%`,
///   `$env:USERPROFILE` followed by a separator or the end), or a drive (`C:\`, `C:/`), or is `.`/`..`;
/// - or contains no whitespace and either contains `/` or `\` (plain or percent-encoded as `%2f`,
///   `%5c`), or is a dotfile name (`.` followed by an ASCII letter or `_`, like `.env`).
///
/// So prose is false unless it starts like a path, and so are numbers (`.5`, `3.14`); slash-separated
/// words without spaces (`and/or`) are true, which only costs a harmless relative-path check.
pub fn looks_like_path(s: &str) -> bool {
    // The shape first: prose fails it at its first space, before any scan of the whole text.
    let shaped = has_path_prefix(s)
        || (!s.contains(char::is_whitespace)
            && (s.contains(['/', '\\']) || is_dotfile(s) || has_encoded_separator(s)));
    shaped && !s.is_empty() && !s.contains(['\0', '\n', '\r']) && !is_url(s)
}

/// `..%2f.ssh%2fid_rsa`: a percent-encoded separator makes a path as surely as a plain one.
fn has_encoded_separator(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| {
        w[0] == b'%' && (w[1..].eq_ignore_ascii_case(b"2f") || w[1..].eq_ignore_ascii_case(b"5c"))
    })
}

/// Bring a config pattern into the canonical spelling of [`canonicalize`] so the two compare: home
/// prefix expanded, backslashes turned into `/`, drive letter lowercased, repeated and trailing
/// separators dropped, case folded when the context says so. Glob metacharacters are untouched
/// (including `.` and `..`, which are not resolved), and relative patterns such as `**/.env` or
/// `*.pem` stay relative: their meaning ("anywhere") is the policy's to decide.
pub fn expand_pattern(pattern: &str, ctx: &PathContext) -> String {
    expand_pattern_as(pattern, ctx, WINDOWS_HOST)
}

/// The path itself, then each parent up to the root: `/a/b` → `/a/b`, `/a`, `/`; `c:/x` → `c:/x`,
/// `c:/`; `//server/share` → `//server/share`, `//server`, `//`. A relative input stops at its first
/// segment.
pub fn ancestors(canonical: &str) -> impl Iterator<Item = &str> {
    let root = root_len(canonical);
    std::iter::successors(Some(canonical), move |current| parent(current, root))
}

/// How a path starts; decides what `..` cannot climb above and how the result is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    /// `/`.
    Posix,
    /// `x:/`, with the letter lowercased.
    Drive(u8),
    /// `//server/share` (Windows only).
    Unc,
    /// No root: resolves against the working directory.
    Relative,
}

impl Root {
    fn prefix(self) -> String {
        match self {
            Root::Posix => "/".to_owned(),
            Root::Drive(letter) => format!("{}:/", char::from(letter)),
            Root::Unc => "//".to_owned(),
            Root::Relative => String::new(),
        }
    }
}

/// An absolute path split into its root and its unnormalized rest (`/`-separated).
#[derive(Debug)]
struct Anchored {
    root: Root,
    rest: String,
}

impl Anchored {
    /// Anchor `path` at its own root, or at `cwd` when it has none.
    fn new(path: &str, cwd: &str, windows: bool) -> Self {
        match split_root(path, windows) {
            (Root::Relative, _) => {
                let mut joined = format!("{cwd}/{path}");
                let (root, rest) = match split_root(&joined, windows) {
                    (Root::Relative, rest) => (Root::Posix, rest.len()),
                    (root, rest) => (root, rest.len()),
                };
                // The rest is a suffix of the joined text: cut the root off in place.
                joined.drain(..joined.len() - rest);
                Self { root, rest: joined }
            }
            (root, rest) => Self::at(root, rest),
        }
    }

    /// Anchor `path` the way a POSIX `open()` reads it: only `/` is a root.
    fn posix(path: &str, cwd: &str) -> Self {
        match path.strip_prefix('/') {
            Some(rest) => Self::at(Root::Posix, rest),
            None => Self::at(Root::Posix, &format!("{cwd}/{path}")),
        }
    }

    fn at(root: Root, rest: &str) -> Self {
        Self {
            root,
            rest: rest.to_owned(),
        }
    }

    /// The normalized spelling (before case folding).
    fn lexical(&self, windows: bool) -> String {
        let mut path = normalize(self.root, &self.rest, windows);
        // `//../?/x` normalizes to `//?/x`, a device path: read it again so the result is a fixpoint.
        // Each round strips the device prefix, so this terminates.
        while path.starts_with("//?/") {
            let (root, rest) = split_root(&path, windows);
            path = normalize(root, rest, windows);
        }
        path
    }

    /// The path with `.` and `..` left for the OS, which resolves `..` after following symlinks.
    fn physical(&self) -> String {
        format!("{}{}", self.root.prefix(), self.rest)
    }
}

/// [`canonicalize`] with the host's syntax rules made explicit, so tests can exercise both.
fn canonicalize_as(raw: &str, ctx: &PathContext, windows: bool) -> Option<CanonicalPath> {
    // A level that is no path (decoding produced a NUL or a newline) must not hide the levels
    // that are: the deepest level that anchors is the main form, the others are alternatives.
    let mut anchored: Vec<Anchored> = decode_levels(raw)?
        .iter()
        .filter_map(|level| anchor(level, ctx, windows))
        .collect();
    let decoded = anchored.pop()?;
    let lexical = fold_case(decoded.lexical(windows), ctx.case_insensitive);
    // UNC paths are never touched: stat-ing `\\attacker\share` would leak credentials over SMB.
    let real = (ctx.resolve_symlinks && decoded.root != Root::Unc)
        .then(|| resolve_on_disk(&decoded.physical()))
        .flatten()
        .map(|real| fold_case(canonical_os_path(&real, windows), ctx.case_insensitive))
        .filter(|real| *real != lexical);
    let mut alternates: Vec<String> = Vec::new();
    for level in anchored {
        let form = fold_case(level.lexical(windows), ctx.case_insensitive);
        if form != lexical && !alternates.contains(&form) {
            alternates.push(form);
        }
    }
    Some(CanonicalPath {
        lexical,
        real,
        alternates,
    })
}

/// Turn one decoding level of a path into an absolute path, or `None` when it is not a path.
fn anchor(level: &str, ctx: &PathContext, windows: bool) -> Option<Anchored> {
    let path = prepare(level, ctx.home.as_deref())?;
    let cwd = forward_slashes(ctx.cwd.to_string_lossy());
    let anchored = Anchored::new(&path, &cwd, windows);
    if !windows && matches!(anchored.root, Root::Drive(_)) && climbs_above_root(&anchored.rest) {
        return Some(Anchored::posix(&path, &cwd));
    }
    Some(anchored)
}

/// The path body (scheme stripped) at each percent-decoding level: as written, decoded once, ...,
/// up to stable; `None` when `raw` is not a path.
fn decode_levels(raw: &str) -> Option<Vec<Cow<'_, str>>> {
    // Each decoding round shrinks the text at most threefold, so anything longer cannot fit.
    if raw.is_empty() || raw.len() > MAX_PATH_BYTES * 3usize.pow(MAX_DECODE_ROUNDS) {
        return None;
    }
    let body = strip_file_scheme(raw)?;
    let mut levels = vec![body];
    for _ in 0..MAX_DECODE_ROUNDS {
        let current = levels.last()?;
        // Without a `%`, decoding changes nothing.
        if !current.contains('%') {
            break;
        }
        let next = percent_decode_str(current).decode_utf8_lossy().into_owned();
        if next == *current {
            break;
        }
        levels.push(Cow::Owned(next));
    }
    Some(levels)
}

/// Steps 1–3 of the pipeline plus separator unification; `None` when `level` is not a path.
fn prepare<'a>(level: &'a str, home: Option<&Path>) -> Option<Cow<'a, str>> {
    if level.is_empty() || level.len() > MAX_PATH_BYTES || level.contains(['\0', '\n', '\r']) {
        return None;
    }
    Some(forward_slashes(expand_home(level, home)))
}

/// Backslashes turned into `/`, copying only when there is one.
fn forward_slashes(text: Cow<'_, str>) -> Cow<'_, str> {
    match text.contains('\\') {
        true => Cow::Owned(text.replace('\\', "/")),
        false => text,
    }
}

/// The path inside a `file:` URI, `raw` itself when it has no scheme, `None` for other URLs.
fn strip_file_scheme(raw: &str) -> Option<Cow<'_, str>> {
    match url_scheme(raw) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => Some(file_uri_path(rest)),
        _ if is_url(raw) => None,
        _ => Some(Cow::Borrowed(raw)),
    }
}

/// True for `scheme://…` with a scheme other than `file`, unless a `..` segment makes it a path
/// escape in disguise (see the module docs).
fn is_url(s: &str) -> bool {
    url_scheme(s).is_some_and(|(scheme, rest)| {
        !scheme.eq_ignore_ascii_case("file")
            && rest.starts_with("//")
            && !s.split(['/', '\\']).any(|segment| segment == "..")
    })
}

/// Split `scheme:rest`. Schemes have at least two characters so that `C:` stays a drive letter.
fn url_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = scheme.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// The path part of a `file:` URI (the text after `file:`). A host other than `localhost` becomes
/// a UNC path (`file://server/share` → `//server/share`); `file:///C:/x` becomes `C:/x`.
fn file_uri_path(rest: &str) -> Cow<'_, str> {
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return Cow::Borrowed(strip_slash_before_drive(rest));
    };
    let (host, path) =
        after_slashes.split_at(after_slashes.find('/').unwrap_or(after_slashes.len()));
    if host.is_empty() || host.eq_ignore_ascii_case("localhost") {
        Cow::Borrowed(strip_slash_before_drive(path))
    } else if split_drive(host).is_some() {
        Cow::Owned(format!("{host}{path}"))
    } else {
        Cow::Owned(format!("//{host}{path}"))
    }
}

/// `/C:/x` (the URI spelling of a drive path) → `C:/x`.
fn strip_slash_before_drive(path: &str) -> &str {
    match path.strip_prefix('/') {
        Some(rest) if split_drive(rest).is_some() => rest,
        _ => path,
    }
}

/// Replace a leading home prefix with `home`; leave the text alone when home is unknown.
fn expand_home<'a>(s: &'a str, home: Option<&Path>) -> Cow<'a, str> {
    match (home, home_prefix_len(s)) {
        (Some(home), Some(len)) => {
            let rest = s.get(len..).unwrap_or_default();
            Cow::Owned(format!("{}/{rest}", home.to_string_lossy()))
        }
        _ => Cow::Borrowed(s),
    }
}

/// Length of a home prefix (`~`, `$HOME`, …) that is followed by a separator or the end; `~alice`
/// and `$HOMEDIR` do not count.
fn home_prefix_len(s: &str) -> Option<usize> {
    let exact = HOME_VARS.iter().filter(|var| s.starts_with(**var));
    let folded = WINDOWS_HOME_VARS
        .iter()
        .filter(|var| strip_prefix_ci(s, var).is_some());
    exact
        .chain(folded)
        .map(|var| var.len())
        .find(|&len| matches!(s.as_bytes().get(len), None | Some(b'/' | b'\\')))
}

/// `s` without `prefix`, compared ASCII-case-insensitively.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// `s` without `suffix`, compared ASCII-case-insensitively.
fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let split = s.len().checked_sub(suffix.len())?;
    let tail = s.get(split..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| s.get(..split))
        .flatten()
}

/// Recognize the root of a `/`-separated path and return the rest after it.
fn split_root(path: &str, windows: bool) -> (Root, &str) {
    if path.starts_with("//") {
        let rest = path.trim_start_matches('/');
        if let Some(device) = rest.strip_prefix("?/").or_else(|| rest.strip_prefix("./")) {
            return split_device_path(device, windows);
        }
        return (if windows { Root::Unc } else { Root::Posix }, rest);
    }
    if let Some(rest) = path.strip_prefix('/') {
        return (Root::Posix, rest);
    }
    match split_drive(path) {
        Some((letter, rest)) => (Root::Drive(letter), rest),
        None => (Root::Relative, path),
    }
}

/// The part after a `\\?\` or `\\.\` device prefix: `UNC/server/share`, a drive path, or other
/// device names (kept under `/`).
fn split_device_path(rest: &str, windows: bool) -> (Root, &str) {
    if let Some(unc) = strip_prefix_ci(rest, "UNC/") {
        return (if windows { Root::Unc } else { Root::Posix }, unc);
    }
    match split_drive(rest) {
        Some((letter, rest)) => (Root::Drive(letter), rest),
        None => (Root::Posix, rest),
    }
}

/// `C:` or `C:/…` → (lowercase letter, rest after the colon).
fn split_drive(path: &str) -> Option<(u8, &str)> {
    match path.as_bytes() {
        [letter, b':', after @ ..]
            if letter.is_ascii_alphabetic() && matches!(after.first(), None | Some(b'/')) =>
        {
            Some((letter.to_ascii_lowercase(), path.get(2..)?))
        }
        _ => None,
    }
}

/// Whether `..` segments in `rest` climb above the root they are anchored at.
fn climbs_above_root(rest: &str) -> bool {
    let mut depth = 0usize;
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." if depth == 0 => return true,
            ".." => depth -= 1,
            _ => depth += 1,
        }
    }
    false
}

/// Drop empty and `.` segments, resolve `..` without climbing above the root (or, for UNC, above
/// `//server/share`), and spell the result with its root. Built in place: `..` cuts the output
/// back to its last separator instead of popping a list of segments.
fn normalize(root: Root, rest: &str, windows: bool) -> String {
    let floor = if root == Root::Unc { 2 } else { 0 };
    let mut out = root.prefix();
    let base = out.len();
    out.reserve(rest.len());
    let mut depth = 0usize;
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if depth > floor {
                    depth -= 1;
                    let cut = out[base..].rfind('/').map_or(base, |slash| base + slash);
                    out.truncate(cut);
                }
            }
            name => {
                let name = if windows { windows_name(name) } else { name };
                if !name.is_empty() {
                    if depth > 0 {
                        out.push('/');
                    }
                    out.push_str(name);
                    depth += 1;
                }
            }
        }
    }
    out
}

/// The name Windows actually opens: trailing dots and spaces are ignored, and `id_rsa::$DATA` is
/// the default data stream of `id_rsa`, i.e. its content.
fn windows_name(mut name: &str) -> &str {
    loop {
        let trimmed = name.trim_end_matches(['.', ' ']);
        match strip_suffix_ci(trimmed, "::$DATA") {
            Some(head) => name = head,
            None => return trimmed,
        }
    }
}

fn fold_case(path: String, case_insensitive: bool) -> String {
    if case_insensitive {
        path.to_lowercase()
    } else {
        path
    }
}

/// The core's only filesystem access: the OS's resolution of `physical`, or of its longest existing
/// ancestor with the remaining segments appended (so a file about to be created under a symlinked
/// directory resolves too). A dangling symlink is followed by hand: writing through
/// `project/keys -> ~/.ssh/authorized_keys` creates the target, so the target is what counts.
fn resolve_on_disk(physical: &str) -> Option<PathBuf> {
    let mut path = PathBuf::from(physical);
    if !path.is_absolute() {
        return None;
    }
    // Whether `path` itself is known not to resolve, so the search below need not ask again.
    let mut unresolvable = false;
    for _ in 0..MAX_LINK_HOPS {
        if let Ok(real) = std::fs::canonicalize(&path) {
            return Some(real);
        }
        unresolvable = true;
        let Ok(target) = std::fs::read_link(&path) else {
            break;
        };
        path = match path.parent() {
            Some(parent) => parent.join(target),
            None => target,
        };
        unresolvable = false;
    }
    path.ancestors()
        .skip(usize::from(unresolvable))
        .find_map(|ancestor| {
            let base = std::fs::canonicalize(ancestor).ok()?;
            Some(base.join(path.strip_prefix(ancestor).ok()?))
        })
}

/// Symlink chains longer than this are loops (Linux itself gives up at 40).
const MAX_LINK_HOPS: usize = 40;

/// Whether a canonical path holds glob metacharacters that a shell or a glob-taking tool expands.
pub fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// The existing paths that `pattern` (an absolute canonical path with glob metacharacters in some
/// segments) expands to on disk, as a shell would expand `cat ~/.ss?/id_rsa`: at most `limit`
/// paths, after reading at most [`GLOB_ENTRY_BUDGET`] directory entries. Matching is more generous
/// than a shell's (`*` also matches names starting with a dot), which only finds more.
pub fn expand_on_disk(pattern: &str, limit: usize) -> Vec<String> {
    let Some(rest) = pattern.strip_prefix('/') else {
        return Vec::new();
    };
    let mut frontier = vec![PathBuf::from("/")];
    let mut budget = GLOB_ENTRY_BUDGET;
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        if !has_glob(segment) {
            frontier = frontier.into_iter().map(|dir| dir.join(segment)).collect();
            continue;
        }
        let Ok(matcher) = globset::Glob::new(segment).map(|g| g.compile_matcher()) else {
            return Vec::new();
        };
        let mut next = Vec::new();
        for dir in &frontier {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if budget == 0 || next.len() >= limit {
                    break;
                }
                budget -= 1;
                if matcher.is_match(entry.file_name()) {
                    next.push(dir.join(entry.file_name()));
                }
            }
        }
        frontier = next;
    }
    frontier
        .into_iter()
        .filter(|path| path.symlink_metadata().is_ok())
        .take(limit)
        .map(|path| path.to_string_lossy().into_owned())
        .collect()
}

/// Directory entries one glob expansion may read: enough for any real home, bounded for a hostile
/// `/*/*/*/*`.
const GLOB_ENTRY_BUDGET: usize = 4096;

/// Spell a path returned by the OS (e.g. Windows `\\?\C:\x`) canonically.
fn canonical_os_path(path: &Path, windows: bool) -> String {
    let text = forward_slashes(path.to_string_lossy());
    Anchored::new(&text, "", windows).lexical(windows)
}

/// [`expand_pattern`] with the host's syntax rules made explicit.
fn expand_pattern_as(pattern: &str, ctx: &PathContext, windows: bool) -> String {
    let expanded = expand_home(pattern, ctx.home.as_deref()).replace('\\', "/");
    let (root, rest) = split_root(&expanded, windows);
    let body: Vec<&str> = rest
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    fold_case(
        format!("{}{}", root.prefix(), body.join("/")),
        ctx.case_insensitive,
    )
}

fn has_path_prefix(s: &str) -> bool {
    PATH_PREFIXES
        .iter()
        .any(|prefix| strip_prefix_ci(s, prefix).is_some())
        || home_prefix_len(s).is_some()
        || matches!(s.as_bytes(), [letter, b':', b'/' | b'\\', ..] if letter.is_ascii_alphabetic())
        || s == "."
        || s == ".."
}

/// `.env`, `.ssh/id_rsa`: a dot followed by a name character (not a digit, so `.5` is a number).
fn is_dotfile(s: &str) -> bool {
    matches!(s.as_bytes(), [b'.', next, ..] if next.is_ascii_alphabetic() || *next == b'_')
}

/// Length of the root of a canonical path: `/` (1), `x:/` (3), `//` (2), or 0 when relative.
fn root_len(path: &str) -> usize {
    match path.as_bytes() {
        [b'/', b'/', ..] => 2,
        [b'/', ..] => 1,
        [letter, b':', b'/', ..] if letter.is_ascii_alphabetic() => 3,
        _ => 0,
    }
}

/// The parent of `current` (never shorter than its root), or `None` at the root.
fn parent(current: &str, root: usize) -> Option<&str> {
    if current.len() <= root {
        return None;
    }
    match current.rfind('/') {
        Some(slash) if slash >= root => current.get(..slash),
        _ if root > 0 => current.get(..root),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ctx() -> PathContext {
        PathContext {
            home: Some(PathBuf::from("/home/alice")),
            cwd: PathBuf::from("/home/alice/project"),
            case_insensitive: false,
            resolve_symlinks: false,
        }
    }

    fn lexical(raw: &str) -> Option<String> {
        canonicalize_as(raw, &ctx(), false).map(|path| path.lexical)
    }

    fn windows_lexical(raw: &str) -> Option<String> {
        canonicalize_as(raw, &ctx(), true).map(|path| path.lexical)
    }

    const ID_RSA: &str = "/home/alice/.ssh/id_rsa";

    /// Regression (found by fuzzing): a decoding level that is no path must not hide the others.
    #[test]
    fn a_level_that_is_no_path_does_not_hide_the_rest() {
        let path = canonicalize_as("~/.ssh/id_rsa%00", &ctx(), false).unwrap();
        assert_eq!(path.lexical, "/home/alice/.ssh/id_rsa%00");
        let path = canonicalize_as("~/.ssh/%2e%2e/..%0a", &ctx(), false).unwrap();
        assert!(
            path.forms().any(|f| f.starts_with("/home/alice/.ssh")),
            "{path:?}"
        );
    }

    /// Regression: a server that does not percent-decode sees `~/.ssh/%2e%2e/..` as `~/.ssh`,
    /// while the fully decoded form is the home directory. Every decoding level is a form.
    #[test]
    fn every_decoding_level_is_a_form() {
        let path = canonicalize_as("~/.ssh/%2e%2e/..", &ctx(), false).unwrap();
        assert_eq!(path.lexical, "/home");
        assert!(path.forms().any(|f| f == "/home/alice/.ssh"), "{path:?}");
        let twice = canonicalize_as("/home/alice/.ssh/%252e%252e/x", &ctx(), false).unwrap();
        assert_eq!(twice.lexical, "/home/alice/x");
        let forms: Vec<&str> = twice.forms().collect();
        assert!(
            forms.contains(&"/home/alice/.ssh/%252e%252e/x"),
            "{forms:?}"
        );
        assert!(forms.contains(&"/home/alice/.ssh/%2e%2e/x"), "{forms:?}");
        let plain = canonicalize_as("src/main.rs", &ctx(), false).unwrap();
        assert!(plain.alternates.is_empty());
    }

    #[test]
    fn home_prefixes_expand() {
        assert_eq!(lexical("~/.ssh/id_rsa").as_deref(), Some(ID_RSA));
        assert_eq!(lexical("~").as_deref(), Some("/home/alice"));
        assert_eq!(lexical("$HOME/.ssh").as_deref(), Some("/home/alice/.ssh"));
        assert_eq!(
            lexical("${HOME}/.ssh/").as_deref(),
            Some("/home/alice/.ssh")
        );
        assert_eq!(
            lexical("%USERPROFILE%\\.ssh\\id_rsa").as_deref(),
            Some(ID_RSA)
        );
        assert_eq!(
            lexical("$env:userprofile/.ssh/id_rsa").as_deref(),
            Some(ID_RSA)
        );
        assert_eq!(lexical("%7e/.ssh/id_rsa").as_deref(), Some(ID_RSA));
    }

    #[test]
    fn home_lookalikes_stay_literal() {
        assert_eq!(
            lexical("~bob/.ssh").as_deref(),
            Some("/home/alice/project/~bob/.ssh")
        );
        assert_eq!(
            lexical("$HOMEDIR/x").as_deref(),
            Some("/home/alice/project/$HOMEDIR/x")
        );
        let no_home = PathContext {
            home: None,
            ..ctx()
        };
        let path = canonicalize_as("~/.ssh", &no_home, false).map(|path| path.lexical);
        assert_eq!(path.as_deref(), Some("/home/alice/project/~/.ssh"));
    }

    #[test]
    fn separators_dots_and_dotdots_normalize() {
        assert_eq!(
            lexical("/home/alice//.ssh/./id_rsa").as_deref(),
            Some(ID_RSA)
        );
        assert_eq!(
            lexical("/home/alice/project/../.ssh/id_rsa").as_deref(),
            Some(ID_RSA)
        );
        assert_eq!(
            lexical("/home/alice/.ssh/").as_deref(),
            Some("/home/alice/.ssh")
        );
        assert_eq!(lexical("/../../etc/shadow").as_deref(), Some("/etc/shadow"));
        assert_eq!(lexical("/").as_deref(), Some("/"));
        assert_eq!(lexical("/..").as_deref(), Some("/"));
        assert_eq!(lexical("//etc/shadow").as_deref(), Some("/etc/shadow"));
    }

    #[test]
    fn relative_paths_resolve_against_cwd() {
        assert_eq!(lexical("../.ssh/id_rsa").as_deref(), Some(ID_RSA));
        assert_eq!(
            lexical("./src/main.rs").as_deref(),
            Some("/home/alice/project/src/main.rs")
        );
        assert_eq!(lexical(".env").as_deref(), Some("/home/alice/project/.env"));
        assert_eq!(lexical("a/b").as_deref(), Some("/home/alice/project/a/b"));
    }

    #[test]
    fn file_uris_unwrap() {
        for uri in [
            "file:///home/alice/.ssh/id_rsa",
            "file://localhost/home/alice/.ssh/id_rsa",
            "FILE://LocalHost/home/alice/.ssh/id_rsa",
            "file:/home/alice/.ssh/id_rsa",
            "file:///home/alice/%2essh/id_rsa",
            "file:///home/alice/.ssh/id_rsa?raw=1#top",
        ] {
            assert_eq!(lexical(uri).as_deref(), Some(ID_RSA), "{uri}");
        }
        assert_eq!(lexical("file:///C:/Users/x").as_deref(), Some("c:/Users/x"));
        assert_eq!(
            lexical("file://server/share/x").as_deref(),
            Some("/server/share/x")
        );
        assert_eq!(
            windows_lexical("file://server/share/x").as_deref(),
            Some("//server/share/x")
        );
        assert_eq!(lexical("file://"), None);
    }

    #[test]
    fn percent_encoding_is_undone_repeatedly() {
        assert_eq!(
            lexical("/home/alice/%2essh/id_rsa").as_deref(),
            Some(ID_RSA)
        );
        assert_eq!(
            lexical("/home/alice/project/%252e%252e/.ssh/id_rsa").as_deref(),
            Some(ID_RSA)
        );
        assert_eq!(
            lexical("..%2f..%2fetc%2fshadow").as_deref(),
            Some("/home/etc/shadow")
        );
        assert_eq!(
            lexical("..%2f..%2f..%2fetc%2fshadow").as_deref(),
            Some("/etc/shadow")
        );
        assert_eq!(lexical("..%5c.ssh%5cid_rsa").as_deref(), Some(ID_RSA));
        assert_eq!(lexical("/tmp/%ff").as_deref(), Some("/tmp/\u{fffd}"));
        // The length limit applies after decoding.
        let encoded = format!("/{}", "%61".repeat(2000));
        assert_eq!(lexical(&encoded), Some(format!("/{}", "a".repeat(2000))));
    }

    #[test]
    fn windows_spellings() {
        assert_eq!(
            lexical("C:\\Users\\alice\\.ssh\\id_rsa").as_deref(),
            Some("c:/Users/alice/.ssh/id_rsa")
        );
        assert_eq!(lexical("\\\\?\\C:\\x").as_deref(), Some("c:/x"));
        assert_eq!(lexical("\\\\.\\C:\\x").as_deref(), Some("c:/x"));
        assert_eq!(lexical("c:").as_deref(), Some("c:/"));
        assert_eq!(
            windows_lexical("\\\\server\\share\\x").as_deref(),
            Some("//server/share/x")
        );
        assert_eq!(
            windows_lexical("\\\\?\\UNC\\server\\share").as_deref(),
            Some("//server/share")
        );
        assert_eq!(
            windows_lexical("\\\\server\\share\\..\\..\\x").as_deref(),
            Some("//server/share/x")
        );
        assert_eq!(
            windows_lexical("C:\\x\\id_rsa. .").as_deref(),
            Some("c:/x/id_rsa")
        );
        assert_eq!(windows_lexical("\\\\..\\?\\C:\\x").as_deref(), Some("c:/x"));
        assert_eq!(
            windows_lexical("c:/x/id_rsa::$data .").as_deref(),
            Some("c:/x/id_rsa")
        );
        assert_eq!(
            lexical("/x/id_rsa::$DATA").as_deref(),
            Some("/x/id_rsa::$DATA")
        );
    }

    #[test]
    fn unc_is_plain_root_on_unix() {
        assert_eq!(
            lexical("\\\\server\\share\\x").as_deref(),
            Some("/server/share/x")
        );
        assert_eq!(
            lexical("\\\\?\\UNC\\server\\share").as_deref(),
            Some("/server/share")
        );
    }

    #[test]
    fn drive_escape_reads_as_relative_on_unix() {
        let escape = "C:/../../../../etc/shadow";
        assert_eq!(lexical(escape).as_deref(), Some("/etc/shadow"));
        assert_eq!(windows_lexical(escape).as_deref(), Some("c:/etc/shadow"));
    }

    #[test]
    fn case_folds_when_insensitive() {
        let folding = PathContext {
            case_insensitive: true,
            ..ctx()
        };
        let path = canonicalize_as("~/.SSH/Id_RSA", &folding, false).map(|path| path.lexical);
        assert_eq!(path.as_deref(), Some(ID_RSA));
        assert_eq!(lexical("~/.SSH").as_deref(), Some("/home/alice/.SSH"));
    }

    #[test]
    fn non_paths_are_rejected() {
        let too_long = format!("/{}", "a".repeat(MAX_PATH_BYTES));
        for raw in [
            "https://example.com/x",
            "HTTP://x",
            "s3://bucket/key",
            "",
            "/a\0b",
            "/a\nb",
            &too_long,
        ] {
            assert_eq!(lexical(raw), None, "{raw:?}");
        }
        // An encoded NUL or newline only makes the decoded level no path; the text as written is
        // still one, and is checked (a server that does not decode opens exactly that).
        assert_eq!(lexical("/a%00b").as_deref(), Some("/a%00b"));
        assert_eq!(lexical("/a%0Ab").as_deref(), Some("/a%0Ab"));
    }

    #[test]
    fn urls_with_dotdot_read_as_paths() {
        let escape = "https://x/../../../../../home/alice/.ssh/id_rsa";
        assert_eq!(lexical(escape).as_deref(), Some(ID_RSA));
    }

    #[test]
    fn forms_lists_lexical_then_real_then_alternates() {
        let path = CanonicalPath {
            lexical: "/a".into(),
            real: Some("/b".into()),
            alternates: vec!["/c".into()],
        };
        assert_eq!(path.forms().collect::<Vec<_>>(), ["/a", "/b", "/c"]);
        let path = CanonicalPath {
            lexical: "/a".into(),
            real: None,
            alternates: Vec::new(),
        };
        assert_eq!(path.forms().collect::<Vec<_>>(), ["/a"]);
    }

    #[test]
    fn for_host_defaults() {
        let host = PathContext::for_host(None, PathBuf::from("/"));
        assert!(host.resolve_symlinks);
        assert_eq!(
            host.case_insensitive,
            cfg!(any(target_os = "macos", windows))
        );
    }

    #[test]
    fn ancestors_walk_up_to_the_root() {
        assert_eq!(
            ancestors("/a/b/c").collect::<Vec<_>>(),
            ["/a/b/c", "/a/b", "/a", "/"]
        );
        assert_eq!(ancestors("/").collect::<Vec<_>>(), ["/"]);
        assert_eq!(
            ancestors("c:/x/y").collect::<Vec<_>>(),
            ["c:/x/y", "c:/x", "c:/"]
        );
        assert_eq!(
            ancestors("//srv/share").collect::<Vec<_>>(),
            ["//srv/share", "//srv", "//"]
        );
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a/b", "a"]);
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn looks_like_path_accepts_path_shapes() {
        for s in [
            "/etc/passwd",
            "~",
            "~/.ssh",
            "$HOME/.aws",
            "${HOME}",
            "file:///x",
            "./x",
            "../x",
            ".env",
            ".ssh/id_rsa",
            "C:\\Users",
            "c:/x",
            "\\\\server\\share",
            "%2e%2e%2fetc",
            "%2F",
            "src/main.rs",
            "a\\b",
            "/Users/alice/My Documents/x",
            ".",
            "..",
            "https://x/../../etc/passwd",
        ] {
            assert!(looks_like_path(s), "{s:?}");
        }
    }

    #[test]
    fn looks_like_path_rejects_prose_urls_and_numbers() {
        for s in [
            "please summarise this",
            "how do I configure .env files",
            "https://example.com/a/b",
            "ftp://host/x",
            "42",
            "3.14",
            ".5",
            "",
            "/etc/passwd\n",
            "hello world/x",
            "...",
            "~5 minutes",
        ] {
            assert!(!looks_like_path(s), "{s:?}");
        }
    }

    #[test]
    fn patterns_expand_like_paths_and_keep_globs() {
        let c = ctx();
        assert_eq!(expand_pattern("~/.ssh/**", &c), "/home/alice/.ssh/**");
        assert_eq!(expand_pattern("$HOME/.aws/*", &c), "/home/alice/.aws/*");
        assert_eq!(
            expand_pattern("${HOME}//.config/", &c),
            "/home/alice/.config"
        );
        assert_eq!(expand_pattern("**/.env", &c), "**/.env");
        assert_eq!(expand_pattern("*.pem", &c), "*.pem");
        assert_eq!(expand_pattern("/", &c), "/");
        assert_eq!(expand_pattern("/a/{b,c}/[x-z]?/", &c), "/a/{b,c}/[x-z]?");
        assert_eq!(
            expand_pattern("C:\\Users\\*\\.ssh\\**", &c),
            "c:/Users/*/.ssh/**"
        );
        let folding = PathContext {
            case_insensitive: true,
            ..ctx()
        };
        assert_eq!(expand_pattern("~/.SSH/*", &folding), "/home/alice/.ssh/*");
        assert_eq!(
            expand_pattern_as("\\\\srv\\share\\**", &c, true),
            "//srv/share/**"
        );
    }

    /// A scratch directory unique to this process and test, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("portcullis-paths-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create scratch dir");
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// `project/link` → `secret` and `project/key-link` → `secret/key`, with `secret/key` present.
    #[cfg(unix)]
    fn symlinked_project(scratch: &Scratch) -> (PathContext, PathBuf) {
        let secret = scratch.0.join("secret");
        let project = scratch.0.join("project");
        std::fs::create_dir_all(&secret).expect("create secret dir");
        std::fs::create_dir_all(&project).expect("create project dir");
        std::fs::write(secret.join("key"), "x").expect("write secret");
        std::os::unix::fs::symlink(&secret, project.join("link")).expect("symlink");
        std::os::unix::fs::symlink(secret.join("key"), project.join("key-link")).expect("symlink");
        let ctx = PathContext {
            home: None,
            cwd: project,
            case_insensitive: false,
            resolve_symlinks: true,
        };
        (
            ctx,
            std::fs::canonicalize(secret).expect("canonical secret"),
        )
    }

    #[cfg(unix)]
    #[test]
    fn symlink_to_secret_resolves_in_real() {
        let scratch = Scratch::new("existing");
        let (ctx, secret) = symlinked_project(&scratch);
        let path = canonicalize("link/key", &ctx).expect("a path");
        assert!(path.lexical.ends_with("/project/link/key"));
        assert_eq!(path.real, Some(format!("{}/key", secret.display())));
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_file_resolves_in_real() {
        let scratch = Scratch::new("file-link");
        let (ctx, secret) = symlinked_project(&scratch);
        let path = canonicalize("key-link", &ctx).expect("a path");
        assert_eq!(path.real, Some(format!("{}/key", secret.display())));
        assert_eq!(path.forms().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn new_file_under_symlinked_dir_resolves() {
        let scratch = Scratch::new("new-file");
        let (ctx, secret) = symlinked_project(&scratch);
        let path = canonicalize("./link/not-yet/created.txt", &ctx).expect("a path");
        assert_eq!(
            path.real,
            Some(format!("{}/not-yet/created.txt", secret.display()))
        );
    }

    #[cfg(unix)]
    #[test]
    fn dotdot_after_symlink_follows_the_link() {
        let scratch = Scratch::new("dotdot");
        let (ctx, secret) = symlinked_project(&scratch);
        let path = canonicalize("link/../secret/key", &ctx).expect("a path");
        let parent = secret.parent().expect("secret has a parent");
        assert_eq!(path.real, Some(format!("{}/secret/key", parent.display())));
    }

    /// `/proc/self/root` is the process's `/`: only the symlink pass sees through it.
    #[cfg(target_os = "linux")]
    #[test]
    fn proc_self_root_resolves_in_real() {
        let resolving = PathContext {
            resolve_symlinks: true,
            ..ctx()
        };
        let path =
            canonicalize_as("/proc/self/root/etc/passwd", &resolving, false).expect("a path");
        assert_eq!(path.real.as_deref(), Some("/etc/passwd"));
    }

    #[test]
    fn real_is_absent_without_symlinks_or_when_disabled() {
        let resolving = PathContext {
            resolve_symlinks: true,
            ..ctx()
        };
        assert_eq!(
            canonicalize_as("/", &resolving, false).and_then(|path| path.real),
            None
        );
        let scratch = Scratch::new("disabled");
        let off = PathContext {
            cwd: scratch.0.clone(),
            ..ctx()
        };
        assert_eq!(canonicalize("x", &off).and_then(|path| path.real), None);
    }

    /// Relative and absolute paths built from segments that exercise every rule.
    fn segmented_path() -> impl Strategy<Value = Vec<String>> {
        let first = prop::sample::select(vec!["", "~", "$HOME", "C:", "..", "a", ".ssh"]);
        let rest = prop::collection::vec(
            prop::sample::select(vec![
                "a", "B", "..", ".", ".ssh", "id_rsa", "%2e%2e", "%252e", "x y", "é",
            ]),
            0..8,
        );
        (first, rest)
            .prop_filter("empty", |(first, rest)| {
                !(first.is_empty() && rest.is_empty())
            })
            .prop_map(|(first, rest)| {
                std::iter::once(first)
                    .chain(rest)
                    .map(str::to_owned)
                    .collect()
            })
    }

    /// Arbitrary text, or short strings over the characters that carry path syntax.
    fn path_soup() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC*",
            "([/\\\\.?:~%]|2e|2f|25|5c|C|a|file:|UNC|HOME|::\\$DATA| |\\$)*"
        ]
    }

    fn assert_canonical_shape(path: &str) {
        let body = path.strip_prefix("//").unwrap_or(path);
        let rooted = path.starts_with('/')
            || matches!(path.as_bytes(), [l, b':', b'/', ..] if l.is_ascii_lowercase());
        assert!(rooted, "{path:?} has no root");
        assert!(!body.contains("//"), "{path:?}");
        assert!(!path.contains("/./") && !path.contains("/../"), "{path:?}");
        assert!(!path.ends_with("/.") && !path.ends_with("/.."), "{path:?}");
        assert!(path.len() <= 3 || !path.ends_with('/'), "{path:?}");
    }

    /// `normalize` as it was before it was built in place: the oracle for the rewrite.
    fn normalize_by_segment_list(root: Root, rest: &str, windows: bool) -> String {
        let floor = if root == Root::Unc { 2 } else { 0 };
        let mut segments: Vec<&str> = Vec::new();
        for segment in rest.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    if segments.len() > floor {
                        segments.pop();
                    }
                }
                name => {
                    let name = if windows { windows_name(name) } else { name };
                    if !name.is_empty() {
                        segments.push(name);
                    }
                }
            }
        }
        format!("{}{}", root.prefix(), segments.join("/"))
    }

    /// `looks_like_path` as it was before it checked the shape first: the oracle for the rewrite.
    fn looks_like_path_checking_content_first(s: &str) -> bool {
        if s.is_empty() || s.contains(['\0', '\n', '\r']) || is_url(s) {
            return false;
        }
        let lower = s.to_ascii_lowercase();
        has_path_prefix(s)
            || (!s.contains(char::is_whitespace)
                && (s.contains(['/', '\\'])
                    || is_dotfile(s)
                    || lower.contains("%2f")
                    || lower.contains("%5c")))
    }

    fn any_root() -> impl Strategy<Value = Root> {
        prop::sample::select(vec![
            Root::Posix,
            Root::Drive(b'c'),
            Root::Unc,
            Root::Relative,
        ])
    }

    proptest! {
        // No regression files: they would land outside this module's file.
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn normalize_in_place_equals_the_segment_list(rest in path_soup(), root in any_root(), windows: bool) {
            prop_assert_eq!(normalize(root, &rest, windows), normalize_by_segment_list(root, &rest, windows));
        }

        #[test]
        fn looks_like_path_is_unchanged(s in prop_oneof!["\\PC*", path_soup(), "[a-z %2fFcC5/\\\\.\n]*"]) {
            prop_assert_eq!(looks_like_path(&s), looks_like_path_checking_content_first(&s));
        }

        #[test]
        fn never_panics(raw in "\\PC*", windows: bool, folding: bool) {
            let ctx = PathContext { case_insensitive: folding, ..ctx() };
            let _ = canonicalize_as(&raw, &ctx, windows);
            let _ = looks_like_path(&raw);
            let _ = expand_pattern_as(&raw, &ctx, windows);
            let _ = ancestors(&raw).count();
        }

        #[test]
        fn output_is_canonical_and_idempotent(raw in path_soup(), windows: bool, folding: bool) {
            let ctx = PathContext { case_insensitive: folding, ..ctx() };
            if let Some(first) = canonicalize_as(&raw, &ctx, windows) {
                assert_canonical_shape(&first.lexical);
                let again = canonicalize_as(&first.lexical, &ctx, windows).map(|path| path.lexical);
                prop_assert_eq!(again, Some(first.lexical));
            }
        }

        #[test]
        fn segmented_paths_are_canonical_and_idempotent(segments in segmented_path(), windows: bool) {
            let first = canonicalize_as(&segments.join("/"), &ctx(), windows).map(|path| path.lexical);
            let first = first.expect("segmented paths are paths");
            assert_canonical_shape(&first);
            let again = canonicalize_as(&first, &ctx(), windows).map(|path| path.lexical);
            prop_assert_eq!(again, Some(first));
        }

        #[test]
        fn dot_segments_and_doubled_separators_change_nothing(segments in segmented_path(), windows: bool) {
            let plain = canonicalize_as(&segments.join("/"), &ctx(), windows);
            prop_assert_eq!(&canonicalize_as(&segments.join("/./"), &ctx(), windows), &plain);
            // A leading `//` is a UNC root on Windows, so only separators after the first segment double.
            let doubled = match segments.split_first() {
                Some((first, rest)) if first.is_empty() => format!("/{}", rest.join("//")),
                _ => segments.join("//"),
            };
            prop_assert_eq!(&canonicalize_as(&doubled, &ctx(), windows), &plain);
            prop_assert_eq!(&canonicalize_as(&segments.join("\\"), &ctx(), windows), &plain);
        }

        #[test]
        fn ancestors_end_at_the_root(raw in path_soup()) {
            if let Some(path) = canonicalize_as(&raw, &ctx(), false) {
                let chain: Vec<&str> = ancestors(&path.lexical).collect();
                prop_assert_eq!(chain.first().copied(), Some(path.lexical.as_str()));
                let root = path.lexical.get(..root_len(&path.lexical));
                prop_assert!(root.is_some_and(|root| !root.is_empty()));
                prop_assert_eq!(chain.last().copied(), root);
                prop_assert!(chain.windows(2).all(|pair| pair[0].starts_with(pair[1]) && pair[0].len() > pair[1].len()));
            }
        }
    }
}
