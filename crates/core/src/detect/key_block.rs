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
