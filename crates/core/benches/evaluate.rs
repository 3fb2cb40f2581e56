//! Policy evaluation per message: the built-in policy, and the built-in policy behind a user
//! configuration of 500 rules.
//!
//! Run with `cargo bench -p portcullis-core --bench evaluate`. Figures are in docs/benchmarks.md.

mod common;

use common::{READ_FILE, RUN_COMMAND, decide, project_paths, write_file_4kb};
use divan::Bencher;
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict};
use portcullis_core::policy::Policy;

fn main() {
    divan::main();
}

/// The built-in policy on the real project; NO_SYMLINKS=1 measures without the filesystem
/// look-ups that resolve symlinks.
fn policy() -> Policy {
    common::builtin_policy(project_paths(resolve_symlinks()))
}

fn resolve_symlinks() -> bool {
    std::env::var_os("NO_SYMLINKS").is_none()
}

#[divan::bench]
fn compile_builtin_policy() -> Policy {
    policy()
}

#[divan::bench]
fn read_file_call(bencher: Bencher) {
    let policy = policy();
    bencher.bench(|| decide(&policy, divan::black_box(READ_FILE.as_bytes())));
}

#[divan::bench]
fn run_command_call(bencher: Bencher) {
    let policy = policy();
    bencher.bench(|| decide(&policy, divan::black_box(RUN_COMMAND.as_bytes())));
}

#[divan::bench]
fn write_file_4kb_call(bencher: Bencher) {
    let policy = policy();
    let line = write_file_4kb();
    bencher.bench(|| decide(&policy, divan::black_box(line.as_bytes())));
}

#[divan::bench]
fn parse_only(bencher: Bencher) {
    bencher.bench(|| parse_strict(divan::black_box(READ_FILE.as_bytes()), DEFAULT_MAX_DEPTH));
}

/// The same calls with 500 user rules in front of the built-in ones; none matches, so every call
/// is judged against all of them.
mod user_rules_500 {
    use super::*;

    const RULES: usize = 500;

    fn policy() -> Policy {
        common::policy_with_user_rules(RULES, project_paths(resolve_symlinks()))
    }

    #[divan::bench(sample_count = 20)]
    fn compile() -> Policy {
        policy()
    }

    #[divan::bench]
    fn read_file_call(bencher: Bencher) {
        let policy = policy();
        bencher.bench(|| decide(&policy, divan::black_box(READ_FILE.as_bytes())));
    }

    #[divan::bench]
    fn run_command_call(bencher: Bencher) {
        let policy = policy();
        bencher.bench(|| decide(&policy, divan::black_box(RUN_COMMAND.as_bytes())));
    }
}
