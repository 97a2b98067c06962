//! Text that people see next to other people's text (names, emails) must look like what it is. Control
//! characters break layouts and logs; bidirectional overrides and zero-width characters make one string
//! look like another ("Trojan Source", CVE-2021-42574), so they are refused wherever a name is typed.

/// Characters that change how surrounding text is displayed without being visible themselves.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                 // soft hyphen
        | '\u{061C}'               // Arabic letter mark
        | '\u{180E}'               // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'  // zero-width space, (non-)joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}'  // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'  // word joiner, invisible operators
        | '\u{2066}'..='\u{206F}'  // bidi isolates, deprecated format characters
        | '\u{FEFF}'               // zero-width no-break space (BOM)
        | '\u{FFF9}'..='\u{FFFB}'  // interlinear annotation
    )
}

/// Why a piece of text was refused; `what` is "A token name", "An organization name"…
pub fn check_visible(text: &str, what: &str) -> Result<(), String> {
    if text.chars().any(char::is_control) {
        return Err(format!("{what} can't contain control characters such as line breaks or tabs."));
    }
    if text.chars().any(is_invisible_format) {
        return Err(format!(
            "{what} can't contain invisible formatting characters (zero-width or text-direction marks). Retype it."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for bad in ["a\u{202E}b", "a\u{200B}b", "\u{FEFF}a", "a\u{2066}b", "a\nb", "a\tb", "a\u{7f}"] {
            assert!(check_visible(bad, "A name").is_err(), "{bad:?}");
        }
        for good in ["CI/CD Pipeline", "Zürich ☃", "東京", "<script>"] {
            assert!(check_visible(good, "A name").is_ok(), "{good:?}");
        }
    }
}
