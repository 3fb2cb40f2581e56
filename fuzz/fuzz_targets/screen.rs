//! Screening what a server sends never panics, and its edits always leave valid JSON: the span
//! tree agrees with the strict parser on every message it accepts, and a screened message (with
//! everything redacted, stripped or warned about) still parses.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use portcullis_core::detect::paths::PathContext;
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict, tree};
use portcullis_core::message::{Message, Target};
use portcullis_core::policy::{Policy, Source, Sources};
use portcullis_core::screen::content::{Context, screen};

static POLICY: LazyLock<Policy> = LazyLock::new(|| {
    let mut paths = PathContext::for_host(
        Some(PathBuf::from("/home/fuzz")),
        PathBuf::from("/home/fuzz/project"),
    );
    paths.resolve_symlinks = false;
    // Every data kind on, so that every detector runs.
    let user = Source {
        path: PathBuf::from("fuzz.yaml"),
        text: "redact: {email: redact, phone: redact}\n".into(),
    };
    let sources = Sources {
        user: Some(user),
        project: None,
    };
    Policy::compile(&sources, paths).expect("the fuzz policy compiles")
});

fuzz_target!(|data: &[u8]| {
    let Ok(value) = parse_strict(data, DEFAULT_MAX_DEPTH) else {
        return;
    };
    let text = std::str::from_utf8(data).expect("strict parsing checked UTF-8");
    let root = tree::parse(text).expect("the span tree reads what the strict parser accepts");
    let Ok(message) = Message::from_value(value) else {
        return;
    };
    for method in ["tools/call", "resources/read", "prompts/get", "other"] {
        let target = Target {
            method: method.into(),
            ..Target::default()
        };
        let cx = Context {
            server: "fuzz",
            kind: message.kind,
            target: &target,
            screening: &POLICY.screening,
        };
        let screened = screen(&root, &cx);
        let out = screened.edits.apply(data);
        assert!(
            parse_strict(&out, DEFAULT_MAX_DEPTH + 1).is_ok(),
            "screening produced invalid JSON: {}",
            String::from_utf8_lossy(&out)
        );
    }
});
