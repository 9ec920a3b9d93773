//! What `lockstep run --target URL` prints before the first scenario: what
//! the person running the suite must have configured in their MDM, and
//! when; which addresses the system picked; the mock's credentials; and
//! that the mock lives for this run only.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

/// The facts the banner of an external target states.
#[derive(Debug)]
pub struct External<'a> {
    pub url: &'a str,
    pub vendor: &'a str,
    pub amapi: &'a str,
    /// No `--amapi-listen`: the system picked the port.
    pub amapi_picked: bool,
    pub enterprise: &'a str,
    pub topic: &'a str,
    pub push_endpoint: &'a str,
    pub smtp: SocketAddr,
    /// No `--smtp-listen`: the system picked the port.
    pub smtp_picked: bool,
    /// `--accounts FILE` and how many accounts it lists.
    pub accounts: Option<(&'a Path, usize)>,
}

/// The banner for an MDM the harness did not start.
pub fn external(e: &External<'_>) -> String {
    let picked = |yes: bool, flag: &str| {
        if yes {
            format!("\n                   (port chosen at random for this run: an MDM configured before the run cannot know it; pass {flag} with the address your MDM is configured with)")
        } else {
            String::new()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "Driving the MDM at {} (vendor profile `{}`, from its /about).", e.url, e.vendor);
    let _ =
        writeln!(out, "Configure the MDM with these before the run starts (at its start, or restart it with them):");
    let _ = writeln!(out, "  AMAPI base URL   {}{}", e.amapi, picked(e.amapi_picked, "--amapi-listen ADDR"));
    let _ = writeln!(out, "  enterprise       {} (already made; the topic below is set on it)", e.enterprise);
    let _ = writeln!(
        out,
        "  credentials      none: the mock takes any OAuth bearer token for {}, or none; no service-account key is needed",
        e.enterprise
    );
    let _ = writeln!(
        out,
        "  SMTP server      {} (no TLS, no authentication){}",
        e.smtp,
        picked(e.smtp_picked, "--smtp-listen ADDR")
    );
    let _ = writeln!(out, "Nothing to configure in the MDM, only to serve:");
    let _ = writeln!(
        out,
        "  Pub/Sub push     {} <- the mock POSTs each message of {} there, unsigned (no OIDC token); --push-endpoint URL to change",
        e.push_endpoint, e.topic
    );
    match e.accounts {
        Some((file, n)) => {
            let _ = writeln!(
                out,
                "  accounts         {n} existing account(s) from {}, leased to one scenario at a time",
                file.display()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  accounts         made per scenario with POST /accounts (--accounts FILE for existing ones)"
            );
        }
    }
    let _ = writeln!(
        out,
        "This mock serves this run only: it starts empty and stops with the run, so an MDM that outlives the run keeps devices and operations the next run's mock does not know (docs/driver-protocol.md, \"One mock per run\")."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(picked: bool) -> External<'static> {
        External {
            url: "http://mdm.test:8080",
            vendor: "miradore",
            amapi: "http://127.0.0.1:40001/",
            amapi_picked: picked,
            enterprise: "enterprises/LC0lockstep",
            topic: "projects/lockstep/topics/amapi-events",
            push_endpoint: "http://mdm.test:8080/amapi/pubsub",
            smtp: SocketAddr::from(([127, 0, 0, 1], 40002)),
            smtp_picked: picked,
            accounts: None,
        }
    }

    #[test]
    fn the_banner_says_when_an_address_was_chosen_at_random() {
        let picked = external(&facts(true));
        assert_eq!(picked.matches("chosen at random").count(), 2, "{picked}");
        assert!(picked.contains("--amapi-listen ADDR") && picked.contains("--smtp-listen ADDR"), "{picked}");
        let given = external(&facts(false));
        assert!(!given.contains("chosen at random"), "{given}");
        for what in ["credentials      none", "unsigned (no OIDC token)", "serves this run only", "POST /accounts"] {
            assert!(given.contains(what), "{what}: {given}");
        }
    }
}
