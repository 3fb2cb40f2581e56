//! Each detector alone: path canonicalization, shell analysis, the text scanners per MB and the
//! poisoning detector per tool list.
//!
//! Run with `cargo bench -p portcullis-core --bench detectors`. Figures are in docs/benchmarks.md.

mod common;

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

/// Path arguments as tools receive them.
mod paths {
    use super::*;
    use portcullis_core::detect::paths::canonicalize;

    /// A project-relative path, a home path, and an evasive one (`..` laden, percent-encoded and
    /// double-encoded) that leads from the project (`~/project`) to `~/.ssh/id_rsa`.
    const PATHS: [&str; 3] = [
        "src/main.rs",
        "~/.config/app/settings.json",
        "./src/..%2f..%2f.%2fproject/%2e%2e//.ssh/%252e/%69d_rsa",
    ];

    /// Expansion, decoding and normalization only.
    #[divan::bench(args = PATHS)]
    fn lexical(bencher: Bencher, raw: &str) {
        let ctx = common::project_paths(false);
        bencher.bench(|| canonicalize(black_box(raw), &ctx));
    }

    /// The same plus the `realpath` look-ups (the project exists on disk).
    #[divan::bench(args = PATHS)]
    fn with_symlinks(bencher: Bencher, raw: &str) {
        let ctx = common::project_paths(true);
        bencher.bench(|| canonicalize(black_box(raw), &ctx));
    }
}

/// Shell commands parsed and analysed with full shell semantics.
mod shell {
    use super::*;
    use portcullis_core::detect::shell::analyze;

    fn bench_command(bencher: Bencher, command: &str) {
        let ctx = common::project_paths(false);
        bencher
            .counter(BytesCount::new(command.len()))
            .bench(|| analyze(black_box(command), &ctx));
    }

    #[divan::bench]
    fn simple(bencher: Bencher) {
        bench_command(bencher, common::SIMPLE_COMMAND);
    }

    #[divan::bench]
    fn download_pipe(bencher: Bencher) {
        bench_command(bencher, common::DOWNLOAD_PIPE);
    }

    #[divan::bench]
    fn script_1kb(bencher: Bencher) {
        bench_command(bencher, common::BUILD_SCRIPT);
    }
}

/// The scanners over 1 MB of ordinary tool output (logs, JSON, code, prose) that holds nothing
/// they look for: the median is the time per MB.
mod text_1mb {
    use super::*;
    use portcullis_core::detect::instructions::injection;
    use portcullis_core::detect::{hidden, pii, secrets};

    fn text() -> String {
        common::mixed_output(1024 * 1024)
    }

    #[divan::bench]
    fn secrets(bencher: Bencher) {
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| secrets::scan(black_box(&text)));
    }

    /// The kinds on by default: payment cards, US SSNs, IBANs.
    #[divan::bench]
    fn pii_default_kinds(bencher: Bencher) {
        let kinds = common::builtin_policy(common::lexical_paths())
            .screening
            .pii_kinds();
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| pii::scan(black_box(&text), kinds));
    }

    #[divan::bench]
    fn hidden(bencher: Bencher) {
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| hidden::find(black_box(&text)));
    }

    #[divan::bench]
    fn injection(bencher: Bencher) {
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| injection::scan(black_box(&text)));
    }
}

/// The poisoning detector over a `tools/list` of 30 real tools, each against the other names.
#[divan::bench]
fn poisoning_30_tools(bencher: Bencher) {
    let tools = common::thirty_tools();
    let list = common::with_other_names(&tools);
    bencher
        .counter(ItemsCount::new(list.len()))
        .bench(|| common::poisoned_tools(black_box(&list)));
}
