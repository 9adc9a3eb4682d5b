//! `PATCH`-style changes to a friend's profile (`PUT /api/friends/:id`, `PUT /api/portal/me`):
//! its schema is the host's validation rules.

use portal_store::Friend;
use serde::Deserialize;

/// A partial update: an absent field keeps its value, `null` clears it.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FriendPatch {
    #[serde(default)]
    #[schemars(length(min = 1, max = crate::validate::DISPLAY_NAME_MAX), pattern(crate::validate::DISPLAY_NAME_PATTERN))]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", pattern(crate::validate::DISCORD_ID_PATTERN))]
    pub discord_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", pattern(crate::validate::PHONE_PATTERN))]
    pub signal: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", pattern(crate::validate::PHONE_PATTERN))]
    pub whatsapp: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    pub preferred_channel: Option<Option<String>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl FriendPatch {
    pub fn apply(self, friend: &mut Friend) {
        if let Some(v) = self.display_name {
            friend.display_name = v;
        }
        if let Some(v) = self.discord_id {
            friend.discord_id = v;
        }
        if let Some(v) = self.signal {
            friend.signal = v;
        }
        if let Some(v) = self.whatsapp {
            friend.whatsapp = v;
        }
        if let Some(v) = self.preferred_channel {
            friend.preferred_channel = v;
        }
    }
}
