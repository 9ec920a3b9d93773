//! How the harness drives an MDM: the Lockstep driver protocol
//! (docs/driver-protocol.md), a small REST contract. The embedded reference
//! MDM speaks it natively; a vendor puts a thin shim in front of its own API.
//! The embedded default goes through the same HTTP path as an external MDM,
//! and every answer is checked against the protocol's OpenAPI file.

pub mod client;
pub mod schema;
pub mod wire;

pub use client::{Answer, DriverError, Mdm, Refusal, TransportFailure};
pub use wire::*;
