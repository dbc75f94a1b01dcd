//! `distretto export` and `distretto import`: the whole district as one versioned JSON document.

use crate::config::Settings;
use crate::{Failure, open_db};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| settings.database_url().to_owned());
    match new_sqlite_file(&url) {
        Some(target) => import_into_new_file(settings, &target, &doc).await?,
        None => import_into(settings, &url, &doc)
            .await
            .map_err(|e| match e {
                Failure::Runtime(e) => Failure::Runtime(e.context(
                    "the import stopped partway: the database now holds part of the document; \
                 empty it (a new SQLite file or PostgreSQL database) and import again",
                )),
                usage => usage,
            })?,
    }
    println!(
        "imported {} organisations, {} people",
        doc.organizations.len(),
        doc.people.len()
    );
    Ok(())
}

/// The file of a `sqlite:` URL naming no file yet.
fn new_sqlite_file(url: &str) -> Option<PathBuf> {
    if distretto_store::backend_of(url).ok()? != "sqlite" {
        return None;
    }
    let path = crate::backup::sqlite_path(url);
    (!path.as_os_str().is_empty() && !path.exists() && !path.to_string_lossy().contains(":memory:"))
        .then_some(path)
}

/// Imports into a new SQLite file written beside `target` and renamed to it once the whole
/// document is in: an import that fails partway leaves no half district under that name.
async fn import_into_new_file(
    settings: &Settings,
    target: &Path,
    doc: &distretto_store::export::DistrictDocument,
) -> Result<(), Failure> {
    let name = target.file_name().map_or_else(
        || "district.db".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let temp = target.with_file_name(format!(".{name}.importing-{}", std::process::id()));
    let files = |base: &Path| -> [PathBuf; 3] {
        ["", "-wal", "-shm"].map(|end| PathBuf::from(format!("{}{end}", base.display())))
    };
    let remove_temp = || {
        for f in files(&temp) {
            let _ = std::fs::remove_file(f);
        }
    };
    remove_temp();
    let imported = import_into(settings, &format!("sqlite:{}", temp.display()), doc).await;
    if let Err(e) = imported {
        remove_temp();
        return Err(match e {
            Failure::Runtime(e) => {
                Failure::Runtime(e.context(format!("nothing was written to {}", target.display())))
            }
            usage => usage,
        });
    }
    // The pool is closed: SQLite folded its log into the file. Any log left goes along, before
    // the file itself, so the name never holds the file without its log.
    let [temp_db, temp_wal, temp_shm] = files(&temp);
    let [target_db, target_wal, _] = files(target);
    let _ = std::fs::remove_file(temp_shm);
    let had_wal = temp_wal.exists();
    let moved = (if had_wal {
        std::fs::rename(&temp_wal, &target_wal)
    } else {
        Ok(())
    })
    .and_then(|()| std::fs::rename(&temp_db, &target_db));
    moved.map_err(|e| {
        remove_temp();
        if had_wal && !target_db.exists() {
            let _ = std::fs::remove_file(&target_wal);
        }
        Failure::Runtime(anyhow::anyhow!(
            "cannot move the new database to {}: {e}",
            target.display()
        ))
    })
}

/// Opens `url` (migrating it), imports `doc` and closes it.
async fn import_into(
    settings: &Settings,
    url: &str,
    doc: &distretto_store::export::DistrictDocument,
) -> Result<(), Failure> {
    let db = open_db(settings, Some(url)).await?;
    let result = distretto_store::export::import(&db, doc).await;
    db.close().await;
    match result {
        Ok(()) => Ok(()),
        Err(
            e @ (distretto_store::export::ImportError::Format
            | distretto_store::export::ImportError::NotEmpty),
        ) => Err(Failure::Usage(e.to_string())),
        Err(e) => Err(Failure::Runtime(e.into())),
    }
}
