//! The components built from `plugins/` by `build.rs`, carried by the binary.

include!(concat!(env!("OUT_DIR"), "/embedded_plugins.rs"));

pub fn get(name: &str) -> Option<&'static [u8]> {
    EMBEDDED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}
