//! `lockstep image build`: Lockstep's two images, from this binary.

use crate::cli::ImageBuildArgs;
use crate::container::image::{self, Contents, ImageKind};
use crate::container::Engine;
use std::path::Path;

/// Build both images. Exit 0 built, 2 no engine or a build failed.
pub async fn build(args: &ImageBuildArgs, fixtures: &Path) -> u8 {
    let binary = match args.binary.clone().map_or_else(std::env::current_exe, Ok) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot find this binary: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let features = args
        .features
        .clone()
        .unwrap_or_else(|| fixtures.parent().map_or_else(|| "features".into(), |root| root.join("features")));
    if !features.is_dir() {
        eprintln!("error: --features: {} is not a directory of feature files", features.display());
        return crate::EXIT_CONFIG;
    }
    let engine = match Engine::connect().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let tag = args.tag.clone().unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned());
    let contents = Contents { binary: binary.clone(), fixtures: fixtures.to_owned(), features };
    for kind in ImageKind::ALL {
        let started = std::time::Instant::now();
        match image::build(&engine, kind, &contents, &tag).await {
            Ok(built) => {
                println!(
                    "built {} ({:.1} MB) from {} in {:.1} s",
                    built.name,
                    built.size as f64 / 1e6,
                    binary.display(),
                    started.elapsed().as_secs_f64()
                );
                if let Some(old) = &built.replaced {
                    println!("  removed the image {} used to name ({old}), now untagged", built.name);
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return crate::EXIT_CONFIG;
            }
        }
    }
    crate::EXIT_OK
}
