//! JSON and JSON-with-comments documents, edited through `jsonc-parser`'s concrete syntax tree.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstArray, CstInputValue, CstObject, CstRootNode};

use super::{DocError, Found, Layout};
use crate::entry::{program_index, wrapper_prefix};

const BOM: char = '\u{feff}';

pub struct JsonDocument {
    root: CstRootNode,
    /// A byte-order mark the file starts with; kept, though strict readers reject it.
    bom: bool,
}

impl JsonDocument {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        let (bom, body) = match text.strip_prefix(BOM) {
            Some(body) => (true, body),
            None => (false, text),
        };
        let root = CstRootNode::parse(body, &ParseOptions::default())
            .map_err(|e| DocError::Syntax(e.to_string()))?;
        if root.value().is_some() && root.object_value().is_none() {
            return Err(DocError::Syntax(
                "the top level is not an object".to_owned(),
            ));
        }
        Ok(Self { root, bom })
    }

    pub fn entries(&self, layout: Layout) -> Result<Vec<Found>, DocError> {
        let mut found = Vec::new();
        let Some(top) = self.root.object_value() else {
            return Ok(found);
        };
        let mut maps = Vec::new();
        for keys in layout {
            walk(&top, keys, Vec::new(), &mut maps)?;
        }
        for (section, map) in maps {
            no_duplicates(&map, &section)?;
            for prop in map.properties() {
                let Some(name) = prop.decoded_name() else {
                    continue;
                };
                if let Some(entry) = prop.object_value() {
                    let mut place = section.clone();
                    place.push(name.clone());
                    no_duplicates(&entry, &place)?;
                    if let Some(command) = entry.object_value("command") {
                        place.push("command".to_owned());
                        no_duplicates(&command, &place)?;
                    }
                }
                found.push(Found {
                    section: section.clone(),
                    name,
                    value: prop
                        .value()
                        .and_then(|v| v.to_serde_value())
                        .unwrap_or_default(),
                });
            }
        }
        Ok(found)
    }

    pub fn wrap(&mut self, section: &[String], name: &str, exe: &str) -> bool {
        let Some((launch, command_key)) = self.launch(section, name) else {
            return false;
        };
        let Some(command) = launch.get(command_key) else {
            return false;
        };
        let Some(literal) = command.value().and_then(|v| v.as_string_lit()) else {
            return false;
        };
        let args = match launch.get("args") {
            Some(args) => match args.array_value() {
                Some(array) => array,
                None => return false,
            },
            None => {
                let after_command = command.property_index() + 1;
                match launch
                    .insert(after_command, "args", CstInputValue::Array(Vec::new()))
                    .array_value()
                {
                    Some(array) => array,
                    None => return false,
                }
            }
        };
        // The server's program moves into the arguments with its text exactly as written.
        let moved = args.insert(0, CstInputValue::String(String::new()));
        match moved.as_string_lit() {
            Some(moved) => moved.set_raw_value(literal.raw_value()),
            None => return false,
        }
        // Inserting at the front one by one keeps a one-line array on one line.
        for part in wrapper_prefix(name).iter().rev() {
            args.insert(0, CstInputValue::String(part.clone()));
        }
        literal.set_raw_value(serde_json::Value::from(exe).to_string());
        true
    }

    pub fn unwrap(&mut self, section: &[String], name: &str) -> bool {
        let Some((launch, command_key)) = self.launch(section, name) else {
            return false;
        };
        let Some(literal) = launch
            .get(command_key)
            .and_then(|c| c.value())
            .and_then(|v| v.as_string_lit())
        else {
            return false;
        };
        let Some(args) = launch.array_value("args") else {
            return false;
        };
        let elements = args.elements();
        let texts: Vec<Option<String>> = elements
            .iter()
            .map(|e| e.as_string_lit().and_then(|s| s.decoded_value().ok()))
            .collect();
        let Some(end) = program_index(texts.iter().map(Option::as_deref)) else {
            return false;
        };
        let Some(raw) = elements
            .get(end)
            .and_then(|p| p.as_string_lit())
            .map(|s| s.raw_value())
        else {
            return false;
        };
        literal.set_raw_value(raw);
        for element in elements.into_iter().take(end + 1) {
            element.remove();
        }
        tidy_front(&args);
        true
    }

    pub fn text(&self) -> String {
        let body = self.root.to_string();
        if self.bom {
            format!("{BOM}{body}")
        } else {
            body
        }
    }

    /// The object that holds an entry's command, and the command's key: the entry itself, or
    /// the `command` object of Zed's older form, whose program is under `path`.
    fn launch(&self, section: &[String], name: &str) -> Option<(CstObject, &'static str)> {
        let mut map = self.root.object_value()?;
        for key in section {
            map = map.object_value(key)?;
        }
        let entry = map.object_value(name)?;
        match entry.object_value("command") {
            Some(nested) => Some((nested, "path")),
            None => Some((entry, "command")),
        }
    }
}

/// Removes the spaces a removal left between `[` and the first element of a one-line array.
fn tidy_front(args: &CstArray) {
    let mut spaces = Vec::new();
    for child in args.children().into_iter().skip(1) {
        if child.is_whitespace() {
            spaces.push(child);
        } else {
            if !child.is_newline() && !child.is_comment() {
                spaces.into_iter().for_each(|s| s.remove());
            }
            return;
        }
    }
}

/// Collects the objects at `keys` below `object`, expanding `*`.
fn walk(
    object: &CstObject,
    keys: &[&str],
    path: Vec<String>,
    out: &mut Vec<(Vec<String>, CstObject)>,
) -> Result<(), DocError> {
    let Some((key, rest)) = keys.split_first() else {
        out.push((path, object.clone()));
        return Ok(());
    };
    no_duplicates(object, &path)?;
    for prop in object.properties() {
        let Some(name) = prop.decoded_name() else {
            continue;
        };
        if *key != "*" && name != *key {
            continue;
        }
        if let Some(child) = prop.object_value() {
            let mut path = path.clone();
            path.push(name);
            walk(&child, rest, path, out)?;
        }
    }
    Ok(())
}

/// Refuses an object with a key written twice: clients disagree on which one wins, so no edit
/// could be sure to change the one in force.
fn no_duplicates(object: &CstObject, path: &[String]) -> Result<(), DocError> {
    let mut seen = std::collections::HashSet::new();
    for prop in object.properties() {
        if let Some(name) = prop.decoded_name()
            && !seen.insert(name.clone())
        {
            return Err(DocError::DuplicateKey {
                key: name,
                place: if path.is_empty() {
                    "the top level".to_owned()
                } else {
                    format!("`{}`", super::section_label(path))
                },
            });
        }
    }
    Ok(())
}
