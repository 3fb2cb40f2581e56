//! How random a value looks, in bits per character: generated secrets score high, words and
//! repetitive fillers low.

use std::collections::HashMap;

/// Shannon entropy of the characters of `s`, in bits per character (0 for the empty string).
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    counts
        .values()
        .map(|&count| {
            let p = count as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// The least entropy a generated value of `len` characters shows. A random string of `n`
/// characters from a 36–64 letter alphabet has nearly all characters distinct while `n` is small,
/// so its entropy is close to `log2(n)` (2.8–3.0 bits for 8, 3.4–3.6 for 12, 3.8+ for 16);
/// a bit below that still leaves out `aaaabbbb`, `abcabcabcabc` and `aaaaaaaaaaaaaaaaaaaa`. From
/// 16 characters on the bar stays at 3.0, which long repetitive values stay under while random ones,
/// whatever their length, stay above.
pub(super) fn min_entropy(len: usize) -> f64 {
    ((len as f64).log2() - 1.0).min(3.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_in_bits_per_char() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("abcdefgh") - 3.0).abs() < 1e-9);
        assert!((shannon_entropy("日本日本") - 1.0).abs() < 1e-9);
    }
}
