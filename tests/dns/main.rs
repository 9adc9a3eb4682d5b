//! DNS providers: the Cloudflare API v4 client against a local stand-in (`mock.rs`).

mod cloudflare;
mod mock;
