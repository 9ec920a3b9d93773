//! Lockstep's images, built from its own binary with nothing pulled and
//! nothing fetched: a build context of the Dockerfile in docker/ and a
//! `rootfs/` holding the binary (debug info stripped when `strip` is on
//! PATH), every shared library `ldd` names for it and the dynamic loader,
//! fixtures/ and, for the harness image, features/. The Dockerfiles start
//! `FROM scratch`, so the engine needs no base image and no registry.
//!
//! `lockstep image build` runs [`build`] for both kinds from the running
//! binary (the release one, when built with `cargo build --release`);
//! tests run it from the debug binary they already have.

use super::Engine;
use bollard::query_parameters::BuildImageOptions;
use futures::StreamExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The label on every image `lockstep image build` makes: the version of
/// the binary inside. Only images carrying it are ever removed by Lockstep.
pub const LABEL_VERSION: &str = "org.lockstep.version";

/// Which image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// `lockstep:VERSION`: the harness with the suite, for CI jobs.
    Harness,
    /// `lockstep-reference-mdm:VERSION`: `lockstep mdm serve`, configured
    /// by the environment contract (docs/containers.md).
    ReferenceMdm,
}

impl ImageKind {
    pub const ALL: [ImageKind; 2] = [ImageKind::Harness, ImageKind::ReferenceMdm];

    /// The repository part of the image's name.
    pub fn repository(self) -> &'static str {
        match self {
            ImageKind::Harness => "lockstep",
            ImageKind::ReferenceMdm => "lockstep-reference-mdm",
        }
    }

    fn dockerfile(self) -> &'static str {
        match self {
            ImageKind::Harness => include_str!("../../../docker/lockstep.Dockerfile"),
            ImageKind::ReferenceMdm => include_str!("../../../docker/reference-mdm.Dockerfile"),
        }
    }
}

/// What goes into an image besides its Dockerfile.
#[derive(Debug, Clone)]
pub struct Contents {
    /// The lockstep binary.
    pub binary: PathBuf,
    /// fixtures/ (device and vendor profiles, fleets, requirements).
    pub fixtures: PathBuf,
    /// features/ (the harness image only).
    pub features: PathBuf,
}

/// An image that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("`ldd {binary}` could not be run: {reason}")]
    Ldd { binary: PathBuf, reason: String },
    #[error("building {image}: {message}")]
    Build { image: String, message: String },
}

/// A built image.
#[derive(Debug, Clone)]
pub struct Built {
    /// `REPOSITORY:TAG`.
    pub name: String,
    /// The image's size as the engine reports it, in bytes.
    pub size: i64,
    /// The id of the image the tag named before, removed because nothing
    /// else named or used it.
    pub replaced: Option<String>,
}

/// Build the image of `kind`, tagged `REPOSITORY:tag`.
pub async fn build(engine: &Engine, kind: ImageKind, contents: &Contents, tag: &str) -> Result<Built, ImageError> {
    let name = format!("{}:{tag}", kind.repository());
    let context = build_context(kind, contents)?;
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".into(),
        t: Some(name.clone()),
        rm: true,
        forcerm: true,
        // Nothing to fetch, and nothing may be: FROM scratch, no network.
        networkmode: Some("none".into()),
        labels: Some(std::collections::HashMap::from([(
            LABEL_VERSION.to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        )])),
        ..Default::default()
    };
    let docker = engine.docker();
    // The image the tag names now: once the tag moves to the new build, it
    // is left untagged (dangling) and is removed, so rebuilding on a
    // developer's machine does not pile up `<none>` images.
    let before = docker.inspect_image(&name).await.ok().and_then(|i| i.id);
    let mut progress = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    let mut said = Vec::new();
    while let Some(step) = progress.next().await {
        let info = step.map_err(|e| ImageError::Build { image: name.clone(), message: e.to_string() })?;
        if let Some(error) = info.error.or(info.error_detail.and_then(|d| d.message)) {
            said.push(error);
            return Err(ImageError::Build { image: name, message: said.join("") });
        }
        if let Some(line) = info.stream {
            said.push(line);
        }
    }
    let inspected = docker.inspect_image(&name).await.map_err(|e| ImageError::Build {
        image: name.clone(),
        message: format!("{e}; the build said: {}", said.join("")),
    })?;
    let replaced = match (before, &inspected.id) {
        (Some(old), Some(new)) if &old != new => engine.prune_replaced(&old).await.then_some(old),
        _ => None,
    };
    Ok(Built { name, size: inspected.size.unwrap_or(0), replaced })
}

/// The build context: `Dockerfile` and `rootfs/`, as a tar archive.
pub fn build_context(kind: ImageKind, contents: &Contents) -> Result<Vec<u8>, ImageError> {
    let mut tar = tar::Builder::new(Vec::new());
    tar.follow_symlinks(true);
    append_bytes(&mut tar, "Dockerfile", kind.dockerfile().as_bytes(), 0o644)
        .map_err(|source| ImageError::Read { path: "Dockerfile".into(), source })?;
    let binary = stripped(&contents.binary);
    let appended = append_file(&mut tar, "rootfs/lockstep/bin/lockstep", &binary, 0o755);
    if binary != contents.binary {
        let _ = std::fs::remove_file(&binary);
    }
    appended?;
    for lib in shared_libraries(&contents.binary)? {
        append_file(&mut tar, &format!("rootfs{}", lib.display()), &lib, 0o755)?;
    }
    append_dir(&mut tar, "rootfs/lockstep/fixtures", &contents.fixtures)?;
    if kind == ImageKind::Harness {
        append_dir(&mut tar, "rootfs/lockstep/features", &contents.features)?;
    }
    // Scratch has no /tmp; SQLite and tempfile want one.
    let mut tmp = tar::Header::new_gnu();
    tmp.set_entry_type(tar::EntryType::Directory);
    tmp.set_mode(0o1777);
    tmp.set_size(0);
    tmp.set_cksum();
    tar.append_data(&mut tmp, "rootfs/tmp", std::io::empty())
        .map_err(|source| ImageError::Read { path: "rootfs/tmp".into(), source })?;
    tar.into_inner().map_err(|source| ImageError::Read { path: contents.binary.clone(), source })
}

fn append_bytes(tar: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_cksum();
    tar.append_data(&mut header, path, bytes)
}

fn append_file(tar: &mut tar::Builder<Vec<u8>>, inside: &str, file: &Path, mode: u32) -> Result<(), ImageError> {
    let bytes = std::fs::read(file).map_err(|source| ImageError::Read { path: file.to_owned(), source })?;
    append_bytes(tar, inside, &bytes, mode).map_err(|source| ImageError::Read { path: file.to_owned(), source })
}

fn append_dir(tar: &mut tar::Builder<Vec<u8>>, inside: &str, dir: &Path) -> Result<(), ImageError> {
    tar.append_dir_all(inside, dir).map_err(|source| ImageError::Read { path: dir.to_owned(), source })
}

/// A copy of the binary without its debug info, when `strip` is on PATH
/// (a debug build's DWARF is most of its size); else the binary itself.
fn stripped(binary: &Path) -> PathBuf {
    let out = std::env::temp_dir().join(format!("lockstep-image-{}-{}", std::process::id(), unique()));
    let status = Command::new("strip").arg("--strip-debug").arg("-o").arg(&out).arg(binary).status();
    match status {
        Ok(s) if s.success() => out,
        _ => {
            let _ = std::fs::remove_file(&out);
            binary.to_owned()
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The shared libraries `ldd` resolves for `binary`, the loader included,
/// by the paths the binary will look for them at. A static binary has none.
pub fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>, ImageError> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| ImageError::Ldd { binary: binary.to_owned(), reason: e.to_string() })?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() && !text.contains("statically linked") {
        let err = String::from_utf8_lossy(&out.stderr);
        if text.contains("not a dynamic executable") || err.contains("not a dynamic executable") {
            return Ok(Vec::new());
        }
        return Err(ImageError::Ldd { binary: binary.to_owned(), reason: format!("{}{err}", text.trim()) });
    }
    let mut libs = Vec::new();
    for line in text.lines() {
        if line.contains("not found") {
            return Err(ImageError::Ldd { binary: binary.to_owned(), reason: line.trim().to_owned() });
        }
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` or
        // `/lib64/ld-linux-x86-64.so.2 (0x...)`; the vDSO has no file.
        let path = match line.split_once("=>") {
            Some((_, right)) => right.split_whitespace().next(),
            None => line.split_whitespace().next().filter(|p| p.starts_with('/')),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            libs.push(PathBuf::from(p));
        }
    }
    Ok(libs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_context_holds_the_binary_its_libraries_and_the_loader() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let binary = std::env::current_exe().unwrap();
        let contents =
            Contents { binary: binary.clone(), fixtures: root.join("fixtures"), features: root.join("features") };
        let libs = shared_libraries(&binary).unwrap();
        assert!(libs.iter().any(|l| l.to_string_lossy().contains("libc.so")), "{libs:?}");
        assert!(libs.iter().any(|l| l.to_string_lossy().contains("ld-linux")), "the loader: {libs:?}");
        let context = build_context(ImageKind::ReferenceMdm, &contents).unwrap();
        let mut archive = tar::Archive::new(context.as_slice());
        let names: Vec<String> =
            archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
        for expected in ["Dockerfile", "rootfs/lockstep/bin/lockstep", "rootfs/lockstep/fixtures/vendors/miradore.toml"]
        {
            assert!(names.iter().any(|n| n == expected), "{expected} in {names:?}");
        }
        for lib in &libs {
            assert!(names.contains(&format!("rootfs{}", lib.display())), "{lib:?}");
        }
        assert!(!names.iter().any(|n| n.starts_with("rootfs/lockstep/features")), "the MDM image has no suite");
    }
}
