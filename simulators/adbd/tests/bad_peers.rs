//! Peers that break the protocol: each case ends its connection with a
//! logged reason (an incident) or a refusal, never a hang or a panic, and the
//! device keeps serving other connections. Every wait has a time limit.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod common;

use adbd_sim::protocol::{Packet, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_WRTE};
use common::{Raw, LIMIT};
use std::time::Duration;

/// Wait (bounded) until the device has recorded `n` incidents.
async fn incidents(adbd: &adbd_sim::RunningAdbd, n: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let seen = adbd.incidents();
        if seen.len() >= n || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The device still answers a well-behaved client.
async fn still_serves(adbd: &adbd_sim::RunningAdbd) {
    let mut c = Raw::connect(adbd.addr()).await;
    c.handshake().await;
    let out = c.collect(1, "shell:getprop ro.build.version.sdk").await.unwrap();
    assert_eq!(out, b"34\n");
}

#[tokio::test]
async fn a_truncated_header_ends_the_connection_after_the_packet_timeout() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    let bytes = Packet::new(A_CNXN, 0x0100_0001, 4096, b"host::\0".to_vec()).encode();
    c.send_bytes(&bytes[..10]).await;
    assert!(c.closed().await, "the device closes the connection");
    let seen = incidents(&adbd, 1).await;
    assert!(seen[0].contains("truncated message: 10 of 24 bytes"), "{seen:?}");
    still_serves(&adbd).await;
}

#[tokio::test]
async fn a_truncated_payload_ends_the_connection() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    c.handshake().await;
    let bytes = Packet::new(A_OPEN, 1, 0, b"shell:getprop ro.build.version.sdk\0".to_vec()).encode();
    c.send_bytes(&bytes[..30]).await;
    assert!(c.closed().await);
    let seen = incidents(&adbd, 1).await;
    assert!(seen[0].contains("truncated message: 30 of"), "{seen:?}");
}

#[tokio::test]
async fn a_bad_checksum_or_magic_ends_the_connection() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;

    let mut c = Raw::connect(adbd.addr()).await;
    c.handshake().await;
    let mut bytes = Packet::new(A_OPEN, 1, 0, b"shell:id\0".to_vec()).encode();
    bytes[16] ^= 0x55;
    c.send_bytes(&bytes).await;
    assert!(c.closed().await);

    let mut c = Raw::connect(adbd.addr()).await;
    let mut bytes = Packet::new(A_CNXN, 0x0100_0001, 4096, b"host::\0".to_vec()).encode();
    bytes[20] ^= 0xFF;
    c.send_bytes(&bytes).await;
    assert!(c.closed().await);

    let seen = incidents(&adbd, 2).await;
    assert!(seen[0].contains("bad checksum on OPEN"), "{seen:?}");
    assert!(seen[1].contains("bad magic on CNXN"), "{seen:?}");
    still_serves(&adbd).await;
}

#[tokio::test]
async fn an_oversized_payload_is_refused_before_it_is_read() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    let mut header = Packet::new(A_CNXN, 0x0100_0001, 4096, Vec::new()).encode();
    header[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    c.send_bytes(&header).await;
    assert!(c.closed().await);
    assert!(incidents(&adbd, 1).await[0].contains("more than the"));
}

#[tokio::test]
async fn an_unknown_service_is_refused_with_clse_and_the_connection_goes_on() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    c.handshake().await;
    c.send(Packet::new(A_OPEN, 5, 0, b"framebuffer:\0".to_vec())).await;
    let refusal = c.recv().await.unwrap();
    assert_eq!((refusal.command, refusal.arg0, refusal.arg1), (A_CLSE, 0, 5));
    // Messages for streams that do not exist are ignored.
    c.send(Packet::new(A_OKAY, 9, 77, Vec::new())).await;
    c.send(Packet::new(A_WRTE, 9, 77, b"x".to_vec())).await;
    c.send(Packet::new(0x1234_5678, 0, 0, Vec::new())).await;
    assert_eq!(c.collect(6, "shell:echo still here").await.unwrap(), b"still here\n");
    assert!(adbd.incidents().is_empty(), "{:?}", adbd.incidents());
}

#[tokio::test]
async fn messages_before_cnxn_end_the_connection() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    c.send(Packet::new(A_OPEN, 1, 0, b"shell:id\0".to_vec())).await;
    assert!(c.closed().await);
    assert!(incidents(&adbd, 1).await[0].contains("OPEN arrived before CNXN"));
}

#[tokio::test]
async fn a_client_that_stops_acknowledging_is_dropped_after_the_ack_timeout() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    c.handshake().await;
    c.send(Packet::new(A_OPEN, 3, 0, b"shell:getprop\0".to_vec())).await;
    let okay = c.recv().await.unwrap();
    assert_eq!(okay.command, A_OKAY);
    let first = c.recv().await.unwrap();
    assert_eq!(first.command, A_WRTE);
    // ...and never OKAY it.
    assert!(c.closed().await);
    let seen = incidents(&adbd, 1).await;
    assert!(seen[0].contains("did not acknowledge"), "{seen:?}");
    still_serves(&adbd).await;
}

#[tokio::test]
async fn a_client_that_vanishes_mid_stream_costs_nothing() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    {
        let mut c = Raw::connect(adbd.addr()).await;
        c.handshake().await;
        c.send(Packet::new(A_OPEN, 3, 0, b"shell,v2,raw:getprop\0".to_vec())).await;
        let _ = c.recv().await;
        // Dropped here, with a WRTE unacknowledged.
    }
    // The write in flight fails or the read sees the end: either way no hang.
    still_serves(&adbd).await;
    tokio::time::timeout(LIMIT, adbd.shutdown()).await.expect("shutdown does not hang");
}

#[tokio::test]
async fn shell_v2_carries_stdout_stderr_and_the_exit_code() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    let cnxn = c.handshake().await;
    let banner = String::from_utf8_lossy(&cnxn.payload).to_string();
    assert!(banner.starts_with("device::ro.product.name=google-pixel-8;ro.product.model=Pixel_8;"), "{banner}");
    assert!(banner.contains("features=shell_v2,cmd"), "{banner}");
    let bytes = c.collect(1, "shell,v2,TERM=xterm,raw:locksettings verify").await.unwrap();
    assert_eq!(common::decode_v2(&bytes), ("Lock credential verified successfully\n".into(), String::new(), Some(0)));
    let bytes = c.collect(2, "shell,v2,raw:nosuchcmd").await.unwrap();
    assert_eq!(common::decode_v2(&bytes), (String::new(), "/system/bin/sh: nosuchcmd: not found\n".into(), Some(127)));
    // Shell v1 merges the streams and has no exit code.
    let bytes = c.collect(3, "shell:nosuchcmd").await.unwrap();
    assert_eq!(bytes, b"/system/bin/sh: nosuchcmd: not found\n");
}

#[tokio::test]
async fn a_device_below_api_24_offers_no_shell_v2() {
    let device = common::device("lge-nexus-5x", None);
    let adbd = common::serve(&device, common::quick_config()).await;
    let mut c = Raw::connect(adbd.addr()).await;
    let cnxn = c.handshake().await;
    assert!(String::from_utf8_lossy(&cnxn.payload).ends_with("features="));
}

#[tokio::test]
async fn silent_connections_do_not_stop_the_device() {
    let device = common::device("google-pixel-8", None);
    let config = adbd_sim::AdbdConfig {
        handshake_timeout: Duration::from_millis(200),
        max_connections: 16,
        ..common::quick_config()
    };
    let adbd = common::serve(&device, config).await;
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(tokio::net::TcpStream::connect(adbd.addr()).await.unwrap());
    }
    still_serves(&adbd).await;
    let seen = incidents(&adbd, 1).await;
    assert!(seen.iter().any(|s| s.contains("no CNXN within")), "a silent peer is dropped: {seen:?}");
    drop(silent);
}
