//! How a device is managed: the five ownership modes Lockstep simulates and
//! the AMAPI values (managementMode, ownership) each one reports.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The ways an MDM can own an Android device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ownership {
    /// Company-owned, the MDM's agent is device owner of the whole device.
    FullyManaged,
    /// Company-owned single-purpose (kiosk) device; device owner too.
    Dedicated,
    /// Personally owned device with a work profile; the agent is profile
    /// owner of the work profile only.
    WorkProfilePersonal,
    /// Company-owned device with a work profile (COPE); the agent is profile
    /// owner of the work profile, with organisation-owned powers.
    WorkProfileCompanyOwned,
    /// The pre-Android-Enterprise Device Administration API.
    LegacyDeviceAdmin,
}

/// The agent's role on the device, as `DevicePolicyManager` sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManagementMode {
    DeviceOwner,
    ProfileOwner,
    DeviceAdmin,
}

/// AMAPI's `Device.ownership`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmapiOwnership {
    CompanyOwned,
    PersonallyOwned,
}

impl Ownership {
    pub const ALL: [Ownership; 5] = [
        Ownership::FullyManaged,
        Ownership::Dedicated,
        Ownership::WorkProfilePersonal,
        Ownership::WorkProfileCompanyOwned,
        Ownership::LegacyDeviceAdmin,
    ];

    pub fn management_mode(self) -> ManagementMode {
        match self {
            Ownership::FullyManaged | Ownership::Dedicated => ManagementMode::DeviceOwner,
            Ownership::WorkProfilePersonal | Ownership::WorkProfileCompanyOwned => ManagementMode::ProfileOwner,
            Ownership::LegacyDeviceAdmin => ManagementMode::DeviceAdmin,
        }
    }

    pub fn amapi_ownership(self) -> AmapiOwnership {
        match self {
            Ownership::WorkProfilePersonal => AmapiOwnership::PersonallyOwned,
            // Legacy device admin: our choice. AMAPI never enrolls such
            // devices; we report the company-owned value MDMs used for them.
            _ => AmapiOwnership::CompanyOwned,
        }
    }

    /// Whether the device has a work profile (a second credential holder).
    pub fn has_work_profile(self) -> bool {
        self.management_mode() == ManagementMode::ProfileOwner
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::FullyManaged => "fully-managed",
            Ownership::Dedicated => "dedicated",
            Ownership::WorkProfilePersonal => "work-profile-personal",
            Ownership::WorkProfileCompanyOwned => "work-profile-company-owned",
            Ownership::LegacyDeviceAdmin => "legacy-device-admin",
        }
    }
}

impl fmt::Display for Ownership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Ownership {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ownership::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Ownership::ALL.iter().map(|o| o.as_str()).collect();
            format!("unknown ownership mode `{s}`; expected one of: {}", names.join(", "))
        })
    }
}

impl ManagementMode {
    /// AMAPI's `Device.managementMode` value. A legacy device admin has no
    /// AMAPI value; our choice is the enum's UNSPECIFIED member.
    pub fn amapi_name(self) -> &'static str {
        match self {
            ManagementMode::DeviceOwner => "DEVICE_OWNER",
            ManagementMode::ProfileOwner => "PROFILE_OWNER",
            ManagementMode::DeviceAdmin => "MANAGEMENT_MODE_UNSPECIFIED",
        }
    }
}

impl AmapiOwnership {
    pub fn amapi_name(self) -> &'static str {
        match self {
            AmapiOwnership::CompanyOwned => "COMPANY_OWNED",
            AmapiOwnership::PersonallyOwned => "PERSONALLY_OWNED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for o in Ownership::ALL {
            assert_eq!(o.as_str().parse::<Ownership>(), Ok(o));
        }
        let err = "kiosk".parse::<Ownership>().unwrap_err();
        assert!(err.contains("dedicated"), "{err}");
    }

    #[test]
    fn amapi_values_per_mode() {
        let table = [
            (Ownership::FullyManaged, "DEVICE_OWNER", "COMPANY_OWNED", false),
            (Ownership::Dedicated, "DEVICE_OWNER", "COMPANY_OWNED", false),
            (Ownership::WorkProfilePersonal, "PROFILE_OWNER", "PERSONALLY_OWNED", true),
            (Ownership::WorkProfileCompanyOwned, "PROFILE_OWNER", "COMPANY_OWNED", true),
            (Ownership::LegacyDeviceAdmin, "MANAGEMENT_MODE_UNSPECIFIED", "COMPANY_OWNED", false),
        ];
        for (o, mode, own, wp) in table {
            assert_eq!(o.management_mode().amapi_name(), mode, "{o}");
            assert_eq!(o.amapi_ownership().amapi_name(), own, "{o}");
            assert_eq!(o.has_work_profile(), wp, "{o}");
        }
    }
}
