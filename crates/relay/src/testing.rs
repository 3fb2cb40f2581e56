//! Helpers for the relay's unit tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use portcullis_core::detect::paths::PathContext;
use portcullis_core::pins::ServerIdentity;
use portcullis_core::policy::{Policy, Source, Sources};

/// The built-in policy under a user configuration `yaml`, for a server in `/home/u/p`.
pub fn policy(yaml: &str) -> Arc<Policy> {
    let sources = Sources {
        user: Some(Source {
            path: Path::new("user.yaml").to_path_buf(),
            text: yaml.to_owned(),
        }),
        project: None,
    };
    let paths = PathContext::for_host(Some(PathBuf::from("/home/u")), PathBuf::from("/home/u/p"));
    Arc::new(Policy::compile(&sources, paths).unwrap_or_else(|e| panic!("{e}")))
}

pub fn identity() -> ServerIdentity {
    ServerIdentity {
        name: "srv".into(),
        command: vec!["srv".into()],
    }
}
