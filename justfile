# Friend Portal tasks. `just --list` shows them.

# Run the portal with its embedded defaults.
run *ARGS:
    cargo run --release -- serve {{ARGS}}

# Every test (README's test command).
test:
    cargo test --workspace

# The release binary, with the default plugins inside.
build:
    cargo build --release

fmt:
    cargo fmt --all
    cd plugins && cargo fmt --all

# The host's workspace and the plugins' (a workspace of its own, for wasm32-wasip2).
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cd plugins && cargo fmt --all -- --check
    cd plugins && cargo clippy --release --target wasm32-wasip2 --target-dir ../target/plugins --workspace -- -D warnings

# Benchmarks of the release binary over loopback; prints the README's table.
# `just bench --friends 0 --cron-jobs 0` skips the (slow) scale and scheduler figures;
# `--no-kube` skips the kube-mode rows (the real control plane of tests/kube).
bench *ARGS: peer
    cargo build --release -p portal -p portal-bench
    ./target/release/portal-bench {{ARGS}}

# The benchmark's peer: wasmtime-cli from crates.io, the wasmtime version the portal embeds
# (Cargo.lock), with the features `wasmtime serve` needs. Installed once into target/peer.
peer:
    test -x target/peer/bin/wasmtime || cargo install --locked --root target/peer wasmtime-cli --version =48.0.8 \
        --no-default-features --features serve,run,cranelift,pooling-allocator,cache,parallel-compilation,component-model,component-model-async

# Browser tests only (they also run as part of `just test`).
e2e:
    cargo build -p portal
    PORTAL_BIN=target/debug/portal bash tests/browser/run.sh

# schemathesis against GET /api/openapi.json and a running debug portal, 200 examples per
# operation and phase (`cargo test` runs a smaller bound of the same).
fuzz:
    cargo build -p portal
    FUZZ_MAX_EXAMPLES=200 bash tests/fuzz/run.sh
