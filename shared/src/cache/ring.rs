//! Which server holds a key: rendezvous (highest random weight) hashing. Every process computes
//! the same answer from the same server list, and removing one server moves only the keys it
//! held (each key's ranking of the other servers does not change). A server that is down is
//! not skipped: its keys are unavailable (callers degrade) rather than rehomed, so the values
//! on the others stay authoritative when it comes back.

/// Index into `servers` of the server that owns `key` (`servers` must not be empty).
pub fn owner(servers: &[impl AsRef<str>], key: &str) -> usize {
    let mut best = (0, 0u64);
    for (i, server) in servers.iter().enumerate() {
        let w = weight(server.as_ref(), key);
        if i == 0 || w > best.1 {
            best = (i, w);
        }
    }
    best.0
}

/// A stable 64-bit hash of (server, key): FNV-1a, then MurmurHash3's finalizer so that keys
/// differing in their last byte still spread over the whole range. (Not `DefaultHasher`: its
/// output may change between Rust releases, and every node must agree.)
fn weight(server: &str, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in server.bytes().chain([0u8]).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> impl Iterator<Item = String> {
        (0..6_000).map(|i| format!("presence:{i}"))
    }

    #[test]
    fn one_server_owns_everything() {
        assert!(keys().all(|k| owner(&["a:1"], &k) == 0));
    }

    #[test]
    fn keys_spread_evenly_over_the_servers() {
        let servers = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"];
        let mut counts = [0usize; 3];
        keys().for_each(|k| counts[owner(&servers, &k)] += 1);
        // 2,000 expected each; allow 10 %.
        assert!(counts.iter().all(|&c| (1_800..=2_200).contains(&c)), "{counts:?}");
    }

    #[test]
    fn removing_a_server_moves_only_its_keys() {
        let three = ["a:11211", "b:11211", "c:11211"];
        let two = ["a:11211", "c:11211"];
        for k in keys() {
            let before = three[owner(&three, &k)];
            let after = two[owner(&two, &k)];
            if before != "b:11211" {
                assert_eq!(before, after, "{k} moved although its server stayed");
            }
        }
    }

    #[test]
    fn the_order_of_the_list_does_not_matter() {
        let ab = ["a:11211", "b:11211"];
        let ba = ["b:11211", "a:11211"];
        assert!(keys().all(|k| ab[owner(&ab, &k)] == ba[owner(&ba, &k)]));
    }
}
