//! `distretto backup` and `distretto restore`: a consistent copy of the whole database taken
//! while the server runs, and a new database made from one.
//!
//! - SQLite: `VACUUM INTO` (one snapshot; writers go on), then the copy's ledger is verified
//!   before it takes the name asked for. Restoring copies it into place (never over an existing
//!   file), migrates it forward and verifies its ledger.
//! - PostgreSQL: `pg_dump --format=custom`, and `pg_restore` into an empty database, then the
//!   same forward migrations and ledger check. The PostgreSQL tools are found on `PATH`, in
//!   `DISTRETTO_PG_BIN`, or in Debian's `/usr/lib/postgresql/*/bin` (the newest).

use crate::config::Settings;
use crate::{Failure, open_db};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags of `backup`.
#[derive(clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup (a SQLite file, or a `pg_dump` custom-format archive).
    #[arg(long)]
    out: PathBuf,
    /// `sqlite:PATH` or `postgres://…` (default from configuration).
    #[arg(long)]
    database: Option<String>,
}

/// Flags of `restore`.
#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A backup made by `distretto backup`.
    file: PathBuf,
    /// The new database: `sqlite:PATH` (no file there yet) or `postgres://…` (an empty
    /// database).
    #[arg(long)]
    database: Option<String>,
}

/// What a backup file holds, from its first bytes.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Sqlite,
    PgDump,
}

fn kind_of(file: &Path) -> Result<Kind, Failure> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let read = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
    match &head[..read] {
        h if h.starts_with(b"SQLite format 3\0") => Ok(Kind::Sqlite),
        h if h.starts_with(b"PGDMP") => Ok(Kind::PgDump),
        _ => Err(Failure::Usage(format!(
            "{} is not a backup made by distretto backup",
            file.display()
        ))),
    }
}

/// The file of a `sqlite:` URL.
pub(crate) fn sqlite_path(url: &str) -> PathBuf {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    PathBuf::from(path.split('?').next().unwrap_or_default())
}

/// A name beside `target` to write to before renaming, so a crash never leaves half a backup
/// under the name asked for.
fn partial(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// A PostgreSQL command-line tool (`pg_dump`, `pg_restore`).
fn pg_tool(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("DISTRETTO_PG_BIN") {
        return PathBuf::from(dir).join(name);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.is_file());
    if let Some(found) = on_path {
        return found;
    }
    // Debian installs them per version, off PATH: take the newest.
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(|d| d.ok().map(|d| d.path().join("bin").join(name)))
                .filter(|p| p.is_file())
                .take(64)
                .collect()
        })
        .unwrap_or_default();
    debian.sort_by_key(|p| {
        p.components()
            .nth(4)
            .and_then(|c| c.as_os_str().to_string_lossy().parse::<u32>().ok())
            .unwrap_or(0)
    });
    debian.pop().unwrap_or_else(|| PathBuf::from(name))
}

/// A PostgreSQL URL without its password, and the password (percent-decoded): the tools get
/// the password in `PGPASSWORD`, so it never shows in the process list (`ps` shows arguments).
fn without_password(url: &str) -> (String, Option<String>) {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (url.to_owned(), None);
    };
    let Some(password) = parsed.password().map(str::to_owned) else {
        return (url.to_owned(), None);
    };
    let decoded = url::form_urlencoded::parse(format!("p={password}").as_bytes())
        .next()
        .map_or(password.clone(), |(_, v)| v.into_owned());
    if parsed.set_password(None).is_err() {
        return (url.to_owned(), None);
    }
    (parsed.to_string(), Some(decoded))
}

/// Runs `pg_dump` or `pg_restore` with `args`, where `{url}` stands for the database URL.
fn run_tool(name: &str, url: &str, args: &[&std::ffi::OsStr]) -> Result<(), Failure> {
    let tool = pg_tool(name);
    let (url, password) = without_password(url);
    let args = args.iter().map(|a| {
        if *a == std::ffi::OsStr::new("{url}") {
            std::ffi::OsStr::new(url.as_str())
        } else {
            a
        }
    });
    let mut command = Command::new(&tool);
    command.args(args);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let out = command.output().map_err(|e| {
        Failure::Runtime(anyhow::anyhow!(
            "cannot run {}: {e} (install PostgreSQL's client tools, or set DISTRETTO_PG_BIN)",
            tool.display()
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Failure::Runtime(anyhow::anyhow!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Verifies the ledger of a database; the number of transfers.
async fn verified(db: &distretto_store::Db) -> Result<u64, Failure> {
    let report = distretto_store::ledger::verify::verify(db).await?;
    if report.ok() {
        Ok(report.transfers)
    } else {
        Err(Failure::Runtime(anyhow::anyhow!(
            "the ledger of the copy is inconsistent: {} problem(s), first: {}",
            report.problem_count,
            report
                .problems
                .first()
                .map_or_else(String::new, ToString::to_string)
        )))
    }
}

pub async fn backup(settings: &Settings, args: BackupArgs) -> Result<(), Failure> {
    let parent = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Failure::Usage(format!(
            "cannot write {}: no such directory {}",
            args.out.display(),
            parent.display()
        )));
    }
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| settings.database_url().to_owned());
    let temp = partial(&args.out);
    let _ = std::fs::remove_file(&temp);
    let result = match distretto_store::backend_of(&url) {
        Ok("sqlite") => backup_sqlite(settings, &url, &temp).await,
        Ok(_) => run_tool(
            "pg_dump",
            &url,
            &[
                "--format=custom".as_ref(),
                "--no-owner".as_ref(),
                "--file".as_ref(),
                temp.as_os_str(),
                "{url}".as_ref(),
            ],
        )
        .map(|()| "PostgreSQL archive".to_owned()),
        Err(e) => Err(Failure::Usage(format!(
            "{e} (got a database URL of another form)"
        ))),
    };
    match result.and_then(|what| {
        std::fs::rename(&temp, &args.out)?;
        Ok(what)
    }) {
        Ok(what) => {
            println!("backed up to {} ({what})", args.out.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

async fn backup_sqlite(settings: &Settings, url: &str, temp: &Path) -> Result<String, Failure> {
    // Opening would create a missing file: a backup run from the wrong directory (the default
    // URL is relative) would then "succeed" with an empty district.
    let file = sqlite_path(url);
    if !file.is_file() {
        let cwd = std::env::current_dir().unwrap_or_default();
        return Err(Failure::Usage(format!(
            "no district database at {} (relative paths are read from {})",
            file.display(),
            cwd.display()
        )));
    }
    // Opened as it is, never migrated: a new binary backing up before an upgrade must copy
    // the district the old one runs, and leave it to the old one.
    let db = crate::ledger::open_existing_db(settings, Some(url)).await?;
    distretto_store::backup::sqlite_into(&db, temp).await?;
    db.close().await;
    let copy = distretto_store::Db::connect(&distretto_store::ConnectOptions {
        url: format!("sqlite:{}", temp.display()),
        max_connections: 2,
    })
    .await?;
    let transfers = verified(&copy).await;
    copy.close().await;
    Ok(format!("{} transfers, ledger verified", transfers?))
}

pub async fn restore(settings: &Settings, args: RestoreArgs) -> Result<(), Failure> {
    let kind = kind_of(&args.file)?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| settings.database_url().to_owned());
    let backend = distretto_store::backend_of(&url)
        .map_err(|e| Failure::Usage(format!("{e} (got a database URL of another form)")))?;
    match (kind, backend) {
        (Kind::Sqlite, "sqlite") => {
            let target = sqlite_path(&url);
            if target.exists() {
                return Err(Failure::Usage(format!(
                    "{} exists: restore makes a new database (move the old one away first)",
                    target.display()
                )));
            }
            let temp = partial(&target);
            std::fs::copy(&args.file, &temp).map_err(|e| {
                Failure::Usage(format!("cannot write beside {}: {e}", target.display()))
            })?;
            std::fs::rename(&temp, &target)?;
        }
        (Kind::PgDump, "postgres") => {
            let db = crate::ledger::open_existing_db(settings, Some(&url)).await?;
            let tables = distretto_store::backup::table_count(&db).await?;
            db.close().await;
            if tables > 0 {
                return Err(Failure::Usage(
                    "the database is not empty: restore into a new, empty database".into(),
                ));
            }
            run_tool(
                "pg_restore",
                &url,
                &[
                    "--no-owner".as_ref(),
                    "--exit-on-error".as_ref(),
                    "--dbname".as_ref(),
                    "{url}".as_ref(),
                    args.file.as_os_str(),
                ],
            )?;
        }
        (kind, backend) => {
            return Err(Failure::Usage(format!(
                "a {} backup cannot be restored into a {backend} database",
                if kind == Kind::Sqlite {
                    "SQLite"
                } else {
                    "PostgreSQL"
                }
            )));
        }
    }
    // Forward migrations, for a backup of an older version; then the money is checked.
    let db = open_db(settings, Some(&url)).await?;
    let transfers = verified(&db).await;
    db.close().await;
    println!(
        "restored {} into {url} ({} transfers, ledger verified)",
        args.file.display(),
        transfers?
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn the_password_leaves_the_url_for_pgpassword() {
        assert_eq!(
            without_password("postgres://ada:s%40cr%2Ft@db.example:5433/district?sslmode=require"),
            (
                "postgres://ada@db.example:5433/district?sslmode=require".to_owned(),
                Some("s@cr/t".to_owned())
            )
        );
        assert_eq!(
            without_password("postgres://ada@localhost/district"),
            ("postgres://ada@localhost/district".to_owned(), None)
        );
        assert_eq!(
            without_password("postgresql:///district?host=/run/postgresql"),
            (
                "postgresql:///district?host=/run/postgresql".to_owned(),
                None
            )
        );
    }
}
