//! Splicing changes into a message's original bytes.
//!
//! Every change is a replacement of a byte range of the original text. Ranges may nest only when
//! the outer one removes a value whole (a filtered list item): edits inside it are then moot and
//! dropped. Everything outside the ranges is copied unchanged.

use std::ops::Range;

use super::tree::{Member, Node};

/// A set of replacements over one text.
#[derive(Debug, Default)]
pub struct Edits {
    edits: Vec<(Range<usize>, String)>,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Adds every edit of `other`.
    pub fn extend(&mut self, other: Edits) {
        self.edits.extend(other.edits);
    }

    /// Replaces the bytes in `range` with `text`.
    pub fn replace(&mut self, range: Range<usize>, text: String) {
        self.edits.push((range, text));
    }

    /// Replaces a string value (or key) with `text`, encoded as a JSON string.
    pub fn replace_string(&mut self, span: Range<usize>, text: &str) {
        self.replace(span, encode_string(text));
    }

    /// Inserts `json` (one encoded value) as the first item of `array`.
    pub fn prepend_item(&mut self, array: &Node<'_>, json: &str) {
        let at = array.span.start + 1;
        let text = if array.items().is_empty() {
            json.to_owned()
        } else {
            format!("{json},")
        };
        self.replace(at..at, text);
    }

    /// Removes the items of `array` for which `remove` holds, with their separators.
    pub fn remove_items(&mut self, array: &Node<'_>, remove: impl Fn(usize) -> bool) {
        let spans: Vec<Range<usize>> = array.items().iter().map(|n| n.span.clone()).collect();
        self.remove_spans(&spans, remove);
    }

    /// Removes the members of an object for which `remove` holds, with their separators.
    pub fn remove_members(&mut self, members: &[Member<'_>], remove: impl Fn(&Member<'_>) -> bool) {
        let spans: Vec<Range<usize>> = members.iter().map(Member::span).collect();
        self.remove_spans(&spans, |i| remove(&members[i]));
    }

    /// Removes elements of a comma-separated sequence. An element with a kept element somewhere
    /// before it takes the comma in front of it; otherwise it takes the comma after it. The
    /// removed ranges then never overlap and never leave a stray comma.
    fn remove_spans(&mut self, spans: &[Range<usize>], remove: impl Fn(usize) -> bool) {
        let mut kept_before = false;
        for (i, span) in spans.iter().enumerate() {
            if !remove(i) {
                kept_before = true;
                continue;
            }
            let range = if kept_before {
                spans[i - 1].end..span.end
            } else if let Some(next) = spans.get(i + 1) {
                span.start..next.start
            } else {
                span.clone()
            };
            self.replace(range, String::new());
        }
    }

    /// The text with every replacement made.
    pub fn apply(mut self, original: &[u8]) -> Vec<u8> {
        // At equal starts: insertions first, then outer ranges before the ranges nested in them, so
        // that a nested edit starts before the copy cursor and is recognized and skipped.
        self.edits.sort_by(|(a, _), (b, _)| {
            (a.start, !a.is_empty(), std::cmp::Reverse(a.end)).cmp(&(
                b.start,
                !b.is_empty(),
                std::cmp::Reverse(b.end),
            ))
        });
        let growth: usize = self.edits.iter().map(|(_, t)| t.len()).sum();
        let mut out = Vec::with_capacity(original.len() + growth);
        let mut copied = 0;
        for (range, text) in self.edits {
            if range.start < copied {
                debug_assert!(range.end <= copied, "edits overlap without nesting");
                continue;
            }
            out.extend_from_slice(&original[copied..range.start]);
            out.extend_from_slice(text.as_bytes());
            copied = range.end;
        }
        out.extend_from_slice(&original[copied..]);
        out
    }
}

/// `text` as a JSON string literal.
pub fn encode_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    fn removing(text: &str, drop: &[usize]) -> String {
        let root = parse(text).unwrap();
        let mut edits = Edits::default();
        edits.remove_items(&root, |i| drop.contains(&i));
        String::from_utf8(edits.apply(text.as_bytes())).unwrap()
    }

    #[test]
    fn removes_any_combination_of_items_and_keeps_valid_json() {
        let text = "[1, 2 ,3,  4]";
        for mask in 0u32..16 {
            let drop: Vec<usize> = (0..4).filter(|i| mask & (1 << i) != 0).collect();
            let out = removing(text, &drop);
            let value: Vec<usize> = serde_json::from_str(&out).unwrap();
            let expected: Vec<usize> = (1..=4).filter(|n| !drop.contains(&(n - 1))).collect();
            assert_eq!(value, expected, "{out}");
        }
    }

    #[test]
    fn removes_members_and_leaves_the_rest_byte_for_byte() {
        let text = r#"{"roots": {"listChanged":true},  "sampling":{}, "x" : 1.50}"#;
        let root = parse(text).unwrap();
        let mut edits = Edits::default();
        edits.remove_members(root.members(), |m| m.key == "sampling");
        let out = String::from_utf8(edits.apply(text.as_bytes())).unwrap();
        assert_eq!(out, r#"{"roots": {"listChanged":true}, "x" : 1.50}"#);
    }

    #[test]
    fn nested_edits_inside_a_removed_item_are_dropped() {
        let text = r#"[{"t":"secret"},{"t":"keep secret"}]"#;
        let root = parse(text).unwrap();
        let mut edits = Edits::default();
        for item in root.items() {
            let t = item.get("t").unwrap();
            edits.replace_string(t.span.clone(), "[REDACTED]");
        }
        edits.remove_items(&root, |i| i == 0);
        let out = String::from_utf8(edits.apply(text.as_bytes())).unwrap();
        assert_eq!(out, r#"[{"t":"[REDACTED]"}]"#);
    }

    #[test]
    fn prepends_items() {
        let text = r#"{"content":[{"type":"text"}],"e":[]}"#;
        let root = parse(text).unwrap();
        let mut edits = Edits::default();
        edits.prepend_item(root.get("content").unwrap(), r#"{"w":1}"#);
        edits.prepend_item(root.get("e").unwrap(), "2");
        let out = String::from_utf8(edits.apply(text.as_bytes())).unwrap();
        assert_eq!(out, r#"{"content":[{"w":1},{"type":"text"}],"e":[2]}"#);
    }

    #[test]
    fn encodes_strings_as_json() {
        assert_eq!(encode_string("a\"\n\u{1b}"), r#""a\"\n\u001b""#);
    }
}
