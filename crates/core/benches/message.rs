//! Reading a message: strict parse (duplicate keys, depth), JSON-RPC classification and what the
//! message targets, before any rule looks at it.
//!
//! Run with `cargo bench -p portcullis-core --bench message`. Figures are in docs/benchmarks.md.

mod common;

use common::{READ_FILE, message_view, tools_list_response, write_file_4kb};
use divan::counter::BytesCount;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

fn bench_view(bencher: Bencher, line: &[u8]) {
    bencher
        .counter(BytesCount::new(line.len()))
        .bench(|| message_view(black_box(line)));
}

#[divan::bench]
fn small_call(bencher: Bencher) {
    bench_view(bencher, READ_FILE.as_bytes());
}

#[divan::bench]
fn call_4kb(bencher: Bencher) {
    bench_view(bencher, write_file_4kb().as_bytes());
}

/// A server's `tools/list` answer with 30 real tools (about 24 KB).
#[divan::bench]
fn tools_list_30_response(bencher: Bencher) {
    bench_view(bencher, tools_list_response().as_bytes());
}
