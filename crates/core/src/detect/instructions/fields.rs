//! The strings of a definition that a model reads, each with its JSON pointer.
//!
//! A client hands the model a tool's name, title and description, and its input and output
//! schemas whole: descriptions and titles at any depth, defaults, examples, enum values and the
//! property names themselves. Prompts add their arguments, resource templates their URI template,
//! and tools their annotations. Anything else (`_meta`, icons) is not shown to the model.

use serde_json::Value;

/// A string of a definition and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field<'a> {
    /// JSON pointer to the string; for a property name, the pointer of the property it names.
    pub pointer: String,
    pub text: &'a str,
    /// Whether the string is a property name rather than text.
    pub is_name: bool,
}

/// Top-level strings read as they are.
const TOP_LEVEL: &[&str] = &["name", "title", "description", "uriTemplate"];

/// Schema keywords whose string values are identifiers and references, not text for the model.
const STRUCTURAL_KEYS: &[&str] = &["type", "$ref", "$schema", "$id", "$anchor", "$dynamicRef"];

/// Schema keywords that map names to subschemas: the names are read like property names.
const NAMED_SCHEMAS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Schema keywords whose strings (at any depth below them) the model reads.
const SCHEMA_TEXT: &[&str] = &[
    "description",
    "title",
    "default",
    "examples",
    "enum",
    "const",
    "$comment",
];

/// Every string of `definition` that a model reads, in document order.
pub(super) fn fields(definition: &Value) -> Vec<Field<'_>> {
    let mut found = Vec::new();
    let Some(object) = definition.as_object() else {
        return found;
    };
    for (key, value) in object {
        let pointer = format!("/{}", escape(key));
        match key.as_str() {
            key if TOP_LEVEL.contains(&key) => strings(value, pointer, &mut found),
            "inputSchema" | "outputSchema" => schema(value, pointer, &mut found),
            "annotations" => strings(value, pointer, &mut found),
            "arguments" => arguments(value, pointer, &mut found),
            _ => {}
        }
    }
    found
}

/// The strings of a schema node: text keywords, property names, and nested schemas.
fn schema<'a>(node: &'a Value, pointer: String, found: &mut Vec<Field<'a>>) {
    match node {
        Value::Object(object) => {
            for (key, value) in object {
                let here = format!("{pointer}/{}", escape(key));
                if STRUCTURAL_KEYS.contains(&key.as_str()) {
                    // Keywords whose strings are machinery, not prose.
                } else if SCHEMA_TEXT.contains(&key.as_str()) {
                    strings(value, here, found);
                } else if let (true, Value::Object(named)) =
                    (NAMED_SCHEMAS.contains(&key.as_str()), value)
                {
                    for (name, sub) in named {
                        let named_pointer = format!("{here}/{}", escape(name));
                        found.push(Field {
                            pointer: named_pointer.clone(),
                            text: name,
                            is_name: true,
                        });
                        schema(sub, named_pointer, found);
                    }
                } else {
                    schema(value, here, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                schema(item, format!("{pointer}/{i}"), found);
            }
        }
        // Any other string a schema carries (`x-instructions`, `pattern`, `format`, `required`
        // entries, a property given as a bare string) reaches the model as well.
        Value::String(text) => found.push(Field {
            pointer,
            text,
            is_name: false,
        }),
        _ => {}
    }
}

/// A prompt's arguments: the name, title and description of each.
fn arguments<'a>(node: &'a Value, pointer: String, found: &mut Vec<Field<'a>>) {
    let Value::Array(items) = node else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let Some(argument) = item.as_object() else {
            continue;
        };
        for key in ["name", "title", "description"] {
            if let Some(Value::String(text)) = argument.get(key) {
                found.push(Field {
                    pointer: format!("{pointer}/{i}/{key}"),
                    text,
                    is_name: false,
                });
            }
        }
    }
}

/// Every string at or below `node`.
fn strings<'a>(node: &'a Value, pointer: String, found: &mut Vec<Field<'a>>) {
    match node {
        Value::String(text) => found.push(Field {
            pointer,
            text,
            is_name: false,
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{pointer}/{i}"), found);
            }
        }
        Value::Object(object) => {
            for (key, value) in object {
                strings(value, format!("{pointer}/{}", escape(key)), found);
            }
        }
        _ => {}
    }
}

/// `key` as a JSON pointer segment (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_string_the_model_reads_is_listed() {
        let definition = json!({
            "name": "t",
            "description": "d",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "a/b": {"type": "string", "description": "pd", "enum": ["x"], "default": "y"},
                    "n": {"type": "object", "properties": {"deep": {"examples": ["e"]}}}
                }
            },
            "annotations": {"title": "at"},
            "_meta": {"description": "not shown"}
        });
        let listed: Vec<(String, &str)> = fields(&definition)
            .into_iter()
            .map(|f| (f.pointer, f.text))
            .collect();
        let expected = [
            ("/name", "t"),
            ("/description", "d"),
            ("/inputSchema/properties/a~1b", "a/b"),
            ("/inputSchema/properties/a~1b/description", "pd"),
            ("/inputSchema/properties/a~1b/enum/0", "x"),
            ("/inputSchema/properties/a~1b/default", "y"),
            ("/inputSchema/properties/n", "n"),
            ("/inputSchema/properties/n/properties/deep", "deep"),
            ("/inputSchema/properties/n/properties/deep/examples/0", "e"),
            ("/annotations/title", "at"),
        ];
        for (pointer, text) in expected {
            assert!(
                listed.contains(&(pointer.to_string(), text)),
                "{pointer} missing from {listed:?}"
            );
        }
        assert_eq!(listed.len(), expected.len());
    }

    #[test]
    fn prompt_arguments_and_templates_are_listed() {
        let prompt =
            json!({"name": "p", "arguments": [{"name": "code", "description": "the code"}]});
        let pointers = |definition: &Value| {
            let mut all: Vec<String> = fields(definition).into_iter().map(|f| f.pointer).collect();
            all.sort();
            all
        };
        assert_eq!(
            pointers(&prompt),
            ["/arguments/0/description", "/arguments/0/name", "/name"]
        );
        let template =
            json!({"uriTemplate": "notes://{id}", "name": "n", "mimeType": "text/plain"});
        assert_eq!(pointers(&template), ["/name", "/uriTemplate"]);
    }
}
