//! Strict parsing and message classification never panic, and whatever parses is judged by the
//! built-in policy without panicking.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use portcullis_core::detect::paths::PathContext;
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict};
use portcullis_core::message::{Direction, Message, Target, View};
use portcullis_core::policy::{Policy, Sources};

static POLICY: LazyLock<Policy> = LazyLock::new(|| {
    let mut paths = PathContext::for_host(
        Some(PathBuf::from("/home/fuzz")),
        PathBuf::from("/home/fuzz/project"),
    );
    paths.resolve_symlinks = false;
    Policy::compile(&Sources::default(), paths).expect("built-in policy compiles")
});

fuzz_target!(|data: &[u8]| {
    let Ok(value) = parse_strict(data, DEFAULT_MAX_DEPTH) else {
        return;
    };
    let Ok(message) = Message::from_value(value) else {
        return;
    };
    let target = Target::of(
        message.method.as_deref().unwrap_or_default(),
        message.params(),
    );
    for direction in [Direction::ToServer, Direction::ToClient] {
        let view = View {
            direction,
            kind: message.kind,
            server: "fuzz",
            target: &target,
            payload: message.payload(),
        };
        let _ = POLICY.evaluate(&view);
    }
});
