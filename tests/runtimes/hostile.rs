//! Hostile and unusual requests, sent as raw bytes (an HTTP client library
//! would refuse to send most of them), against the release build on each
//! runtime. Each case is checked against the exact status it must get; then
//! GET /toy must still answer normally.
//!
//! Statuses below 404 that the handler never produces (400, 413, 431, 501,
//! ...) are the runtime's own HTTP parser turning the request away before
//! the handler runs; each runtime's parser differs, and [`pinned`] says how.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::{Runtime, Server};
use toy_edge::error::AppError;

/// What a raw reply must look like.
struct Case {
    name: &'static str,
    request: Vec<u8>,
    /// workerd's answer; other runtimes' differences are [`pinned`].
    status: u16,
}

fn req(head: &str) -> Vec<u8> {
    format!("{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

fn case(name: &'static str, request: Vec<u8>, status: u16) -> Case {
    Case {
        name,
        request,
        status,
    }
}

/// The exact body the handler answers with, where the handler answers.
fn json_body(runtime: Runtime, name: &str, status: u16) -> Option<String> {
    match status {
        // HEAD's body is dropped on the wire.
        200 if name != "HEAD" => Some(toy_edge::app::RESULT_BODY.to_owned()),
        400 if runtime == Runtime::Bun && name == "HTTP/1.0 without Host" => {
            Some(AppError::BAD_REQUEST.body())
        }
        404 => Some(AppError::NOT_FOUND.body()),
        405 => Some(AppError::METHOD_NOT_ALLOWED.body()),
        _ => None,
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

pub fn requests_get_exact_statuses(runtime: Runtime) {
    let server = Server::on(runtime, "build", &[("TOY_SLEEP_MS", "20")]);
    let cases = cases();
    // Every listed case is sent and checked; none may fall out unnoticed.
    assert_eq!(cases.len(), 37, "the README lists 37 cases");
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
    let mut wrong = Vec::new();
    for case in &cases {
        let reply = raw(&server, &case.request);
        let status = status_of(&reply);
        let want = pinned(runtime, case.name).unwrap_or(case.status);
        let text = String::from_utf8_lossy(&reply);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        if status != want {
            wrong.push(format!(
                "{}: got {status}, want {want}: {:?}",
                case.name,
                text.lines().next()
            ));
        } else if let Some(json) = json_body(runtime, case.name, want)
            && body != json
        {
            wrong.push(format!(
                "{}: body is not our JSON error: {body:?}",
                case.name
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{runtime:?}: {} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );

    let after = raw(&server, &req("GET /toy HTTP/1.1"));
    assert_eq!(status_of(&after), 200);
    assert!(String::from_utf8_lossy(&after).ends_with(r#"{"result":1}"#));
}

/// Where a runtime's own HTTP parser answers a case before the handler runs,
/// or answers it differently from workerd's: that runtime's status.
/// 0: the runtime closes the connection without an answer.
fn pinned(runtime: Runtime, case: &str) -> Option<u16> {
    use Runtime::{Bun, Deno, Node};
    Some(match (runtime, case) {
        // workerd and Node refuse a method they do not know (501, 400);
        // Deno passes it on and the handler answers 405; Bun closes.
        (Deno, "unknown method token" | "lower-case get") => 405,
        (Node, "unknown method token" | "lower-case get") => 400,
        (Bun, "unknown method token" | "lower-case get") => 0,
        // An asterisk-form target is OPTIONS for the whole server: Node's and
        // Bun's parsers refuse it with GET semantics, workerd and Deno hand
        // it on as a path (the handler's 404).
        (Node | Bun, "OPTIONS *") => 400,
        // llhttp (Node) accepts only ASCII in the request target.
        (Node, "raw UTF-8 path") => 400,
        // HTTP/1.0 needs no Host (RFC 9112, 3.2): Deno and Node serve it; Bun
        // hands over a Request whose URL does not parse, which the handler
        // answers with its JSON 400, as workerd's parser answers 400.
        (Deno | Node, "HTTP/1.0 without Host") => 200,
        // Header limits: Deno (hyper) takes at most 100 headers and
        // ~100 KB of them and answers 400; Bun 431 beyond its limits; Node's
        // default header size is 16 KB.
        (Deno, "many headers" | "200 KB header" | "2 MB header") => 400,
        (Bun, "many headers" | "200 KB header") => 431,
        (Node, "200 KB header") => 431,
        // Bun reads what follows the first space as the version.
        (Bun, "space in target") => 505,
        _ => return None,
    })
}

/// Sends raw bytes on a fresh connection and returns what came back
/// before the server closed it (or 10 s passed).
fn raw(server: &Server, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // The server may answer and close before reading everything we send.
    // No half-close after it: only workerd answers a client that sent FIN
    // (tests/runtimes, a_client_that_half_closes); the requests say
    // `Connection: close` or are HTTP/1.0.
    let _ = stream.write_all(request);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    reply
}
