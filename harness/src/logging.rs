//! The run log: every tracing event of the harness, the AMAPI mock and the
//! reference MDM, written to `<report-dir>/lockstep.log`. Lines pass the
//! run's redactor on their way out, so even a component that logged a
//! passcode by mistake could not leak it here; the leak test checks that none
//! tries (it captures the raw events instead).

use crate::redact::Secrets;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A log file whose writes are redacted line by line.
#[derive(Clone)]
struct RedactingFile {
    file: Arc<Mutex<std::fs::File>>,
    secrets: Secrets,
}

impl Write for RedactingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = self.secrets.redact(&String::from_utf8_lossy(buf));
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

/// Send tracing events (debug and above) to `<dir>/lockstep.log`. Returns
/// false if a subscriber was installed already or the file cannot be made.
pub fn to_report_dir(dir: &Path, secrets: Secrets) -> bool {
    let Ok(()) = std::fs::create_dir_all(dir) else { return false };
    let Ok(file) = std::fs::File::create(dir.join("lockstep.log")) else { return false };
    let writer = RedactingFile { file: Arc::new(Mutex::new(file)), secrets };
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .is_ok()
}
