//! The sink's HTTP side: a minimal HTTP/1.1 server (one request per connection).
//! `GET /messages[?to=addr]`, `DELETE /messages`, anything else 404. CORS is open so the
//! browser tests and a developer's page can read it from another origin.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::Store;

pub(crate) async fn serve(listener: TcpListener, store: Store) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(10), handle(stream, store)).await;
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn handle(stream: TcpStream, store: Store) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    // Skip the headers (no request here has a body worth reading).
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await? == 0 || h.trim().is_empty() || h.len() > 8192 {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (status, body) = match (method, path) {
        ("GET", "/messages") => {
            let to = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "to")
                .map(|(_, v)| percent_decode(v))
                .filter(|v| !v.is_empty());
            let list = store.list(to.as_deref());
            ("200 OK", serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()))
        }
        ("DELETE", "/messages") => {
            store.clear();
            ("204 No Content", String::new())
        }
        ("OPTIONS", _) => ("204 No Content", String::new()),
        _ => ("404 Not Found", r#"{"error":"not found"}"#.to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: GET, DELETE, OPTIONS\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    write.write_all(response.as_bytes()).await?;
    write.shutdown().await
}

/// `a%40b.c+d` -> `a@b.c d`.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 3 <= b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(super::percent_decode("a%40b.c+d%zz"), "a@b.c d%zz");
    }
}
