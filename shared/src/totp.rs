//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps,
//! 6 digits, the defaults every authenticator app uses. Secrets travel as RFC 4648 base32.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: usize = 6;
/// Steps accepted either side of now (clock drift between phone and server).
pub const DRIFT_STEPS: i64 = 1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new random 160-bit secret, base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    base32_encode(&bytes)
}

pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((n >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

/// Decodes base32 (case, spaces and padding ignored); None on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let (mut bits, mut value, mut out) = (0u32, 0u64, Vec::new());
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let index = ALPHABET.iter().position(|a| *a as char == c.to_ascii_uppercase())?;
        value = (value << 5) | index as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits).to_le_bytes()[0]);
            value &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The code of one time step (`unix seconds / 30`).
pub fn code_at(secret: &str, step: i64) -> Option<String> {
    let key = base32_decode(secret).filter(|k| !k.is_empty())?;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary =
        u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    Some(format!("{:0width$}", binary % 10u32.pow(u32::try_from(DIGITS).unwrap_or(6)), width = DIGITS))
}

pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The step a code matches, within the drift window around `now` and strictly after
/// `last_used` (a code works once). None when it matches nothing.
pub fn verify(secret: &str, code: &str, unix_secs: i64, last_used: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_secs);
    (now - DRIFT_STEPS..=now + DRIFT_STEPS)
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| code_at(secret, *step).is_some_and(|c| constant_time_eq(c.as_bytes(), code.as_bytes())))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What authenticator apps scan (as a QR code) to add the account.
pub fn otpauth_uri(secret: &str, account: &str, issuer: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA1 seed "12345678901234567890"), last 6 of the 8 digits.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = base32_encode(b"12345678901234567890");
        for (time, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(code_at(&secret, step_of(time)).as_deref(), Some(code), "t={time}");
        }
    }

    #[test]
    fn base32_round_trips_and_refuses_junk() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(base32_decode(&base32_encode(bytes)).as_deref(), Some(bytes));
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw 6ytb oi=="), Some(b"foobar".to_vec()));
        assert_eq!(base32_decode("MZ1W"), None);
        assert_eq!(new_secret().len(), 32);
    }

    #[test]
    fn a_code_works_once_within_the_drift_window() {
        let secret = new_secret();
        let now = 1_700_000_000;
        let code = code_at(&secret, step_of(now)).expect("code");
        let step = verify(&secret, &code, now, None).expect("valid now");
        assert_eq!(verify(&secret, &code, now + 30, None), Some(step), "one step of drift");
        assert_eq!(verify(&secret, &code, now + 90, None), None, "too old");
        assert_eq!(verify(&secret, &code, now, Some(step)), None, "replayed");
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert_eq!(verify(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn otpauth_uri_is_what_apps_expect() {
        assert_eq!(
            otpauth_uri("MZXW6YTBOI", "anna smith", "Chat"),
            "otpauth://totp/Chat:anna%20smith?secret=MZXW6YTBOI&issuer=Chat&algorithm=SHA1&digits=6&period=30"
        );
    }
}
