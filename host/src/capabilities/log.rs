//! `log`: a plugin's lines in the host's log, tagged with the plugin and the request.

use crate::runtime::bindings::friend::portal::log::{Host, Level};
use crate::runtime::store_data::StoreData;

/// Long lines are cut: a plugin cannot flood the log with one call.
const MAX_LINE: usize = 4096;

impl Host for StoreData {
    async fn log(&mut self, level: Level, message: String) {
        let mut message = message;
        if message.len() > MAX_LINE {
            let mut end = MAX_LINE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        let plugin = self.scope.plugin.as_str();
        let request_id = self.scope.request_id.as_str();
        match level {
            Level::Trace => tracing::trace!(plugin, request_id, "{message}"),
            Level::Debug => tracing::debug!(plugin, request_id, "{message}"),
            Level::Info => tracing::info!(plugin, request_id, "{message}"),
            Level::Warn => tracing::warn!(plugin, request_id, "{message}"),
            Level::Error => tracing::error!(plugin, request_id, "{message}"),
        }
    }
}
