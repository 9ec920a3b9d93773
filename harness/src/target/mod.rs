//! How the harness drives an MDM: the Lockstep driver protocol
//! (docs/driver-protocol.md), a small REST contract. The embedded reference
//! MDM speaks it natively; a vendor puts a thin shim in front of its own API.
//! The embedded default goes through the same HTTP path as an external MDM.

pub mod driver;

pub use driver::{DriverError, Mdm, Reply};
