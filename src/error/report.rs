//! How names appear in messages.

/// A name as messages show it: control characters, a byte-order mark and other invisible
/// characters escaped (`\x00`, `\uFEFF`; the npm package escapes URLs and paths the same
/// way), so two names that print alike can be told apart and none breaks a line.
pub fn shown(name: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{ad}' | '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}')
    };
    if !name.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut s = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        match c as u32 {
            _ if !hidden(c) => s.push(c),
            n if n < 0x100 => s.push_str(&format!("\\x{n:02X}")),
            n => s.push_str(&format!("\\u{n:04X}")),
        }
    }
    std::borrow::Cow::Owned(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_escapes_invisible_characters_only() {
        assert_eq!(super::shown("chr1"), "chr1");
        assert_eq!(super::shown("\u{feff}chr1\0"), "\\uFEFFchr1\\x00");
        assert_eq!(super::shown("a\tb\r"), "a\\x09b\\x0D");
        assert_eq!(super::shown("chrÜ"), "chrÜ");
    }
}
