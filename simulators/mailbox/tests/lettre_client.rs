#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! The sink as a real SMTP client (lettre) sees it.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mail_sink::MailSink;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const WAIT: Duration = Duration::from_secs(10);

fn transport(sink: &MailSink) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(sink.addr().ip().to_string())
        .port(sink.addr().port())
        .build()
}

fn message(to: &[&str], subject: &str, body: &str) -> Message {
    let mut b = Message::builder().from("MDM <mdm@example.test>".parse().unwrap()).subject(subject);
    for t in to {
        b = b.to(t.parse().unwrap());
    }
    b.header(ContentType::TEXT_PLAIN).body(body.to_owned()).unwrap()
}

#[tokio::test]
async fn lettre_message_is_captured_with_envelope_subject_and_body() {
    let sink = MailSink::start().await.unwrap();
    let body = "Hello,\n.a line that starts with a dot\n..two dots\nThe end.\n";
    transport(&sink).send(message(&["admin@example.test", "user@example.test"], "Passcode reset", body)).await.unwrap();
    let mails = sink.wait_for_count(1, WAIT).await.unwrap();
    let m = &mails[0];
    assert_eq!(m.from, "mdm@example.test");
    assert_eq!(m.to, vec!["admin@example.test", "user@example.test"]);
    assert_eq!(m.subject, "Passcode reset");
    assert_eq!(m.body.trim_end(), body.trim_end());
    assert_eq!(sink.messages_to("USER@example.test").len(), 1);
}

#[tokio::test]
async fn non_ascii_subject_and_body_are_decoded() {
    let sink = MailSink::start().await.unwrap();
    let body = "Código: 12345678 — ünïcödé ".repeat(10);
    transport(&sink).send(message(&["a@example.test"], "Réinitialisation du code", &body)).await.unwrap();
    let m = sink.wait_for(|m| m.is_for("a@example.test"), WAIT).await.unwrap();
    assert_eq!(m.subject, "Réinitialisation du code");
    assert_eq!(m.body.trim_end(), body.trim_end());
}

#[tokio::test]
async fn several_messages_on_one_connection_and_clear() {
    let sink = MailSink::start().await.unwrap();
    let t = transport(&sink);
    for i in 0..3 {
        t.send(message(&[&format!("u{i}@example.test")], &format!("n{i}"), "x")).await.unwrap();
    }
    let all = sink.wait_for_count(3, WAIT).await.unwrap();
    assert_eq!(all.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(), ["n0", "n1", "n2"]);
    sink.clear();
    assert!(sink.messages().is_empty());
    assert!(sink.wait_for(|_| true, Duration::from_millis(50)).await.is_none());
}

/// The commands lettre never sends on the happy path: RSET, NOOP, HELO,
/// and the ordering errors.
#[tokio::test]
async fn raw_protocol_rset_noop_and_sequence_errors() {
    let sink = MailSink::start().await.unwrap();
    let stream = tokio::net::TcpStream::connect(sink.addr()).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut say = async |line: &str| -> String {
        if !line.is_empty() {
            w.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        }
        let mut reply = String::new();
        r.read_line(&mut reply).await.unwrap();
        reply
    };
    assert!(say("").await.starts_with("220"));
    assert!(say("HELO client").await.starts_with("250"));
    assert!(say("RCPT TO:<x@y>").await.starts_with("503"));
    assert!(say("MAIL FROM:<a@b>").await.starts_with("250"));
    assert!(say("RSET").await.starts_with("250"));
    assert!(say("DATA").await.starts_with("503"));
    assert!(say("NOOP").await.starts_with("250"));
    assert!(say("VRFY x").await.starts_with("502"));
    assert!(say("MAIL FROM:<a@b>").await.starts_with("250"));
    assert!(say("RCPT TO:<x@y>").await.starts_with("250"));
    assert!(say("DATA").await.starts_with("354"));
    assert!(say("Subject: raw\r\n\r\n..dot\r\n.").await.starts_with("250"));
    assert!(say("QUIT").await.starts_with("221"));
    let m = sink.wait_for(|m| m.subject == "raw", WAIT).await.unwrap();
    assert_eq!(m.body, ".dot\n");
    assert_eq!(m.to, vec!["x@y"]);
}

/// Standard mail as MDMs send it: multipart/alternative, each part base64,
/// a UTF-8 subject. The sink's body is the text part, decoded.
#[tokio::test]
async fn multipart_alternative_with_base64_parts_is_decoded() {
    use lettre::message::{header::ContentTransferEncoding, MultiPart, SinglePart};
    let sink = MailSink::start().await.unwrap();
    let text = "Ihr neuer Gerätecode steht im Portal. ".repeat(4);
    let part = |kind: ContentType, body: String| {
        SinglePart::builder().header(kind).header(ContentTransferEncoding::Base64).body(body)
    };
    let mail = Message::builder()
        .from("MDM <mdm@example.test>".parse().unwrap())
        .to("erin@example.test".parse().unwrap())
        .subject("Neuer Code für „phone“")
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, text.clone()))
                .singlepart(part(ContentType::TEXT_HTML, format!("<p>{text}</p>"))),
        )
        .unwrap();
    let raw = String::from_utf8(mail.formatted()).unwrap();
    assert!(raw.contains("multipart/alternative") && raw.contains("base64"), "{raw}");
    transport(&sink).send(mail).await.unwrap();
    let m = sink.wait_for(|m| m.is_for("erin@example.test"), WAIT).await.unwrap();
    assert_eq!(m.subject, "Neuer Code für „phone“");
    assert_eq!(m.body.trim_end(), text.trim_end());
}
