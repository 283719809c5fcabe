//! The same answer everywhere: one request after another goes to the one
//! build on workerd, Deno, Bun and Node at once, and every runtime must send
//! the same status, body and end-to-end headers (names and values; `Date`
//! and `Server-Timing` are checked for shape, as they carry the time). Only
//! hop-by-hop headers (RFC 9110, 7.6.1: `Connection`, `Keep-Alive`) may
//! differ.
//!
//! Run: `make test` (host workerd), or after it built build/:
//! `cargo test --test runtimes_agree`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{Reply, Runtime, Server, send};

const RUNTIMES: [Runtime; 4] = [Runtime::Workerd, Runtime::Deno, Runtime::Bun, Runtime::Node];

/// Status, body and the sorted end-to-end headers, time-carrying values
/// replaced by their shape.
fn answer(reply: &Reply) -> (u16, String, Vec<(String, String)>) {
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .filter(|(name, _)| !matches!(name.as_str(), "connection" | "keep-alive"))
        .map(|(name, value)| match name.as_str() {
            "date" => {
                common::assert_http_date(reply);
                (name, "<an HTTP date>".to_owned())
            }
            "server-timing" if value.starts_with("sleep;dur=") => {
                (name, "sleep;dur=<ms>".to_owned())
            }
            _ => (name, value),
        })
        .collect();
    headers.sort();
    (reply.status, reply.body.clone(), headers)
}

fn agree(vars: &[(&str, &str)], requests: &[(&str, &str, Option<&str>)]) {
    let servers: Vec<(Runtime, Server)> = RUNTIMES
        .iter()
        .map(|&rt| (rt, Server::on(rt, "build", vars)))
        .collect();
    for &(method, path, body) in requests {
        let answers: Vec<_> = servers
            .iter()
            .map(|(rt, server)| (*rt, answer(&send(method, &server.url(path), body))))
            .collect();
        let (_, want) = &answers[0];
        for (rt, got) in &answers[1..] {
            assert_eq!(got, want, "{method} {path}: {rt:?} differs from workerd");
        }
    }
}

#[test]
fn every_runtime_sends_the_same_answer() {
    agree(
        &[("TOY_SLEEP_MS", "20")],
        &[
            ("GET", "/toy", None),
            ("GET", "/toy?x=1", None),
            ("HEAD", "/toy", None),
            ("OPTIONS", "/toy", None),
            ("POST", "/toy", Some("{}")),
            ("DELETE", "/toy", None),
            ("GET", "/", None),
            ("GET", "/toy/", None),
            ("HEAD", "/nope", None),
        ],
    );
}

#[test]
fn every_runtime_sends_the_same_configuration_error() {
    agree(
        &[("TOY_SLEEP_MS", "soon")],
        &[
            ("GET", "/toy", None),
            ("HEAD", "/toy", None),
            ("OPTIONS", "/toy", None),
        ],
    );
}
