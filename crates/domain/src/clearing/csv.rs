//! Clearing files (CONTRACT.md, "Clearing files"), parsed and formatted as text, no I/O.
//!
//! Input: a header `id,debtor,creditor,amount`, then one invoice per line; `amount` a positive
//! integer of minor units, `debtor ≠ creditor`, ids unique, party ids any non-empty strings.
//! Fields may be quoted with `"` (a quote inside doubled); blank lines are ignored. A file
//! with no header is refused; a header alone is a valid file with nothing to clear.
//! Output: `id,debtor,creditor,amount,setoff`, one line per input invoice, in input order.

use super::{ClearingError, Network};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// A map keyed by ids: FxHash, fast on short strings; a file is the user's own input, so hash
/// flooding is not a concern here.
type IdMap<V> = FxHashMap<String, V>;

/// The required input header.
pub const INPUT_HEADER: &str = "id,debtor,creditor,amount";
/// The output header.
pub const OUTPUT_HEADER: &str = "id,debtor,creditor,amount,setoff";
/// Longest excerpt of a bad value quoted in an error message.
const EXCERPT_CHARS: usize = 40;

/// Bad input: the 1-based line number and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct CsvError {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong, in one line.
    pub problem: String,
}

/// A parsed clearing file: the invoices' ids, the parties' names and the network between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Book {
    /// The id of every invoice, in file order.
    pub ids: Vec<String>,
    /// The name of every party, by party index (first appearance order).
    pub parties: Vec<String>,
    /// The invoices, with parties as indices into `parties`.
    pub network: Network,
}

/// An incremental parser: feed it the file's lines in order, then `finish`.
#[derive(Debug, Default)]
pub struct Parser {
    book: Book,
    party_index: IdMap<u32>,
    id_line: IdMap<usize>,
    header_seen: bool,
}

impl Parser {
    /// A parser expecting the header first.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads line number `number` (1-based) of the file.
    pub fn line(&mut self, number: usize, text: &str) -> Result<(), CsvError> {
        let text = text.strip_suffix('\r').unwrap_or(text);
        let bad = |problem: String| CsvError {
            line: number,
            problem,
        };
        if !self.header_seen {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if text.trim().is_empty() {
                return Ok(());
            }
            let fields = split_fields(text).map_err(|p| bad(p.to_owned()))?;
            let names: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
            if names != ["id", "debtor", "creditor", "amount"] {
                return Err(bad(format!(
                    "the header must be {INPUT_HEADER}, found {}",
                    excerpt(text)
                )));
            }
            self.header_seen = true;
            return Ok(());
        }
        if text.trim().is_empty() {
            return Ok(());
        }
        self.invoice(number, text).map_err(bad)
    }

    /// Parses one invoice line.
    fn invoice(&mut self, number: usize, text: &str) -> Result<(), String> {
        let fields = split_fields(text).map_err(str::to_owned)?;
        let [id, debtor, creditor, amount] = fields.as_slice() else {
            return Err(format!(
                "malformed line: expected 4 fields ({INPUT_HEADER}), found {}",
                fields.len()
            ));
        };
        let (id, debtor, creditor, amount): (&str, &str, &str, &str) =
            (id, debtor, creditor, amount);
        for (name, value) in [("id", id), ("debtor", debtor), ("creditor", creditor)] {
            if value.trim().is_empty() {
                return Err(format!("empty {name}"));
            }
        }
        let amount = parse_amount(amount)?;
        if debtor == creditor {
            return Err(format!(
                "self-invoice: the debtor and the creditor are both {}",
                excerpt(debtor)
            ));
        }
        if let Some(first) = self.id_line.get(id) {
            return Err(format!(
                "duplicate id {} (first on line {first})",
                excerpt(id)
            ));
        }
        let d = self.party(debtor)?;
        let c = self.party(creditor)?;
        self.book
            .network
            .push(d, c, amount)
            .map_err(|e| e.to_string())?;
        self.id_line.insert(id.to_string(), number);
        self.book.ids.push(id.to_string());
        Ok(())
    }

    /// The index of party `name`, added on first sight.
    fn party(&mut self, name: &str) -> Result<u32, String> {
        if let Some(&i) = self.party_index.get(name) {
            return Ok(i);
        }
        let i = self
            .book
            .network
            .add_party()
            .map_err(|e: ClearingError| e.to_string())?;
        self.party_index.insert(name.to_owned(), i);
        self.book.parties.push(name.to_owned());
        Ok(i)
    }

    /// The parsed file; an error on line 1 if there was not even a header.
    pub fn finish(self) -> Result<Book, CsvError> {
        if !self.header_seen {
            return Err(CsvError {
                line: 1,
                problem: format!("empty file: the header {INPUT_HEADER} is required"),
            });
        }
        Ok(self.book)
    }
}

/// Parses a whole file given as lines.
pub fn parse_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Book, CsvError> {
    let mut parser = Parser::new();
    for (i, line) in lines.into_iter().enumerate() {
        parser.line(i + 1, line)?;
    }
    parser.finish()
}

/// A positive integer amount of minor units.
fn parse_amount(raw: &str) -> Result<i64, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty amount".to_owned());
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        let what = if s.starts_with('-') {
            "negative amount"
        } else {
            "the amount is not an integer of minor units"
        };
        return Err(format!("{what}: {}", excerpt(s)));
    }
    match s.parse::<i64>() {
        Ok(0) => Err("zero amount: amounts must be positive".to_owned()),
        Ok(a) => Ok(a),
        Err(_) => Err(format!(
            "amount too large (at most {}): {}",
            i64::MAX,
            excerpt(s)
        )),
    }
}

/// Splits a line at commas, honouring double-quoted fields.
fn split_fields(line: &str) -> Result<Vec<Cow<'_, str>>, &'static str> {
    if !line.contains('"') {
        return Ok(line.split(',').map(Cow::Borrowed).collect());
    }
    let mut fields = Vec::with_capacity(4);
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let (value, after) = unquote(quoted)?;
            fields.push(Cow::Owned(value));
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err("malformed line: text after a closing quote"),
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    fields.push(Cow::Borrowed(&rest[..i]));
                    rest = &rest[i + 1..];
                }
                None => {
                    fields.push(Cow::Borrowed(rest));
                    return Ok(fields);
                }
            }
        }
    }
}

/// The value of a quoted field (after its opening quote) and what follows its closing quote.
fn unquote(s: &str) -> Result<(String, &str), &'static str> {
    let mut value = String::new();
    let mut rest = s;
    loop {
        let Some(i) = rest.find('"') else {
            return Err("malformed line: unterminated quote");
        };
        value.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        match rest.strip_prefix('"') {
            Some(after) => {
                value.push('"');
                rest = after;
            }
            None => return Ok((value, rest)),
        }
    }
}

/// At most `EXCERPT_CHARS` characters of a value, quoted, for error messages.
fn excerpt(s: &str) -> String {
    let mut short: String = s.chars().take(EXCERPT_CHARS).collect();
    if short.len() < s.len() {
        short.push('…');
    }
    format!("{short:?}")
}

/// Appends `field` to `out`, quoted if it holds a comma, a quote or a line break.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) || field != field.trim() {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Appends the output line of invoice `e` (without line break) to `out`.
pub fn format_output(book: &Book, e: usize, setoff: i64, out: &mut String) {
    use std::fmt::Write;
    let net = &book.network;
    push_field(out, &book.ids[e]);
    out.push(',');
    push_field(out, &book.parties[net.debtors()[e] as usize]);
    out.push(',');
    push_field(out, &book.parties[net.creditors()[e] as usize]);
    // Writing to a String cannot fail.
    let _ = write!(out, ",{},{}", net.amounts()[e], setoff);
}
