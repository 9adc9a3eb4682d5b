//! Cron jobs over HTTP: list, create, get, update, delete, run now, enable/disable, runs.
//! The host's scheduler owns the rules (names, schedules, time zones, sessions that are the
//! friend's own, and for an agent its own, the per-friend limit) and the friend in scope;
//! this plugin maps HTTP onto the `cron` interface.

wit_bindgen::generate!({
    path: "../../wit",
    world: "crons",
    with: { "friend:portal/types@0.1.0": portal_sdk::types },
});

use friend::portal::cron::{self, Job, JobUpdate, NewJob, RunRecord};
use portal_sdk::{Error, Request, Response, Result, Route};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

struct Crons;

const ROUTES: &[Route] = &[
    Route::new("crons.list", list).answers::<Vec<JobView>>(200),
    Route::new("crons.create", create).takes::<NewJobBody>().answers::<JobView>(201),
    Route::new("crons.get", get).answers::<JobView>(200),
    Route::new("crons.update", update).takes::<JobUpdateBody>().answers::<JobView>(200),
    Route::new("crons.runs", runs).answers::<Vec<RunDetail>>(200),
    Route::new("crons.delete", delete).answers_nothing(204),
    Route::new("crons.run", run).answers::<RunView>(202),
    Route::new("crons.toggle", toggle).takes::<ToggleBody>().answers::<JobView>(200),
];

portal_sdk::serve_routes!(Crons, ROUTES);

/// The body of `crons.create`. Read field by field (see `create`) so that each broken
/// rule names its field; this type documents it. The host checks the rules.
#[allow(dead_code)]
#[derive(JsonSchema)]
struct NewJobBody {
    /// A DNS label: 1-63 lower-case letters, digits and '-'.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    name: String,
    /// What the agent is told when the job fires.
    #[schemars(length(min = 1, max = 4000))]
    message: String,
    /// Five fields (minute hour day-of-month month day-of-week) or six (seconds first).
    cron: String,
    /// The session the message goes to; it must be one of the friend's own.
    #[schemars(length(min = 1, max = 256))]
    session: String,
    /// An IANA time zone name; default UTC.
    tz: Option<String>,
    /// Default true.
    enabled: Option<bool>,
}

/// The body of `crons.update`: every field is required (the job is replaced but for its
/// name, enabled state and creation time), checked as on create.
#[allow(dead_code)]
#[derive(JsonSchema)]
struct JobUpdateBody {
    #[schemars(length(min = 1, max = 4000))]
    message: String,
    cron: String,
    /// An IANA time zone name.
    tz: String,
    #[schemars(length(min = 1, max = 256))]
    session: String,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct ToggleBody {
    enabled: bool,
}

#[derive(Serialize, JsonSchema)]
struct RunView {
    at: String,
    /// `scheduled` or `manual`.
    trigger: String,
    /// `pending`, `delivered`, `queued` or `failed` (`ok` in records of earlier versions).
    status: String,
    error: Option<String>,
}

/// One entry of a job's run history.
#[derive(Serialize, JsonSchema)]
struct RunDetail {
    at: String,
    /// The schedule's time this run stands for; `null` for a manual run.
    scheduled_for: Option<String>,
    /// `scheduled` or `manual`.
    trigger: String,
    /// `pending` (being delivered), `delivered` (the agent gateway accepted it), `queued`
    /// (in the local outbox: no gateway configured) or `failed`; `ok` in older records.
    status: String,
    /// Delivery attempts made; 0 while the first is under way or when nothing was sent.
    attempts: u32,
    error: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct JobView {
    name: String,
    message: String,
    cron: String,
    session: String,
    tz: String,
    enabled: bool,
    created_at: String,
    next_run: Option<String>,
    last_run: Option<RunView>,
}

fn error(e: cron::Error) -> Error {
    match e {
        cron::Error::Invalid(f) => Error::invalid(&f.field, f.rule),
        cron::Error::Forbidden(m) => Error::forbidden(m),
        cron::Error::NotFound(m) => Error::not_found(m),
        cron::Error::Conflict(m) => Error::conflict(m),
        cron::Error::RateLimited(secs) => Error::new(429, "rate_limited", too_many_runs(secs)),
        cron::Error::Unavailable => {
            Error::internal("the scheduler is unavailable; quote the request id when reporting it")
        }
    }
}

fn run_view(run: RunRecord) -> RunView {
    RunView { at: run.at, trigger: run.trigger, status: run.status, error: run.error }
}

fn run_detail(run: RunRecord) -> RunDetail {
    RunDetail {
        at: run.at,
        scheduled_for: run.scheduled_for,
        trigger: run.trigger,
        status: run.status,
        attempts: run.attempts,
        error: run.error,
    }
}

fn job_view(job: Job) -> JobView {
    JobView {
        name: job.name,
        message: job.message,
        cron: job.cron,
        session: job.session,
        tz: job.tz,
        enabled: job.enabled,
        created_at: job.created_at,
        next_run: job.next_run,
        last_run: job.last_run.map(run_view),
    }
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
    Ok(Response::ok(&jobs.into_iter().map(job_view).collect::<Vec<_>>()))
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
    // The operators' route names the friend; the portal's is the friend's own.
    let location = match request.param("id") {
        Some(id) => format!("/api/friends/{id}/workspace/crons/{}", job.name),
        None => format!("/api/portal/workspace/crons/{}", job.name),
    };
    Ok(Response::created(&job_view(job)).with_header("location", &location))
}

fn get(request: &Request) -> Result<Response> {
    let job = cron::get_job(request.required_param("name")?).map_err(error)?;
    Ok(Response::ok(&job_view(job)))
}

fn update(request: &Request) -> Result<Response> {
    let name = request.required_param("name")?;
    let body = object(request)?;
    let change = JobUpdate {
        message: string(&body, "message")?,
        cron: string(&body, "cron")?,
        tz: string(&body, "tz")?,
        session: string(&body, "session")?,
    };
    let job = cron::update_job(name, &change).map_err(error)?;
    Ok(Response::ok(&job_view(job)))
}

/// The kept runs, newest first.
fn runs(request: &Request) -> Result<Response> {
    let runs = cron::list_runs(request.required_param("name")?).map_err(error)?;
    Ok(Response::ok(&runs.into_iter().map(run_detail).collect::<Vec<_>>()))
}

fn delete(request: &Request) -> Result<Response> {
    cron::delete_job(request.required_param("name")?).map_err(error)?;
    Ok(Response::no_content())
}

fn too_many_runs(secs: u32) -> String {
    format!("too many jobs run by hand lately: the next may run in {secs} s")
}

/// 202 with the pending run; past the host's per-friend burst, 429 with `Retry-After`.
fn run(request: &Request) -> Result<Response> {
    match cron::run_job(request.required_param("name")?) {
        Ok(run) => Ok(Response::json(202, &run_view(run))),
        Err(cron::Error::RateLimited(secs)) => Ok(Error::new(429, "rate_limited", too_many_runs(secs))
            .into_response(&request.request_id)
            .with_header("retry-after", &secs.to_string())),
        Err(e) => Err(error(e)),
    }
}

fn toggle(request: &Request) -> Result<Response> {
    let name = request.required_param("name")?;
    let enabled = match object(request)?.get("enabled") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(Error::invalid("enabled", "is required: true or false")),
    };
    let job = cron::toggle_job(name, enabled).map_err(error)?;
    Ok(Response::ok(&job_view(job)))
}

export!(Crons);
