//! One connection speaking Memcached's text protocol, buffered both ways: a command is one
//! `write` and its answer usually one `read`. (The `memcache` crate wrote every header field
//! of its binary protocol with its own syscall, ~12 per command: the largest single cost of a
//! REST send in the profile, see BENCHMARKS.md.)

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// What went wrong on a connection. `Io` and `Protocol` leave the connection unusable.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("unexpected answer from memcached: {0}")]
    Protocol(String),
    #[error("invalid key {0:?} (1-250 bytes, no spaces or control characters)")]
    BadKey(String),
}

/// A stored value: data and CAS token.
pub struct Item {
    pub value: String,
    pub cas: u64,
}

pub struct Connection {
    reader: BufReader<TcpStream>,
    out: Vec<u8>,
}

impl Connection {
    pub fn connect(addr: &str, timeout: Duration) -> Result<Self, ProtocolError> {
        let target = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("cannot resolve {addr}")))?;
        let stream = TcpStream::connect_timeout(&target, timeout)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(Self { reader: BufReader::with_capacity(4096, stream), out: Vec::with_capacity(256) })
    }

    pub fn version(&mut self) -> Result<String, ProtocolError> {
        self.out.extend_from_slice(b"version\r\n");
        self.send()?;
        let line = self.line()?;
        line.strip_prefix("VERSION ").map(str::to_owned).ok_or_else(|| unexpected(&line))
    }

    /// `add`: `Ok(false)` when the key exists.
    pub fn add(&mut self, key: &str, value: &str, ttl: u32) -> Result<bool, ProtocolError> {
        self.storage("add", key, value, ttl, None)?;
        self.send()?;
        self.stored()
    }

    pub fn set(&mut self, key: &str, value: &str, ttl: u32) -> Result<(), ProtocolError> {
        self.storage("set", key, value, ttl, None)?;
        self.send()?;
        self.stored().map(|_| ())
    }

    /// `cas`: `Ok(false)` when the item changed or vanished since `gets`.
    pub fn cas(&mut self, key: &str, value: &str, ttl: u32, cas: u64) -> Result<bool, ProtocolError> {
        self.storage("cas", key, value, ttl, Some(cas))?;
        self.send()?;
        self.stored()
    }

    pub fn delete(&mut self, key: &str) -> Result<bool, ProtocolError> {
        check_key(key)?;
        write!(self.out, "delete {key}\r\n")?;
        self.send()?;
        match self.line()?.as_str() {
            "DELETED" => Ok(true),
            "NOT_FOUND" => Ok(false),
            other => Err(unexpected(other)),
        }
    }

    /// Values (with CAS tokens) of the keys that exist.
    pub fn gets(&mut self, keys: &[&str]) -> Result<HashMap<String, Item>, ProtocolError> {
        keys.iter().try_for_each(|k| check_key(k))?;
        self.out.extend_from_slice(b"gets");
        for key in keys {
            write!(self.out, " {key}")?;
        }
        self.out.extend_from_slice(b"\r\n");
        self.send()?;
        let mut found = HashMap::new();
        loop {
            let line = self.line()?;
            if line == "END" {
                return Ok(found);
            }
            // VALUE <key> <flags> <bytes> <cas>
            let fields: Vec<&str> = line.split(' ').collect();
            let (key, len, cas) = match fields[..] {
                ["VALUE", key, _flags, len, cas] => (key, len.parse::<usize>(), cas.parse::<u64>()),
                _ => return Err(unexpected(&line)),
            };
            let (Ok(len), Ok(cas)) = (len, cas) else { return Err(unexpected(&line)) };
            let mut data = vec![0u8; len + 2];
            self.reader.read_exact(&mut data)?;
            if !data.ends_with(b"\r\n") {
                return Err(unexpected("a value not followed by CRLF"));
            }
            data.truncate(len);
            let value = String::from_utf8(data).map_err(|_| unexpected("a value that is not UTF-8"))?;
            found.insert(key.to_owned(), Item { value, cas });
        }
    }

    /// Adds `by` to a counter, creating it at 0 with `ttl` when missing: `add` and `incr` are
    /// pipelined in one write (the counter's expiry is set only by its creation).
    pub fn incr_with_ttl(&mut self, key: &str, by: u64, ttl: u32) -> Result<u64, ProtocolError> {
        self.storage("add", key, "0", ttl, None)?;
        write!(self.out, "incr {key} {by}\r\n")?;
        self.send()?;
        self.stored()?;
        let line = self.line()?;
        line.parse().map_err(|_| unexpected(&line))
    }

    fn storage(&mut self, cmd: &str, key: &str, value: &str, ttl: u32, cas: Option<u64>) -> Result<(), ProtocolError> {
        check_key(key)?;
        write!(self.out, "{cmd} {key} 0 {ttl} {}", value.len())?;
        if let Some(cas) = cas {
            write!(self.out, " {cas}")?;
        }
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(value.as_bytes());
        self.out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// STORED -> true; NOT_STORED / EXISTS / NOT_FOUND -> false.
    fn stored(&mut self) -> Result<bool, ProtocolError> {
        match self.line()?.as_str() {
            "STORED" => Ok(true),
            "NOT_STORED" | "EXISTS" | "NOT_FOUND" => Ok(false),
            other => Err(unexpected(other)),
        }
    }

    fn send(&mut self) -> Result<(), ProtocolError> {
        let result = self.reader.get_mut().write_all(&self.out);
        self.out.clear();
        Ok(result?)
    }

    /// One answer line without its CRLF.
    fn line(&mut self) -> Result<String, ProtocolError> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "memcached closed the connection").into());
        }
        match line.strip_suffix("\r\n") {
            Some(l) => Ok(l.to_owned()),
            None => Err(unexpected(&line)),
        }
    }
}

pub(super) fn check_key(key: &str) -> Result<(), ProtocolError> {
    let ok = !key.is_empty() && key.len() <= 250 && key.bytes().all(|b| b > b' ' && b != 0x7f);
    if ok {
        Ok(())
    } else {
        Err(ProtocolError::BadKey(key.to_owned()))
    }
}

fn unexpected(what: &str) -> ProtocolError {
    ProtocolError::Protocol(what.chars().take(200).collect())
}
