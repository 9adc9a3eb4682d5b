//! Builds the plugins (a workspace of their own, for wasm32-wasip2) into `target/plugins`
//! and embeds them, so `target/release/portal` runs the whole portal by itself.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every component the binary carries: the default plugins and the test fixtures.
const PLUGINS: &[&str] = &[
    "secrets",
    "namespace",
    "exposure",
    "workspace",
    "crons",
    "hello",
    "hello2",
    "spin",
    "hog",
    "crash",
    "greedy",
];

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ sits in the repository root")
        .to_owned();
    let plugins = root.join("plugins");
    let target_dir = root.join("target").join("plugins");
    for watched in [
        "plugins/sdk",
        "plugins/fixtures",
        "plugins/Cargo.toml",
        "plugins/Cargo.lock",
        "wit",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    for plugin in PLUGINS.iter().filter(|p| plugins.join(p).exists()) {
        println!("cargo:rerun-if-changed={}", plugins.join(plugin).display());
    }

    build_plugins(&plugins, &target_dir);

    let out_dir = target_dir.join("wasm32-wasip2").join("release");
    let mut table = String::from(
        "/// The components built from `plugins/`, by name.\npub static EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    for name in PLUGINS {
        let file = out_dir.join(format!("{name}.wasm"));
        assert!(file.exists(), "plugin build produced no {}", file.display());
        table.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            file.display().to_string()
        ));
    }
    table.push_str("];\n");
    let generated = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_plugins.rs");
    std::fs::write(generated, table).expect("write embedded_plugins.rs");
    // Tests load fixture builds from here.
    println!("cargo:rustc-env=PORTAL_PLUGIN_DIR={}", out_dir.display());
}

/// rustup installs the targets of rust-toolchain.toml only when it installs the toolchain
/// itself; with an existing toolchain (or `RUSTUP_AUTO_INSTALL=0`) the wasm target may be
/// missing. Where rustup manages the toolchain, add it, so the README's first command works
/// on a fresh machine. Without rustup, the build below says what is missing.
fn ensure_wasm_target() {
    let Ok(output) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    else {
        return;
    };
    let installed = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || installed.lines().any(|t| t.trim() == "wasm32-wasip2") {
        return;
    }
    println!(
        "cargo:warning=adding the wasm32-wasip2 target with rustup (the plugins are built for it)"
    );
    let added = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .status();
    if !added.is_ok_and(|s| s.success()) {
        println!(
            "cargo:warning=`rustup target add wasm32-wasip2` failed; the plugin build will say why"
        );
    }
}

fn build_plugins(plugins: &Path, target_dir: &Path) {
    ensure_wasm_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(plugins)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    if std::env::var_os("CARGO_NET_OFFLINE").is_some() {
        command.arg("--offline");
    }
    // The outer build's settings are for the host, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "CARGO_PRIMARY_PACKAGE",
        "RUSTC",
        "RUSTDOC",
    ] {
        command.env_remove(var);
    }
    let status = command.status().expect("run cargo to build the plugins");
    if !status.success() {
        panic!(
            "building the plugins for wasm32-wasip2 failed (see above). \
             Is the target installed? `rustup target add wasm32-wasip2`"
        );
    }
}
