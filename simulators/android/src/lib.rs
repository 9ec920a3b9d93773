//! A simulated Android device for MDM conformance testing.
//!
//! The crate owns everything that happens *on* a device when an MDM resets its
//! passcode or locks it: the credential store, the keyguard, Direct Boot, the
//! reset-password token, the assigned password policy, and the Android Device
//! Policy agent that turns Android Management API commands into
//! `DevicePolicyManager` calls.
//!
//! It does no I/O and reads no clock: every operation that depends on time takes
//! a [`SimTime`] from the caller, so one virtual clock can drive a whole fleet.
//!
//! Every rule that depends on the API level lives in [`platform`], where each one
//! names the section of the platform notes and the requirement (PLAT-n) it
//! implements. The rest of the crate asks `platform` and never compares API
//! levels itself.

pub mod agent;
pub mod clock;
pub mod device;
pub mod keyguard;
pub mod metrics;
pub mod ownership;
pub mod passcode;
pub mod platform;
pub mod policy;
pub mod profile;

pub use agent::{Agent, AgentCommand, CommandErrorCode, CommandOutcome, Waiting};
pub use clock::SimTime;
pub use device::{
    Admin, BootState, CredentialHolder, Device, DeviceEvent, Entry, EventLog, LockFlags, LockScope, Refusal,
    ResetFlags, RunState, TokenState, UnsupportedOwnership, Verification,
};
pub use metrics::{Complexity, PasswordMetrics};
pub use ownership::{AmapiOwnership, ManagementMode, Ownership};
pub use passcode::{CredentialKind, Passcode};
pub use policy::{Constraint, PasswordPolicy, PasswordQuality, PolicyScope, Requirement, RequirementCheck};
pub use profile::{DeviceProfile, Encryption, PinLengthRefresh, ProfileError};
