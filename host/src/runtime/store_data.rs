//! What one request's wasmtime `Store` carries: the scope every capability reads its
//! friend, namespace and key prefix from, the WASI context (empty, made on first use),
//! the memory limiter.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::auth::Caller;
use crate::capabilities::Services;

/// Who a plugin call acts for. Set by the host from the authenticated request, never
/// from anything the guest says.
#[derive(Debug, Clone)]
pub struct Scope {
    pub plugin: String,
    pub caller: Caller,
    /// The subject friend: the caller on `/api/portal/*`, the checked `:id` on `/api/friends/:id/*`.
    pub friend: Option<String>,
    pub request_id: String,
}

/// What a capability answers on a route that has no subject friend (a policy mistake).
pub const NO_SUBJECT: &str = "this route has no subject friend";

impl Scope {
    pub fn namespace(&self) -> Option<String> {
        self.friend.as_deref().map(portal_store::namespace_of)
    }

    /// The subject friend and their namespace, when the route has one.
    pub fn subject(&self) -> Option<(String, String)> {
        let friend = self.friend.clone()?;
        let namespace = portal_store::namespace_of(&friend);
        Some((friend, namespace))
    }
}

/// Guest output kept per request and logged afterwards (panic messages land here).
const OUTPUT_CAPACITY: usize = 16 * 1024;

pub struct StoreData {
    pub scope: Scope,
    pub services: Arc<Services>,
    pub limiter: MemoryLimiter,
    /// Made when the guest first calls a WASI function: most calls never do (a plugin
    /// talks to the host through its granted interfaces), and building a WASI context
    /// (clocks, random sources, pipes) was a measurable part of every request.
    guest_io: Option<GuestIo>,
    table: ResourceTable,
}

/// The guest's WASI context and the pipes behind its stdout and stderr.
struct GuestIo {
    wasi: WasiCtx,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl GuestIo {
    fn new() -> Self {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        // No preopened directories, no environment, no arguments, no network.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .build();
        Self {
            wasi,
            stdout,
            stderr,
        }
    }
}

impl StoreData {
    pub fn new(scope: Scope, services: Arc<Services>, memory_cap: usize) -> Self {
        Self {
            scope,
            services,
            limiter: MemoryLimiter {
                cap: memory_cap,
                hit: false,
            },
            guest_io: None,
            table: ResourceTable::new(),
        }
    }

    /// What the guest wrote to stdout and to stderr (empty when it wrote nothing).
    pub fn output(&self) -> (bytes::Bytes, bytes::Bytes) {
        match &self.guest_io {
            Some(io) => (io.stdout.contents(), io.stderr.contents()),
            None => Default::default(),
        }
    }
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.guest_io.get_or_insert_with(GuestIo::new).wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and remembers that the cap was hit, so a guest that dies of it
/// gets "memory limit" rather than a bare trap.
pub struct MemoryLimiter {
    pub cap: usize,
    pub hit: bool,
}

/// Tables hold function references; no plugin needs more.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
