//! Clearing files (CONTRACT.md, "Clearing files"), parsed and formatted as text, no I/O.
//!
//! Input: a header `id,debtor,creditor,amount`, then one invoice per line; `amount` a positive
//! integer of minor units, `debtor ≠ creditor`, ids unique, party ids any non-empty strings.
//! Fields may be quoted with `"` (a quote inside doubled); blank lines are ignored. A file
//! with no header is refused; a header alone is a valid file with nothing to clear.
//! Output: `id,debtor,creditor,amount,setoff`, one line per input invoice, in input order.

use super::{ClearingError, Network};
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::borrow::Cow;
use std::hash::BuildHasher;

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
    /// The set of invoice ids seen, as indices into `book.ids` (hashed with FxHash), so each
    /// id is stored once.
    id_set: HashTable<u32>,
    /// The line of every invoice, for the message about a duplicate id.
    id_line: Vec<usize>,
    header_seen: bool,
}

/// The FxHash of an id.
fn id_hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl Parser {
    /// A parser expecting the header first.
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser with room for about `invoices` invoices.
    pub fn with_capacity(invoices: usize) -> Self {
        let mut parser = Self::default();
        parser.book.ids.reserve(invoices);
        parser.book.network = Network::with_capacity(0, invoices);
        parser.id_set = HashTable::with_capacity(invoices);
        parser.id_line.reserve(invoices);
        parser
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

    /// Parses one invoice line; a line without quotes is split without allocating.
    fn invoice(&mut self, number: usize, text: &str) -> Result<(), String> {
        let malformed = |found: usize| {
            format!("malformed line: expected 4 fields ({INPUT_HEADER}), found {found}")
        };
        if text.contains('"') {
            let fields = split_fields(text).map_err(str::to_owned)?;
            let [id, debtor, creditor, amount] = fields.as_slice() else {
                return Err(malformed(fields.len()));
            };
            return self.record(number, [id, debtor, creditor, amount]);
        }
        let mut it = text.split(',');
        match (it.next(), it.next(), it.next(), it.next(), it.next()) {
            (Some(id), Some(debtor), Some(creditor), Some(amount), None) => {
                self.record(number, [id, debtor, creditor, amount])
            }
            _ => Err(malformed(text.split(',').count())),
        }
    }

    /// Checks and records one invoice's fields: id, debtor, creditor, amount.
    fn record(&mut self, number: usize, fields: [&str; 4]) -> Result<(), String> {
        let [id, debtor, creditor, amount] = fields;
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
        let hash = id_hash(id);
        let ids = &self.book.ids;
        if let Some(&k) = self.id_set.find(hash, |&k| ids[k as usize] == id) {
            return Err(format!(
                "duplicate id {} (first on line {})",
                excerpt(id),
                self.id_line[k as usize]
            ));
        }
        let d = self.party(debtor)?;
        let c = self.party(creditor)?;
        self.book
            .network
            .push(d, c, amount)
            .map_err(|e| e.to_string())?;
        // `push` refuses more than u32::MAX − 1 invoices, so the index fits.
        let k = self.book.ids.len() as u32;
        self.book.ids.push(id.to_owned());
        self.id_line.push(number);
        let ids = &self.book.ids;
        self.id_set
            .insert_unique(hash, k, |&k| id_hash(&ids[k as usize]));
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

/// Parses a whole file given as text, with room reserved for one invoice per line.
pub fn parse_text(text: &str) -> Result<Book, CsvError> {
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut parser = Parser::with_capacity(lines);
    for (i, line) in text.split('\n').enumerate() {
        parser.line(i + 1, line)?;
    }
    parser.finish()
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

/// `field` as an output CSV field: quoted if it holds a comma, a quote or a line break, or
/// starts or ends with white space.
pub fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) || field != field.trim() {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

/// Appends `field` to `out`, quoted if needed (see [`quote`]).
fn push_field(out: &mut String, field: &str) {
    out.push_str(&quote(field));
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
