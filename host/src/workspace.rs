//! The workspace folder shared with the agent: `friends/<id>/{profile.json,MEMORY.md,...}`.
//! Every write goes to a temp file in the same folder and is renamed over the target,
//! so the agent never reads half a file.
//!
//! The agent can put links anywhere in the folder. Nothing under the root is reached
//! through one ([`crate::fsutil::nofollow`]): a friend's folder, `friends/` or a file that
//! is a link (or a pipe, a folder, a hard link) is refused, naming it, never followed, so
//! the portal reads and writes only inside the friend's own folder.

use std::path::{Path, PathBuf};

use crate::error::ApiError;
use crate::fsutil::nofollow::{Folder, Refusal};
use portal_store::Friend;

#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

/// Where the portal keeps deleted friends' folders, inside `friends/`.
const ARCHIVE: &str = ".deleted";

impl Workspace {
    pub fn open(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        let workspace = Self { root };
        workspace.friends(true).map_err(std::io::Error::other)?;
        Ok(workspace)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The friend's folder's path, for messages and tests; reading and writing go through
    /// [`Workspace::friend_folder`].
    pub fn friend_dir(&self, friend_id: &str) -> PathBuf {
        self.root.join("friends").join(friend_id)
    }

    /// `friends/`, never through a link.
    fn friends(&self, create: bool) -> Result<Folder, Refusal> {
        let root = Folder::open_root(&self.root)?;
        root.child("friends", create)?
            .ok_or_else(|| Refusal::Io("friends".into(), std::io::ErrorKind::NotFound.into()))
    }

    /// The friend's own folder, opened without following links; `None` when it does not
    /// exist and `create` is false. `friend_id` is a validated id, never a path from a request.
    pub fn friend_folder(&self, friend_id: &str, create: bool) -> Result<Option<Folder>, Refusal> {
        self.friends(create)?.child(friend_id, create)
    }

    /// Writes `profile.json`, the agent's view of who the friend is.
    pub async fn write_profile(&self, friend: &Friend) -> Result<(), ApiError> {
        let mut profile = serde_json::to_value(friend).map_err(ApiError::internal)?;
        profile["namespace"] = friend.namespace().into();
        let bytes = serde_json::to_vec_pretty(&profile).map_err(ApiError::internal)?;
        let workspace = self.clone();
        let id = friend.id.clone();
        blocking(move || {
            let folder = workspace
                .friend_folder(&id, true)?
                .ok_or_else(|| Refusal::Io(id.clone(), std::io::ErrorKind::NotFound.into()))?;
            folder.write_file("profile.json", &bytes)
        })
        .await
    }

    /// Moves a deleted friend's folder to `friends/.deleted/<id>-<time>/`: nothing the agent
    /// wrote is destroyed, and a friend later given the same id starts with a clean folder.
    /// Whatever stands at `friends/<id>` moves, a link as a link: nothing outside is touched.
    pub async fn archive(
        &self,
        friend_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        let workspace = self.clone();
        let id = friend_id.to_owned();
        let archived = format!("{friend_id}-{}", now.format("%Y%m%dT%H%M%S%.3fZ"));
        blocking(move || {
            let friends = workspace.friends(true)?;
            if friends.kind_of(&id)?.is_none() {
                return Ok(());
            }
            let archive = friends
                .child(ARCHIVE, true)?
                .ok_or_else(|| Refusal::Io(ARCHIVE.into(), std::io::ErrorKind::NotFound.into()))?;
            friends.move_to(&id, &archive, &archived)
        })
        .await
    }

    /// When the agent last wrote the friend's notes (`NOTES.md`); `None` when there are none
    /// (or they cannot be read: the notes route then says why).
    pub fn notes_modified(&self, friend_id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        let folder = self.friend_folder(friend_id, false).ok()??;
        let notes = crate::capabilities::workspace::file_name(
            crate::runtime::bindings::friend::portal::workspace::File::Notes,
        );
        let at = folder.modified(notes).ok()??;
        Some(at.into())
    }

    /// How many files the agent keeps in the friend's `logs/` (0 when there is none, or
    /// when it is not a plain folder).
    pub fn log_count(&self, friend_id: &str) -> usize {
        let count = || -> Result<usize, Refusal> {
            let Some(folder) = self.friend_folder(friend_id, false)? else {
                return Ok(0);
            };
            match folder.child("logs", false)? {
                Some(logs) => logs.count_files(),
                None => Ok(0),
            }
        };
        count().unwrap_or_else(|e| {
            tracing::warn!(friend = %friend_id, error = %e, "workspace logs not counted");
            0
        })
    }
}

/// Runs link-proof file work off the async threads; a refusal becomes a 409 naming the
/// path, any other failure a 500.
async fn blocking(
    f: impl FnOnce() -> Result<(), Refusal> + Send + 'static,
) -> Result<(), ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        if refusal.is_unsafe_path() {
            ApiError::conflict(format!(
                "workspace: {refusal}; ask the agent to replace it with a plain one"
            ))
        } else {
            ApiError::internal(refusal)
        }
    }
}
