//! DNS providers: the Cloudflare API v4 client against a local wiremock server.

mod cloudflare;
