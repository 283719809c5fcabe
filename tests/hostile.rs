//! Hostile and unusual requests against the release worker on bare workerd,
//! sent as raw bytes (an HTTP client library would refuse to send most of
//! them). Each case is checked against the exact status it must get; then
//! GET /toy must still answer normally.
//!
//! Statuses below 404 that the handler never produces (400, 413, 431, ...) are
//! workerd's own HTTP parser turning the request away before the worker runs.
//!
//! Run: `make test`, or after `make build`: `cargo test --test hostile`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::Server;
use toy_edge::error::AppError;

/// What a raw reply must look like.
struct Case {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    /// The exact body the handler answers with, where it answers.
    json_body: Option<String>,
}

fn req(head: &str) -> Vec<u8> {
    format!("{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

fn case(name: &'static str, request: Vec<u8>, status: u16) -> Case {
    Case {
        name,
        request,
        status,
        json_body: match status {
            // HEAD's body is dropped on the wire.
            200 if name != "HEAD" => Some(toy_edge::app::RESULT_BODY.to_owned()),
            404 => Some(AppError::NOT_FOUND.body()),
            405 => Some(AppError::METHOD_NOT_ALLOWED.body()),
            _ => None,
        },
    }
}

fn cases() -> Vec<Case> {
    let long_path = format!("/{}", "a".repeat(8_000));
    let huge = |n: usize| {
        format!(
            "GET /toy HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "b".repeat(n)
        )
        .into_bytes()
    };
    let many_headers = {
        let mut r = String::from("GET /toy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for i in 0..500 {
            r.push_str(&format!("X-H{i}: {i}\r\n"));
        }
        r + "\r\n"
    };
    vec![
        // Methods.
        case("POST with body", b"POST /toy HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec(), 405),
        case("PUT", req("PUT /toy HTTP/1.1"), 405),
        case("DELETE", req("DELETE /toy HTTP/1.1"), 405),
        case("PATCH", req("PATCH /toy HTTP/1.1"), 405),
        // workerd's HTTP parser knows a fixed set of methods and answers 501
        // itself for any other token; the handler's 405 for such tokens is
        // covered by the host suite (tests/suite).
        case("unknown method token", req("FROB /toy HTTP/1.1"), 501),
        case("lower-case get", req("get /toy HTTP/1.1"), 501),
        case("TRACE", req("TRACE /toy HTTP/1.1"), 405),
        case("HEAD", req("HEAD /toy HTTP/1.1"), 200),
        case("OPTIONS", req("OPTIONS /toy HTTP/1.1"), 204),
        case("OPTIONS *", req("OPTIONS * HTTP/1.1"), 404),
        // Paths.
        case("root", req("GET / HTTP/1.1"), 404),
        case("trailing slash", req("GET /toy/ HTTP/1.1"), 404),
        case("upper case", req("GET /TOY HTTP/1.1"), 404),
        case("double slash", req("GET //toy HTTP/1.1"), 404),
        case("sub-path", req("GET /toy/extra HTTP/1.1"), 404),
        case("encoded slash", req("GET /toy%2F HTTP/1.1"), 404),
        case("bad percent-encoding", req("GET /%ZZ%%% HTTP/1.1"), 404),
        case("encoded NUL", req("GET /toy%00 HTTP/1.1"), 404),
        case("raw UTF-8 path", "GET /tøy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".as_bytes().to_vec(), 404),
        case("8 KB path", req(&format!("GET {long_path} HTTP/1.1")), 404),
        // The URL standard resolves dot segments (as browsers and curl do).
        case("dot segments resolve", req("GET /x/../toy HTTP/1.1"), 200),
        case("dot segments above the root", req("GET /../../toy HTTP/1.1"), 200),
        case("query string ignored", req("GET /toy?x=1&y=%ZZ HTTP/1.1"), 200),
        // Request targets.
        case("absolute-form", req("GET http://127.0.0.1/toy HTTP/1.1"), 200),
        case("absolute-form, other host", req("GET http://other.invalid/toy HTTP/1.1"), 200),
        case("HTTP/1.0 without Host", b"GET /toy HTTP/1.0\r\n\r\n".to_vec(), 400),
        case("HTTP/1.0 with Host", b"GET /toy HTTP/1.0\r\nHost: x\r\n\r\n".to_vec(), 200),
        // Bodies on GET.
        case("GET with body", b"GET /toy HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello".to_vec(), 200),
        case("GET with chunked body", b"GET /toy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n".to_vec(), 200),
        // Headers.
        case("many headers", many_headers.into_bytes(), 200),
        case("200 KB header", huge(200_000), 200),
        case("2 MB header", huge(2_000_000), 431),
        // Malformed framing, refused by workerd before the worker runs.
        case("garbage request line", b"HELLO\r\n\r\n".to_vec(), 400),
        case("binary junk", vec![0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a], 400),
        case("header without colon", b"GET /toy HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n".to_vec(), 400),
        case("bad Content-Length", b"POST /toy HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(), 400),
        case("space in target", req("GET /t oy HTTP/1.1"), 400),
    ]
}

fn status_of(reply: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(reply);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn hostile_requests_get_exact_statuses_and_the_server_survives() {
    let server = Server::workerd("build", &[("TOY_SLEEP_MS", "20")]);
    let cases = cases();
    // Every listed case is sent and checked; none may fall out unnoticed.
    assert_eq!(cases.len(), 37, "the README lists 37 cases");
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
    let mut wrong = Vec::new();
    for case in &cases {
        let reply = server.raw(&case.request);
        let status = status_of(&reply);
        let text = String::from_utf8_lossy(&reply);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        if status != case.status {
            wrong.push(format!(
                "{}: got {status}, want {}: {:?}",
                case.name,
                case.status,
                text.lines().next()
            ));
        } else if let Some(want) = case.json_body.as_ref()
            && body != want
        {
            wrong.push(format!(
                "{}: body is not our JSON error: {body:?}",
                case.name
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );

    let after = server.raw(&req("GET /toy HTTP/1.1"));
    assert_eq!(status_of(&after), 200);
    assert!(String::from_utf8_lossy(&after).ends_with(r#"{"result":1}"#));
}
