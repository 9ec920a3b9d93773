//! `lockstep amapi serve` and `lockstep mdm serve`: the simulators on their
//! own, for anyone to point a client at, until Ctrl-C.

use crate::cli::{AmapiServeArgs, MdmServeArgs};
use std::path::Path;

/// Serve the AMAPI mock. Exit code 0 on Ctrl-C, 2 when it cannot start.
pub async fn amapi(args: &AmapiServeArgs, fixtures: &Path) -> u8 {
    crate::logging::to_stderr(crate::redact::Secrets::default());
    let config = amapi_mock::ServeConfig {
        addr: args.addr,
        fleet: args.fleet.clone(),
        profiles_dir: Some(fixtures.join("devices")),
        seed: args.seed,
        clock: if args.virtual_clock {
            amapi_mock::ClockChoice::Virtual(amapi_mock::clock::DEFAULT_VIRTUAL_START)
        } else {
            amapi_mock::ClockChoice::Real
        },
        strict: args.strict,
        pubsub_addr: Some(args.pubsub_addr),
        ..Default::default()
    };
    let running = match amapi_mock::serve(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    println!("AMAPI mock listening on {}", running.base_url);
    println!("  point a client's base URL there (requests go to {}v1/...)", running.base_url);
    println!("  control surface: {}{}", running.base_url.trim_end_matches('/'), amapi_mock::CONTROL_PREFIX);
    if let Some(p) = &running.pubsub {
        println!(
            "  Pub/Sub emulator: PUBSUB_EMULATOR_HOST={} (gRPC; REST at {}v1/projects/...)",
            p.emulator_host, p.base_url
        );
        println!(
            "  push token keys (JWKS): {}{}v1/pubsub/jwks",
            running.base_url.trim_end_matches('/'),
            amapi_mock::CONTROL_PREFIX
        );
    }
    println!("  {} simulated devices enrolled", running.devices.len());
    if running.mock().is_strict() {
        println!("  strict: what Google merely tolerates is journaled and answered with a Warning header");
    }
    let _ = tokio::signal::ctrl_c().await;
    let _ = running.shutdown().await;
    0
}

/// Serve the reference MDM. Exit code 0 on Ctrl-C, 2 when it cannot start.
pub async fn mdm(args: &MdmServeArgs, fixtures: &Path) -> u8 {
    crate::logging::to_stderr(crate::redact::Secrets::default());
    let mut config = reference_mdm::ServeConfig::new(args.amapi.trim_end_matches('/'));
    config.addr = args.addr;
    config.enterprise = args.enterprise.clone();
    let vendor_file = fixtures.join("vendors").join(format!("{}.toml", args.vendor));
    config.vendor = if vendor_file.is_file() {
        reference_mdm::VendorSource::File(vendor_file)
    } else {
        reference_mdm::VendorSource::Builtin(args.vendor.clone())
    };
    config.pubsub_topic = args.pubsub_topic.clone();
    // Our choice: the database of --state-dir is named for the product.
    config.db = args.db.clone().or_else(|| args.state_dir.as_ref().map(|d| d.join("reference-mdm.sqlite")));
    config.smtp = args.smtp.clone();
    if let (Some(jwks_url), Some(audience)) = (&args.push_jwks_url, &args.push_audience) {
        config.push_auth = Some(reference_mdm::PushAuth {
            jwks_url: jwks_url.clone(),
            audience: audience.clone(),
            service_account: args.push_service_account.clone(),
        });
    }
    match args
        .defect
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<reference_mdm::Defect>())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(d) => config.defects = d,
        Err(e) => {
            eprintln!("error: --defect: {e}");
            return crate::EXIT_CONFIG;
        }
    }
    let running = match reference_mdm::serve(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    println!("reference MDM ({}) listening on {}", args.vendor, running.base_url);
    println!("  driver protocol: {}/lockstep/v1", running.base_url);
    println!("  Pub/Sub push endpoint for AMAPI notifications: {}", running.push_endpoint());
    if let Some(a) = &args.push_audience {
        println!("  authenticated push: ID tokens for audience {a} are required");
    }
    if let (Some(host), Some(subscription)) = (&args.pubsub_emulator_host, &args.pubsub_subscription) {
        println!("  {}", pull_offer(host, subscription).await);
    }
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    0
}

/// What the Pub/Sub emulator at `host` says about `subscription`
/// (`GET /v1/{subscription}`, its REST surface): the line `mdm serve`
/// prints. The reference MDM takes the push and never pulls; the check
/// shows, from wherever it runs (a container on the run's network), that
/// an MDM which pulls would reach the subscription.
async fn pull_offer(host: &str, subscription: &str) -> String {
    let url = format!("http://{host}/v1/{subscription}");
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap_or_default();
    let answer = match http.get(&url).send().await {
        Ok(r) if r.status().is_success() => r.json::<serde_json::Value>().await.map_err(|e| e.to_string()),
        Ok(r) => Err(format!("HTTP {}", r.status())),
        Err(e) => Err(e.to_string()),
    };
    match answer {
        Ok(sub) => format!(
            "Pub/Sub emulator at {host} answers: pull subscription {subscription} on topic {} (this MDM takes the push instead)",
            sub.get("topic").and_then(|t| t.as_str()).unwrap_or("?")
        ),
        Err(e) => format!("Pub/Sub emulator at {host}: cannot read pull subscription {subscription} ({e})"),
    }
}
