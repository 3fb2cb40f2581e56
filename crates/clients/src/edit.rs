//! Wrapping and unwrapping a file's servers, checked before anything is written: the edited text
//! is read back, and it must hold exactly the servers planned, wrapped or unwrapped, with every
//! other entry as it was. Anything else is a fault of ours, and the file is left alone.

use crate::doc::Document;
use crate::inspect::{Server, State, servers};
use crate::known::ConfigFile;

/// A server an edit touches: its section and name.
pub type ServerRef = (Vec<String>, String);

/// The text of `file` with every unprotected stdio server wrapped in `exe run --name NAME --`,
/// and the servers wrapped. `None` when there is nothing to wrap.
pub fn wrap(
    text: &str,
    file: &ConfigFile,
    exe: &str,
) -> Result<Option<(String, Vec<ServerRef>)>, String> {
    let before = servers(text, file)?;
    let targets: Vec<ServerRef> = before
        .iter()
        .filter(|s| matches!(s.state, State::Unprotected(_)))
        .map(|s| (s.section.clone(), s.name.clone()))
        .collect();
    if targets.is_empty() {
        return Ok(None);
    }
    let mut doc = Document::parse(text, file.format).map_err(|e| e.to_string())?;
    for (section, name) in &targets {
        if !doc.wrap(section, name, exe) {
            return Err(fault(name));
        }
    }
    let after = doc.text();
    check(&before, &after, file, &targets, |old, new| {
        match (old, new) {
            (State::Unprotected(launch), State::Protected(wrapped)) => {
                wrapped.inner.argv() == launch.argv() && wrapped.inner.env == launch.env
            }
            _ => false,
        }
    })?;
    Ok(Some((after, targets)))
}

/// The text of `file` with the wrapper taken off those of `wanted` still wrapped, and the
/// servers unwrapped.
pub fn unwrap(
    text: &str,
    file: &ConfigFile,
    wanted: &[ServerRef],
) -> Result<(String, Vec<ServerRef>), String> {
    let before = servers(text, file)?;
    let targets: Vec<ServerRef> = before
        .iter()
        .filter(|s| matches!(s.state, State::Protected(_)))
        .map(|s| (s.section.clone(), s.name.clone()))
        .filter(|target| wanted.contains(target))
        .collect();
    let mut doc = Document::parse(text, file.format).map_err(|e| e.to_string())?;
    for (section, name) in &targets {
        if !doc.unwrap(section, name) {
            return Err(fault(name));
        }
    }
    let after = doc.text();
    check(&before, &after, file, &targets, |old, new| {
        match (old, new) {
            (State::Protected(wrapped), State::Unprotected(launch)) => {
                wrapped.inner.argv() == launch.argv()
            }
            _ => false,
        }
    })?;
    Ok((after, targets))
}

/// Reads `after` back: `changed` must hold for each target, and every other server must be as
/// it was.
fn check(
    before: &[Server],
    after: &str,
    file: &ConfigFile,
    targets: &[ServerRef],
    changed: impl Fn(&State, &State) -> bool,
) -> Result<(), String> {
    let now = servers(after, file).map_err(|e| format!("{} ({e})", fault("the file")))?;
    if now.len() != before.len() {
        return Err(fault("the file"));
    }
    for (old, new) in before.iter().zip(&now) {
        let is_target = targets
            .iter()
            .any(|(section, name)| *section == old.section && *name == old.name);
        let same_place = old.section == new.section && old.name == new.name;
        let ok = same_place
            && if is_target {
                changed(&old.state, &new.state)
            } else {
                old.state == new.state
            };
        if !ok {
            return Err(fault(&old.name));
        }
    }
    Ok(())
}

fn fault(what: &str) -> String {
    format!(
        "editing `{what}` did not come out as planned, so the file was left alone; please report \
         this with the file's shape (without secrets)"
    )
}
