//! Canonicalization never panics, and canonicalizing its output again keeps that output among the
//! forms (it is the first decoding level; only paths encoded more than four times decode further).
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use portcullis_core::detect::paths::{PathContext, canonicalize};

fuzz_target!(|raw: &str| {
    let mut ctx = PathContext::for_host(
        Some(PathBuf::from("/home/fuzz")),
        PathBuf::from("/home/fuzz/project"),
    );
    ctx.resolve_symlinks = false;
    if let Some(canonical) = canonicalize(raw, &ctx) {
        if canonical.lexical.len() < 4000 {
            let again = canonicalize(&canonical.lexical, &ctx).expect("a canonical path is a path");
            assert!(
                again.forms().any(|form| form == canonical.lexical),
                "{raw:?}: {canonical:?} -> {again:?}"
            );
        }
    }
});
