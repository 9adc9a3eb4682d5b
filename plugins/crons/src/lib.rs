//! Cron jobs over HTTP: list, create, delete, run now, enable/disable. The host's scheduler
//! owns the rules (names, schedules, time zones, sessions that are the friend's own, the
//! per-friend limit) and the friend in scope; this plugin maps HTTP onto the `cron` interface.

wit_bindgen::generate!({
    path: "../../wit",
    world: "crons",
    with: { "friend:portal/types@0.1.0": portal_sdk::types },
});

use friend::portal::cron::{self, Job, NewJob, RunRecord};
use portal_sdk::{Error, Request, Response, Result};
use serde_json::{Map, Value, json};

struct Crons;

impl exports::friend::portal::handler::Guest for Crons {
    fn handle(request: Request) -> Response {
        portal_sdk::dispatch(
            request,
            &[
                ("crons.list", list),
                ("crons.create", create),
                ("crons.delete", delete),
                ("crons.run", run),
                ("crons.toggle", toggle),
            ],
        )
    }
}

fn error(e: cron::Error) -> Error {
    match e {
        cron::Error::Invalid(f) => Error::invalid(&f.field, f.rule),
        cron::Error::Forbidden(m) => Error::forbidden(m),
        cron::Error::NotFound(m) => Error::not_found(m),
        cron::Error::Conflict(m) => Error::conflict(m),
        cron::Error::Unavailable => {
            Error::internal("the scheduler is unavailable; quote the request id when reporting it")
        }
    }
}

fn run_json(run: &RunRecord) -> Value {
    json!({"at": run.at, "trigger": run.trigger, "status": run.status, "error": run.error})
}

fn job_json(job: &Job) -> Value {
    json!({
        "name": job.name,
        "message": job.message,
        "cron": job.cron,
        "session": job.session,
        "tz": job.tz,
        "enabled": job.enabled,
        "created_at": job.created_at,
        "next_run": job.next_run,
        "last_run": job.last_run.as_ref().map(run_json),
    })
}

/// The body as a JSON object.
fn object(request: &Request) -> Result<Map<String, Value>> {
    match request.json::<Value>()? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::bad_request("the body must be a JSON object")),
    }
}

fn string(body: &Map<String, Value>, field: &str) -> Result<String> {
    match body.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(Error::invalid(field, "is required, as a string")),
    }
}

fn list(_request: &Request) -> Result<Response> {
    let jobs = cron::list_jobs().map_err(error)?;
    Ok(Response::ok(&jobs.iter().map(job_json).collect::<Vec<_>>()))
}

fn create(request: &Request) -> Result<Response> {
    let body = object(request)?;
    let tz = match body.get("tz") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(Error::invalid("tz", "must be a string")),
    };
    let enabled = match body.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(Error::invalid("enabled", "must be true or false")),
    };
    let new = NewJob {
        name: string(&body, "name")?,
        message: string(&body, "message")?,
        cron: string(&body, "cron")?,
        session: string(&body, "session")?,
        tz,
        enabled,
    };
    let job = cron::create_job(&new).map_err(error)?;
    let location = format!("/api/portal/workspace/crons/{}", job.name);
    Ok(Response::created(&job_json(&job)).with_header("location", &location))
}

fn delete(request: &Request) -> Result<Response> {
    cron::delete_job(request.required_param("name")?).map_err(error)?;
    Ok(Response::no_content())
}

fn run(request: &Request) -> Result<Response> {
    let run = cron::run_job(request.required_param("name")?).map_err(error)?;
    Ok(Response::json(202, &run_json(&run)))
}

fn toggle(request: &Request) -> Result<Response> {
    let name = request.required_param("name")?;
    let enabled = match object(request)?.get("enabled") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(Error::invalid("enabled", "is required: true or false")),
    };
    let job = cron::toggle_job(name, enabled).map_err(error)?;
    Ok(Response::ok(&job_json(&job)))
}

export!(Crons);
