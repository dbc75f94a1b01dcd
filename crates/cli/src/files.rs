//! Files the commands write.

use crate::Failure;
use std::io::Write;
use std::path::Path;

/// Writes `path` through a temporary file in the same directory renamed over it, so a
/// failure leaves nothing behind. A path that cannot be written is a usage error.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let shown = path.display();
    let name = path
        .file_name()
        .ok_or_else(|| Failure::Usage(format!("cannot write {shown}: not a file name")))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let file = std::fs::File::create(&temp)
        .map_err(|e| Failure::Usage(format!("cannot write {shown}: {e}")))?;
    let mut w = std::io::BufWriter::new(file);
    let written = fill(&mut w)
        .and_then(|()| w.flush())
        .and_then(|()| w.get_ref().sync_all())
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(Failure::Runtime(anyhow::anyhow!(
            "cannot write {shown}: {e}"
        )));
    }
    Ok(())
}
