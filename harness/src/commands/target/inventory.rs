//! The checks of `lockstep target check` that need devices in the MDM,
//! run with `--amapi-listen ADDR`: the check serves an AMAPI mock where the
//! MDM is configured to find AMAPI, enrolls three simulated devices for one
//! end user through `POST /enrollments`, and then checks the role rules of
//! the device page on a real device and lists of more than one page.

use super::{fix_for, role_rule, People, Person, Report};
use crate::cli::TargetCheckArgs;
use crate::driver::{ActionFilter, Answer, DriverError, Mdm, NewEnrollment, PageRequest};
use amapi_mock::{Registration, RunningMock};
use android_sim::Ownership;
use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What these checks cover, as the report names them when they do not run.
pub(super) const NEEDS_DEVICES: &str = "role rules on a device's page and lists of more than one page";

/// How many devices the check enrolls: three pages of one, two pages of two.
const DEVICES: usize = 3;

/// The device profile and ownership every device of the check enrolls as:
/// one every vendor profile enrolls.
const PROFILE: &str = "google-pixel-8";

const DOC: &str = "docs/driver-protocol.md";

/// Where to serve the mock the MDM will call, and where it pushes.
#[derive(Debug)]
pub(super) struct Devices {
    fixtures: PathBuf,
    amapi: SocketAddr,
    push_endpoint: Option<String>,
}

impl Devices {
    /// `--amapi-listen` and `--push-endpoint`; `None` without the first.
    pub(super) fn from_args(args: &TargetCheckArgs, fixtures: &Path) -> Result<Option<Devices>, String> {
        let Some(amapi) = args.amapi_listen else { return Ok(None) };
        if let Some(push) = &args.push_endpoint {
            if !(push.starts_with("http://") || push.starts_with("https://")) {
                return Err(format!(
                    "--push-endpoint: `{push}` is not an http(s) URL, e.g. http://mdm.internal:8080/pubsub/amapi"
                ));
            }
        }
        Ok(Some(Devices { fixtures: fixtures.to_owned(), amapi, push_endpoint: args.push_endpoint.clone() }))
    }

    /// Serve the mock, enroll the devices and run the checks on them.
    pub(super) async fn check(&self, url: &str, mdm: &Mdm, people: &People, lock: bool, r: &mut Report) {
        let (Some(admin), Some(user)) = (&people.site_admin, &people.end_user) else {
            return r.wrong(
                format!("enrollment for {NEEDS_DEVICES}"),
                "no site administrator and end user are signed in to enroll devices with",
                "mend the account and sign-in checks above first",
            );
        };
        let push = self.push_endpoint.clone().unwrap_or_else(|| crate::stack::push_endpoint_of(url));
        // A seed of its own: a later run's mock then names its devices and
        // enrollment tokens otherwise, and an MDM that keeps this check's
        // devices never mistakes one for another.
        let seed = super::now_nanos() as u64;
        let mock = match crate::stack::serve_external_mock(&self.fixtures, seed, self.amapi, &push).await {
            Ok(m) => m,
            Err(e) => {
                return r.wrong(
                    "enrollment",
                    format!("could not serve the AMAPI mock at {}: {e}", self.amapi),
                    "pass an --amapi-listen address free on this machine: the one the MDM is configured to call",
                )
            }
        };
        if let Some(ids) = enroll(mdm, &mock, admin, user, &push, r).await {
            device_page_roles(mdm, people, &ids[0], r).await;
            for size in [1, 2] {
                let fetch = |token: Option<String>| async move {
                    let page = PageRequest { page_size: Some(size), page_token: token.as_deref() };
                    let answer = mdm.devices_page(&admin.token, Some(&user.email), page).await?;
                    Ok(answer.map(|l| (l.devices.into_iter().map(|d| d.id).collect(), l.next_page_token)))
                };
                let what = format!("GET /devices?user_email=<one user's {DEVICES} devices>&page_size={size}");
                paged(r, &what, size, &ids, fetch).await;
            }
            if lock {
                action_pages(mdm, admin, &ids[0], r).await;
            }
        }
        let _ = mock.shutdown().await;
    }
}

/// Enroll [`DEVICES`] devices for `user` and wait until the MDM lists them
/// all among the user's devices; their MDM ids, in enrollment order.
async fn enroll(
    mdm: &Mdm,
    mock: &RunningMock,
    admin: &Person,
    user: &Person,
    push: &str,
    r: &mut Report,
) -> Option<Vec<String>> {
    let check = format!("enrollment: {DEVICES} devices for one end user");
    let mut names = Vec::new();
    for _ in 0..DEVICES {
        let request = NewEnrollment { ownership: "fully-managed", user_email: &user.email, password_policy: None };
        let token = match mdm.enroll(&admin.token, &request).await {
            Ok(Ok(e)) => e.enrollment_token,
            Ok(Err(refusal)) => {
                r.wrong(
                    check,
                    format!("POST /enrollments was refused: {refusal}"),
                    "answer 201 with the AMAPI enrollment token's value for site administrators",
                );
                return None;
            }
            Err(e) => {
                let fix = fix_for(&e);
                r.wrong(check, e.to_string(), fix);
                return None;
            }
        };
        match mock.mock().register_device(&Registration::new(token, PROFILE, Ownership::FullyManaged)) {
            Ok(name) => names.push(name),
            Err(e) => {
                r.wrong(check, format!("a device could not enroll with the token POST /enrollments gave: {e}"), "answer `enrollment_token` with the token's value from AMAPI's enrollmentTokens.create, on the enterprise the mock serves (enterprises/LC0lockstep)");
                return None;
            }
        }
    }
    let patience = crate::patience::current();
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        // One page big enough for all: this waits for the devices, the
        // pagination checks come after.
        let page = PageRequest { page_size: Some(1000), page_token: None };
        let listed = match mdm.devices_page(&admin.token, Some(&user.email), page).await {
            Ok(Ok(list)) => list.devices,
            Ok(Err(refusal)) => {
                r.wrong(
                    check,
                    format!("GET /devices?user_email= was refused: {refusal}"),
                    "answer a site administrator's device list",
                );
                return None;
            }
            Err(e) => {
                let fix = fix_for(&e);
                r.wrong(check, e.to_string(), fix);
                return None;
            }
        };
        let ids: Vec<String> =
            names.iter().filter_map(|n| listed.iter().find(|d| &d.amapi_name == n).map(|d| d.id.clone())).collect();
        if ids.len() == DEVICES {
            r.ok(check);
            return Some(ids);
        }
        if tokio::time::Instant::now() >= deadline {
            r.wrong(
                check,
                format!(
                    "waited {}: the MDM listed {} of the {DEVICES} devices enrolled for {}",
                    crate::patience::describe(patience),
                    ids.len(),
                    user.email
                ),
                format!("take AMAPI's ENROLLMENT notifications (pushed to {push}) or list the enterprise's devices, and list each device under the user its enrollment token was made for"),
            );
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The device page and its security section, role by role, on a real device.
async fn device_page_roles(mdm: &Mdm, people: &People, id: &str, r: &mut Report) {
    let fix_hidden = format!("leave the `security` key out of the device page for every role but site administrators ({DOC}, Devices and the device page)");
    if let Some(admin) = &people.site_admin {
        let check = "role rules: a site administrator's device page";
        match mdm.device_page(&admin.token, id).await {
            Ok(Ok(page)) if page.security.is_some() => r.ok(format!("{check} carries `security`")),
            Ok(Ok(_)) => r.wrong(check, "it has no `security` section", "give site administrators `security: {latest_reset_passcode, action_id, reset_at}` on the device page (latest_reset_passcode null before any completed reset)"),
            Ok(Err(refusal)) => r.wrong(check, format!("refused: {refusal}"), "answer the device page to site administrators"),
            Err(e) => {
                let fix = fix_for(&e);
                r.wrong(check, e.to_string(), fix)
            }
        }
    }
    for (role, person) in [("an administrator", &people.admin), ("a helpdesk user", &people.helpdesk)] {
        let Some(person) = person else { continue };
        let check = format!("role rules: {role}'s device page");
        match mdm.device_page(&person.token, id).await {
            Ok(Ok(page)) if page.security.is_none() => r.ok(format!("{check} has no `security`")),
            Ok(Ok(_)) => r.wrong(check, "it carries `security` (the latest reset passcode)", fix_hidden.clone()),
            Ok(Err(refusal)) => r.wrong(
                check,
                format!("refused: {refusal}"),
                "answer the device page, without `security`, to every console role",
            ),
            Err(e) => {
                let fix = fix_for(&e);
                r.wrong(check, e.to_string(), fix)
            }
        }
        role_rule(
            r,
            &format!("{role} asking for GET /devices/{{id}}/security"),
            mdm.security(&person.token, id).await,
            403,
            "FORBIDDEN",
            "refuse the latest reset passcode to every role but site administrators with 403 FORBIDDEN",
        );
    }
    if let Some(user) = &people.end_user {
        role_rule(
            r,
            "an end user asking for the console's page of their own device",
            mdm.device_page(&user.token, id).await,
            403,
            "FORBIDDEN",
            "refuse end users the console's device page (403 FORBIDDEN); they see their devices in the portal",
        );
    }
}

/// Two locks of one device, then its action log in pages of one.
async fn action_pages(mdm: &Mdm, admin: &Person, id: &str, r: &mut Report) {
    let mut actions = Vec::new();
    for _ in 0..2 {
        match mdm.lock(&admin.token, id).await {
            Ok(Ok(accepted)) => actions.push(accepted.action_id),
            Ok(Err(refusal)) => {
                return r.wrong(
                    "pagination: GET /actions",
                    format!("POST /devices/{{id}}/lock, to make two actions, was refused: {refusal}"),
                    "accept a site administrator's lock with 202",
                )
            }
            Err(e) => {
                let fix = fix_for(&e);
                return r.wrong("pagination: GET /actions", e.to_string(), fix);
            }
        }
    }
    let fetch = |token: Option<String>| async move {
        let filter = ActionFilter { device_id: Some(id), status: None };
        let page = PageRequest { page_size: Some(1), page_token: token.as_deref() };
        let answer = mdm.actions_page(&admin.token, &filter, page).await?;
        Ok(answer.map(|l| (l.actions.into_iter().map(|a| a.id).collect(), l.next_page_token)))
    };
    paged(r, "GET /actions?device_id=<a device with 2 actions>&page_size=1", 1, &actions, fetch).await;
    // Let the locks finish while the mock still answers, so the MDM is not
    // left with actions to send to an AMAPI that is gone.
    let deadline = tokio::time::Instant::now() + crate::patience::current();
    for id in &actions {
        while tokio::time::Instant::now() < deadline {
            match mdm.action(&admin.token, id).await {
                Ok(Ok(action)) if !action.is_terminal() => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await
                }
                _ => break,
            }
        }
    }
}

/// One page: the ids on it and the token of the next.
type Page = (Vec<String>, Option<String>);

/// Follow `fetch` from the first page to the last, and check that the pages
/// hold `expected` each exactly once, at most `size` a page, and end.
async fn paged<F, Fut>(r: &mut Report, what: &str, size: u32, expected: &[String], mut fetch: F)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Answer<Page>, DriverError>>,
{
    let check = format!("pagination: {what}");
    let fix_follow = format!("give `next_page_token` on every page but the last, and start the page it names right after the entries already given, so that following the tokens lists each entry once ({DOC}, Pagination)");
    let (mut seen, mut tokens, mut pages) = (Vec::<String>::new(), BTreeSet::new(), 0);
    let mut token: Option<String> = None;
    // Enough pages for every entry and one more, then it is not ending.
    let most = expected.len() + 1;
    loop {
        pages += 1;
        let (ids, next) = match fetch(token.clone()).await {
            Ok(Ok(page)) => page,
            Ok(Err(refusal)) => return r.wrong(check, format!("page {pages} was refused: {refusal}"), fix_follow),
            Err(e) => return r.wrong(check, format!("page {pages}: {e}"), fix_for(&e)),
        };
        if ids.len() > size as usize {
            return r.wrong(
                check,
                format!("page {pages} holds {} entries", ids.len()),
                format!("answer at most page_size entries a page ({DOC}, Pagination)"),
            );
        }
        seen.extend(ids);
        match next {
            None => break,
            Some(t) if !tokens.insert(t.clone()) => {
                return r.wrong(check, format!("page {pages} gave a next_page_token an earlier page gave"), fix_follow)
            }
            Some(_) if pages >= most => {
                return r.wrong(
                    check,
                    format!("{pages} pages for {} entries and still a next_page_token", expected.len()),
                    fix_follow,
                )
            }
            Some(t) => token = Some(t),
        }
    }
    let mut counted = std::collections::BTreeMap::<&str, usize>::new();
    for id in &seen {
        *counted.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<&str> = counted.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id).collect();
    let missing: Vec<&str> = expected.iter().map(String::as_str).filter(|id| !counted.contains_key(id)).collect();
    let others: Vec<&str> = counted.keys().copied().filter(|id| !expected.iter().any(|e| e == id)).collect();
    let mut wrong = Vec::new();
    if !twice.is_empty() {
        wrong.push(format!("listed {} more than once", twice.join(", ")));
    }
    if !missing.is_empty() {
        wrong.push(format!("never listed {}", missing.join(", ")));
    }
    if !others.is_empty() {
        wrong.push(format!("listed {}, which the filter excludes", others.join(", ")));
    }
    if wrong.is_empty() {
        r.ok(format!("{check}: {pages} pages, each of the {} entries once", expected.len()));
    } else {
        r.wrong(check, format!("following next_page_token over {pages} pages {}", wrong.join("; ")), fix_follow);
    }
}
