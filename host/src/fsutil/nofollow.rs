//! Folders and files under a trusted root, reached without following a single link.
//!
//! The workspace is shared with the agent, which can put a symlink anywhere in it. Paths
//! are therefore never resolved by the kernel in one go: each folder is opened from its
//! parent's descriptor with `O_NOFOLLOW | O_DIRECTORY`, and each file with `O_NOFOLLOW`,
//! so a link (as the last part or on the way) is refused, never followed, whatever is
//! swapped in between two calls. Only plain files with one name are read or written; a
//! hard link to someone else's file is refused like a symbolic one.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// Why a path under the root was not used. The message names it in plain words.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0} is a link, not a {1}; the portal does not follow links")]
    Link(String, &'static str),
    #[error("{0} is {1}, not a {2}")]
    Kind(String, &'static str, &'static str),
    #[error("{0} has more than one name (a hard link); the portal only uses files with one name")]
    HardLinked(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

impl Refusal {
    /// A refusal about what is on disk (a link, a folder, ...), not a failure to reach it.
    pub fn is_unsafe_path(&self) -> bool {
        !matches!(self, Refusal::Io(..))
    }
}

/// An open folder and its path relative to the root, for messages.
#[derive(Debug)]
pub struct Folder {
    fd: OwnedFd,
    shown: String,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::RegularFile => "a file",
        FileType::Directory => "a folder",
        FileType::Symlink => "a link",
        FileType::Fifo => "a pipe",
        FileType::Socket => "a socket",
        FileType::CharacterDevice | FileType::BlockDevice => "a device",
        FileType::Unknown => "of an unknown kind",
    }
}

/// One plain name: no separator, not `.` or `..`, not empty.
fn plain(name: &str) -> Result<&str, std::io::Error> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("'{}' is not a plain name", name.escape_debug()),
        ));
    }
    Ok(name)
}

impl Folder {
    /// The root itself, which the operator chose: a link here is theirs, and followed.
    pub fn open_root(root: &Path) -> Result<Self, Refusal> {
        let fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Refusal::Io(root.display().to_string(), e.into()))?;
        Ok(Self {
            fd,
            shown: String::new(),
        })
    }

    fn shown(&self, name: &str) -> String {
        if self.shown.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.shown)
        }
    }

    fn io(&self, name: &str, e: impl Into<std::io::Error>) -> Refusal {
        Refusal::Io(self.shown(name), e.into())
    }

    /// What `name` is, without following it; `None` when there is nothing by that name.
    pub fn kind_of(&self, name: &str) -> Result<Option<FileType>, Refusal> {
        let name = plain(name).map_err(|e| self.io(name, e))?;
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(FileType::from_raw_mode(stat.st_mode))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(self.io(name, e)),
        }
    }

    /// A refusal naming what `name` is instead of a `wanted`.
    fn wrong_kind(&self, name: &str, wanted: &'static str) -> Refusal {
        match self.kind_of(name) {
            Ok(Some(FileType::Symlink)) => Refusal::Link(self.shown(name), wanted),
            Ok(Some(kind)) => Refusal::Kind(self.shown(name), kind_name(kind), wanted),
            Ok(None) => self.io(name, Errno::NOENT),
            Err(e) => e,
        }
    }

    /// The sub-folder `name`, never through a link; `Ok(None)` when it does not exist and
    /// `create` is false. A folder created here is made durable (its parent is fsynced).
    pub fn child(&self, name: &str, create: bool) -> Result<Option<Folder>, Refusal> {
        let name = plain(name).map_err(|e| self.io(name, e))?;
        if create {
            match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o755)) {
                Ok(()) => rustix::fs::fsync(&self.fd).map_err(|e| self.io(name, e))?,
                Err(Errno::EXIST) => {}
                Err(e) => return Err(self.io(name, e)),
            }
        }
        match rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(Some(Folder {
                fd,
                shown: self.shown(name),
            })),
            Err(Errno::NOENT) if !create => Ok(None),
            Err(Errno::LOOP | Errno::NOTDIR) => Err(self.wrong_kind(name, "folder")),
            Err(e) => Err(self.io(name, e)),
        }
    }

    /// Opens `name` for reading if it is a plain file with one name; `None` when absent.
    fn open_file(&self, name: &str) -> Result<Option<std::fs::File>, Refusal> {
        let name = plain(name).map_err(|e| self.io(name, e))?;
        // NONBLOCK: a pipe put here must not hang the open; it is refused just below.
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(Refusal::Link(self.shown(name), "file")),
            Err(e) => return Err(self.io(name, e)),
        };
        let stat = rustix::fs::fstat(&fd).map_err(|e| self.io(name, e))?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile if stat.st_nlink <= 1 => Ok(Some(std::fs::File::from(fd))),
            FileType::RegularFile => Err(Refusal::HardLinked(self.shown(name))),
            kind => Err(Refusal::Kind(self.shown(name), kind_name(kind), "file")),
        }
    }

    /// At most `cap + 1` bytes of the plain file `name`; `None` when there is none.
    pub fn read_file(&self, name: &str, cap: u64) -> Result<Option<Vec<u8>>, Refusal> {
        let Some(file) = self.open_file(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io(name, e))?;
        Ok(Some(bytes))
    }

    /// When the plain file `name` last changed (from the file opened as [`Folder::read_file`]
    /// opens it: never through a link); `None` when there is none.
    pub fn modified(&self, name: &str) -> Result<Option<std::time::SystemTime>, Refusal> {
        let Some(file) = self.open_file(name)? else {
            return Ok(None);
        };
        let meta = file.metadata().map_err(|e| self.io(name, e))?;
        meta.modified().map(Some).map_err(|e| self.io(name, e))
    }

    /// Replaces `name` with `bytes` atomically: a new temp file beside it (created, never
    /// opened through a link), fsynced, renamed over `name`, the folder fsynced. What stands
    /// at `name` must be a plain file with one name, or nothing. A link swapped in after the
    /// check is replaced by the rename, never written through.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), Refusal> {
        let name = plain(name).map_err(|e| self.io(name, e))?;
        drop(self.open_file(name)?);
        let (tmp, file) = self.create_temp(name)?;
        let written = (|| -> std::io::Result<()> {
            let mut file = file;
            file.write_all(bytes)?;
            file.sync_all()?;
            rustix::fs::renameat(&self.fd, tmp.as_str(), &self.fd, name)?;
            rustix::fs::fsync(&self.fd)?;
            Ok(())
        })();
        if let Err(e) = written {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
            return Err(self.io(name, e));
        }
        Ok(())
    }

    /// `.tmp-<name>-<random>`, created exclusively (an existing name, a link included, is
    /// never opened: another name is tried).
    fn create_temp(&self, name: &str) -> Result<(String, std::fs::File), Refusal> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut last = Errno::EXIST;
        for _ in 0..8 {
            let tmp = format!(".tmp-{name}-{:016x}", rand::random::<u64>());
            match rustix::fs::openat(&self.fd, tmp.as_str(), flags, Mode::from_raw_mode(0o600)) {
                Ok(fd) => return Ok((tmp, std::fs::File::from(fd))),
                Err(Errno::EXIST) => last = Errno::EXIST,
                Err(e) => return Err(self.io(name, e)),
            }
        }
        Err(self.io(name, last))
    }

    /// Moves `name` (whatever it is: a link moves as a link) to `to/new_name`, then makes
    /// both folders durable.
    pub fn move_to(&self, name: &str, to: &Folder, new_name: &str) -> Result<(), Refusal> {
        let name = plain(name).map_err(|e| self.io(name, e))?;
        let new_name = plain(new_name).map_err(|e| to.io(new_name, e))?;
        rustix::fs::renameat(&self.fd, name, &to.fd, new_name).map_err(|e| self.io(name, e))?;
        rustix::fs::fsync(&to.fd).map_err(|e| to.io(new_name, e))?;
        rustix::fs::fsync(&self.fd).map_err(|e| self.io(name, e))
    }

    /// How many plain files the folder holds (links and folders are not counted).
    pub fn count_files(&self) -> Result<usize, Refusal> {
        let dir = rustix::fs::Dir::read_from(&self.fd).map_err(|e| self.io(".", e))?;
        let mut count = 0;
        for entry in dir {
            let entry = entry.map_err(|e| self.io(".", e))?;
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    self.kind_of(&name)?.unwrap_or(FileType::Unknown)
                }
                kind => kind,
            };
            if kind == FileType::RegularFile {
                count += 1;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
#[path = "nofollow_tests.rs"]
mod tests;
