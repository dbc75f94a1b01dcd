//! The clearing file (`distretto clear FILE`): `clearing::csv::parse_text`, then the clearing
//! engine on what it read, as the command runs them.
//!
//! Properties: the whole-text and the line-by-line parsers agree; an error names a line of the
//! file; a parsed book is well formed, written back as a clearing file it reads back to the
//! same book, and its set-off passes `clearing::check` (bounds, net positions unchanged).

#![no_main]

use distretto_domain::clearing::{self, csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = csv::parse_text(text);
    assert_eq!(parsed, csv::parse_lines(text.split('\n')));
    let book = match parsed {
        Ok(book) => book,
        Err(e) => {
            assert!(e.line >= 1 && e.line <= text.split('\n').count(), "{e}");
            assert!(!e.problem.is_empty() && !e.problem.contains('\n'), "{e}");
            return;
        }
    };

    let net = &book.network;
    assert_eq!(book.ids.len(), net.len());
    assert_eq!(book.parties.len(), net.parties() as usize);
    for e in 0..net.len() {
        assert!(net.amounts()[e] > 0);
        assert_ne!(net.debtors()[e], net.creditors()[e]);
    }

    // Written back as an input file (what a user gets by dropping the `setoff` column of the
    // output), it reads back to the same book.
    let mut again = String::from(csv::INPUT_HEADER);
    for e in 0..net.len() {
        again.push('\n');
        again.push_str(&csv::quote(&book.ids[e]));
        again.push(',');
        again.push_str(&csv::quote(&book.parties[net.debtors()[e] as usize]));
        again.push(',');
        again.push_str(&csv::quote(&book.parties[net.creditors()[e] as usize]));
        again.push(',');
        again.push_str(&net.amounts()[e].to_string());
    }
    assert_eq!(csv::parse_text(&again).as_ref(), Ok(&book), "{again:?}");

    let cleared = clearing::clear(net).unwrap();
    clearing::check(net, &cleared.setoff).unwrap();
    let mut out = String::new();
    for (e, &s) in cleared.setoff.iter().enumerate() {
        csv::format_output(&book, e, s, &mut out);
        out.push('\n');
    }
});
