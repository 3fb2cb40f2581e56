//! Private keys printed one line per string (stderr lines, an array of lines): no single line is
//! recognizably secret (the BEGIN line alone is not, the base64 lines look like noise), so the
//! lines from a private key's BEGIN line through its END line are recognized as a block.

/// Follows a sequence of lines, telling which belong to a private key block.
#[derive(Debug, Default)]
pub struct KeyBlock {
    open: bool,
}

impl KeyBlock {
    /// Whether `line`, the next in the sequence, is part of a private key block.
    pub fn covers(&mut self, line: &str) -> bool {
        if self.open || begins(line) {
            self.open = !ends(line);
            true
        } else {
            false
        }
    }
}

/// Where the first line of a private key block with a body (a base64 line between its BEGIN and
/// END lines) is in `lines`, as [`key_lines`] marks them; `None` items are not text. A BEGIN line
/// alone is documentation, not a key.
pub fn find_key<'a>(lines: impl IntoIterator<Item = Option<&'a str>>) -> Option<usize> {
    key_lines(lines).iter().position(|&marked| marked)
}

/// Which of `lines` belong to a private key block with a body; `None` items are not text.
pub fn key_lines<'a>(lines: impl IntoIterator<Item = Option<&'a str>>) -> Vec<bool> {
    let mut block = KeyBlock::default();
    let mut marks = Vec::new();
    // The current block: where it starts and whether a body line was seen.
    let mut current: Option<(usize, bool)> = None;
    for (i, line) in lines.into_iter().enumerate() {
        let covered = line.is_some_and(|line| block.covers(line));
        marks.push(false);
        match (covered, &mut current) {
            (true, Some((_, body))) => *body |= line.is_some_and(is_body),
            (true, None) => current = Some((i, line.is_some_and(is_body))),
            (false, _) => close(&mut current, &mut marks, i),
        }
        if covered && !block.open {
            close(&mut current, &mut marks, i + 1);
        }
    }
    let end = marks.len();
    close(&mut current, &mut marks, end);
    marks
}

/// Ends the current block before `end`, marking its lines when it had a body.
fn close(current: &mut Option<(usize, bool)>, marks: &mut [bool], end: usize) {
    if let Some((start, true)) = current.take() {
        marks[start..end].iter_mut().for_each(|m| *m = true);
    }
}

/// A line of a key's base64 body.
fn is_body(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 16
        && line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// `-----BEGIN … PRIVATE KEY-----` (also `PGP PRIVATE KEY BLOCK`).
fn begins(line: &str) -> bool {
    line.find("-----BEGIN")
        .is_some_and(|at| line[at..].contains("PRIVATE KEY"))
}

/// The block closes on this line: an END line after its BEGIN line, if it has one.
fn ends(line: &str) -> bool {
    let after_begin = line
        .find("-----BEGIN")
        .map_or(0, |at| at + "-----BEGIN".len());
    line[after_begin..].contains("-----END")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(lines: &[&str]) -> Vec<bool> {
        let mut block = KeyBlock::default();
        lines.iter().map(|line| block.covers(line)).collect()
    }

    #[test]
    fn a_block_runs_from_begin_to_end() {
        let lines = [
            "starting",
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEow",
            "-----END RSA PRIVATE KEY-----",
            "done",
        ];
        assert_eq!(covered(&lines), [false, true, true, true, false]);
    }

    #[test]
    fn a_key_needs_a_body_to_be_found() {
        let key = [
            Some("x"),
            Some("-----BEGIN RSA PRIVATE KEY-----"),
            Some("MIIEowIBAAKCAQEAx9zQ8mLr3vT5"),
            Some("-----END RSA PRIVATE KEY-----"),
        ];
        assert_eq!(find_key(key), Some(1));
        let doc = [
            Some("-----BEGIN RSA PRIVATE KEY-----"),
            Some("then the key"),
            None,
        ];
        assert_eq!(find_key(doc), None);
        // Something that is not text inside the block does not hide the key.
        let gap = [
            Some("-----BEGIN RSA PRIVATE KEY-----"),
            None,
            Some("MIIEowIBAAKCAQEAx9zQ8mLr3vT5"),
            Some("-----END RSA PRIVATE KEY-----"),
        ];
        assert_eq!(find_key(gap), Some(2));
    }

    #[test]
    fn only_blocks_with_a_body_are_marked() {
        let lines = [
            Some("-----BEGIN RSA PRIVATE KEY-----"),
            Some("MIIEowIBAAKCAQEAx9zQ8mLr3vT5"),
            Some("-----END RSA PRIVATE KEY-----"),
            Some("docs: a key starts with"),
            Some("-----BEGIN RSA PRIVATE KEY-----"),
            Some("and ends with an END line"),
        ];
        assert_eq!(key_lines(lines), [true, true, true, false, false, false]);
    }

    #[test]
    fn public_keys_and_one_line_blocks_are_told_apart() {
        let lines = [
            "-----BEGIN PUBLIC KEY-----",
            "MIIB",
            "-----END PUBLIC KEY-----",
            "x",
        ];
        assert_eq!(covered(&lines), [false; 4]);
        let one = "-----BEGIN PRIVATE KEY----- abc -----END PRIVATE KEY-----";
        assert_eq!(covered(&[one, "after"]), [true, false]);
    }
}
