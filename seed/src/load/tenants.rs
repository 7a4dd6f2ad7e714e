//! Tenant sizes of the load profile: a heavy tail by rank, so that a few users own most of the
//! RAG chunks and tens of thousands of messages while most own a few or none.
//!
//! Every user gets the ordinary rows of the other modules; on top of them user `r` (from 1:
//! user 0 is the admin who owns the long conversation) gets `1/r²` of the largest tenant's
//! extra chunks and extra messages (Zipf's law with exponent 2). The tail's total stays under
//! 1.65 times the largest tenant's, whatever the scale, and past rank `√largest` it is empty.

/// The largest tenant's extra chunks, and extra messages, at `scale`: forty per user of the
/// platform, capped at 50,000 (one customer's knowledge base and years of chats, not the
/// platform's size).
pub fn largest(scale: u64) -> u64 {
    (40 * scale).min(LARGEST_CAP)
}

/// The most extra rows any tenant has.
pub const LARGEST_CAP: u64 = 50_000;

/// The extra rows (chunks, or messages) of user `u` at `scale`.
pub fn extra(u: u64, scale: u64) -> u64 {
    if u == 0 || u >= scale {
        return 0;
    }
    largest(scale) / (u * u)
}

/// The largest tenant: the user with the most extra rows.
pub const LARGEST_TENANT: u64 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_total(scale: u64) -> u64 {
        (0..scale).map(|u| extra(u, scale)).sum()
    }

    #[test]
    fn the_largest_tenant_meets_the_issue_sizes_and_the_tail_stays_bounded() {
        assert!(extra(LARGEST_TENANT, 500) >= 20_000);
        assert!(extra(LARGEST_TENANT, 5_000) >= 50_000);
        for scale in [20, 500, 5_000, 20_000] {
            let total = tail_total(scale);
            assert!(total <= largest(scale) * 165 / 100, "{scale}: {total}");
            assert!((1..scale).all(|u| extra(u, scale) >= extra(u + 1, scale)));
        }
        assert_eq!(extra(0, 5_000), 0);
        assert_eq!(extra(300, 5_000), 0);
    }
}
