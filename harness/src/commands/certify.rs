//! `lockstep certify`: the firmware checks against one device, and its certificate.

pub async fn execute(_args: &crate::cli::CertifyArgs, _fixtures: std::path::PathBuf) -> u8 {
    eprintln!("error: lockstep certify is not available yet");
    crate::EXIT_CONFIG
}
