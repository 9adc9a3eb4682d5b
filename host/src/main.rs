/// See host/Cargo.toml: measured faster than glibc's malloc on the request path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // wasmtime builds an error value every time a request's store is dropped; with
    // RUST_BACKTRACE set, each would capture a backtrace (measured: the largest cost of a
    // plugin call). Library errors carry none unless asked for with RUST_LIB_BACKTRACE;
    // panics still honour RUST_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: no other thread exists yet; the runtime starts below.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("portal: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(portal::cli::run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portal: {e:#}");
            // A data dir that is not there is a mistake in the command line, as clap's are.
            if e.is::<portal::cli_secrets::MissingDataDir>() {
                std::process::ExitCode::from(2)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}
