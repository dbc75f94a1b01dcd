//! `distretto clear`: the multilateral set-off of the invoices in a clearing file, no database
//! (CONTRACT.md, "Clearing files"); and the hidden `distretto bench clearing-generate` that
//! writes the benchmark files.

use crate::Failure;
use distretto_domain::clearing::{self, Book};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Flags of `distretto clear`.
#[derive(clap::Args)]
pub struct ClearArgs {
    /// The invoices: a CSV file with the header `id,debtor,creditor,amount`.
    #[arg(long)]
    invoices: PathBuf,
    /// Where to write the result (`id,debtor,creditor,amount,setoff`), atomically. Without it
    /// the result goes to stdout, before the JSON summary line.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Flags of `distretto bench clearing-generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Parties of the network.
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=10_000_000))]
    parties: u32,
    /// Invoices of the network.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100_000_000))]
    invoices: u32,
    /// Seed of the generator: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The clearing file to write.
    #[arg(long)]
    out: PathBuf,
}

/// Reads, clears and writes; the last line on stdout is the JSON summary.
pub fn run(args: ClearArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let book = read_book(&args.invoices)?;
    let read_ms = started.elapsed().as_millis();
    let result = clearing::clear(&book.network)
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("clearing failed: {e}")))?;
    let clear_ms = started.elapsed().as_millis() - read_ms;
    match &args.out {
        Some(path) => {
            crate::files::write_atomically(path, |w| write_result(w, &book, &result.setoff))?
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            write_result(&mut w, &book, &result.setoff)?;
            w.flush()?;
        }
    }
    tracing::debug!(
        read_ms,
        clear_ms,
        write_ms = started.elapsed().as_millis() - read_ms - clear_ms,
        "clearing phases"
    );
    let s = result.summary;
    println!(
        r#"{{"invoices":{},"parties":{},"total":{},"cleared":{},"remaining":{},"elapsed_ms":{}}}"#,
        s.invoices,
        s.parties,
        s.total,
        s.cleared,
        s.remaining,
        started.elapsed().as_millis()
    );
    Ok(())
}

/// Writes a generated benchmark network as a clearing file.
pub fn generate(args: GenerateArgs) -> Result<(), Failure> {
    let net = clearing::generate(args.parties, args.invoices, args.seed);
    crate::files::write_atomically(&args.out, |w| {
        writeln!(w, "{}", clearing::csv::INPUT_HEADER)?;
        let (d, c, a) = (net.debtors(), net.creditors(), net.amounts());
        for e in 0..net.len() {
            writeln!(w, "i{e},p{},p{},{}", d[e], c[e], a[e])?;
        }
        Ok(())
    })?;
    println!(
        r#"{{"invoices":{},"parties":{},"total":{},"seed":{}}}"#,
        net.len(),
        net.parties(),
        net.total(),
        args.seed
    );
    Ok(())
}

/// Reads and parses a clearing file; any problem is a usage error naming the file and line.
fn read_book(path: &Path) -> Result<Book, Failure> {
    let shown = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {shown}: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Failure::Usage(format!("{shown}: line {line}: not UTF-8 text"))
    })?;
    clearing::parse_text(text).map_err(|e| Failure::Usage(format!("{shown}: {e}")))
}

/// The output CSV: header, then one line per invoice in input order (the same lines as
/// `clearing::format_output`, with each party's field quoted once rather than per line).
fn write_result(w: &mut impl Write, book: &Book, setoff: &[i64]) -> std::io::Result<()> {
    use std::fmt::Write as _;
    writeln!(w, "{}", clearing::csv::OUTPUT_HEADER)?;
    let names: Vec<_> = book
        .parties
        .iter()
        .map(|p| clearing::csv::quote(p))
        .collect();
    let net = &book.network;
    let (debtors, creditors, amounts) = (net.debtors(), net.creditors(), net.amounts());
    let mut line = String::new();
    for (e, &s) in setoff.iter().enumerate() {
        line.clear();
        line.push_str(&clearing::csv::quote(&book.ids[e]));
        line.push(',');
        line.push_str(&names[debtors[e] as usize]);
        line.push(',');
        line.push_str(&names[creditors[e] as usize]);
        // Writing to a String cannot fail.
        let _ = writeln!(line, ",{},{}", amounts[e], s);
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
