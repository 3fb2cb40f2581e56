//! TOML documents (Codex's `config.toml`), edited through `toml_edit`.

use serde_json::{Map, Value as Json};
use toml_edit::{Array, DocumentMut, Item, TableLike, Value};

use super::{DocError, Found, Layout};
use crate::entry::{program_index, wrapper_prefix};

pub struct TomlDocument {
    doc: DocumentMut,
}

impl TomlDocument {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        // toml_edit refuses duplicate keys itself, as a syntax error.
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|e| DocError::Syntax(e.to_string().trim_end().to_owned()))?;
        Ok(Self { doc })
    }

    pub fn entries(&self, layout: Layout) -> Vec<Found> {
        let mut found = Vec::new();
        for keys in layout {
            let section: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
            let Some(map) = table(self.doc.as_item(), &section) else {
                continue;
            };
            for (name, item) in map.iter() {
                found.push(Found {
                    section: section.clone(),
                    name: name.to_owned(),
                    value: item_to_json(item),
                });
            }
        }
        found
    }

    pub fn wrap(&mut self, section: &[String], name: &str, exe: &str) -> bool {
        let Some(entry) = self.entry_mut(section, name) else {
            return false;
        };
        let Some(command) = entry
            .get_mut("command")
            .and_then(Item::as_value_mut)
            .filter(|v| v.is_str())
        else {
            return false;
        };
        let mut program = command.clone();
        program.decor_mut().clear();
        let decor = command.decor().clone();
        *command = Value::from(exe);
        *command.decor_mut() = decor;
        if entry.get("args").is_none() {
            entry.insert("args", Item::Value(Value::Array(Array::new())));
        }
        let Some(args) = entry.get_mut("args").and_then(Item::as_array_mut) else {
            return false;
        };
        // New elements are laid out like the first one: one per line in a multi-line array.
        let first = leading(args);
        let multiline = first.contains('\n');
        let mut added: Vec<Value> = wrapper_prefix(name).into_iter().map(Value::from).collect();
        added.push(program);
        for (i, value) in added.iter_mut().enumerate() {
            let prefix = if multiline || i == 0 {
                first.as_str()
            } else {
                " "
            };
            value.decor_mut().set_prefix(prefix);
            value.decor_mut().set_suffix("");
        }
        if !multiline && let Some(old_first) = args.get_mut(0) {
            old_first.decor_mut().set_prefix(" ");
        }
        for value in added.into_iter().rev() {
            args.insert_formatted(0, value);
        }
        true
    }

    pub fn unwrap(&mut self, section: &[String], name: &str) -> bool {
        let Some(entry) = self.entry_mut(section, name) else {
            return false;
        };
        let Some(args) = entry.get_mut("args").and_then(Item::as_array_mut) else {
            return false;
        };
        let Some(end) = program_index(args.iter().map(Value::as_str)) else {
            return false;
        };
        if args.get(end).is_none_or(|v| !v.is_str()) {
            return false;
        }
        let first = leading(args);
        let mut program = args.remove(end);
        for _ in 0..end {
            args.remove(0);
        }
        if let Some(new_first) = args.get_mut(0) {
            new_first.decor_mut().set_prefix(first);
        }
        let Some(command) = entry.get_mut("command").and_then(Item::as_value_mut) else {
            return false;
        };
        *program.decor_mut() = command.decor().clone();
        *command = program;
        true
    }

    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    fn entry_mut(&mut self, section: &[String], name: &str) -> Option<&mut dyn TableLike> {
        let mut item = self.doc.as_item_mut();
        for key in section {
            item = item.as_table_like_mut()?.get_mut(key)?;
        }
        item.as_table_like_mut()?.get_mut(name)?.as_table_like_mut()
    }
}

/// What precedes an array's first element: a newline and indent in a multi-line array.
fn leading(args: &Array) -> String {
    args.get(0)
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn table<'a>(mut item: &'a Item, keys: &[String]) -> Option<&'a dyn TableLike> {
    for key in keys {
        item = item.as_table_like()?.get(key)?;
    }
    item.as_table_like()
}

/// A TOML item as JSON, so entries are read the same way whatever the file's format.
fn item_to_json(item: &Item) -> Json {
    match item {
        Item::None => Json::Null,
        Item::Value(value) => value_to_json(value),
        Item::Table(table) => table_to_json(table),
        Item::ArrayOfTables(tables) => {
            Json::Array(tables.iter().map(|t| table_to_json(t)).collect())
        }
    }
}

fn table_to_json(table: &dyn TableLike) -> Json {
    let mut map = Map::new();
    for (key, item) in table.iter() {
        map.insert(key.to_owned(), item_to_json(item));
    }
    Json::Object(map)
}

fn value_to_json(value: &Value) -> Json {
    match value {
        Value::String(s) => Json::from(s.value().as_str()),
        Value::Integer(i) => Json::from(*i.value()),
        Value::Float(f) => serde_json::Number::from_f64(*f.value())
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::Boolean(b) => Json::from(*b.value()),
        Value::Datetime(d) => Json::from(d.value().to_string()),
        Value::Array(items) => Json::Array(items.iter().map(value_to_json).collect()),
        Value::InlineTable(table) => table_to_json(table),
    }
}
