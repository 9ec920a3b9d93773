//! The Pub/Sub API over gRPC (`google.pubsub.v1.Publisher` and
//! `google.pubsub.v1.Subscriber`), with the message types of the
//! `googleapis-tonic-google-pubsub-v1` crate and tonic's server codec, as
//! an axum router (the methods are routed by path, as gRPC does).
//!
//! Served: CreateTopic, GetTopic, ListTopics, DeleteTopic, Publish,
//! ListTopicSubscriptions; CreateSubscription, GetSubscription,
//! ListSubscriptions, DeleteSubscription, Pull, StreamingPull, Acknowledge,
//! ModifyAckDeadline. Every other method answers UNIMPLEMENTED.
//!
//! Our choices: no paging (every list fits one page); subscription features
//! the emulator does not offer (filter, dead-letter policy, exactly-once
//! delivery, BigQuery/Cloud Storage/Bigtable export, unwrapped push) are
//! refused with UNIMPLEMENTED rather than ignored; labels, retention,
//! expiration and retry policies are accepted and have no effect; message
//! ordering is accepted (AMAPI publishes no ordering keys).

use super::pull::Received;
use super::topics::{check_ack_deadline, MIN_ACK_DEADLINE_SECONDS};
use super::{OidcToken, PubSub, SubscriptionConfig, MAX_MESSAGES};
use crate::errors::ApiError;
use crate::Mock;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use futures::Stream;
use googleapis_tonic_google_pubsub_v1::google::pubsub::v1 as pb;
use pb::push_config::AuthenticationMethod;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The gRPC half of the emulator.
pub(crate) fn router(mock: Mock) -> Router {
    Router::new()
        .route("/google.pubsub.v1.Publisher/{method}", post(publisher))
        .route("/google.pubsub.v1.Subscriber/{method}", post(subscriber))
        .with_state(mock)
}

fn status(e: ApiError) -> tonic::Status {
    tonic::Status::new(tonic::Code::from(e.code.number()), e.message)
}

fn unimplemented(service: &str, method: &str) -> Response {
    status(ApiError::unimplemented(&format!("{service}.{method}"))).into_http()
}

/// Decode one request, run `f`, encode its answer (or its error as a gRPC status).
async fn unary<Req, Res, F, Fut>(request: Request, f: F) -> Response
where
    Req: prost::Message + Default + Send + 'static,
    Res: prost::Message + Send + 'static,
    F: FnOnce(Req) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Res, ApiError>> + Send + 'static,
{
    let service = tower::service_fn(move |r: tonic::Request<Req>| {
        let f = f.clone();
        async move { f(r.into_inner()).await.map(tonic::Response::new).map_err(status) }
    });
    let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<Res, Req>::default());
    grpc.unary(service, request).await.map(axum::body::Body::new)
}

async fn publisher(State(mock): State<Mock>, Path(method): Path<String>, request: Request) -> Response {
    let ps = mock.pubsub().clone();
    match method.as_str() {
        "CreateTopic" => {
            unary(request, move |t: pb::Topic| async move { ps.create_topic(&t.name).map(|()| topic(t.name)) }).await
        }
        "GetTopic" => {
            unary(request, move |r: pb::GetTopicRequest| async move { ps.get_topic(&r.topic).map(|()| topic(r.topic)) })
                .await
        }
        "ListTopics" => {
            unary(request, move |r: pb::ListTopicsRequest| async move {
                let project = r.project.strip_prefix("projects/").unwrap_or(&r.project);
                Ok(pb::ListTopicsResponse {
                    topics: ps.topics(project).into_iter().map(topic).collect(),
                    next_page_token: String::new(),
                })
            })
            .await
        }
        "DeleteTopic" => {
            unary(request, move |r: pb::DeleteTopicRequest| async move { ps.delete_topic(&r.topic) }).await
        }
        "ListTopicSubscriptions" => {
            unary(request, move |r: pb::ListTopicSubscriptionsRequest| async move {
                Ok(pb::ListTopicSubscriptionsResponse {
                    subscriptions: ps.topic_subscriptions(&r.topic)?,
                    next_page_token: String::new(),
                })
            })
            .await
        }
        "Publish" => {
            unary(request, move |r: pb::PublishRequest| async move {
                let messages = r
                    .messages
                    .into_iter()
                    .map(|m| (bytes::Bytes::from(m.data), m.attributes.into_iter().collect()))
                    .collect();
                let message_ids = ps.publish_raw(&r.topic, messages, mock.now())?;
                Ok(pb::PublishResponse { message_ids })
            })
            .await
        }
        other => unimplemented("google.pubsub.v1.Publisher", other),
    }
}

async fn subscriber(State(mock): State<Mock>, Path(method): Path<String>, request: Request) -> Response {
    let ps = mock.pubsub().clone();
    match method.as_str() {
        "CreateSubscription" => {
            unary(
                request,
                move |s: pb::Subscription| async move { ps.create_subscription(from_proto(s)?).map(to_proto) },
            )
            .await
        }
        "GetSubscription" => {
            unary(request, move |r: pb::GetSubscriptionRequest| async move {
                ps.get_subscription(&r.subscription).map(to_proto)
            })
            .await
        }
        "ListSubscriptions" => {
            unary(request, move |r: pb::ListSubscriptionsRequest| async move {
                let project = r.project.strip_prefix("projects/").unwrap_or(&r.project);
                Ok(pb::ListSubscriptionsResponse {
                    subscriptions: ps.subscription_configs(Some(project)).into_iter().map(to_proto).collect(),
                    next_page_token: String::new(),
                })
            })
            .await
        }
        "DeleteSubscription" => {
            unary(
                request,
                move |r: pb::DeleteSubscriptionRequest| async move { ps.delete_subscription(&r.subscription) },
            )
            .await
        }
        "Pull" => {
            unary(request, move |r: pb::PullRequest| async move {
                #[allow(deprecated)]
                let immediately = r.return_immediately;
                let got = ps.pull(&r.subscription, r.max_messages, immediately).await?;
                Ok(pb::PullResponse { received_messages: got.into_iter().map(received).collect() })
            })
            .await
        }
        "Acknowledge" => {
            unary(request, move |r: pb::AcknowledgeRequest| async move { ps.acknowledge(&r.subscription, &r.ack_ids) })
                .await
        }
        "ModifyAckDeadline" => {
            unary(request, move |r: pb::ModifyAckDeadlineRequest| async move {
                ps.modify_ack_deadline(&r.subscription, &r.ack_ids, r.ack_deadline_seconds)
            })
            .await
        }
        "StreamingPull" => streaming_pull(ps, request).await,
        other => unimplemented("google.pubsub.v1.Subscriber", other),
    }
}

fn topic(name: String) -> pb::Topic {
    pb::Topic { name, ..Default::default() }
}

fn unsupported(what: &str) -> ApiError {
    ApiError::unimplemented(&format!("Subscription {what}"))
}

/// A Subscription as CreateSubscription receives it.
fn from_proto(s: pb::Subscription) -> Result<SubscriptionConfig, ApiError> {
    if !s.filter.is_empty() {
        return Err(unsupported("filter"));
    }
    if s.dead_letter_policy.is_some() {
        return Err(unsupported("deadLetterPolicy"));
    }
    if s.enable_exactly_once_delivery {
        return Err(unsupported("enableExactlyOnceDelivery"));
    }
    if s.bigquery_config.is_some() || s.cloud_storage_config.is_some() || s.bigtable_config.is_some() {
        return Err(unsupported("export (BigQuery, Cloud Storage, Bigtable)"));
    }
    let (push_endpoint, oidc_token) = match s.push_config {
        Some(p) if !p.push_endpoint.is_empty() => {
            if matches!(p.wrapper, Some(pb::push_config::Wrapper::NoWrapper(_))) {
                return Err(unsupported("pushConfig.noWrapper"));
            }
            let oidc = match p.authentication_method {
                Some(AuthenticationMethod::OidcToken(t)) => {
                    Some(OidcToken { service_account_email: t.service_account_email, audience: t.audience })
                }
                None => None,
            };
            (Some(p.push_endpoint), oidc)
        }
        _ => (None, None),
    };
    Ok(SubscriptionConfig {
        name: s.name,
        topic: s.topic,
        ack_deadline_seconds: u32::try_from(s.ack_deadline_seconds).unwrap_or(u32::MAX),
        push_endpoint,
        oidc_token,
    })
}

fn to_proto(c: SubscriptionConfig) -> pb::Subscription {
    let push_config = c.push_endpoint.map(|push_endpoint| pb::PushConfig {
        push_endpoint,
        authentication_method: c.oidc_token.map(|t| {
            AuthenticationMethod::OidcToken(pb::push_config::OidcToken {
                service_account_email: t.service_account_email,
                audience: t.audience,
            })
        }),
        ..Default::default()
    });
    pb::Subscription {
        name: c.name,
        topic: c.topic,
        push_config,
        ack_deadline_seconds: i32::try_from(c.ack_deadline_seconds).unwrap_or(i32::MAX),
        ..Default::default()
    }
}

fn received(r: Received) -> pb::ReceivedMessage {
    let ms = r.message.publish_time.as_unix_millis();
    pb::ReceivedMessage {
        ack_id: r.ack_id,
        message: Some(pb::PubsubMessage {
            data: r.message.data.to_vec(),
            attributes: r.message.attributes.into_iter().collect(),
            message_id: r.message.id,
            publish_time: Some(prost_types::Timestamp {
                seconds: ms.div_euclid(1000),
                nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or_default(),
            }),
            ordering_key: String::new(),
        }),
        delivery_attempt: 0,
    }
}

// ----- StreamingPull ------------------------------------------------------------

type PullStream = Pin<Box<dyn Stream<Item = Result<pb::StreamingPullResponse, tonic::Status>> + Send>>;

async fn streaming_pull(ps: PubSub, request: Request) -> Response {
    let service = tower::service_fn(move |r: tonic::Request<tonic::Streaming<pb::StreamingPullRequest>>| {
        let ps = ps.clone();
        async move { open_stream(ps, r.into_inner()).await.map(tonic::Response::new).map_err(status) }
    });
    let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<
        pb::StreamingPullResponse,
        pb::StreamingPullRequest,
    >::default());
    grpc.streaming(service, request).await.map(axum::body::Body::new)
}

fn stream_deadline(seconds: i32) -> Result<Duration, ApiError> {
    let s = u32::try_from(seconds).unwrap_or(0);
    check_ack_deadline("streamAckDeadlineSeconds", s, MIN_ACK_DEADLINE_SECONDS)?;
    Ok(Duration::from_secs(u64::from(s)))
}

/// Acks and deadline changes a StreamingPullRequest carries.
fn apply(ps: &PubSub, subscription: &str, r: &pb::StreamingPullRequest) -> Result<(), ApiError> {
    if r.modify_deadline_seconds.len() != r.modify_deadline_ack_ids.len() {
        return Err(ApiError::invalid_argument(
            "modifyDeadlineSeconds",
            "modifyDeadlineSeconds and modifyDeadlineAckIds must have the same length.",
        ));
    }
    if !r.ack_ids.is_empty() {
        ps.acknowledge(subscription, &r.ack_ids)?;
    }
    for (id, seconds) in r.modify_deadline_ack_ids.iter().zip(&r.modify_deadline_seconds) {
        ps.modify_ack_deadline(subscription, std::slice::from_ref(id), *seconds)?;
    }
    Ok(())
}

/// The first request names the subscription and the stream's ack deadline;
/// then messages flow out as they arrive (at most `maxOutstandingMessages`
/// leased to this stream at once), and acks and deadline changes flow in
/// (Google's client sends those as unary calls instead; both work).
async fn open_stream(
    ps: PubSub,
    mut input: tonic::Streaming<pb::StreamingPullRequest>,
) -> Result<PullStream, ApiError> {
    let first = input
        .message()
        .await
        .map_err(|e| ApiError::invalid_argument("subscription", e.message()))?
        .ok_or_else(|| ApiError::invalid_argument("subscription", "The stream ended before its first request."))?;
    let (queue, _) = ps.pull_queue(&first.subscription)?;
    let mut deadline = stream_deadline(first.stream_ack_deadline_seconds)?;
    apply(&ps, &first.subscription, &first)?;
    let cap = usize::try_from(first.max_outstanding_messages).ok().filter(|n| *n > 0).unwrap_or(usize::MAX);
    let subscription = first.subscription;
    let (tx, rx) = mpsc::channel::<Result<pb::StreamingPullResponse, tonic::Status>>(4);
    tokio::spawn(tracing::Instrument::in_current_span(async move {
        let mut mine: Vec<String> = Vec::new();
        loop {
            let arrived = queue.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if queue.is_closed() {
                let _ = tx
                    .send(Err(status(ApiError::new(
                        crate::Code::NotFound,
                        format!("Resource not found (resource={subscription})."),
                    ))))
                    .await;
                return;
            }
            mine.retain(|id| queue.is_leased(id));
            let room = cap.saturating_sub(mine.len()).min(MAX_MESSAGES);
            let got = if room > 0 { queue.take(room, deadline) } else { Vec::new() };
            if !got.is_empty() {
                mine.extend(got.iter().map(|r| r.ack_id.clone()));
                let response = pb::StreamingPullResponse {
                    received_messages: got.into_iter().map(received).collect(),
                    subscription_properties: Some(pb::streaming_pull_response::SubscriptionProperties {
                        exactly_once_delivery_enabled: false,
                        message_ordering_enabled: false,
                    }),
                    ..Default::default()
                };
                if tx.send(Ok(response)).await.is_err() {
                    return;
                }
                continue;
            }
            let until = queue.next_change().unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                () = arrived => {}
                () = tokio::time::sleep_until(until.into()) => {}
                () = tx.closed() => return,
                next = input.message() => match next {
                    Ok(Some(r)) => {
                        let changed = match r.stream_ack_deadline_seconds {
                            0 => Ok(()),
                            s => stream_deadline(s).map(|d| deadline = d),
                        };
                        if let Err(e) = changed.and_then(|()| apply(&ps, &subscription, &r)) {
                            let _ = tx.send(Err(status(e))).await;
                            return;
                        }
                    }
                    // The client closed its side (or went): the stream ends;
                    // what it leased and did not ack comes back after its deadline.
                    Ok(None) | Err(_) => return,
                },
            }
        }
    }));
    Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) })))
}
