//! Decoding text the way shells and common tools do: backslash escapes, base64, hex, and
//! PowerShell's encoded commands.

/// Decodes backslash escapes the way `$'..'`, `printf` and `echo -e` do.
pub(super) fn decode_escapes(s: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut buf = [0u8; 4];
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some(e) = chars.next() else {
            out.push(b'\\');
            break;
        };
        let byte = match e {
            'n' => Some(b'\n'),
            't' => Some(b'\t'),
            'r' => Some(b'\r'),
            'a' => Some(7),
            'b' => Some(8),
            'e' | 'E' => Some(27),
            'f' => Some(12),
            'v' => Some(11),
            '\\' | '\'' | '"' | '?' => u8::try_from(e).ok(),
            'x' => take_digits(&mut chars, 16, 2).and_then(|v| u8::try_from(v).ok()),
            '0'..='7' => {
                // `\NNN`, or echo's `\0NNN`: a leading zero does not count towards the three digits.
                let more = if e == '0' { 3 } else { 2 };
                let mut value = e.to_digit(8).unwrap_or(0);
                for _ in 0..more {
                    let Some(d) = chars.peek().and_then(|c| c.to_digit(8)) else {
                        break;
                    };
                    chars.next();
                    value = value * 8 + d;
                }
                Some((value & 0xff) as u8)
            }
            'c' => chars.next().map(|c| (c as u32 & 0x1f) as u8),
            'u' | 'U' => {
                let max = if e == 'u' { 4 } else { 8 };
                match take_digits(&mut chars, 16, max).and_then(char::from_u32) {
                    Some(ch) => out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes()),
                    None => out.extend_from_slice(&[b'\\', e as u8]),
                }
                continue;
            }
            _ => None,
        };
        match byte {
            Some(b) => out.push(b),
            None => {
                out.push(b'\\');
                out.extend_from_slice(e.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn take_digits(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    radix: u32,
    max: u32,
) -> Option<u32> {
    let mut value: Option<u32> = None;
    for _ in 0..max {
        let Some(d) = chars.peek().and_then(|c| c.to_digit(radix)) else {
            break;
        };
        chars.next();
        value = Some(value.unwrap_or(0).saturating_mul(radix).saturating_add(d));
    }
    value
}

/// Escapes that spell arbitrary bytes (`\x72`, `\162`, `\u0072`): text written this way hides what
/// it says.
pub(super) fn has_byte_escapes(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'\\' && matches!(w[1], b'x' | b'u' | b'U' | b'0'..=b'7'))
}

pub(super) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            c if c.is_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub(super) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u32> = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_digit(16))
        .collect::<Option<_>>()?;
    Some(
        digits
            .chunks(2)
            .map(|p| p.iter().fold(0u32, |acc, d| acc * 16 + d) as u8)
            .collect(),
    )
}

/// The code of `powershell -EncodedCommand`: base64 of UTF-16LE text.
pub(super) fn decode_powershell(s: &str) -> Option<String> {
    let bytes = base64_decode(s)?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}
