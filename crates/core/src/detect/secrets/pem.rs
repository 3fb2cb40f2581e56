//! Private key blocks. The provider pass finds a BEGIN line, but the secret is the key material
//! after it, so the span runs through the END line, whatever stands between (a redaction must never
//! leave the tail of a block visible), or through the last base64 line when the text was cut
//! before it.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::next_char;

/// The body of a PEM block after its BEGIN line: RFC 1421 header lines first (`Proc-Type: …`, PGP
/// `Version: …`), then base64 and line breaks, also JSON-escaped (`\n`) since arguments are often
/// serialized text.
static PEM_BODY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\A(?:(?:\r?\n|\\r?\\n)[A-Za-z][A-Za-z0-9-]*: [^\r\n\\]*)*(?:[A-Za-z0-9+/=\r\n]|\\[rn])*",
    )
    .expect("valid regex")
});

/// The END line that closes a PEM block.
static PEM_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A-----END [A-Z0-9 ]*-----").expect("valid regex"));

/// Fewer base64 characters than this after a BEGIN line is a documentation stub, not a key.
const MIN_PEM_BODY: usize = 32;

/// The span of a PEM block whose BEGIN line is at `header`: through the END line, or, when the
/// text was truncated before it, through the last base64 line.
pub(super) fn pem_block(text: &str, header: Range<usize>) -> Option<Range<usize>> {
    let rest = &text[header.end..];
    if let Some(block) = through_end_line(rest) {
        let base64 = rest[..block.body]
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .count();
        return (base64 >= MIN_PEM_BODY).then(|| header.start..header.end + block.end);
    }
    let body = PEM_BODY.find(rest).map_or("", |m| m.as_str());
    let (body, end_line) = match PEM_END.find(&rest[body.len()..]) {
        Some(end_line) => (body, end_line.end()),
        None => (truncated_body(rest, body), 0),
    };
    let base64 = body.bytes().filter(u8::is_ascii_alphanumeric).count();
    (base64 >= MIN_PEM_BODY).then(|| header.start..header.end + body.len() + end_line)
}

/// Where the block's body stops and its END line ends, in `rest` (the text after the BEGIN line),
/// when an END line follows before any other BEGIN line.
struct Closed {
    body: usize,
    end: usize,
}

fn through_end_line(rest: &str) -> Option<Closed> {
    // The search stops at the next BEGIN line, so a text of many BEGIN lines stays linear.
    let body = memchr::memmem::find_iter(rest.as_bytes(), "-----")
        .find(|&at| rest[at..].starts_with("-----END ") || rest[at..].starts_with("-----BEGIN "))
        .filter(|&at| rest[at..].starts_with("-----END "))?;
    let end_line = PEM_END.find(&rest[body..])?;
    Some(Closed {
        body,
        end: body + end_line.end(),
    })
}

/// The key material of a block (`body`, a prefix of `rest`) whose END line is missing: without
/// trailing line breaks, and without its last line when that line runs into prose (a blank
/// follows it), since base64 lines have no blanks.
fn truncated_body<'a>(rest: &str, body: &'a str) -> &'a str {
    let runs_into_prose = matches!(next_char(rest, body.len()), Some(' ' | '\t'));
    let last_line_break = body.rfind('\n').max(body.rfind("\\n")).unwrap_or(0);
    trim_line_breaks(if runs_into_prose {
        &body[..last_line_break]
    } else {
        body
    })
}

/// `s` without trailing whitespace or JSON-escaped line breaks.
fn trim_line_breaks(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_end();
        let trimmed = trimmed
            .strip_suffix("\\n")
            .or_else(|| trimmed.strip_suffix("\\r"))
            .unwrap_or(trimmed);
        if trimmed.len() == s.len() {
            return s;
        }
        s = trimmed;
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::secrets::SecretKind;
    use crate::detect::secrets::tests::{BASE64, assert_clean, assert_single, noise, pem};

    #[test]
    fn private_keys_span_the_whole_block() {
        for label in [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let block = pem(label, 3);
            assert_single(
                &format!("key = \"\"\"\n{block}\n\"\"\""),
                SecretKind::PrivateKey,
                &block,
            );
        }
        let body = noise(4, 64, BASE64);
        let encrypted = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B\n\n{body}\n-----END RSA PRIVATE KEY-----"
        );
        assert_single(
            &format!("{encrypted}\n"),
            SecretKind::PrivateKey,
            &encrypted,
        );
        let escaped = pem("PRIVATE KEY", 5).replace('\n', "\\n");
        assert_single(
            &format!("{{\"key\":\"{escaped}\"}}"),
            SecretKind::PrivateKey,
            &escaped,
        );
    }

    #[test]
    fn a_body_that_is_not_base64_is_still_covered_through_the_end_line() {
        let block = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\nFAKE-KEY-FOR-TESTS-{}\n-----END OPENSSH PRIVATE KEY-----",
            noise(8, 64, BASE64),
            noise(9, 20, BASE64)
        );
        assert_single(&format!("{block}\n"), SecretKind::PrivateKey, &block);
    }

    #[test]
    fn truncated_private_key_spans_the_body() {
        let lines = format!("{}\n{}", noise(6, 64, BASE64), noise(7, 30, BASE64));
        let truncated = format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{lines}");
        assert_single(
            &format!("{truncated}\n\n"),
            SecretKind::PrivateKey,
            &truncated,
        );
        assert_single(&format!("{truncated}…"), SecretKind::PrivateKey, &truncated);
    }

    #[test]
    fn pgp_armour_headers_are_part_of_the_block() {
        let body = format!(
            "{}\n{}\n={}",
            noise(8, 64, BASE64),
            noise(9, 40, BASE64),
            noise(10, 4, BASE64)
        );
        let block = format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\nComment: backup\n\n{body}\n-----END PGP PRIVATE KEY BLOCK-----"
        );
        assert_single(
            &format!("gpg --import <<EOF\n{block}\nEOF"),
            SecretKind::PrivateKey,
            &block,
        );
    }

    #[test]
    fn truncated_private_key_stops_before_following_prose() {
        let truncated = format!("-----BEGIN RSA PRIVATE KEY-----\n{}", noise(11, 64, BASE64));
        let text = format!("{truncated}\n\nThanks for reading: more later");
        assert_single(&text, SecretKind::PrivateKey, &truncated);
    }

    #[test]
    fn public_material_and_stubs_are_not_private_keys() {
        assert_clean(&pem("PUBLIC KEY", 1));
        assert_clean(&pem("CERTIFICATE", 2));
        assert_clean(&pem("PGP PUBLIC KEY BLOCK", 3));
        assert_clean(&format!(
            "ssh-rsa AAAAB3NzaC1yc2E{} alice@laptop",
            noise(4, 300, BASE64)
        ));
        assert_clean(&format!(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{} bob",
            noise(5, 48, BASE64)
        ));
        assert_clean(
            "keys start with -----BEGIN PRIVATE KEY----- and end with -----END PRIVATE KEY-----",
        );
        assert_clean("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----");
    }
}
