//! Cutting UTF-8 text by byte offsets without splitting a character.

/// The largest char boundary at or before `at` (at most the length).
pub fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The smallest char boundary at or after `at` (at most the length).
pub fn ceil_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_never_split_a_character() {
        let text = "aé😀";
        assert_eq!(floor_boundary(text, 2), 1);
        assert_eq!(ceil_boundary(text, 2), 3);
        assert_eq!(floor_boundary(text, 5), 3);
        assert_eq!(ceil_boundary(text, 5), 7);
        assert_eq!(floor_boundary(text, 99), 7);
        assert_eq!(ceil_boundary(text, 99), 7);
    }
}
