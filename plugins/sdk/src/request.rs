//! Reading a request: parameters, query, headers, the JSON body, the subject friend.

use serde::de::DeserializeOwned;

use crate::{Error, Request, Result};

impl Request {
    pub fn param(&self, name: &str) -> Option<&str> {
        lookup(&self.params, name)
    }

    /// A path parameter the route always has; its absence is a policy mistake.
    pub fn required_param(&self, name: &str) -> Result<&str> {
        self.param(name).ok_or_else(|| Error::internal(format!("route has no '{name}' parameter")))
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }

    /// A header the host passed on; names are lower-case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The JSON body: 415 when it is sent as another type, 400 when it is not JSON,
    /// 422 when it does not fit `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        self.expect_json_body()?;
        // Every body the plugins take is an object; serde would also read an array into a struct.
        let first = self.body.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b == b'[') {
            return Err(Error::new(422, "invalid", "the body must be a JSON object"));
        }
        serde_json::from_slice(&self.body).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => Error::new(422, "invalid", e.to_string()),
            _ => Error::bad_request(format!("malformed JSON: {e}")),
        })
    }

    /// 415 when the body was sent with a content type other than JSON (none is fine).
    pub fn expect_json_body(&self) -> Result<()> {
        let Some(content_type) = self.header("content-type") else { return Ok(()) };
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime == "application/json" || mime.ends_with("+json") {
            Ok(())
        } else {
            Err(Error::new(415, "unsupported_media_type", "send the body as application/json"))
        }
    }

    /// The friend this request acts on, as the host resolved it.
    pub fn friend(&self) -> Result<&str> {
        self.friend.as_deref().ok_or_else(|| Error::internal("route has no subject friend"))
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
