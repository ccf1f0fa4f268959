//! Integer conversions between lengths (`usize`), SQL numbers (`i64`) and wire numbers (`u64`),
//! without `as`: each says what happens at the edge of the range (which no real value reaches).

use std::time::Duration;

/// A length or count as a SQL number (saturates: no slice is that long).
pub fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A SQL limit as a length (a negative one is 0).
pub fn limit_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// Milliseconds of a duration (saturates after 584 million years).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A count of seconds that cannot be negative (a negative one is 0).
pub fn non_negative(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_saturate_or_floor() {
        assert_eq!((len_i64(3), limit_usize(-1), limit_usize(7)), (3, 0, 7));
        assert_eq!((millis(Duration::from_millis(1500)), non_negative(-5), non_negative(5)), (1500, 0, 5));
    }
}
