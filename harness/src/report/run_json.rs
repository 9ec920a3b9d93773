//! `run.json`: the whole [`RunRecord`], which `lockstep report merge` reads
//! back to join shards. Lockstep's own format; `format` names its version.

use super::RunRecord;
use serde::{Deserialize, Serialize};

pub const FILE: &str = "run.json";

/// The version of this file's shape; bump it when a field changes meaning.
pub const FORMAT: &str = "lockstep-run/1";

#[derive(Serialize, Deserialize)]
struct Document {
    format: String,
    #[serde(flatten)]
    run: RunRecord,
}

pub fn render(run: &RunRecord) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&Document { format: FORMAT.into(), run: run.clone() })
}

/// Why a run.json could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not a Lockstep run record: {0}")]
    Json(#[from] serde_json::Error),
    #[error("written in format `{found}`; this Lockstep reads `{FORMAT}`")]
    Format { found: String },
}

pub fn parse(text: &str) -> Result<RunRecord, ReadError> {
    let doc: Document = serde_json::from_str(text)?;
    if doc.format != FORMAT {
        return Err(ReadError::Format { found: doc.format });
    }
    Ok(doc.run)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_record_reads_back_as_it_was_written() {
        let run = super::super::fixtures::run();
        let text = super::render(&run).unwrap();
        assert_eq!(super::parse(&text).unwrap(), run);
        let other = text.replace(super::FORMAT, "lockstep-run/0");
        assert!(super::parse(&other).unwrap_err().to_string().contains("lockstep-run/0"));
    }
}
