//! The exposure endpoints: a friend's service on a public hostname, as an IngressRoute and
//! a DNS record, all or nothing. The host makes every hostname from the friend in scope,
//! claims it for that friend and checks the backend; this plugin checks the request,
//! orders the two steps and undoes the first when the second fails.

wit_bindgen::generate!({
    path: "../../wit",
    world: "exposure-plugin",
    with: { "friend:portal/types@0.1.0": portal_sdk::types },
});

use friend::portal::{dns, ingress, log};
use portal_sdk::{Error, Request, Response, Result, Route};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

struct Exposure;

const ROUTES: &[Route] = &[
    Route::new("exposure.domains", domains).answers::<Vec<Domain>>(200),
    Route::new("exposure.create", create).takes::<Expose>().answers::<Exposed>(201),
    Route::new("exposure.delete", delete).answers_nothing(204),
];

portal_sdk::serve_routes!(Exposure, ROUTES);

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Expose {
    /// The hostname's first part, `<name>-<friend id>.<domain>`: 1-20 letters, digits and
    /// hyphens, not starting with a hyphen (stored lower-case).
    #[schemars(length(min = 1, max = 20), regex(pattern = r"^[A-Za-z0-9][-A-Za-z0-9]*$"))]
    name: String,
    /// A Service in the friend's namespace.
    service: String,
    /// One of the service's ports.
    port: u16,
    /// One of the allowed domains (`exposure.domains`).
    domain: String,
}

#[derive(Serialize, JsonSchema)]
struct Domain {
    domain: String,
}

#[derive(Serialize, JsonSchema)]
struct Exposed {
    ok: bool,
    hostname: String,
    url: String,
}

fn ingress_error(e: ingress::Error) -> Error {
    match e {
        ingress::Error::NotFound(m) => Error::not_found(m),
        ingress::Error::Conflict(m) => Error::conflict(m),
        ingress::Error::Invalid(m) => Error::new(422, "invalid", m),
        ingress::Error::Unavailable(m) => Error::new(503, "unavailable", m),
    }
}

fn domains(_: &Request) -> Result<Response> {
    let list: Vec<_> = dns::domains().into_iter().map(|domain| Domain { domain }).collect();
    Ok(Response::ok(&list))
}

/// What a friend reads when the operator has listed no domain: nothing can be exposed yet.
const NOT_SET_UP: &str = "Exposing apps is not set up on this portal yet; ask the person who runs it.";

fn create(request: &Request) -> Result<Response> {
    // Checked before the body: with no domain, no request can succeed, whatever it holds.
    if dns::domains().is_empty() {
        return Err(Error::new(409, "exposure_not_set_up", NOT_SET_UP));
    }
    let body: Expose = request.json()?;
    let name = body.name.to_ascii_lowercase();
    let name_ok = (1..=20).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if !name_ok {
        return Err(Error::invalid("name", "must be 1-20 letters, digits and hyphens, not starting with a hyphen"));
    }
    let allowed = dns::domains();
    let wanted = body.domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if !allowed.contains(&wanted) {
        return Err(Error::invalid(
            "domain",
            format!("'{}' is not one of the allowed domains ({})", body.domain, allowed.join(", ")),
        ));
    }
    // The host checks the service and port (a Service of the friend's namespace, one of
    // its ports), who owns the hostname and the friend's exposure limit.
    if ingress::list_routes().map_err(ingress_error)?.iter().any(|r| r.name == name) {
        return Err(Error::conflict(format!("'{name}' is already exposed")));
    }

    let hostname = ingress::create(&name, &wanted, &body.service, body.port).map_err(ingress_error)?;
    if let Err(e) = dns::create(&name, &wanted) {
        // All or nothing: the route goes when its record cannot be made.
        let undone = ingress::delete(&name);
        log::log(log::Level::Warn, &format!("DNS for {hostname} failed; IngressRoute removed: {}", undone.is_ok()));
        return Err(match e {
            dns::Error::Conflict(m) => Error::conflict(format!("{m}; nothing was exposed")),
            dns::Error::Invalid(m) => Error::new(422, "invalid", m),
            dns::Error::Unavailable(m) => Error::new(
                502,
                "dns_failed",
                format!("the DNS record could not be created ({m}); the IngressRoute was removed, nothing is exposed"),
            ),
        });
    }
    Ok(Response::created(&Exposed { ok: true, url: format!("https://{hostname}"), hostname }))
}

fn delete(request: &Request) -> Result<Response> {
    let name = request.required_param("name")?.to_ascii_lowercase();
    let dns_error = |e: dns::Error| match e {
        dns::Error::Unavailable(m) => {
            Error::new(502, "dns_failed", format!("the DNS record could not be deleted: {m}"))
        }
        dns::Error::Conflict(m) | dns::Error::Invalid(m) => Error::new(422, "invalid", m),
    };
    match ingress::delete(&name) {
        Ok(hostname) => {
            dns::delete(&hostname).map_err(dns_error)?;
            Ok(Response::no_content())
        }
        // A record left behind by an earlier partial failure still goes.
        Err(ingress::Error::NotFound(_)) => {
            let friend = request.friend()?;
            let mut deleted = false;
            for domain in dns::domains() {
                deleted |= dns::delete(&format!("{name}-{friend}.{domain}")).map_err(dns_error)?;
            }
            if deleted { Ok(Response::no_content()) } else { Err(Error::not_found(format!("no exposure '{name}'"))) }
        }
        Err(e) => Err(ingress_error(e)),
    }
}

export!(Exposure);
