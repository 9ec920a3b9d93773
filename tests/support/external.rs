//! A reference MDM configured by hand, as a vendor configures theirs before
//! pointing `lockstep run --target URL` at it: the AMAPI mock and the mail
//! sink are the harness's, at the addresses given here.

#![allow(dead_code)] // each test crate uses what it needs

use std::net::SocketAddr;

/// The enterprise every external test's MDM manages (the harness's mock makes it).
pub(crate) const ENTERPRISE: &str = "enterprises/LC0lockstep";

/// The configuration of a `vendor` MDM that reaches AMAPI at `amapi` and
/// sends mail to `smtp`; the caller changes what its test needs.
pub(crate) fn mdm_config(amapi: SocketAddr, smtp: SocketAddr, vendor: &str) -> reference_mdm::ServeConfig {
    let mut mdm = reference_mdm::ServeConfig::new(format!("http://{amapi}"));
    mdm.enterprise = Some(ENTERPRISE.into());
    mdm.vendor = reference_mdm::VendorSource::Builtin(vendor.into());
    mdm.smtp = Some(smtp.to_string());
    mdm
}
