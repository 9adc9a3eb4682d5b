//! `?limit=` as the list endpoints read it: one rule, one error.

use crate::error::{ApiError, ApiResult};

/// The largest page any list endpoint returns.
pub const MAX_LIMIT: usize = 1000;
/// The page size of the newest-first logs (audit, outbox) when none is asked for.
pub const DEFAULT_LIMIT: usize = 100;

/// `limit` if it is 1 to [`MAX_LIMIT`]; otherwise a 422 naming the field.
pub fn checked_limit(limit: usize) -> ApiResult<usize> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid("limit", format!("must be 1-{MAX_LIMIT}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_one_to_the_maximum_are_refused() {
        assert_eq!(checked_limit(1).ok(), Some(1));
        assert_eq!(checked_limit(MAX_LIMIT).ok(), Some(MAX_LIMIT));
        assert!(checked_limit(0).is_err());
        assert!(checked_limit(MAX_LIMIT + 1).is_err());
    }
}
