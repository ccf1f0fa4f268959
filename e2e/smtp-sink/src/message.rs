//! A received message: the envelope plus what tests look at (subject, plain body).
//!
//! Only single-part messages are decoded (`7bit`/`8bit`, `quoted-printable`, `base64`); for
//! anything else `body` is the raw body and `raw` always holds the whole message.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Envelope sender (`MAIL FROM`).
    pub from: String,
    /// Envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    pub subject: String,
    /// The decoded text of the body.
    pub body: String,
    /// Headers and body as received (dot-unstuffed).
    pub raw: String,
    pub received_at: DateTime<Utc>,
}

impl Message {
    pub fn parse(from: String, to: Vec<String>, data: &str) -> Self {
        let (head, body) = match data.split_once("\r\n\r\n") {
            Some((h, b)) => (h, b),
            None if data.starts_with("\r\n") => ("", &data[2..]),
            None => (data, ""),
        };
        let headers = unfold(head);
        let header = |name: &str| {
            headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or("")
        };
        let body = match header("Content-Transfer-Encoding").to_ascii_lowercase().as_str() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_else(|| body.to_owned())
            }
            _ => body.to_owned(),
        };
        Self { from, to, subject: header("Subject").to_owned(), body, raw: data.to_owned(), received_at: Utc::now() }
    }
}

/// Header lines, continuation lines joined (RFC 5322 folding).
fn unfold(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

fn decode_quoted_printable(body: &str) -> String {
    let mut bytes = Vec::with_capacity(body.len());
    let mut soft = true; // nothing before the first line
    for line in body.split("\r\n") {
        if !soft {
            bytes.extend_from_slice(b"\r\n");
        }
        let mut raw = line.trim_end_matches([' ', '\t']).as_bytes();
        // A trailing '=' is a soft line break: the next line continues this one.
        soft = raw.last() == Some(&b'=');
        if soft {
            raw = &raw[..raw.len() - 1];
        }
        let mut j = 0;
        while j < raw.len() {
            if raw[j] == b'=' && j + 3 <= raw.len() {
                let hex = std::str::from_utf8(&raw[j + 1..j + 3]).ok();
                if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    bytes.push(b);
                    j += 3;
                    continue;
                }
            }
            bytes.push(raw[j]);
            j += 1;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_bodies_are_decoded_with_soft_breaks_joined() {
        let data = "Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhttp://h/reset?token=3Dab=\r\ncd caf=C3=A9\r\nend\r\n";
        let m = Message::parse("a@b".into(), vec!["c@d".into()], data);
        assert_eq!(m.body, "http://h/reset?token=abcd café\r\nend\r\n");
    }

    #[test]
    fn base64_bodies_and_folded_subjects_are_decoded() {
        let data = "Subject: a long\r\n subject\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd29ybGQ=\r\n";
        let m = Message::parse("a@b".into(), vec![], data);
        assert_eq!(m.subject, "a long subject");
        assert_eq!(m.body, "hello world");
    }
}
