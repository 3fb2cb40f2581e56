//! Finding the workspace's binaries from an integration test.
//!
//! Cargo builds every binary of a package whose integration tests run, and `cargo test
//! --workspace` runs all packages', so sibling binaries sit next to the test's `deps` directory.

use std::path::PathBuf;

/// The path of a workspace binary such as `portcullis` or `recording-server`.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` (the README's test command does)",
        path.display()
    );
    path
}
