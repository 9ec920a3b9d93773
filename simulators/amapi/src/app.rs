//! The HTTP face of a mock: the axum router, and the path every AMAPI
//! request takes through it: resolve the method, let the fault plan speak
//! (latency, or an error before any state is touched), check the bearer
//! token, run the method under the state lock, publish what it caused,
//! answer in Google's JSON, and journal it.

use crate::errors::{ApiError, Code};
use crate::faults::{After, Target};
use crate::journal::{redacted_body, Record};
use crate::operations::Form;
use crate::routes::{self, Call};
use crate::tolerance::Finding;
use crate::wire::{self, Answer, Query};
use crate::world::{Now, World};
use crate::{apps, commands, devices, enrollment, enterprises, migration, operations, policies, signup, webapps, Mock};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;
use std::time::Instant;

/// Request bodies larger than this are refused (AMAPI bodies are small).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The control surface's path prefix, outside AMAPI's `/v1/`.
pub const CONTROL_PREFIX: &str = "/_lockstep/";

pub(crate) fn router(mock: Mock) -> Router {
    Router::new().fallback(handle).with_state(mock)
}

/// What [`router`] serves, as a hyper service without the router around
/// its one fallback handler: the same answers, as axum's top-level route
/// finishes them (a `content-length` for a body of known size, no body
/// for HEAD or for a successful CONNECT; axum 0.8's `RouteFuture`).
pub(crate) fn service(
    mock: Mock,
) -> impl hyper::service::Service<
    http::Request<hyper::body::Incoming>,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl std::future::Future<Output = Result<Response, std::convert::Infallible>> + Send + 'static,
> + Clone
       + Send
       + 'static {
    hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
        let mock = mock.clone();
        async move {
            let method = request.method().clone();
            let mut response = handle(State(mock), request.map(Body::new)).await;
            if method == http::Method::CONNECT && response.status().is_success() {
                let headers = response.headers();
                if headers.contains_key(http::header::CONTENT_LENGTH)
                    || headers.contains_key(http::header::TRANSFER_ENCODING)
                    || hyper::body::Body::size_hint(response.body()).lower() != 0
                {
                    *response.body_mut() = Body::empty();
                }
            } else {
                if !response.headers().contains_key(http::header::CONTENT_LENGTH) {
                    if let Some(size) = hyper::body::Body::size_hint(response.body()).exact() {
                        response.headers_mut().insert(http::header::CONTENT_LENGTH, HeaderValue::from(size));
                    }
                }
                if method == http::Method::HEAD {
                    *response.body_mut() = Body::empty();
                }
            }
            Ok(response)
        }
    })
}

async fn handle(State(mock): State<Mock>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::new(Code::InvalidArgument, "The request body is too large or could not be read.");
            return json_response(e.status, &e.to_body(), true);
        }
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    if path.starts_with(CONTROL_PREFIX) {
        let (status, body) = crate::control::handle(&mock, &parts.method, &path, query.as_deref(), &bytes);
        return json_response(status, &body, true);
    }
    let resolved = routes::resolve(&parts.method, &path);
    let decision = match &resolved {
        Ok(call) if mock.has_faults() => {
            let (device, operation) = (call.device_name(), call.operation_name());
            mock.decide_fault(&Target {
                route: call.id(),
                method: parts.method.as_str(),
                device: device.as_deref(),
                operation: operation.as_deref(),
            })
        }
        _ => Default::default(),
    };
    if let Some(latency) = decision.latency {
        tokio::time::sleep(latency).await;
    }
    let time = mock.now();
    let mut findings = Vec::new();
    let (status, body, pretty) = match (decision.error, &resolved) {
        (Some(fault), _) => (fault.status, Answer::Value(fault.to_body()), true),
        (None, Err(e)) => (e.status, Answer::Value(e.to_body()), true),
        (None, Ok(call)) => match execute(&mock, call, query.as_deref(), &parts.headers, &bytes, &mut findings) {
            Ok((v, pretty)) => (200, v, pretty),
            Err(e) => (e.status, Answer::Value(e.to_body()), true),
        },
    };
    let (status, body) = match decision.after {
        None => (status, body),
        Some(After::LoseAnswer(lost)) => (lost.status, Answer::Value(lost.to_body())),
        Some(After::StartOutage(id)) => {
            let body = body.into_value();
            if let Some(until) = command_deadline(&body).filter(|_| status == 200) {
                mock.start_outage(&id, until);
            }
            (status, Answer::Value(body))
        }
    };
    let out = Bytes::from(body.into_bytes(pretty));
    let call = resolved.as_ref().ok();
    // Strict mode: what Google merely tolerates is a finding and a warning.
    let findings = if mock.is_strict() { findings } else { Vec::new() };
    for f in &findings {
        tracing::warn!(target: "amapi_mock::strict", field = %f.field, rule = %f.rule, source = %f.source,
            "{} {}: Google tolerates this, the canonical form is {}", parts.method, path, f.canonical);
    }
    mock.record(Record {
        seq: 0,
        method: parts.method.clone(),
        path,
        query,
        route: call.map(Call::id),
        enterprise: call.and_then(Call::enterprise).map(str::to_owned),
        status,
        time,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        request: redacted_body(&bytes),
        response: out.clone(),
        fault: decision.label,
        findings: findings.clone(),
    });
    let mut response = bytes_response(status, out);
    if let Some(warning) = strict_warning(&findings) {
        response.headers_mut().insert(http::header::WARNING, warning);
    }
    response
}

/// An RFC 7234 `Warning: 199` naming each tolerated field and rule.
fn strict_warning(findings: &[Finding]) -> Option<HeaderValue> {
    if findings.is_empty() {
        return None;
    }
    let what: Vec<String> = findings.iter().map(|f| format!("{} ({})", f.field, f.rule)).collect();
    let text = format!("199 lockstep-amapi \"tolerated, not canonical: {}\"", what.join(", ").replace('"', "'"));
    HeaderValue::from_str(&text).ok()
}

/// When the command an issueCommand answer describes expires.
fn command_deadline(operation: &Value) -> Option<crate::Timestamp> {
    let metadata = operation.get("metadata")?;
    let created = crate::Timestamp::parse_rfc3339(metadata.get("createTime")?.as_str()?)?;
    let duration = crate::clock::parse_duration(metadata.get("duration")?.as_str()?)?;
    Some(created.plus(duration))
}

pub(crate) fn json_response(status: u16, body: &Value, pretty: bool) -> Response {
    bytes_response(status, Bytes::from(wire::to_json_bytes(body, pretty)))
}

fn bytes_response(status: u16, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    response
}

/// The bearer token of a request, if it carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// Run one resolved call. Returns the body and whether to pretty-print.
fn execute(
    mock: &Mock,
    call: &Call,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
    findings: &mut Vec<Finding>,
) -> Result<(Answer, bool), ApiError> {
    let mut q = Query::parse(raw_query)?;
    // Unknown parameters are refused before anything happens.
    q.check_known(routes::query_parameters(call.id()))?;
    let token = bearer(headers);
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    let now = mock.now_pair();
    let mut world = mock.world();
    world.prepare_outbox();
    if let Some(e) = call.enterprise() {
        enterprises::authorize(&world, e, token)?;
    }
    commands::expire_due(&mut world, now);
    let result = dispatch(&mut world, call, &mut q, Context { token, host, body, now, findings });
    let outgoing = world.drain_notifications();
    let callbacks = world.drain_callbacks();
    drop(world);
    mock.publish(outgoing);
    mock.follow_callbacks(callbacks);
    let answer = result?;
    let answer = match &q.fields {
        Some(fields) => Answer::Value(crate::partial::trim(fields, &answer.into_value())?),
        None => answer,
    };
    Ok((answer, q.pretty))
}

/// Run a call on the state (already authorized). Errors here leave the
/// state as it was: every check comes before the first change.
/// What a call has besides its path and query.
struct Context<'a> {
    token: Option<&'a str>,
    host: Option<&'a str>,
    body: &'a Bytes,
    now: Now,
    /// What Google would merely tolerate in the body.
    findings: &'a mut Vec<Finding>,
}

fn dispatch(world: &mut World, call: &Call, q: &mut Query, cx: Context<'_>) -> Result<Answer, ApiError> {
    let Context { token, host, body, now, findings } = cx;
    // The two calls an MDM makes most are serialized straight from the
    // operation, unless a `fields` selection has to trim a value first.
    let form = Form::of(q);
    if form != Form::Value {
        match call {
            Call::DevicesIssueCommand { e, d } => {
                enterprise(world, e)?;
                let body = wire::parse_body_noting(body, "Command", "command", findings)?;
                return commands::issue(world, e, d, body, now, form);
            }
            Call::OperationsGet { e, d, o } => return operations::get(enterprise(world, e)?, d, o, form),
            _ => {}
        }
    }
    dispatch_value(world, call, q, Context { token, host, body, now, findings }).map(Answer::Value)
}

fn dispatch_value(world: &mut World, call: &Call, q: &mut Query, cx: Context<'_>) -> Result<Value, ApiError> {
    let Context { token, host, body, now, findings } = cx;
    match call {
        Call::EnterprisesCreate => {
            let body = wire::parse_body_noting(body, "Enterprise", "enterprise", findings)?;
            enterprises::create(world, body, q)
        }
        Call::EnterprisesList => enterprises::list(world, q, token),
        Call::EnterprisesGet { e } => enterprises::get(world, e),
        Call::EnterprisesPatch { e } => {
            let body = wire::parse_body_noting(body, "Enterprise", "enterprise", findings)?;
            let mask = q.take("updateMask");
            enterprises::patch(world, e, body, mask)
        }
        Call::EnterprisesDelete { e } => enterprises::delete(world, e),
        Call::DevicesList { e } => devices::list(enterprise(world, e)?, q),
        Call::DevicesGet { e, d } => devices::get(enterprise(world, e)?, d),
        Call::DevicesPatch { e, d } => {
            let body = wire::parse_body_noting(body, "Device", "device", findings)?;
            let mask = q.take("updateMask");
            devices::patch(world, e, d, body, mask, now)
        }
        Call::DevicesDelete { e, d } => devices::delete(world, e, d, q),
        Call::DevicesIssueCommand { e, d } => {
            enterprise(world, e)?;
            let body = wire::parse_body_noting(body, "Command", "command", findings)?;
            commands::issue(world, e, d, body, now, Form::Value).map(Answer::into_value)
        }
        Call::OperationsList { e, d } => operations::list(enterprise(world, e)?, d, q),
        Call::OperationsGet { e, d, o } => {
            operations::get(enterprise(world, e)?, d, o, Form::Value).map(Answer::into_value)
        }
        Call::OperationsCancel { e, d, o } => {
            enterprise(world, e)?;
            wire::parse_body_noting(body, "Empty", "body", findings)?;
            operations::cancel(world, e, d, o)
        }
        Call::PoliciesList { e } => policies::list(enterprise(world, e)?, q),
        Call::PoliciesGet { e, p } => policies::get(enterprise(world, e)?, p),
        Call::PoliciesPatch { e, p } => {
            let body = wire::parse_body_noting(body, "Policy", "policy", findings)?;
            let mask = q.take("updateMask");
            let out = policies::patch(enterprise_mut(world, e)?, p, body, mask)?;
            devices::policy_changed(world, e, p, now);
            Ok(out)
        }
        Call::PoliciesDelete { e, p } => policies::delete(enterprise_mut(world, e)?, p),
        Call::TokensCreate { e } => {
            let body = wire::parse_body_noting(body, "EnrollmentToken", "enrollment_token", findings)?;
            enrollment::create(world, e, body, now)
        }
        Call::TokensList { e } => enrollment::list(enterprise(world, e)?, q, now),
        Call::TokensGet { e, t } => enrollment::get(enterprise(world, e)?, t),
        Call::TokensDelete { e, t } => enrollment::delete(enterprise_mut(world, e)?, t),
        Call::EnterprisesUpgradeUrl { e } => signup::upgrade_url(world, e, body, findings),
        Call::SignupUrlsCreate => signup::create(world, q, host),
        Call::ApplicationsGet { e, a } => {
            enterprise(world, e)?;
            apps::get(world, e, a, q)
        }
        Call::PoliciesModifyApplications { e, p } => {
            let out = apps::modify(world, e, p, body, findings)?;
            devices::policy_changed(world, e, p, now);
            Ok(out)
        }
        Call::PoliciesRemoveApplications { e, p } => {
            let out = apps::remove(world, e, p, body, findings)?;
            devices::policy_changed(world, e, p, now);
            Ok(out)
        }
        Call::WebAppsCreate { e } => {
            let body = wire::parse_body_noting(body, "WebApp", "web_app", findings)?;
            webapps::create(world, e, body)
        }
        Call::WebAppsList { e } => webapps::list(enterprise(world, e)?, q),
        Call::WebAppsGet { e, w } => webapps::get(enterprise(world, e)?, w),
        Call::WebAppsPatch { e, w } => {
            let body = wire::parse_body_noting(body, "WebApp", "web_app", findings)?;
            let mask = q.take("updateMask");
            webapps::patch(enterprise_mut(world, e)?, w, body, mask)
        }
        Call::WebAppsDelete { e, w } => webapps::delete(enterprise_mut(world, e)?, w),
        Call::WebTokensCreate { e } => {
            let body = wire::parse_body_noting(body, "WebToken", "web_token", findings)?;
            webapps::create_token(world, e, body)
        }
        Call::MigrationTokensCreate { e } => {
            let body = wire::parse_body_noting(body, "MigrationToken", "migration_token", findings)?;
            migration::create(world, e, body, now)
        }
        Call::MigrationTokensList { e } => migration::list(enterprise(world, e)?, q),
        Call::MigrationTokensGet { e, m } => migration::get(enterprise(world, e)?, m),
        Call::ProvisioningInfoGet { id } => migration::provisioning_info(world, id),
    }
}

fn enterprise<'w>(world: &'w World, id: &str) -> Result<&'w crate::world::Enterprise, ApiError> {
    world.enterprises.get(id).ok_or_else(|| ApiError::not_found(format!("enterprises/{id}")))
}

fn enterprise_mut<'w>(
    world: &'w mut crate::world::World,
    id: &str,
) -> Result<&'w mut crate::world::Enterprise, ApiError> {
    world.enterprises.get_mut(id).ok_or_else(|| ApiError::not_found(format!("enterprises/{id}")))
}
