//! Containers: the MDM under test started from a container image
//! (`--target docker:IMAGE`), and Lockstep's own images built from its
//! binaries (`lockstep image build`). One engine connection ([`engine`]),
//! the images ([`image`]), the MDM's container and the environment contract
//! it is started with ([`mdm`]).
//!
//! The engine is reached through bollard, the client testcontainers-rs
//! wraps, because testcontainers-rs pins an engine API version newer than
//! engines still in the field accept and never negotiates (labelled in
//! docs/containers.md). What testcontainers users expect is kept: the
//! image is never pulled, the container starts with a documented
//! environment, readiness is waited for with a bound and the last log
//! lines on failure, its logs are kept, and the container, its network and
//! its volume are removed at the end, also on Ctrl-C; what an abrupt exit
//! leaves behind the next run removes ([`engine::Engine::reap`]).

pub mod engine;
pub mod image;
pub mod mdm;

pub use engine::{Engine, EngineAbsent};
pub use mdm::{ContainerError, MdmContainer, StartSpec};
