//! Finding and loading the configuration layers.
//!
//! User configuration: `--config`, then `$PORTCULLIS_CONFIG`, then `config.yaml` in
//! `$PORTCULLIS_HOME` or the platform's configuration directory, then none (built-ins only).
//! Project configuration: `.portcullis.yaml` in the working directory, which may only tighten.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;
use etcetera::AppStrategy;
use portcullis_core::detect::paths::PathContext;
use portcullis_core::policy::{Policy, Source, Sources};

/// Names a project file may have, in the server's working directory.
pub const PROJECT_FILES: [&str; 2] = [".portcullis.yaml", ".portcullis.yml"];

/// The user configuration file to load, if any.
pub fn user_config_path(explicit: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    if let Some(path) = explicit {
        return Ok(Some(path));
    }
    if let Some(path) = std::env::var_os("PORTCULLIS_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(Some(PathBuf::from(path)));
    }
    let path = config_dir()?.join("config.yaml");
    Ok(path.exists().then_some(path))
}

/// Our per-user configuration directory (`$PORTCULLIS_HOME` when set).
pub fn config_dir() -> anyhow::Result<PathBuf> {
    match home_override() {
        Some(home) => Ok(home),
        None => Ok(strategy()?.config_dir()),
    }
}

/// Our per-user state directory, home of the pin store (`$PORTCULLIS_HOME` when set, beside the
/// configuration). Otherwise the XDG state directory, `~/.local/state/portcullis`; a platform
/// without a state directory (Windows) gets its data directory.
pub fn state_dir() -> anyhow::Result<PathBuf> {
    match home_override() {
        Some(home) => Ok(home),
        None => {
            let strategy = strategy()?;
            Ok(strategy.state_dir().unwrap_or_else(|| strategy.data_dir()))
        }
    }
}

/// `$PORTCULLIS_HOME`, which holds configuration and state together (tests use it).
fn home_override() -> Option<PathBuf> {
    std::env::var_os("PORTCULLIS_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// etcetera's CLI convention: the XDG layout on Linux and macOS alike (`~/.config/portcullis`,
/// `~/.local/state/portcullis`), Windows' own layout there.
fn strategy() -> anyhow::Result<impl AppStrategy> {
    etcetera::choose_app_strategy(etcetera::AppStrategyArgs {
        top_level_domain: "dev".into(),
        author: "portcullis".into(),
        app_name: "portcullis".into(),
    })
    .context("cannot find your home directory (set PORTCULLIS_HOME to choose where Portcullis keeps its files)")
}

/// The project file in `dir`, if there is one.
pub fn project_config_path(dir: &Path) -> Option<PathBuf> {
    PROJECT_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

pub fn read_source(path: &Path) -> anyhow::Result<Source> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    Ok(Source {
        path: path.to_path_buf(),
        text,
    })
}

/// Where paths resolve: the user's home and the server's working directory (ours).
pub fn path_context() -> anyhow::Result<PathContext> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    Ok(PathContext::for_host(etcetera::home_dir().ok(), cwd))
}

/// Directories named on the server's command line (`server-filesystem /home/me/project`): servers
/// often resolve relative paths against them rather than their working directory.
pub fn server_base_dirs(command: &[OsString], cwd: &Path) -> Vec<PathBuf> {
    let mut bases: Vec<PathBuf> = Vec::new();
    for arg in command.iter().skip(1).filter_map(|a| a.to_str()) {
        // `--root=/srv/x` as well as `/srv/x`.
        let value = arg.rsplit_once('=').map_or(arg, |(_, v)| v);
        let path = Path::new(value);
        if path.is_absolute() && path.is_dir() && path != cwd && !bases.iter().any(|b| b == path) {
            bases.push(path.to_path_buf());
        }
    }
    bases
}

/// Loads and compiles every layer that applies here.
pub fn load_policy(explicit: Option<PathBuf>) -> anyhow::Result<Policy> {
    load_policy_for(explicit, path_context()?)
}

/// Loads and compiles every layer that applies to a server started in `cwd`: its project file,
/// and paths resolved against it (`portcullis scan` judges servers started elsewhere).
pub fn load_policy_in(explicit: Option<PathBuf>, cwd: &Path) -> anyhow::Result<Policy> {
    let paths = PathContext::for_host(etcetera::home_dir().ok(), cwd.to_path_buf());
    load_policy_for(explicit, paths)
}

fn load_policy_for(explicit: Option<PathBuf>, paths: PathContext) -> anyhow::Result<Policy> {
    let user = user_config_path(explicit)?
        .map(|p| read_source(&p))
        .transpose()?;
    let project = project_config_path(&paths.cwd)
        .map(|p| read_source(&p))
        .transpose()?;
    let policy = Policy::compile(&Sources { user, project }, paths)?;
    Ok(policy)
}
