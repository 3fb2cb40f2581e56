//! Newline-delimited framing on bytes, with a size limit that never desynchronizes the stream.
//!
//! The stdio transport carries one JSON-RPC message per line. Framing works on bytes, not text, so
//! a multi-byte UTF-8 character split across two reads is reassembled before anyone decodes it.
//! A line longer than the limit is not buffered: its bytes are dropped as they arrive while a
//! [`IdSniffer`] watches them for the top-level `id`, so the oversized request can still be answered.

/// Default maximum size of one message: 128 MiB. Large results (a 100 MiB file) must pass whole;
/// the limit only bounds the memory a peer that never ends a line can make the relay use (about
/// three times the message while it is screened).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 128 * 1024 * 1024;

/// One unit produced by the [`Framer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete line without its terminator (`\n` or `\r\n`). Blank lines are skipped.
    Line(Vec<u8>),
    /// A line over the limit, already discarded.
    Oversize(Oversize),
}

/// What is known of a discarded oversized line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversize {
    /// Bytes the line had (without its terminator).
    pub size: usize,
    /// What the sniffer saw of its top-level members.
    pub sniffed: Sniffed,
}

/// From this size on, a line that starts the buffer is handed over as the buffer itself instead of
/// copied: a 100 MiB message then costs no second 100 MiB.
const HAND_OVER: usize = 64 * 1024;

/// Splits a byte stream into lines of at most `max` bytes.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
    max: usize,
    discarding: Option<Discarding>,
}

#[derive(Debug)]
struct Discarding {
    size: usize,
    sniffer: IdSniffer,
}

impl Framer {
    pub fn new(max: usize) -> Self {
        Self {
            buf: Vec::new(),
            scanned: 0,
            max: max.max(1),
            discarding: None,
        }
    }

    /// Appends bytes read from the stream and returns every frame they complete.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<Frame>) {
        while !input.is_empty() {
            if let Some(discarding) = &mut self.discarding {
                let end = memchr_newline(input);
                let chunk = &input[..end.unwrap_or(input.len())];
                discarding.size += chunk.len();
                discarding.sniffer.feed(chunk);
                match end {
                    Some(i) => {
                        let done = self.discarding.take().expect("discarding is set");
                        out.push(Frame::Oversize(done.finish()));
                        input = &input[i + 1..];
                    }
                    None => return,
                }
                continue;
            }
            self.buf.extend_from_slice(input);
            input = &[];
            self.drain_lines(out);
        }
    }

    /// Ends the stream: a final line without terminator is still a frame.
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        if let Some(done) = self.discarding.take() {
            out.push(Frame::Oversize(done.finish()));
        } else if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            self.scanned = 0;
            if trim_cr(&line).len() > self.max {
                out.push(Frame::Oversize(oversize(trim_cr(&line))));
            } else {
                push_line(line, out);
            }
        }
    }

    fn drain_lines(&mut self, out: &mut Vec<Frame>) {
        let mut start = 0;
        while let Some(rel) = memchr_newline(&self.buf[start.max(self.scanned)..]) {
            let end = start.max(self.scanned) + rel;
            if trim_cr(&self.buf[start..end]).len() > self.max {
                // The line outgrew the limit before its newline arrived in this same chunk.
                out.push(Frame::Oversize(oversize(trim_cr(&self.buf[start..end]))));
            } else if start == 0 && end >= HAND_OVER {
                // A large line: hand over the buffer itself, keeping only what follows it.
                let rest = self.buf.split_off(end + 1);
                let mut line = std::mem::replace(&mut self.buf, rest);
                line.truncate(end);
                push_line(line, out);
                self.scanned = 0;
                continue;
            } else {
                push_line(self.buf[start..end].to_vec(), out);
            }
            start = end + 1;
            self.scanned = start;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        // One byte of grace for a `\r` that a `\n` may still follow.
        let grace = usize::from(self.buf.last() == Some(&b'\r'));
        if self.buf.len() > self.max + grace {
            let mut sniffer = IdSniffer::default();
            sniffer.feed(&self.buf);
            self.discarding = Some(Discarding {
                size: self.buf.len(),
                sniffer,
            });
            self.buf = Vec::new();
            self.scanned = 0;
        }
    }
}

impl Discarding {
    fn finish(self) -> Oversize {
        let size = self.size - usize::from(self.sniffer.last_was_cr);
        Oversize {
            size,
            sniffed: self.sniffer.finish(),
        }
    }
}

/// A complete line over the limit, sniffed for its id.
fn oversize(line: &[u8]) -> Oversize {
    let mut sniffer = IdSniffer::default();
    sniffer.feed(line);
    Oversize {
        size: line.len(),
        sniffed: sniffer.finish(),
    }
}

fn push_line(mut line: Vec<u8>, out: &mut Vec<Frame>) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    out.push(Frame::Line(line));
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// What a lexical scan saw of a JSON object's top-level members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sniffed {
    /// The raw JSON text of the top-level `id`, when it is a number or a short string.
    pub id: Option<String>,
    /// Whether a top-level `method` member was seen (the line is a request or notification).
    pub has_method: bool,
}

/// A streaming lexer that finds top-level `"id"` and `"method"` in JSON it never fully holds.
///
/// It tracks only string and nesting state, so it costs a few instructions per byte and no memory
/// beyond the short key and id it captures.
#[derive(Debug, Default)]
pub struct IdSniffer {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// At depth 1, the next string is a key.
    expect_key: bool,
    /// Bytes of the current depth-1 key (capped), or of the id value being captured.
    capture: Vec<u8>,
    capturing: Capture,
    last_key: LastKey,
    sniffed: Sniffed,
    last_was_cr: bool,
}

#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
enum Capture {
    #[default]
    None,
    Key,
    IdValue,
}

#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
enum LastKey {
    #[default]
    Other,
    Id,
    Method,
}

const CAPTURE_LIMIT: usize = 256;

impl IdSniffer {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.step(b);
        }
        if let Some(&last) = bytes.last() {
            self.last_was_cr = last == b'\r';
        }
    }

    pub fn finish(mut self) -> Sniffed {
        self.end_scalar();
        self.sniffed
    }

    fn step(&mut self, b: u8) {
        if self.in_string {
            self.step_in_string(b);
            return;
        }
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.start_capture(Capture::Key);
                } else if self.depth == 1 && self.last_key == LastKey::Id {
                    self.start_capture(Capture::IdValue);
                    self.capture.push(b);
                }
            }
            b'{' | b'[' => {
                self.end_scalar();
                self.depth += 1;
                self.expect_key = self.depth == 1 && b == b'{';
            }
            b'}' | b']' => {
                self.end_scalar();
                self.depth = self.depth.saturating_sub(1);
            }
            b',' => {
                self.end_scalar();
                if self.depth == 1 {
                    self.expect_key = true;
                    self.last_key = LastKey::Other;
                }
            }
            b':' => {}
            _ if b.is_ascii_whitespace() => self.end_scalar(),
            _ => {
                if self.depth == 1 && self.last_key == LastKey::Id && !self.expect_key {
                    if self.capturing != Capture::IdValue {
                        self.start_capture(Capture::IdValue);
                    }
                    self.push_capture(b);
                }
            }
        }
    }

    fn step_in_string(&mut self, b: u8) {
        if self.escaped {
            self.escaped = false;
            self.push_capture(b);
            return;
        }
        match b {
            b'\\' => {
                self.escaped = true;
                self.push_capture(b);
            }
            b'"' => {
                self.in_string = false;
                match self.capturing {
                    Capture::Key => {
                        self.last_key = match self.capture.as_slice() {
                            b"id" => LastKey::Id,
                            b"method" => {
                                self.sniffed.has_method = true;
                                LastKey::Method
                            }
                            _ => LastKey::Other,
                        };
                        self.expect_key = false;
                        self.capturing = Capture::None;
                    }
                    Capture::IdValue => {
                        self.capture.push(b);
                        self.end_scalar();
                    }
                    Capture::None => {}
                }
            }
            _ => self.push_capture(b),
        }
    }

    fn start_capture(&mut self, what: Capture) {
        self.capture.clear();
        self.capturing = what;
    }

    fn push_capture(&mut self, b: u8) {
        if self.capturing != Capture::None && self.capture.len() < CAPTURE_LIMIT {
            self.capture.push(b);
        }
    }

    /// Completes an id value being captured; an over-long capture is not trusted as an id.
    fn end_scalar(&mut self) {
        if self.capturing != Capture::IdValue {
            return;
        }
        self.capturing = Capture::None;
        self.last_key = LastKey::Other;
        let raw = std::mem::take(&mut self.capture);
        if raw.len() >= CAPTURE_LIMIT {
            return;
        }
        if let Ok(text) = String::from_utf8(raw)
            && is_plausible_id(&text)
        {
            self.sniffed.id = Some(text);
        }
    }
}

fn is_plausible_id(text: &str) -> bool {
    if text.starts_with('"') {
        return text.len() >= 2 && text.ends_with('"');
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> Vec<Frame> {
        let mut framer = Framer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        framer.finish(&mut out);
        out
    }

    fn line(s: &str) -> Frame {
        Frame::Line(s.as_bytes().to_vec())
    }

    #[test]
    fn splits_lines_and_tolerates_crlf_and_blank_lines() {
        let out = frames(&[b"{\"a\":1}\r\n\n  \n{\"b\":", b"2}\n{\"c\":3}"], 100);
        assert_eq!(
            out,
            vec![line("{\"a\":1}"), line("{\"b\":2}"), line("{\"c\":3}")]
        );
    }

    #[test]
    fn multibyte_utf8_split_across_reads_is_reassembled() {
        let text = "{\"t\":\"h\u{e9}llo \u{1f600}\"}\n";
        let bytes = text.as_bytes();
        for split in 1..bytes.len() {
            let out = frames(&[&bytes[..split], &bytes[split..]], 100);
            assert_eq!(out, vec![line(text.trim_end())], "split at {split}");
        }
    }

    #[test]
    fn large_lines_handed_over_whole_keep_the_lines_around_them() {
        let big = |c: char, n: usize| format!("{{\"t\":\"{}\"}}", c.to_string().repeat(n));
        let (a, b) = (big('a', HAND_OVER + 10), big('b', 3 * HAND_OVER));
        let input = format!("{a}\r\n{{\"s\":1}}\n{b}\n\n{{\"s\":2}}\n{a}");
        let input = input.as_bytes();
        let expected = vec![
            line(&a),
            line("{\"s\":1}"),
            line(&b),
            line("{\"s\":2}"),
            line(&a),
        ];
        for chunk in [1000, 65_536, HAND_OVER + 11, 100_000, input.len()] {
            let chunks: Vec<&[u8]> = input.chunks(chunk).collect();
            assert_eq!(frames(&chunks, 4 * HAND_OVER), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn oversize_line_is_dropped_and_the_stream_stays_in_sync() {
        let big = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":\"{}\"}}\n",
            "a".repeat(100)
        );
        let mut input = big.clone().into_bytes();
        input.extend_from_slice(b"{\"id\":8}\n");
        for chunk in [1, 7, 50, input.len()] {
            let chunks: Vec<&[u8]> = input.chunks(chunk).collect();
            let out = frames(&chunks, 40);
            assert_eq!(out.len(), 2, "chunk {chunk}: {out:?}");
            let Frame::Oversize(over) = &out[0] else {
                panic!("expected oversize, got {out:?}")
            };
            assert_eq!(over.size, big.len() - 1);
            assert_eq!(over.sniffed.id.as_deref(), Some("7"));
            assert!(over.sniffed.has_method);
            assert_eq!(out[1], line("{\"id\":8}"));
        }
    }

    #[test]
    fn sniffer_finds_top_level_id_after_large_params_only() {
        let mut s = IdSniffer::default();
        s.feed(br#"{"params":{"id":99,"x":"\"id\":5"},"method":"m","id":"abc\"d"}"#);
        let got = s.finish();
        assert_eq!(got.id.as_deref(), Some(r#""abc\"d""#));
        assert!(got.has_method);
    }

    #[test]
    fn sniffer_ignores_ids_that_are_not_ids() {
        let mut s = IdSniffer::default();
        s.feed(br#"{"id":{"nested":1},"result":{}}"#);
        assert_eq!(s.finish().id, None);
        let mut s = IdSniffer::default();
        s.feed(br#"{"id":0,"result":{}}"#);
        assert_eq!(s.finish().id.as_deref(), Some("0"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

        /// How the bytes are split into reads never changes the frames, and no line exceeds the limit.
        #[test]
        fn chunking_never_changes_the_frames(
            bytes in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just(b'\n'), proptest::prelude::Just(b'\r'), proptest::prelude::Just(b'"'),
                proptest::prelude::Just(b'{'), proptest::prelude::Just(b'}'), proptest::num::u8::ANY,
            ], 0..400),
            chunk in 1usize..64,
            max in 1usize..80,
        ) {
            let whole = frames(&[&bytes], max);
            let pieces: Vec<&[u8]> = bytes.chunks(chunk).collect();
            proptest::prop_assert_eq!(&frames(&pieces, max), &whole);
            for frame in whole {
                if let Frame::Line(line) = frame {
                    proptest::prop_assert!(line.len() <= max);
                    proptest::prop_assert!(!line.contains(&b'\n'));
                }
            }
        }
    }
}
