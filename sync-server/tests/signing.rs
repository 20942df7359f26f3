//! Machine-signed requests: good, forged, tampered, stale, replayed, unknown, pending and
//! inactive machines, malformed JSON.

mod common;

use common::*;

#[track_caller]
fn check(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.text());
    if !code.is_empty() {
        assert_eq!(resp.code(), code, "{}", resp.text());
    }
}

fn status_query() -> Req {
    Req::new("POST", "/v1/packets/status").json(&serde_json::json!({"rids": []}))
}

fn minutes_ago(m: i64) -> String {
    let at = time::OffsetDateTime::now_utc() - time::Duration::minutes(m);
    enrol_sync::clock::rfc3339(at)
}

#[tokio::test]
async fn machine_signatures_are_enforced() {
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;

    let good = server.request(machine.sign_request(status_query())).await;
    check(&good, 200, "");

    // Signed by another key.
    let impostor = MachineKey::generate("10077");
    check(
        &server.request(impostor.sign_request(status_query())).await,
        401,
        "SIGNATURE_INVALID",
    );

    // Body changed after signing.
    let mut tampered = machine.sign_request(status_query());
    tampered.body = br#"{"rids":["10001100770000120261128131500"]}"#.to_vec();
    check(&server.request(tampered).await, 401, "SIGNATURE_INVALID");

    // Path changed after signing.
    let mut moved = machine.sign_request(status_query());
    moved.path = "/v1/packets/status?x=1".into();
    check(&server.request(moved).await, 401, "SIGNATURE_INVALID");

    // Stale and future timestamps, with the server time in the answer.
    for at in [minutes_ago(6), minutes_ago(-6)] {
        let stale = server
            .request(machine.sign_request_at(status_query(), &at, "nonce-stale-1"))
            .await;
        check(&stale, 401, "TIMESTAMP_STALE");
        assert!(
            stale.json()["serverTime"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
    }
    let within = server
        .request(machine.sign_request_at(status_query(), &minutes_ago(4), "nonce-within"))
        .await;
    check(&within, 200, "");
    let garbled = machine.sign_request_at(status_query(), "yesterday", "nonce-garbled");
    check(&server.request(garbled).await, 401, "TIMESTAMP_INVALID");

    // Replay of a whole signed request.
    let once = machine.sign_request(status_query());
    check(&server.request(once.clone()).await, 200, "");
    check(&server.request(once.clone()).await, 401, "REQUEST_REPLAYED");

    // Missing headers.
    check(
        &server.request(status_query()).await,
        401,
        "SIGNATURE_MISSING",
    );

    // Unknown machine.
    let stranger = MachineKey::generate("10099");
    check(
        &server.request(stranger.sign_request(status_query())).await,
        401,
        "MACHINE_UNKNOWN",
    );

    // Malformed JSON from a correctly signed request.
    let bad_json =
        machine.sign_request(Req::new("POST", "/v1/packets/status").body(b"{\"rids\": [1,"));
    check(&server.request(bad_json).await, 400, "JSON_INVALID");

    // Pending, then inactive machines.
    let pending = MachineKey::generate("10078");
    let r = server
        .admin(
            "POST",
            "/admin/v1/machines",
            serde_json::json!({"id": "10078", "centreId": CENTRE, "name": "new", "publicKeyPem": pending.public_pem()}),
        )
        .await;
    check(&r, 201, "");
    check(
        &server.request(pending.sign_request(status_query())).await,
        403,
        "MACHINE_NOT_APPROVED",
    );
    check(
        &server
            .admin(
                "POST",
                "/admin/v1/machines/10078/approve",
                serde_json::json!(null),
            )
            .await,
        204,
        "",
    );
    check(
        &server.request(pending.sign_request(status_query())).await,
        200,
        "",
    );
    check(
        &server
            .admin(
                "POST",
                "/admin/v1/machines/10078/deactivate",
                serde_json::json!(null),
            )
            .await,
        204,
        "",
    );
    check(
        &server.request(pending.sign_request(status_query())).await,
        403,
        "MACHINE_INACTIVE",
    );

    // The nonce store survives a restart.
    let server = server.restart().await;
    check(&server.request(once).await, 401, "REQUEST_REPLAYED");

    let metrics = server.request(Req::new("GET", "/metrics")).await.text();
    assert!(
        metrics.contains("enrol_verification_failures_total{code=\"REQUEST_REPLAYED\"} 1"),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test]
async fn admin_api_needs_its_token() {
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let r = server.request(Req::new("GET", "/admin/v1/machines")).await;
    check(&r, 401, "ADMIN_UNAUTHORIZED");
    let r = server
        .request(Req::new("GET", "/admin/v1/machines").header("authorization", "Bearer wrong"))
        .await;
    check(&r, 401, "ADMIN_UNAUTHORIZED");
    let r = server
        .admin(
            "PUT",
            "/admin/v1/centres/10001",
            serde_json::json!({"name": 5}),
        )
        .await;
    check(&r, 400, "JSON_INVALID");
    let r = server
        .request(
            Req::new("PUT", "/admin/v1/centres/10001")
                .header("authorization", &format!("Bearer {ADMIN_TOKEN}"))
                .body(b"{not json"),
        )
        .await;
    check(&r, 400, "JSON_INVALID");
    server.stop().await;
}
