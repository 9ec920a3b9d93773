//! Fleet files (`fixtures/fleets/*.toml`): one enterprise, its policies
//! (AMAPI Policy fields, camelCase, as TOML) and its devices (profile,
//! ownership mode, optional passcode, how many), enrolled when a mock
//! starts. A file that cannot be used is refused with its path, the line
//! and the field.
//!
//! ```toml
//! [enterprise]
//! id = "LC00lockstep"
//! display_name = "Lockstep"
//! bearer_token = "secret"                      # optional
//! pubsub_topic = "projects/p/topics/amapi"     # optional
//! notification_types = ["ENROLLMENT", "STATUS_REPORT", "COMMAND"]
//!
//! [policies.default]
//! passwordPolicies = [{ passwordQuality = "NUMERIC", passwordMinimumLength = 6 }]
//!
//! [[devices]]
//! profile = "google-pixel-8"
//! ownership = "fully-managed"
//! policy = "default"      # default "default"
//! passcode = "135790"     # optional; also work_passcode
//! count = 2               # default 1
//! id = "pixel-8-fm"       # optional: device ids `pixel-8-fm` (count 1) or `pixel-8-fm-1`, `-2`...
//! online = true           # default true
//!
//! [[push_subscriptions]]   # optional: push the enterprise's topic somewhere
//! [mock]                   # optional: auto_complete_signups = true, strict = true
//! name = "projects/p/subscriptions/mdm"
//! push_endpoint = "http://127.0.0.1:8080/pubsub"
//! ```
//!
//! Our choice: the fleet's devices enroll with tokens the loader creates
//! for the purpose and removes afterwards, so `enrollmentTokens.list`
//! starts empty and the devices carry no enrollmentTokenName.

use crate::errors::Error;
use crate::schema::{self, Mode};
use crate::{EnterpriseSetup, Mock, PushSubscription, Registration};
use android_sim::{Ownership, Passcode};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A fleet file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FleetError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for FleetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fleet {}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// A passcode in a fleet file: never printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetEnterprise {
    pub id: String,
    pub display_name: Option<String>,
    pub bearer_token: Option<String>,
    pub pubsub_topic: Option<String>,
    /// Default with a topic: ENROLLMENT, STATUS_REPORT and COMMAND.
    pub notification_types: Option<Vec<String>>,
}

/// A push subscription to the enterprise's topic.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSubscription {
    pub name: String,
    pub push_endpoint: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetDevice {
    pub profile: String,
    pub ownership: Ownership,
    pub policy: Option<String>,
    pub passcode: Option<Secret>,
    pub work_passcode: Option<Secret>,
    pub count: Option<u32>,
    pub id: Option<String>,
    pub online: Option<bool>,
}

/// A parsed fleet file.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    text: String,
    pub enterprise: FleetEnterprise,
    #[serde(default)]
    pub policies: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub devices: Vec<FleetDevice>,
    #[serde(default)]
    pub push_subscriptions: Vec<FleetSubscription>,
    /// `[mock]`: switches of the mock itself.
    #[serde(default)]
    pub mock: FleetSwitches,
}

/// `[mock]` in a fleet file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSwitches {
    /// Complete every signup URL as soon as it is created (its callback URL
    /// is followed with the enterpriseToken), so an MDM's signup flow runs
    /// without a person.
    #[serde(default)]
    pub auto_complete_signups: bool,
    /// Strict mode: journal and warn about what Google merely tolerates.
    #[serde(default)]
    pub strict: bool,
}

impl fmt::Debug for Fleet {
    /// Without the file's text, which may hold passcodes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("path", &self.path)
            .field("enterprise", &self.enterprise)
            .field("policies", &self.policies)
            .field("devices", &self.devices)
            .field("push_subscriptions", &self.push_subscriptions)
            .finish()
    }
}

impl Fleet {
    pub fn load(path: &Path) -> Result<Fleet, FleetError> {
        let text = std::fs::read_to_string(path).map_err(|e| FleetError {
            path: path.to_owned(),
            line: None,
            field: None,
            problem: format!("cannot read the file: {e}"),
        })?;
        Fleet::parse(path, &text)
    }

    /// Parse and check a fleet. `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Fleet, FleetError> {
        let error =
            |line, field: Option<String>, problem: String| FleetError { path: path.to_owned(), line, field, problem };
        let mut fleet: Fleet = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            error(line, None, e.message().to_owned())
        })?;
        fleet.path = path.to_owned();
        fleet.text = text.to_owned();
        for (id, table) in &fleet.policies {
            let json = serde_json::to_value(table).unwrap_or(Value::Null);
            if let Err(v) = schema::validate("Policy", &json, Mode::Request) {
                let field = format!("policies.{id}.{}", v.field);
                return Err(error(fleet.line_of(&v.field), Some(field), v.description));
            }
        }
        if !fleet.push_subscriptions.is_empty() && fleet.enterprise.pubsub_topic.is_none() {
            return Err(error(
                fleet.line_of("push_endpoint"),
                Some("enterprise.pubsub_topic".into()),
                "push_subscriptions need the enterprise's pubsub_topic".into(),
            ));
        }
        for (i, d) in fleet.devices.iter().enumerate() {
            let policy = d.policy.as_deref().unwrap_or("default");
            if !fleet.policies.contains_key(policy) {
                return Err(error(
                    fleet.line_of_value("policy", policy).or_else(|| fleet.line_of_device(i)),
                    Some(format!("devices[{i}].policy")),
                    format!("policy `{policy}` is not defined; add a [policies.{policy}] table"),
                ));
            }
            if d.count == Some(0) {
                return Err(error(
                    fleet.line_of_device(i),
                    Some(format!("devices[{i}].count")),
                    "count must be at least 1".into(),
                ));
            }
        }
        Ok(fleet)
    }

    /// The line of the first `key = ...` assignment naming the last part of `field`.
    fn line_of(&self, field: &str) -> Option<usize> {
        let last = field.rsplit('.').next().unwrap_or(field);
        let key = last.split('[').next().unwrap_or(last);
        self.text
            .lines()
            .position(|l| {
                let l = l.trim_start().trim_start_matches('{').trim_start();
                l.starts_with(key) || l.contains(&format!(" {key} =")) || l.contains(&format!("{{ {key} ="))
            })
            .map(|i| i + 1)
    }

    fn line_of_value(&self, key: &str, value: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|l| {
                let l = l.trim();
                l.starts_with(key) && l.contains(&format!("\"{value}\""))
            })
            .map(|i| i + 1)
    }

    /// The line of the `[[devices]]` header of entry `index`.
    fn line_of_device(&self, index: usize) -> Option<usize> {
        self.text.lines().enumerate().filter(|(_, l)| l.trim() == "[[devices]]").nth(index).map(|(i, _)| i + 1)
    }

    fn error_at_device(&self, index: usize, field: &str, problem: String) -> FleetError {
        FleetError {
            path: self.path.clone(),
            line: self.line_of_device(index),
            field: Some(format!("devices[{index}].{field}")),
            problem,
        }
    }
}

/// Create the enterprise and its policies, then enroll every device.
pub(crate) fn enroll(mock: &Mock, fleet: &Fleet) -> Result<Vec<String>, Error> {
    mock.set_auto_complete_signups(fleet.mock.auto_complete_signups);
    if fleet.mock.strict {
        mock.set_strict(true);
    }
    let e = &fleet.enterprise;
    let types = match (&e.notification_types, &e.pubsub_topic) {
        (Some(t), _) => t.clone(),
        (None, Some(_)) => vec!["ENROLLMENT".into(), "STATUS_REPORT".into(), "COMMAND".into()],
        (None, None) => Vec::new(),
    };
    mock.create_enterprise(EnterpriseSetup {
        id: e.id.clone(),
        display_name: e.display_name.clone(),
        bearer_token: e.bearer_token.clone(),
        pubsub_topic: e.pubsub_topic.clone(),
        notification_types: types,
    })
    .map_err(|err| FleetError {
        path: fleet.path.clone(),
        line: fleet.line_of("id"),
        field: Some(format!(
            "enterprise.{}",
            err.details.first().and_then(|d| d["fieldViolations"][0]["field"].as_str()).unwrap_or("id")
        )),
        problem: err.message,
    })?;
    for (i, s) in fleet.push_subscriptions.iter().enumerate() {
        let topic = e.pubsub_topic.clone().unwrap_or_default();
        mock.subscribe(PushSubscription {
            name: s.name.clone(),
            topic,
            push_endpoint: s.push_endpoint.clone(),
            oidc_token: None,
        })
        .map_err(|err| FleetError {
            path: fleet.path.clone(),
            line: fleet.line_of_value("push_endpoint", &s.push_endpoint),
            field: Some(format!("push_subscriptions[{i}].push_endpoint")),
            problem: err.message,
        })?;
    }
    for (id, table) in &fleet.policies {
        let json = serde_json::to_value(table).unwrap_or(Value::Null);
        mock.put_policy(&e.id, id, json).map_err(|err| FleetError {
            path: fleet.path.clone(),
            line: None,
            field: Some(format!("policies.{id}")),
            problem: err.message,
        })?;
    }
    let mut names = Vec::new();
    let mut tokens: BTreeMap<String, String> = BTreeMap::new();
    for (i, d) in fleet.devices.iter().enumerate() {
        let policy = d.policy.clone().unwrap_or_else(|| "default".into());
        let token = match tokens.get(&policy) {
            Some(t) => t.clone(),
            None => {
                let now = mock.now_pair();
                let t = crate::enrollment::internal_token(&mut mock.world(), &e.id, &policy, now)
                    .ok_or_else(|| fleet.error_at_device(i, "policy", "the enterprise is gone".into()))?;
                tokens.insert(policy.clone(), t.clone());
                t
            }
        };
        let count = d.count.unwrap_or(1);
        for n in 1..=count {
            let device_id = d.id.as_ref().map(|id| if count == 1 { id.clone() } else { format!("{id}-{n}") });
            let registration = Registration {
                enrollment_token: token.clone(),
                profile: d.profile.clone(),
                ownership: d.ownership,
                passcode: d.passcode.as_ref().map(|s| Passcode::new(s.0.clone())),
                work_passcode: d.work_passcode.as_ref().map(|s| Passcode::new(s.0.clone())),
                device_id,
                online: d.online.unwrap_or(true),
                serial: None,
            };
            let name = mock.register_device(&registration).map_err(|err| {
                let field =
                    err.details.first().and_then(|v| v["fieldViolations"][0]["field"].as_str()).unwrap_or("profile");
                let field = match field {
                    "deviceId" => "id",
                    "workPasscode" => "work_passcode",
                    other => other,
                };
                fleet.error_at_device(i, field, err.message)
            })?;
            names.push(name);
        }
    }
    crate::enrollment::drop_internal_tokens(&mut mock.world());
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[enterprise]
id = "LC00fleet"

[policies.default]
passwordPolicies = [{ passwordQuality = "NUMERIC", passwordMinimumLength = 6 }]

[[devices]]
profile = "google-pixel-8"
ownership = "fully-managed"
passcode = "135790"
"#;

    fn err(text: &str) -> FleetError {
        Fleet::parse(Path::new("fixtures/fleets/x.toml"), text).unwrap_err()
    }

    #[test]
    fn a_good_fleet_parses_and_hides_its_passcodes() {
        let f = Fleet::parse(Path::new("x.toml"), GOOD).unwrap();
        assert_eq!(f.devices.len(), 1);
        assert!(!format!("{f:?}").contains("135790"));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = err(&GOOD.replace("\"fully-managed\"", "\"kiosk\""));
        assert_eq!(e.line, Some(10), "{e}");
        assert!(e.to_string().starts_with("fleet fixtures/fleets/x.toml:10"), "{e}");
        let e = err(&GOOD.replace("\"NUMERIC\"", "\"NUMBERS\""));
        assert_eq!(e.field.as_deref(), Some("policies.default.passwordPolicies[0].passwordQuality"), "{e}");
        assert_eq!(e.line, Some(6), "{e}");
        let e = err(&format!("{GOOD}policy = \"strict\"\n"));
        assert_eq!(e.field.as_deref(), Some("devices[0].policy"), "{e}");
        assert_eq!(e.line, Some(12), "{e}");
        let e = err(&format!("{GOOD}colour = 1\n"));
        assert!(e.problem.contains("colour"), "{e}");
    }
}
