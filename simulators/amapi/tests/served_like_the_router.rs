//! Over the network the mock serves its handler without the axum router
//! around it; these answers must be the router's (status, the headers
//! axum's top-level route sets, body), HEAD and errors included.

#![allow(clippy::unwrap_used)]

use amapi_mock::{serve_mock, EnterpriseSetup, Mock, MockConfig};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tower::ServiceExt;

type Seen = (u16, Option<String>, Option<String>, Bytes);

fn seen(status: http::StatusCode, headers: &http::HeaderMap, body: Bytes) -> Seen {
    let h = |name: http::header::HeaderName| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    (status.as_u16(), h(http::header::CONTENT_TYPE), h(http::header::CONTENT_LENGTH), body)
}

#[tokio::test]
async fn network_answers_are_the_routers() {
    let mock = Mock::new(MockConfig::default());
    mock.create_enterprise(EnterpriseSetup { id: "LC00same".into(), ..Default::default() }).unwrap();
    let running = serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let stream = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let requests: [(&str, &str, &str); 7] = [
        ("GET", "/v1/enterprises/LC00same?alt=json", ""),
        ("HEAD", "/v1/enterprises/LC00same", ""),
        ("GET", "/v1/enterprises/LC00same/devices?prettyPrint=false", ""),
        ("POST", "/v1/enterprises/LC00same/devices/nope:issueCommand", r#"{"type":"LOCK"}"#),
        ("GET", "/v1/enterprises/LC00same/devices/nope/operations/1", ""),
        ("GET", "/v2/nothing", ""),
        ("HEAD", "/v2/nothing", ""),
    ];
    for (method, uri, body) in requests {
        let build = || {
            http::Request::builder()
                .method(method)
                .uri(uri)
                .header("host", "127.0.0.1")
                .body(Full::new(Bytes::from_static(body.as_bytes())))
                .unwrap()
        };
        let resp = sender.send_request(build()).await.unwrap();
        let (parts, b) = resp.into_parts();
        let network = seen(parts.status, &parts.headers, b.collect().await.unwrap().to_bytes());
        let resp = mock.router().oneshot(build().map(axum::body::Body::new)).await.unwrap();
        let (parts, b) = resp.into_parts();
        let routed = seen(parts.status, &parts.headers, b.collect().await.unwrap().to_bytes());
        assert_eq!(network, routed, "{method} {uri}");
    }
    running.shutdown().await.unwrap();
}
