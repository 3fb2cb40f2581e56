//! Resident memory of a proxy: every process in the tree started for a target, except the MCP
//! server itself, so a proxy that runs helpers (a runtime, a daemon child) is charged for them.
//!
//! Read from `/proc`, so Linux only; elsewhere memory is reported as unknown.

use std::path::Path;

/// Resident and peak resident memory, in KiB, summed over a set of processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resident {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

/// The memory of `root`'s process tree, without the processes running `server`. `None` where
/// `/proc` cannot tell.
pub fn of_tree_without(root: u32, server: &Path) -> Option<Resident> {
    of_tree(root, server, false)
}

/// The memory of the processes running `server` under `root` (for a direct connection, the
/// server is the root).
pub fn of_server(root: u32, server: &Path) -> Option<Resident> {
    of_tree(root, server, true)
}

/// Sums the processes of `root`'s tree that run `server` (`servers`) or that do not.
#[cfg(target_os = "linux")]
fn of_tree(root: u32, server: &Path, servers: bool) -> Option<Resident> {
    let server = std::fs::canonicalize(server).ok()?;
    let mut total = Resident::default();
    for pid in tree(root) {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        if (exe.as_deref() == Some(server.as_path())) != servers {
            continue;
        }
        // A process that ended since the tree was read holds nothing any more.
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        total.rss_kib += field_kib(&status, "VmRSS:")?;
        total.peak_kib += field_kib(&status, "VmHWM:")?;
    }
    Some(total)
}

#[cfg(not(target_os = "linux"))]
fn of_tree(_root: u32, _server: &Path, _servers: bool) -> Option<Resident> {
    None
}

/// `root` and all its descendants, from the parent pids in `/proc/*/stat`.
#[cfg(target_os = "linux")]
fn tree(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        next += 1;
    }
    found
}

/// The parent pid: the fourth field of `/proc/PID/stat`, after the parenthesised command name
/// (which may itself hold spaces and parentheses, hence the last `)`).
#[cfg(target_os = "linux")]
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(target_os = "linux")]
fn field_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn our_own_tree_has_memory_and_a_peak_at_least_as_high() {
        let me = of_tree_without(std::process::id(), Path::new("/")).unwrap();
        assert!(me.rss_kib > 0);
        assert!(me.peak_kib >= me.rss_kib);
    }

    #[test]
    fn the_server_is_left_out_by_its_executable() {
        let exe = std::env::current_exe().unwrap();
        let without = of_tree_without(std::process::id(), &exe).unwrap();
        assert_eq!(without, Resident::default());
        assert!(of_server(std::process::id(), &exe).unwrap().rss_kib > 0);
    }
}
