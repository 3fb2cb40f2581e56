//! Words for people: counts with their noun.

/// `1 server`, `3 servers`; `many` is the plural when adding an `s` will not do.
pub fn count(n: impl Into<u64>, one: &str, many: Option<&str>) -> String {
    match n.into() {
        1 => format!("1 {one}"),
        n => match many {
            Some(many) => format!("{n} {many}"),
            None => format!("{n} {one}s"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_or_many() {
        assert_eq!(count(1u32, "server", None), "1 server");
        assert_eq!(count(0u32, "server", None), "0 servers");
        assert_eq!(count(2u32, "identity", Some("identities")), "2 identities");
    }
}
