//! Where the command line takes a token from: a file (best: not in the process list, not
//! in the environment other processes of the user can read), the environment, or a flag
//! (worst: every user of the machine sees it in `ps`). Also the refusal of a data dir that
//! does not exist, which the commands that only read one must not create.

use std::path::{Path, PathBuf};

/// A token given as a value (flag or environment) or as a file holding it; `None` when neither.
pub fn token_from(
    value: Option<&str>,
    file: Option<&Path>,
    what: &str,
) -> anyhow::Result<Option<String>> {
    let value = value.map(str::trim).filter(|t| !t.is_empty());
    match (value, file) {
        (Some(_), Some(file)) => anyhow::bail!(
            "the {what} is given twice (as a value and in {}): give it one way",
            file.display()
        ),
        (Some(value), None) => Ok(Some(value.to_owned())),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                anyhow::anyhow!("cannot read the {what} from {}: {e}", file.display())
            })?;
            let token = text.trim();
            if token.is_empty() {
                anyhow::bail!("{} is empty: it should hold the {what}", file.display());
            }
            Ok(Some(token.to_owned()))
        }
        (None, None) => Ok(None),
    }
}

/// A command was pointed at a data dir that is not there; `main` exits 2 for it, as for
/// any other mistake in the command line.
#[derive(Debug, thiserror::Error)]
#[error(
    "the data dir {} does not exist (give --data-dir or PORTAL_DATA_DIR the folder `portal serve` uses)",
    .0.display()
)]
pub struct MissingDataDir(pub PathBuf);

/// Refuses a data dir that does not exist, rather than creating an empty one.
pub fn existing_data_dir(dir: &Path) -> Result<(), MissingDataDir> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(MissingDataDir(dir.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_comes_from_one_place() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(
            token_from(None, Some(&file), "admin token")
                .unwrap()
                .as_deref(),
            Some("from-file")
        );
        assert_eq!(
            token_from(Some(" v "), None, "admin token")
                .unwrap()
                .as_deref(),
            Some("v")
        );
        assert_eq!(token_from(Some(" "), None, "admin token").unwrap(), None);
        let twice = token_from(Some("v"), Some(&file), "admin token").unwrap_err();
        assert!(twice.to_string().contains("given twice"), "{twice}");
        std::fs::write(&file, "\n").unwrap();
        assert!(token_from(None, Some(&file), "admin token").is_err());
        let missing = dir.path().join("nope");
        let err = token_from(None, Some(&missing), "admin token").unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
