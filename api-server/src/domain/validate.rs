//! Input parsed once into checked values (`Username::parse`...). Every limit of the API is here.

use shared::error::FieldError;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const DISPLAY_NAME_MAX: usize = 64;
pub const BIO_MAX: usize = 500;
pub const ALIAS_MAX: usize = 64;
pub const GROUP_NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 1000;
pub const CHANNEL_NAME_MAX: usize = 40;
pub const MESSAGE_MAX: usize = 4000;
pub const SEARCH_QUERY_MAX: usize = 64;
pub const STATUS_TEXT_MAX: usize = 80;
/// Bytes of one emoji (with modifiers and joiners it fits easily).
pub const EMOJI_MAX_BYTES: usize = 32;

/// Lower-case `[a-z0-9_.]{3,32}`; input is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.to_lowercase();
        let len = name.chars().count();
        if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
            return Err(FieldError::new("username", format!("must be {USERNAME_MIN} to {USERNAME_MAX} characters")));
        }
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.') {
            return Err(FieldError::new("username", "may contain only letters a-z, digits, '_' and '.'"));
        }
        Ok(Self(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An address as typed (trimmed; case kept, compared case-insensitively): one `@`, a local part
/// of 1-64 and a domain of 1-255 characters out of a safe set (no spaces, quotes, brackets,
/// commas or control characters: it goes into a mail header), 254 at most in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

pub const EMAIL_MAX: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let invalid = || FieldError::new("email", "must be an email address like name@example.com");
        if value.len() > EMAIL_MAX {
            return Err(FieldError::new("email", format!("must be at most {EMAIL_MAX} characters")));
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let local_ok = (1..=64).contains(&local.len())
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let domain_ok = !domain.is_empty()
            && domain.split('.').all(|label| {
                (1..=63).contains(&label.len())
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !local_ok || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(value.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
            return Err(FieldError::new("password", format!("must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")));
        }
        if raw.contains('\0') {
            return Err(FieldError::new("password", "may not contain NUL characters"));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed text of `min..=max` characters without control characters (newlines and tabs only
/// when `multiline`).
pub fn text(field: &str, raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, FieldError> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(FieldError::new(
            field,
            if min == 1 { "must not be blank".to_owned() } else { format!("must be at least {min} characters") },
        ));
    }
    if len > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    let bad = value.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')));
    if bad {
        return Err(FieldError::new(field, "may not contain control characters"));
    }
    Ok(value.to_owned())
}

/// One emoji (a reaction, a status): 1-32 bytes, no whitespace, control or ASCII characters
/// (so emoji cannot carry words).
pub fn emoji(field: &str, raw: &str) -> Result<String, FieldError> {
    let ok = !raw.is_empty()
        && raw.len() <= EMOJI_MAX_BYTES
        && raw.chars().all(|c| !c.is_whitespace() && !c.is_control() && !c.is_ascii());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(field, "must be one emoji (up to 32 bytes, no text)"))
    }
}

/// Collects field errors and turns them into one 422.
#[derive(Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn finish(self) -> Result<(), shared::Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(shared::Error::validation(self.0))
        }
    }
}

/// Page size: default 50, at most `max`.
pub fn limit(raw: Option<i64>, max: i64) -> Result<i64, FieldError> {
    match raw {
        None => Ok(50.min(max)),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(FieldError::new("limit", format!("must be between 1 and {max}"))),
    }
}

/// Splits the `limit + 1` rows a keyset query loaded into the page and the cursor of the next
/// page (None on the last one).
pub fn keyset_page<T, K>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> (Vec<T>, Option<K>) {
    let more = shared::num::len_i64(rows.len()) > limit;
    rows.truncate(shared::num::limit_usize(limit));
    let next = if more { rows.last().map(key) } else { None };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked() {
        for ok in ["a@b", "Ann.Lee+chat@Example.COM", " x_y@mail.example.org "] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Email::parse(" A@b.c ").map(|e| e.as_str().to_owned()), Ok("A@b.c".to_owned()));
        let long = format!("{}@example.com", "a".repeat(65));
        for bad in [
            "",
            "a",
            "@b.c",
            "a@",
            "a@@b",
            "a b@c.d",
            "a@b..c",
            ".a@b.c",
            "a@-b.c",
            "\"a\"@b.c",
            "a@b.c\r\nBcc: x@y.z",
            "a,b@c.d",
            "<a@b.c>",
            long.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emoji_are_checked() {
        for good in ["👍", "🎉", "👩🏽‍💻", "❤️"] {
            assert!(emoji("emoji", good).is_ok(), "{good}");
        }
        for bad in ["", "lol", "+1", "👍 ", "a👍", "\u{0}", &"😀".repeat(9)] {
            assert!(emoji("emoji", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(Username::parse("Alice_01").map(|u| u.0).ok(), Some("alice_01".into()));
        for bad in ["ab", "a b c", "x".repeat(33).as_str(), "drop;table", "ümlaut", "a\0bc"] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(text("f", "  hi  ", 1, 10, false).ok(), Some("hi".into()));
        assert!(text("f", "   ", 1, 10, false).is_err());
        assert!(text("f", "a\u{7}b", 1, 10, false).is_err());
        assert!(text("f", "a\nb", 1, 10, false).is_err());
        assert!(text("f", "a\nb", 1, 10, true).is_ok());
        assert!(text("f", &"é".repeat(11), 1, 10, false).is_err());
    }
}
