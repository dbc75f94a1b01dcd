//! `distretto export` and `distretto import`: the whole district as one versioned JSON document.

use crate::config::Settings;
use crate::{Failure, open_db};
use std::io::Write;
use std::path::PathBuf;

/// Flags of `export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Where to write the document.
    #[arg(long)]
    out: PathBuf,
    /// `sqlite:PATH` or `postgres://…`.
    #[arg(long)]
    database: Option<String>,
}

/// Flags of `import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The document to load.
    file: PathBuf,
    /// `sqlite:PATH` or `postgres://…` (must hold no district yet).
    #[arg(long)]
    database: Option<String>,
}

pub async fn export(settings: &Settings, args: ExportArgs) -> Result<(), Failure> {
    // Check the destination before touching the database, so a bad path writes nothing.
    let parent = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        return Err(Failure::Usage(format!(
            "cannot write {}: no such directory {}",
            args.out.display(),
            parent.display()
        )));
    }
    let db = open_db(settings, args.database.as_deref()).await?;
    let doc = distretto_store::export::export(&db).await?;
    // Written beside the target and renamed, so a crash never leaves half a document.
    crate::files::write_atomically(&args.out, |file| {
        serde_json::to_writer(&mut *file, &doc)?;
        file.write_all(b"\n")
    })?;
    println!(
        "exported {} organisations, {} people to {}",
        doc.organizations.len(),
        doc.people.len(),
        args.out.display()
    );
    db.close().await;
    Ok(())
}

pub async fn import(settings: &Settings, args: ImportArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    let doc: distretto_store::export::DistrictDocument =
        serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Usage(format!(
                "{} is not a district document: {e}",
                args.file.display()
            ))
        })?;
    let db = open_db(settings, args.database.as_deref()).await?;
    match distretto_store::export::import(&db, &doc).await {
        Ok(()) => {}
        Err(
            e @ (distretto_store::export::ImportError::Format
            | distretto_store::export::ImportError::NotEmpty),
        ) => return Err(Failure::Usage(e.to_string())),
        Err(e) => return Err(Failure::Runtime(e.into())),
    }
    println!(
        "imported {} organisations, {} people",
        doc.organizations.len(),
        doc.people.len()
    );
    db.close().await;
    Ok(())
}
