//! The cast of a scenario: the people in it with their MDM accounts, and the
//! devices they hold as the MDM and the person know them. Below the world and
//! the stack, which both use it.

use crate::device::DeviceUnderTest;
use android_sim::{Ownership, Passcode};
use std::collections::BTreeMap;

/// A person of the scenario and their MDM account.
#[derive(Debug, Clone)]
pub struct Person {
    pub email: String,
    pub role: Role,
    /// The MDM session token, once signed in.
    pub session: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    SiteAdmin,
    Admin,
    Helpdesk,
    EndUser,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "site administrator" => Role::SiteAdmin,
            "administrator" => Role::Admin,
            "helpdesk user" => Role::Helpdesk,
            "end user" => Role::EndUser,
            _ => return None,
        })
    }

    /// The role's name in the driver protocol.
    pub fn wire(self) -> &'static str {
        match self {
            Role::SiteAdmin => "site-admin",
            Role::Admin => "admin",
            Role::Helpdesk => "helpdesk",
            Role::EndUser => "end-user",
        }
    }
}

/// A device of the scenario, as the MDM and the person holding it know it.
#[derive(Debug)]
pub struct Handset {
    pub dut: Box<dyn DeviceUnderTest>,
    /// The MDM's id for it (driver protocol).
    pub mdm_id: String,
    /// The AMAPI resource name.
    pub amapi_name: String,
    pub owner: String,
    pub ownership: Ownership,
    /// The device lock passcode the person knows.
    pub device_passcode: Option<Passcode>,
    /// The passcode before the last reset (device lock or work challenge).
    pub old_passcode: Option<Passcode>,
    /// The passcode set by the last reset, once the scenario knows it.
    pub new_passcode: Option<Passcode>,
    /// The last action the scenario started on it, by kind.
    pub last_action: BTreeMap<&'static str, String>,
}

/// The account the harness itself observes with (action log, device pages),
/// created with every stack so observation never depends on a scenario's cast.
pub const OBSERVER: &str = "lockstep-observer";
