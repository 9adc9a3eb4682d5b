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

lint:
    cargo clippy --workspace --all-targets -- -D warnings
