//! The SMTP conversation of one client as a pure state machine (no I/O): a line in, the
//! replies out. Supports EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET, NOOP
//! and QUIT; no AUTH, no STARTTLS. Whatever the client sends, the sink never refuses a message
//! for its content: it is a test double.

use crate::message::Message;

/// Longest command or data line accepted (RFC 5321 allows 1000 with CRLF; be lenient).
pub const MAX_LINE: usize = 4096;
/// Largest message kept (bytes of DATA).
pub const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// What the connection does after a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing to send (inside DATA).
    Continue,
    /// Send this reply (one or more CRLF-terminated lines).
    Reply(String),
    /// A message was received: keep it, then send the reply.
    Delivered(Box<Message>, String),
    /// Send the reply, then close.
    Quit(String),
}

#[derive(Debug, Default)]
pub struct Session {
    greeted: bool,
    from: Option<String>,
    to: Vec<String>,
    /// `Some` while reading DATA.
    data: Option<String>,
    too_big: bool,
}

pub const GREETING: &str = "220 smtp-sink ESMTP ready\r\n";

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles one line without its CRLF.
    pub fn line(&mut self, line: &str) -> Step {
        if let Some(data) = self.data.as_mut() {
            if line == "." {
                let data = self.data.take().unwrap_or_default();
                let too_big = std::mem::take(&mut self.too_big);
                let from = self.from.take().unwrap_or_default();
                let to = std::mem::take(&mut self.to);
                if too_big {
                    return Step::Reply("552 message too big\r\n".into());
                }
                let message = Message::parse(from, to, &data);
                return Step::Delivered(Box::new(message), "250 OK: queued\r\n".into());
            }
            // Dot-stuffing (RFC 5321 4.5.2): a leading dot was doubled by the client.
            let line = line.strip_prefix('.').unwrap_or(line);
            if data.len() + line.len() + 2 > MAX_MESSAGE {
                self.too_big = true;
            } else {
                data.push_str(line);
                data.push_str("\r\n");
            }
            return Step::Continue;
        }
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim()),
            None => (line.trim().to_ascii_uppercase(), ""),
        };
        let reply = |s: &str| Step::Reply(format!("{s}\r\n"));
        match verb.as_str() {
            "EHLO" => {
                self.greeted = true;
                self.reset();
                Step::Reply(format!(
                    "250-smtp-sink greets {arg}\r\n250-8BITMIME\r\n250-SIZE {MAX_MESSAGE}\r\n250 SMTPUTF8\r\n"
                ))
            }
            "HELO" => {
                self.greeted = true;
                self.reset();
                reply("250 smtp-sink")
            }
            "MAIL" if !self.greeted => reply("503 send EHLO or HELO first"),
            "MAIL" => match path_arg(arg, "FROM:") {
                Some(from) => {
                    self.reset();
                    self.from = Some(from);
                    reply("250 OK")
                }
                None => reply("501 syntax: MAIL FROM:<address>"),
            },
            "RCPT" if self.from.is_none() => reply("503 need MAIL FROM first"),
            "RCPT" => match path_arg(arg, "TO:") {
                Some(to) if !to.is_empty() => {
                    self.to.push(to);
                    reply("250 OK")
                }
                _ => reply("501 syntax: RCPT TO:<address>"),
            },
            "DATA" if self.to.is_empty() => reply("503 need RCPT TO first"),
            "DATA" => {
                self.data = Some(String::new());
                reply("354 end data with <CR><LF>.<CR><LF>")
            }
            "RSET" => {
                self.reset();
                reply("250 OK")
            }
            "NOOP" => reply("250 OK"),
            "QUIT" => Step::Quit("221 bye\r\n".into()),
            "" => reply("500 empty command"),
            _ => reply("502 command not implemented"),
        }
    }

    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
        self.data = None;
        self.too_big = false;
    }
}

/// `FROM:<a@b> SIZE=12` -> `a@b` (the angle brackets are optional; parameters are ignored).
fn path_arg(arg: &str, prefix: &str) -> Option<String> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let addr = match rest.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?.0,
        None => rest.split_whitespace().next().unwrap_or(""),
    };
    Some(addr.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(session: &mut Session, lines: &[&str]) -> Vec<Step> {
        lines.iter().map(|l| session.line(l)).collect()
    }

    fn delivered(steps: Vec<Step>) -> Message {
        steps
            .into_iter()
            .find_map(|s| match s {
                Step::Delivered(m, _) => Some(*m),
                _ => None,
            })
            .expect("a message was delivered")
    }

    #[test]
    fn a_message_to_several_recipients_is_delivered_once_with_all_of_them() {
        let mut s = Session::new();
        let steps = run(
            &mut s,
            &[
                "EHLO client",
                "MAIL FROM:<no-reply@localhost> SIZE=100",
                "RCPT TO:<a@example.com>",
                "rcpt to: b@example.com",
                "DATA",
                "Subject: Hi",
                "",
                "Hello",
                ".",
            ],
        );
        let m = delivered(steps);
        assert_eq!(m.from, "no-reply@localhost");
        assert_eq!(m.to, vec!["a@example.com", "b@example.com"]);
        assert_eq!(m.subject, "Hi");
        assert_eq!(m.body, "Hello\r\n");
    }

    #[test]
    fn dot_stuffed_lines_lose_their_extra_dot() {
        let mut s = Session::new();
        let steps = run(
            &mut s,
            &[
                "HELO c",
                "MAIL FROM:<x@y>",
                "RCPT TO:<a@b>",
                "DATA",
                "Subject: dots",
                "",
                "..leading",
                "..",
                "...x",
                ".",
            ],
        );
        let m = delivered(steps);
        assert_eq!(m.body, ".leading\r\n.\r\n..x\r\n");
    }

    #[test]
    fn commands_out_of_order_are_refused() {
        let mut s = Session::new();
        assert!(matches!(s.line("MAIL FROM:<x@y>"), Step::Reply(r) if r.starts_with("503")));
        assert!(matches!(s.line("HELO c"), Step::Reply(r) if r.starts_with("250")));
        assert!(matches!(s.line("RCPT TO:<a@b>"), Step::Reply(r) if r.starts_with("503")));
        assert!(matches!(s.line("MAIL FROM:<x@y>"), Step::Reply(r) if r.starts_with("250")));
        assert!(matches!(s.line("DATA"), Step::Reply(r) if r.starts_with("503")));
        assert!(matches!(s.line("MAIL TO:<x@y>"), Step::Reply(r) if r.starts_with("501")));
        assert!(matches!(s.line("VRFY x"), Step::Reply(r) if r.starts_with("502")));
        assert!(matches!(s.line("NOOP"), Step::Reply(r) if r.starts_with("250")));
        assert!(matches!(s.line("QUIT"), Step::Quit(r) if r.starts_with("221")));
    }

    #[test]
    fn rset_forgets_the_envelope() {
        let mut s = Session::new();
        run(&mut s, &["HELO c", "MAIL FROM:<x@y>", "RCPT TO:<a@b>", "RSET"]);
        assert!(matches!(s.line("DATA"), Step::Reply(r) if r.starts_with("503")));
    }

    #[test]
    fn a_second_message_on_the_same_connection_has_its_own_envelope() {
        let mut s = Session::new();
        let first = delivered(run(&mut s, &["HELO c", "MAIL FROM:<x@y>", "RCPT TO:<a@b>", "DATA", "", "one", "."]));
        let second = delivered(run(&mut s, &["MAIL FROM:<z@y>", "RCPT TO:<c@d>", "DATA", "", "two", "."]));
        assert_eq!(first.to, vec!["a@b"]);
        assert_eq!((second.from.as_str(), second.to.clone()), ("z@y", vec!["c@d".to_owned()]));
        assert_eq!(second.body, "two\r\n");
    }
}
