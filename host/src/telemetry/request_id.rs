//! A request id on every response (`x-request-id`), in every log line of the request,
//! and in every error body, so a user's report can be matched to the log.
//!
//! A client may send its own id (a proxy's, to follow a request through both logs), but
//! only a short one of a fixed alphabet ([`acceptable`]): anything else is replaced by
//! one of ours before any log line, audit entry or answer sees it, so a client can
//! neither fill the disk nor write `caller=admin` into a log line through it.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use tower_http::request_id::{MakeRequestId, RequestId};

pub const HEADER: &str = "x-request-id";
/// The longest client id kept.
pub const MAX_LEN: usize = 64;

/// A client's id is kept only if it is 1-[`MAX_LEN`] of `A-Z a-z 0-9 . _ -`.
pub fn acceptable(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a client's `x-request-id` unless it is one acceptable id (two or more are
/// dropped too), so that [`RandomId`] makes ours instead.
pub async fn admit(mut request: Request) -> Request {
    let headers = request.headers_mut();
    let mut sent = headers.get_all(HEADER).iter();
    let keep = match (sent.next(), sent.next()) {
        (Some(one), None) => acceptable(one.as_bytes()),
        _ => false,
    };
    if !keep {
        headers.remove(HEADER);
    }
    request
}

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request this task is serving, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// 16 random hex digits: short enough to read out, unique enough for a log.
#[derive(Clone, Copy, Default)]
pub struct RandomId;

impl MakeRequestId for RandomId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::rng().random::<u64>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Makes the id readable through [`current`] while the request is served.
pub async fn scope(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    CURRENT.scope(id, next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_short_ids_of_the_fixed_alphabet_are_acceptable() {
        for good in ["0123456789abcdef", "a", "req-1.2_X", &"a".repeat(64)] {
            assert!(acceptable(good.as_bytes()), "{good}");
        }
        for bad in [
            "",
            "0123456789abcdef caller=admin",
            "a\tb",
            "a/b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!acceptable(bad.as_bytes()), "{bad}");
        }
    }
}
