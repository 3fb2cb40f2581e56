//! The shell parser and command detectors never panic, on scripts and on argv arrays.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use portcullis_core::detect::paths::PathContext;
use portcullis_core::detect::shell::{analyze, analyze_argv};

fuzz_target!(|script: &str| {
    let mut ctx = PathContext::for_host(
        Some(PathBuf::from("/home/fuzz")),
        PathBuf::from("/home/fuzz/project"),
    );
    ctx.resolve_symlinks = false;
    let _ = analyze(script, &ctx);
    let argv: Vec<&str> = script.split('\0').collect();
    let _ = analyze_argv(&argv, &ctx);
});
