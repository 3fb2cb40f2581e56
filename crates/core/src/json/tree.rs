//! Byte spans of a JSON text, so that a message can be edited in place instead of re-serialized.
//!
//! Redaction, list filtering and capability stripping change a few values of a message; everything
//! else (key order, number spelling, whitespace, `_meta`, unknown fields) must reach the peer exactly
//! as sent. A [`Node`] records where each value sits in the original text and, for strings, their
//! decoded content (what detectors must see: `\u0067hp_…` is a GitHub token too). [`super::edit`]
//! splices replacements into the original bytes.
//!
//! The text has already passed [`super::parse_strict`] when a tree is built, so the scanner is
//! small and trusting; any surprise is still an error, never a panic or a guess.

use std::borrow::Cow;
use std::ops::Range;

/// One value and where it sits in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// Byte range of the whole value (strings include their quotes).
    pub span: Range<usize>,
    pub value: Tree<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tree<'a> {
    Object(Vec<Member<'a>>),
    Array(Vec<Node<'a>>),
    /// The decoded string; borrowed when the text holds no escapes.
    String(Cow<'a, str>),
    /// A number, `true`, `false` or `null`, as written.
    Scalar(&'a str),
}

/// One `"key": value` entry of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    pub key: Cow<'a, str>,
    /// Byte range of the key, quotes included.
    pub key_span: Range<usize>,
    pub value: Node<'a>,
}

impl Member<'_> {
    /// From the key's opening quote to the end of the value.
    pub fn span(&self) -> Range<usize> {
        self.key_span.start..self.value.span.end
    }
}

impl<'a> Node<'a> {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.members()
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// The value at a JSON pointer (RFC 6901: `/a/0/b`, `~1` for `/`, `~0` for `~`).
    pub fn pointer(&self, pointer: &str) -> Option<&Node<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match &node.value {
                Tree::Object(_) => node.get(&token)?,
                Tree::Array(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    pub fn members(&self) -> &[Member<'a>] {
        match &self.value {
            Tree::Object(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node<'a>] {
        match &self.value {
            Tree::Array(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Tree::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_array(&self) -> bool {
        matches!(self.value, Tree::Array(_))
    }
}

/// The text is not the JSON it was expected to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected JSON at byte {0}")]
pub struct TreeError(pub usize);

/// Builds the tree of one JSON value (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Node<'_>, TreeError> {
    let mut scanner = Scanner { text, at: 0 };
    let node = scanner.value()?;
    scanner.skip_space();
    if scanner.at != text.len() {
        return Err(TreeError(scanner.at));
    }
    Ok(node)
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), TreeError> {
        self.skip_space();
        if self.peek() != Some(byte) {
            return Err(TreeError(self.at));
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<Node<'a>, TreeError> {
        self.skip_space();
        let start = self.at;
        let value = match self.peek() {
            Some(b'{') => Tree::Object(self.object()?),
            Some(b'[') => Tree::Array(self.array()?),
            Some(b'"') => Tree::String(self.string()?),
            Some(b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => {
                self.scalar();
                Tree::Scalar(&self.text[start..self.at])
            }
            _ => return Err(TreeError(start)),
        };
        Ok(Node {
            span: start..self.at,
            value,
        })
    }

    fn object(&mut self) -> Result<Vec<Member<'a>>, TreeError> {
        self.at += 1;
        let mut members = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(members);
        }
        loop {
            self.skip_space();
            let key_start = self.at;
            if self.peek() != Some(b'"') {
                return Err(TreeError(key_start));
            }
            let key = self.string()?;
            let key_span = key_start..self.at;
            self.expect(b':')?;
            let value = self.value()?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(members);
                }
                _ => return Err(TreeError(self.at)),
            }
        }
    }

    fn array(&mut self) -> Result<Vec<Node<'a>>, TreeError> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(items);
        }
        loop {
            items.push(self.value()?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(items);
                }
                _ => return Err(TreeError(self.at)),
            }
        }
    }

    fn scalar(&mut self) {
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'-' | b'+' | b'.' | b'E')
        ) {
            self.at += 1;
        }
    }

    /// A string starting at the opening quote; the cursor ends past the closing quote.
    fn string(&mut self) -> Result<Cow<'a, str>, TreeError> {
        let open = self.at;
        let body = open + 1;
        let bytes = self.bytes();
        let mut at = body;
        // The common case: no escapes, so the decoded string borrows the text.
        let first = memchr::memchr2(b'"', b'\\', &bytes[at..]).ok_or(TreeError(open))? + at;
        if bytes[first] == b'"' {
            self.at = first + 1;
            return Ok(Cow::Borrowed(&self.text[body..first]));
        }
        // Escapes only shrink (`\n` is two bytes for one, `\u00e9` six for two), so the raw length
        // is room enough: a multi-megabyte string is decoded into one allocation of its size
        // rather than grown by doubling, which would take up to twice its size at the peak.
        let end = string_end(bytes, first).ok_or(TreeError(open))?;
        let mut decoded = String::with_capacity(end - body);
        loop {
            let stop = memchr::memchr2(b'"', b'\\', &bytes[at..]).ok_or(TreeError(open))? + at;
            decoded.push_str(&self.text[at..stop]);
            if bytes[stop] == b'"' {
                self.at = stop + 1;
                return Ok(Cow::Owned(decoded));
            }
            let (ch, len) = self.escape(stop)?;
            decoded.push(ch);
            at = stop + len;
        }
    }

    /// The character an escape at `at` (the backslash) stands for, and the escape's length.
    fn escape(&self, at: usize) -> Result<(char, usize), TreeError> {
        let simple = |c: char| Ok((c, 2));
        match self.bytes().get(at + 1) {
            Some(b'"') => simple('"'),
            Some(b'\\') => simple('\\'),
            Some(b'/') => simple('/'),
            Some(b'b') => simple('\u{8}'),
            Some(b'f') => simple('\u{c}'),
            Some(b'n') => simple('\n'),
            Some(b'r') => simple('\r'),
            Some(b't') => simple('\t'),
            Some(b'u') => {
                let high = self.hex4(at + 2)?;
                if !(0xD800..0xDC00).contains(&high) {
                    let ch = char::from_u32(high).ok_or(TreeError(at))?;
                    return Ok((ch, 6));
                }
                // A surrogate pair: `\uD83D\uDE00`.
                if self.bytes().get(at + 6..at + 8) != Some(b"\\u") {
                    return Err(TreeError(at));
                }
                let low = self.hex4(at + 8)?;
                let code = 0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
                let ch = char::from_u32(code).ok_or(TreeError(at))?;
                Ok((ch, 12))
            }
            _ => Err(TreeError(at)),
        }
    }

    fn hex4(&self, at: usize) -> Result<u32, TreeError> {
        let digits = self.text.get(at..at + 4).ok_or(TreeError(at))?;
        u32::from_str_radix(digits, 16).map_err(|_| TreeError(at))
    }
}

/// Where the string whose body holds the escape at `escape` (a backslash) ends: its closing
/// quote, the first quote after an even run of backslashes (in an odd run, the last backslash
/// escapes the quote). One search for quotes, which text rarely holds, rather than a stop at
/// every escape; each backslash run is counted once, so the search stays linear.
fn string_end(bytes: &[u8], escape: usize) -> Option<usize> {
    let mut at = escape;
    loop {
        let quote = memchr::memchr(b'"', bytes.get(at..)?)? + at;
        let backslashes = bytes[..quote]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some(quote);
        }
        at = quote + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_spans_and_decodes_strings() {
        let text = r#" {"a": [1, "x\u0041\n", true], "b\"": {"c": null}} "#;
        let root = parse(text).unwrap();
        assert_eq!(&text[root.span.clone()], &text[1..text.len() - 1]);
        let a = root.get("a").unwrap();
        assert_eq!(&text[a.span.clone()], r#"[1, "x\u0041\n", true]"#);
        assert_eq!(a.items()[1].as_str(), Some("xA\n"));
        assert_eq!(&text[a.items()[1].span.clone()], r#""x\u0041\n""#);
        let b = &root.members()[1];
        assert_eq!(b.key, "b\"");
        assert_eq!(&text[b.span()], r#""b\"": {"c": null}"#);
        assert!(matches!(
            b.value.get("c").unwrap().value,
            Tree::Scalar("null")
        ));
        assert!(matches!(a.items()[0].value, Tree::Scalar("1")));
    }

    #[test]
    fn follows_json_pointers() {
        let root = parse(r#"{"a/b":[{"~c":"x"}]}"#).unwrap();
        assert_eq!(
            root.pointer("/a~1b/0/~0c").and_then(Node::as_str),
            Some("x")
        );
        assert!(root.pointer("/a~1b/1").is_none());
        assert!(root.pointer("").is_some());
    }

    #[test]
    fn decodes_surrogate_pairs() {
        let root = parse(r#""\ud83d\ude00!""#).unwrap();
        assert_eq!(root.as_str(), Some("😀!"));
    }

    #[test]
    fn agrees_with_serde_json_on_every_string() {
        let text = r#"{"k\t":"\u00e9\/\b\f\r","n":-1.5e+3,"e":[],"o":{}}"#;
        let root = parse(text).unwrap();
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(root.members()[0].key, "k\t");
        assert_eq!(root.get("k\t").unwrap().as_str(), value["k\t"].as_str());
        assert!(root.get("e").unwrap().items().is_empty());
    }

    proptest::proptest! {
        /// Any string, written with escapes (serde_json's, or every character as `\uXXXX`),
        /// decodes to itself into room taken once: never more than the raw string's length.
        #[test]
        fn escaped_strings_decode_into_one_allocation(text in "(?s)(\\PC|[\"\\\\\n\t/\u{1}\u{1F600}]){0,64}") {
            let escaped: String = text.encode_utf16().map(|unit| format!("\\u{unit:04x}")).collect();
            for json in [serde_json::to_string(&text).unwrap(), format!("\"{escaped}\"")] {
                let root = parse(&json).unwrap();
                proptest::prop_assert_eq!(root.as_str(), Some(text.as_str()));
                if let Tree::String(Cow::Owned(decoded)) = &root.value {
                    proptest::prop_assert!(decoded.capacity() <= json.len() - 2);
                }
            }
        }
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        assert!(parse(r#"{"a":1"#).is_err());
        assert!(parse(r#"{"a" 1}"#).is_err());
        assert!(parse("[1,]x").is_err());
        assert!(parse(r#""abc"#).is_err());
        assert!(parse(r#""\q""#).is_err());
    }
}
