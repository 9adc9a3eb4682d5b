//! Content digests, and the size-capped, verifying collection of a downloaded blob.
//!
//! Only `sha256` is accepted: it is what every registry computes and what the Wasm OCI
//! artifact layout names; refusing other algorithms keeps "the same digest" one string.

use sha2::{Digest as _, Sha256};

use crate::error::Error;

/// `sha256:<hex>` of `bytes`, as a registry names content.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Whether `digest` is `sha256:` followed by 64 lowercase hex digits.
pub fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `digest` unchanged when it is a well-formed sha256 digest, [`Error::InvalidDigest`] otherwise.
pub(crate) fn check_sha256(digest: &str) -> Result<&str, Error> {
    if is_sha256_digest(digest) {
        Ok(digest)
    } else {
        Err(Error::InvalidDigest(digest.to_owned()))
    }
}

/// Collects a blob chunk by chunk, refusing it as soon as it grows past what its manifest
/// declared or past the caller's limit (so a lying registry cannot make us buffer more), and
/// checking its sha256 at the end.
pub(crate) struct BlobCollector {
    expected_digest: String,
    declared_size: u64,
    limit: u64,
    hasher: Sha256,
    bytes: Vec<u8>,
}

impl BlobCollector {
    /// `declared_size` is the manifest's; `limit` the caller's cap. The declared size has
    /// already been checked against the limit, but both are enforced on what arrives.
    pub(crate) fn new(expected_digest: &str, declared_size: u64, limit: u64) -> Self {
        // The declared size is at most `limit` here; reserve it, but never trust it past that.
        let reserve = usize::try_from(declared_size.min(limit)).unwrap_or(0);
        Self {
            expected_digest: expected_digest.to_owned(),
            declared_size,
            limit,
            hasher: Sha256::new(),
            bytes: Vec::with_capacity(reserve),
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let received = self.bytes.len() as u64 + chunk.len() as u64;
        if received > self.limit {
            return Err(Error::TooLarge {
                what: "layer",
                size: received,
                limit: self.limit,
            });
        }
        if received > self.declared_size {
            return Err(Error::LayerSizeMismatch {
                declared: self.declared_size,
                received,
            });
        }
        self.hasher.update(chunk);
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The blob, once it is exactly as long as declared and hashes to the expected digest.
    pub(crate) fn finish(self) -> Result<Vec<u8>, Error> {
        let received = self.bytes.len() as u64;
        if received != self.declared_size {
            return Err(Error::LayerSizeMismatch {
                declared: self.declared_size,
                received,
            });
        }
        let actual = format!("sha256:{:x}", self.hasher.finalize());
        if actual != self.expected_digest {
            return Err(Error::DigestMismatch {
                what: "layer",
                expected: self.expected_digest,
                actual,
            });
        }
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOB: &[u8] = b"\0asm\x0d\0\x01\0 not really a component";

    fn collect(
        chunks: &[&[u8]],
        digest: &str,
        declared: u64,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        let mut collector = BlobCollector::new(digest, declared, limit);
        for chunk in chunks {
            collector.push(chunk)?;
        }
        collector.finish()
    }

    #[test]
    fn digest_format() {
        let digest = sha256_digest(b"");
        assert_eq!(
            digest,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_sha256_digest(&digest));
        assert!(!is_sha256_digest(&digest.to_uppercase()));
        assert!(!is_sha256_digest(&digest[..70]));
        assert!(!is_sha256_digest(&digest.replace("sha256", "sha512")));
        assert!(check_sha256("sha256:xyz").is_err());
    }

    #[test]
    fn an_intact_blob_in_chunks_is_returned_whole() {
        let digest = sha256_digest(BLOB);
        let (a, b) = BLOB.split_at(5);
        let bytes = collect(&[a, b], &digest, BLOB.len() as u64, 1 << 20).expect("intact blob");
        assert_eq!(bytes, BLOB);
    }

    #[test]
    fn a_tampered_blob_is_refused() {
        let digest = sha256_digest(BLOB);
        let mut tampered = BLOB.to_vec();
        tampered[10] ^= 1;
        let err = collect(&[&tampered], &digest, BLOB.len() as u64, 1 << 20).unwrap_err();
        assert!(
            matches!(&err, Error::DigestMismatch { what: "layer", expected, actual }
                if *expected == digest && *actual == sha256_digest(&tampered)),
            "{err:?}"
        );
    }

    #[test]
    fn more_than_declared_is_refused_while_arriving() {
        let digest = sha256_digest(BLOB);
        let mut collector = BlobCollector::new(&digest, 4, 1 << 20);
        let err = collector.push(BLOB).unwrap_err();
        assert!(
            matches!(err, Error::LayerSizeMismatch { declared: 4, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn less_than_declared_is_refused_at_the_end() {
        let digest = sha256_digest(BLOB);
        let err = collect(&[&BLOB[..4]], &digest, BLOB.len() as u64, 1 << 20).unwrap_err();
        assert!(
            matches!(err, Error::LayerSizeMismatch { received: 4, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn more_than_the_limit_is_refused_while_arriving() {
        // A registry that understates the size in the manifest still cannot push past the cap.
        let digest = sha256_digest(BLOB);
        let mut collector = BlobCollector::new(&digest, 8, 8);
        collector.push(&BLOB[..8]).expect("within the limit");
        let err = collector.push(&BLOB[8..9]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooLarge {
                    what: "layer",
                    size: 9,
                    limit: 8
                }
            ),
            "{err:?}"
        );
    }
}
