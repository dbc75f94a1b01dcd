//! Text folding for accent- and case-insensitive search in French, Italian and English.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for search: decomposes accents and drops the marks, lower-cases, maps the few
/// letters without a decomposition (œ, æ, ß, ø, ł) and squeezes whitespace.
///
/// `fold("Société Coopérative  d'Œuvre")` is `"societe cooperative d'oeuvre"`.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    let lowered: String = input.chars().flat_map(char::to_lowercase).collect();
    let plain = lowered
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase);
    for c in plain {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            '’' | '‘' | '`' => out.push('\''),
            _ => out.extend(c.to_lowercase()),
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The alphanumeric runs of folded text, at most `max` of them: the words a search looks up.
/// Punctuation separates words, as the full-text tokenizers of both backends do.
pub fn search_words(folded: &str, max: usize) -> Vec<String> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(max)
        .map(str::to_owned)
        .collect()
}

/// Escapes `%`, `_` and `\` so that user text is matched literally inside a `LIKE … ESCAPE '\'`.
pub fn like_contains(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len() + 2);
    out.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One line of text as people mean it: control characters dropped, runs of whitespace
/// collapsed to one space, ends trimmed.
pub fn clean_line(input: &str) -> String {
    input
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_french_and_italian_accents_and_case() {
        assert_eq!(fold("Société Coopérative"), "societe cooperative");
        assert_eq!(fold("CAFFÈ  Più   Città"), "caffe piu citta");
        assert_eq!(fold("Œuvre Cœur"), "oeuvre coeur");
        assert_eq!(fold("l’Épicerie"), "l'epicerie");
        assert_eq!(fold("  Straße "), "strasse");
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_contains("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn search_words_are_alphanumeric_runs() {
        assert_eq!(
            search_words("l'epicerie du coin-bio 42", 10),
            vec!["l", "epicerie", "du", "coin", "bio", "42"]
        );
        assert_eq!(search_words("a b c", 2), vec!["a", "b"]);
        assert!(search_words("%_\\\"*:&|!", 10).is_empty());
    }

    proptest! {
        #[test]
        fn search_words_never_carry_query_syntax(s in "\\PC{0,60}") {
            for w in search_words(&fold(&s), 8) {
                prop_assert!(w.chars().all(char::is_alphanumeric), "{w:?}");
            }
        }

        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn fold_ignores_case_of_ascii(s in "[a-zA-Z ]{0,40}") {
            prop_assert_eq!(fold(&s.to_uppercase()), fold(&s.to_lowercase()));
        }
    }
}
