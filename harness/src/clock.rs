//! One clock for everything in a scenario: the AMAPI mock's virtual clock,
//! lent to the reference MDM through its `Clock` trait, so "6 minutes pass"
//! moves the mock (command expiry) and the MDM (re-authentication) together.

use chrono::{DateTime, Utc};

/// The scenario clock, as the reference MDM sees it.
#[derive(Debug, Clone)]
pub struct ScenarioClock(pub amapi_mock::Clock);

impl reference_mdm::Clock for ScenarioClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(self.0.now().as_unix_millis()).unwrap_or_default()
    }

    fn advance(&self, by: chrono::Duration) -> bool {
        by.to_std().is_ok_and(|d| self.0.advance(d).is_ok())
    }

    fn is_virtual(&self) -> bool {
        self.0.is_virtual()
    }
}
