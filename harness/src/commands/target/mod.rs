//! `lockstep target check URL`: the driver-protocol conformance of a shim,
//! before any scenario runs. Each check calls the MDM as the harness would
//! (every answer through the typed client, so against the OpenAPI file) or
//! as a malformed client would, and says what is wrong and how to fix it.
//! No AMAPI is needed for these; with `--amapi-listen` the checks that need
//! devices run too (`inventory`).

use crate::accounts::{Accounts, AccountsError};
use crate::cast::Role;
use crate::cli::TargetCheckArgs;
use crate::driver::{ActionFilter, DriverError, Mdm, NewAccount, PageRequest, SignIn};
use serde_json::Value;
use std::fmt::Write as _;

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked, e.g. `DELETE /sessions/current`.
    pub check: String,
    /// `None`: it held. Else what is wrong and the fix.
    pub problem: Option<(String, String)>,
}

/// Every check's outcome against `url`.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    fn ok(&mut self, check: impl Into<String>) {
        self.findings.push(Finding { check: check.into(), problem: None });
    }

    fn wrong(&mut self, check: impl Into<String>, wrong: impl Into<String>, fix: impl Into<String>) {
        self.findings.push(Finding { check: check.into(), problem: Some((wrong.into(), fix.into())) });
    }

    pub fn failed(&self) -> usize {
        self.findings.iter().filter(|f| f.problem.is_some()).count()
    }

    pub fn render(&self, url: &str) -> String {
        let mut out = format!("Driver-protocol check of {url}\n");
        for f in &self.findings {
            match &f.problem {
                None => {
                    let _ = writeln!(out, "  ok    {}", f.check);
                }
                Some((wrong, fix)) => {
                    let _ = writeln!(out, "  FAIL  {}: {wrong}\n        fix: {fix}", f.check);
                }
            }
        }
        let failed = self.failed();
        let _ = writeln!(
            out,
            "{} checks: {} passed, {failed} failed{}",
            self.findings.len(),
            self.findings.len() - failed,
            if failed == 0 { "; the shim is ready for `lockstep run --target`" } else { "" }
        );
        out
    }
}

mod inventory;

/// Someone the check signed in as.
#[derive(Debug, Clone)]
struct Person {
    email: String,
    token: String,
}

/// The people the check signs in as, one per role.
#[derive(Debug, Default)]
struct People {
    site_admin: Option<Person>,
    admin: Option<Person>,
    helpdesk: Option<Person>,
    end_user: Option<Person>,
}

impl People {
    fn set(&mut self, role: Role, person: Option<Person>) {
        match role {
            Role::SiteAdmin => self.site_admin = person,
            Role::Admin => self.admin = person,
            Role::Helpdesk => self.helpdesk = person,
            Role::EndUser => self.end_user = person,
        }
    }
}

/// `lockstep target check`. Exit 0 when every check held, 1 when one did
/// not, 2 when the arguments are wrong.
pub async fn execute(args: &TargetCheckArgs, fixtures: &std::path::Path) -> u8 {
    let url = args.url.trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        eprintln!("error: `{}` is not an http(s) URL of an MDM speaking the driver protocol", args.url);
        return crate::EXIT_CONFIG;
    }
    let accounts = match args.accounts.as_deref().map(Accounts::load).transpose() {
        Ok(a) => a,
        Err(e) => {
            let e: AccountsError = e;
            eprintln!("error: --accounts {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let devices = match inventory::Devices::from_args(args, fixtures) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let report = check(url, accounts.as_ref(), devices.as_ref()).await;
    print!("{}", report.render(url));
    if report.failed() == 0 {
        crate::EXIT_OK
    } else {
        crate::EXIT_FAILED
    }
}

const DOC: &str = "docs/driver-protocol.md";

/// Run every check against the MDM at `url`; with `devices`, also those
/// that need enrolled devices (roles on the device page, pages of more than one).
async fn check(url: &str, accounts: Option<&Accounts>, devices: Option<&inventory::Devices>) -> Report {
    let mdm = Mdm::new(url);
    let mut r = Report::default();
    // Discovery first: without /about nothing else can be trusted.
    let mut lock = false;
    match mdm.about().await {
        Ok(Ok(about)) if crate::tags::VENDORS.contains(&about.vendor.as_str()) => {
            lock = about.capabilities.iter().any(|c| c == "lock");
            r.ok(format!("GET /about: vendor profile `{}`, {} capabilities", about.vendor, about.capabilities.len()))
        }
        Ok(Ok(about)) => r.wrong(
            "GET /about",
            format!("`vendor` is `{}`, which is no vendor profile of Lockstep's", about.vendor),
            format!("answer exactly (case-sensitive) one of: {} ({DOC}, Discovery)", crate::tags::VENDORS.join(", ")),
        ),
        Ok(Err(refusal)) => r.wrong("GET /about", format!("refused: {refusal}"), "answer 200 without a session"),
        Err(e) => {
            r.wrong("GET /about", e.to_string(), fix_for(&e));
            return r;
        }
    }
    envelope_checks(url, &mut r).await;
    let nonce = format!("{:08x}", std::process::id() ^ (now_nanos() as u32));
    let people = match accounts {
        Some(a) => signed_in_from_file(&mdm, a, &mut r).await,
        None => created(&mdm, &nonce, &mut r).await,
    };
    if let Some(Person { token, .. }) = &people.helpdesk {
        role_rule(&mut r, "a helpdesk user locking a device", mdm.lock(token, "lockstep-check-no-such-device").await, 403, "FORBIDDEN",
            "refuse a helpdesk lock, reset or cancel with 403 FORBIDDEN before looking the device up (only site administrators and administrators act)");
    }
    if let Some(Person { token, .. }) = &people.end_user {
        let page = mdm.devices_page(token, Some("nobody@example.test"), PageRequest::default()).await;
        role_rule(
            &mut r,
            "an end user reading the console's device list",
            page,
            403,
            "FORBIDDEN",
            "refuse end users the console (403 FORBIDDEN); they see their devices in the portal",
        );
    }
    if let Some(Person { token, .. }) = &people.site_admin {
        pagination(&mdm, token, &nonce, &mut r).await;
    }
    match devices {
        Some(devices) => devices.check(url, &mdm, &people, lock, &mut r).await,
        None => r.ok(format!(
            "{} (not checked: pass --amapi-listen ADDR, the AMAPI address the MDM is configured with)",
            inventory::NEEDS_DEVICES
        )),
    }
    // Last: it ends the site administrator's session.
    if let Some(Person { token, .. }) = &people.site_admin {
        sign_out(&mdm, token, &mut r).await;
    }
    r
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

fn fix_for(e: &DriverError) -> String {
    match e {
        DriverError::Transport { .. } => {
            "start the shim, or check the URL: the base URL is what comes before /lockstep/v1".into()
        }
        DriverError::NotJson { .. } => "answer JSON bodies (Content-Type: application/json)".into(),
        DriverError::Deviation { .. } => {
            "answer with a status and body docs/driver-protocol.openapi.yaml documents for this operation".into()
        }
    }
}

/// A refusal of the expected status and code, or the finding why not.
fn role_rule<T: std::fmt::Debug>(
    r: &mut Report,
    what: &str,
    answer: Result<Result<T, crate::driver::Refusal>, DriverError>,
    status: u16,
    code: &str,
    fix: &str,
) {
    match answer {
        Ok(Err(refusal)) if refusal.status == status && refusal.code() == code => {
            r.ok(format!("role rules: {what} is refused with {status} {code}"))
        }
        Ok(Err(refusal)) => {
            r.wrong(format!("role rules: {what}"), format!("refused with {}", refusal_text(&refusal)), fix)
        }
        Ok(Ok(_)) => r.wrong(format!("role rules: {what}"), "it was allowed", fix),
        Err(e) => r.wrong(format!("role rules: {what}"), e.to_string(), fix),
    }
}

fn refusal_text(refusal: &crate::driver::Refusal) -> String {
    format!("{} {}", refusal.status, refusal.code())
}

/// One malformed call: what it is, the request, the answer it must get
/// (status, code) and the fix when it does not.
type EnvelopeCase =
    (&'static str, reqwest::Method, &'static str, Option<&'static str>, u16, &'static str, &'static str);

/// Calls no client of the protocol makes: the answers must still be the
/// protocol's error envelope with the right status and code.
async fn envelope_checks(url: &str, r: &mut Report) {
    let http = reqwest::Client::new();
    let base = format!("{url}/lockstep/v1");
    let cases: [EnvelopeCase; 4] = [
        ("an unknown endpoint", reqwest::Method::GET, "/lockstep-check/no-such-endpoint", None, 404, "NOT_FOUND",
            "answer any path the protocol does not have with 404 and {\"error\": {\"code\": \"NOT_FOUND\", \"message\": ...}}"),
        ("a known path with a method it does not take (DELETE /about)", reqwest::Method::DELETE, "/about", None, 405, "METHOD_NOT_ALLOWED",
            "answer 405 with the error envelope, code METHOD_NOT_ALLOWED"),
        ("GET /devices without a session", reqwest::Method::GET, "/devices", None, 401, "UNAUTHENTICATED",
            "refuse every call but GET /about, POST /accounts, POST /clock:advance and POST /sessions without `Authorization: Bearer` with 401 UNAUTHENTICATED"),
        ("POST /sessions with a JSON array for a body", reqwest::Method::POST, "/sessions", Some("[]"), 400, "INVALID_ARGUMENT",
            "answer a body that is not the operation's object with 400 INVALID_ARGUMENT"),
    ];
    for (what, method, path, body, status, code, fix) in cases {
        let mut req = http.request(method, format!("{base}{path}"));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let check = format!("error envelope: {what}");
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                r.wrong(check, format!("no answer: {e}"), "start the shim, or check the URL");
                continue;
            }
        };
        let got = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let envelope: Option<Value> = serde_json::from_str(&text).ok();
        let got_code = envelope.as_ref().and_then(|v| v.pointer("/error/code")).and_then(Value::as_str);
        let message = envelope.as_ref().and_then(|v| v.pointer("/error/message")).and_then(Value::as_str);
        match (got == status, got_code, message) {
            (true, Some(c), Some(_)) if c == code => r.ok(format!("{check}: {status} {code}")),
            (_, Some(c), Some(_)) => {
                r.wrong(check, format!("answered {got} {c}; the protocol says {status} {code}"), fix)
            }
            _ => r.wrong(
                check,
                format!(
                    "answered {got} with a body that is not the error envelope: {}",
                    text.chars().take(120).collect::<String>()
                ),
                fix,
            ),
        }
    }
}

/// One person per role, made with `POST /accounts` and signed in.
async fn created(mdm: &Mdm, nonce: &str, r: &mut Report) -> People {
    let mut people = People::default();
    for role in [Role::SiteAdmin, Role::Admin, Role::Helpdesk, Role::EndUser] {
        let email = format!("lockstep-check-{}.{nonce}@example.test", role.wire());
        let account = NewAccount { email: &email, name: "Lockstep check", role: role.wire(), password: None };
        let check = format!("POST /accounts ({})", role.wire());
        match mdm.create_account(&account).await {
            Ok(Ok(_)) => r.ok(check),
            Ok(Err(refusal)) => {
                r.wrong(check, format!("refused: {refusal}"), "create the account (201), or run with --accounts FILE naming existing accounts (docs/driver-protocol.md, Test set-up)");
                continue;
            }
            Err(e) => {
                r.wrong(check, e.to_string(), fix_for(&e));
                continue;
            }
        }
        let token = sign_in(mdm, &email, None, role, r).await;
        people.set(role, token.map(|token| Person { email, token }));
    }
    people
}

/// The observer and the first account of each role the file lists, signed in.
async fn signed_in_from_file(mdm: &Mdm, accounts: &Accounts, r: &mut Report) -> People {
    let observer = &accounts.observer;
    let mut people = People::default();
    let token = sign_in(mdm, &observer.email, observer.password.as_ref().map(|p| p.expose()), Role::SiteAdmin, r).await;
    people.set(Role::SiteAdmin, token.map(|token| Person { email: observer.email.clone(), token }));
    for role in [Role::Admin, Role::Helpdesk, Role::EndUser] {
        if let Some(a) = accounts.pool.iter().find(|a| a.role == role) {
            let token = sign_in(mdm, &a.email, a.password.as_ref().map(|p| p.expose()), role, r).await;
            people.set(role, token.map(|token| Person { email: a.email.clone(), token }));
        }
    }
    people
}

async fn sign_in(mdm: &Mdm, email: &str, password: Option<&str>, role: Role, r: &mut Report) -> Option<String> {
    let check = format!("POST /sessions ({})", role.wire());
    match mdm.sign_in(&SignIn { email, password }).await {
        Ok(Ok(session)) if session.role == role.wire() => {
            r.ok(check);
            Some(session.token)
        }
        Ok(Ok(session)) => {
            r.wrong(
                check,
                format!("{email} signed in as {}", session.role),
                format!("answer the account's role, {}", role.wire()),
            );
            None
        }
        Ok(Err(refusal)) => {
            r.wrong(check, format!("refused: {refusal}"), "sign the account in (201 with a token)");
            None
        }
        Err(e) => {
            r.wrong(check, e.to_string(), fix_for(&e));
            None
        }
    }
}

/// Pagination: out-of-range sizes and foreign tokens are 400
/// INVALID_ARGUMENT; a filtered page of nothing ends the list.
async fn pagination(mdm: &Mdm, token: &str, nonce: &str, r: &mut Report) {
    let nobody = format!("lockstep-check-nobody.{nonce}@example.test");
    let fix400 = "answer a page_size outside 1..=1000 or a page_token the MDM did not give with 400 INVALID_ARGUMENT (docs/driver-protocol.md, Pagination)";
    for (what, page) in [
        ("page_size=0", PageRequest { page_size: Some(0), page_token: None }),
        ("page_size=1001", PageRequest { page_size: Some(1001), page_token: None }),
        (
            "a page_token the MDM never gave",
            PageRequest { page_size: None, page_token: Some("lockstep-check-forged-token") },
        ),
    ] {
        let devices = mdm.devices_page(token, Some(&nobody), page).await;
        role_like(r, &format!("pagination: GET /devices with {what}"), devices, fix400);
        let actions = mdm
            .actions_page(token, &ActionFilter { device_id: Some("lockstep-check-no-such-device"), status: None }, page)
            .await;
        role_like(r, &format!("pagination: GET /actions with {what}"), actions, fix400);
    }
    let check = "pagination: GET /devices?user_email=<nobody>&page_size=1";
    match mdm.devices_page(token, Some(&nobody), PageRequest { page_size: Some(1), page_token: None }).await {
        Ok(Ok(list)) if list.devices.is_empty() && list.next_page_token.is_none() => {
            r.ok(format!("{check}: an empty last page"))
        }
        Ok(Ok(list)) if !list.devices.is_empty() => r.wrong(
            check,
            format!("listed {} device(s) of other users", list.devices.len()),
            "filter GET /devices by user_email exactly",
        ),
        Ok(Ok(_)) => {
            r.wrong(check, "an empty page has a next_page_token", "leave next_page_token out of the last page")
        }
        Ok(Err(refusal)) => r.wrong(check, format!("refused: {refusal}"), "answer 200 {\"devices\": []}"),
        Err(e) => r.wrong(check, e.to_string(), fix_for(&e)),
    }
}

fn role_like<T: std::fmt::Debug>(
    r: &mut Report,
    check: &str,
    answer: Result<Result<T, crate::driver::Refusal>, DriverError>,
    fix: &str,
) {
    match answer {
        Ok(Err(refusal)) if refusal.status == 400 && refusal.code() == "INVALID_ARGUMENT" => {
            r.ok(format!("{check}: 400 INVALID_ARGUMENT"))
        }
        Ok(Err(refusal)) => r.wrong(check, format!("refused with {}", refusal_text(&refusal)), fix),
        Ok(Ok(_)) => r.wrong(check, "answered 200", fix),
        Err(e) => r.wrong(check, e.to_string(), fix),
    }
}

/// Signing out ends the session: the token is refused afterwards.
async fn sign_out(mdm: &Mdm, token: &str, r: &mut Report) {
    let check = "DELETE /sessions/current";
    match mdm.current_session(token).await {
        Ok(Ok(_)) => r.ok("GET /sessions/current"),
        Ok(Err(refusal)) => {
            r.wrong("GET /sessions/current", format!("refused: {refusal}"), "answer the signed-in account")
        }
        Err(e) => r.wrong("GET /sessions/current", e.to_string(), fix_for(&e)),
    }
    match mdm.sign_out(token).await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return r.wrong(check, format!("refused: {refusal}"), "answer 204 and end the session"),
        Err(e) => return r.wrong(check, e.to_string(), fix_for(&e)),
    }
    match mdm.current_session(token).await {
        Ok(Err(refusal)) if refusal.status == 401 && refusal.code() == "UNAUTHENTICATED" => {
            r.ok(format!("{check}: the ended session's token is refused with 401 UNAUTHENTICATED"))
        }
        Ok(Err(refusal)) => r.wrong(
            check,
            format!("after sign-out the token is refused with {}", refusal_text(&refusal)),
            "refuse an ended session's token with 401 UNAUTHENTICATED",
        ),
        Ok(Ok(_)) => r.wrong(
            check,
            "after sign-out the token still answers GET /sessions/current with 200",
            "end the session: refuse its token with 401 UNAUTHENTICATED from then on (docs/driver-protocol.md, Sessions)",
        ),
        Err(e) => r.wrong(check, e.to_string(), fix_for(&e)),
    }
}
