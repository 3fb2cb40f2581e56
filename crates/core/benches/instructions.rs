//! Instruction counts of the core's main operations, measured by callgrind through gungraun. Unlike
//! times, they do not move with the machine's load: the same code and input give the same count
//! (to a few instructions), so a regression shows up as a number.
//!
//! Needs valgrind and `gungraun-runner` of the same version as the `gungraun` library:
//!
//! ```sh
//! cargo install gungraun-runner --version 0.20.0 --locked --root /work/gungraun-runner
//! GUNGRAUN_RUNNER=/work/gungraun-runner/bin/gungraun-runner \
//!   cargo bench -p portcullis-core --features instructions --bench instructions
//! ```
//!
//! Figures are in docs/benchmarks.md. Inputs are built in the bench attributes, which gungraun
//! runs outside the measurement, and leaked, so neither building nor dropping them is counted;
//! each operation runs once there too, so tables built on first use are not counted either.
//! Nothing reads the disk: the paths are lexical (symlink resolution off).

mod common;

// Benchmark functions carry `//` comments: gungraun's macro accepts no other attribute, docs
// included.

use std::hint::black_box;

use common::{READ_FILE, RUN_COMMAND};
use gungraun::{library_benchmark, library_benchmark_group, main};
use portcullis_core::detect::secrets;
use portcullis_core::policy::Policy;
use serde_json::Value;

/// `value` for the rest of the process, so that dropping it is not counted.
fn leak<T: ?Sized>(value: Box<T>) -> &'static T {
    Box::leak(value)
}

/// `input` after `operation` ran on it once. Parts of the core build tables (regexes, automata)
/// on first use, once per process; counting that would hide what one more call costs.
fn warmed<T: ?Sized, R>(input: &'static T, operation: impl Fn(&T) -> R) -> &'static T {
    black_box(operation(input));
    input
}

fn default_policy() -> &'static Policy {
    leak(Box::new(common::builtin_policy(common::lexical_paths())))
}

/// The built-in policy after judging `line` once.
fn policy_warmed_on(line: &'static str) -> &'static Policy {
    warmed(default_policy(), |policy| {
        common::decide(policy, line.as_bytes())
    })
}

/// A 2 KB `tools/call` result of log text.
fn result_2kb() -> &'static [u8] {
    leak(common::result(&common::log_text(2 * 1024)).into_boxed_slice())
}

// Strict parse, classification and target of a small `tools/call`.
#[library_benchmark]
#[bench::small_call(warmed(READ_FILE, |line| common::message_view(line.as_bytes())))]
fn parse(line: &str) -> usize {
    let (message, target) = common::message_view(black_box(line.as_bytes()));
    usize::from(message.payload().is_some()) + usize::from(target.tool.is_some())
}

// The whole per-message decision with the built-in policy.
#[library_benchmark]
#[bench::read_file(policy_warmed_on(READ_FILE), READ_FILE)]
#[bench::run_command(policy_warmed_on(RUN_COMMAND), RUN_COMMAND)]
fn evaluate(policy: &Policy, line: &str) -> bool {
    common::decide(policy, black_box(line.as_bytes()))
}

// The relay's work on a 2 KB `tools/call` result of log text.
#[library_benchmark]
#[bench::result_2kb(
    warmed(default_policy(), |policy| common::screen_result(policy, result_2kb())),
    result_2kb()
)]
fn screen(policy: &Policy, line: &[u8]) -> usize {
    common::screen_result(policy, black_box(line))
}

// The secret scanner over 1 MB of ordinary tool output.
#[library_benchmark]
#[bench::text_1mb(warmed(
    leak(common::mixed_output(1024 * 1024).into_boxed_str()),
    secrets::scan
))]
fn secrets_scan(text: &str) -> usize {
    secrets::scan(black_box(text)).len()
}

// The poisoning detector over 30 real tools, each against the other names.
#[library_benchmark]
#[bench::tools_30(warmed(
    leak(common::with_other_names(leak(common::thirty_tools().into_boxed_slice())).into_boxed_slice()),
    common::poisoned_tools
))]
fn poisoning(list: &[(&Value, Vec<&str>)]) -> usize {
    common::poisoned_tools(black_box(list))
}

library_benchmark_group!(
    name = core;
    benchmarks = parse, evaluate, screen, secrets_scan, poisoning
);

main!(library_benchmark_groups = core);
