//! A minimal HTTP/1.1 server on 127.0.0.1 that answers each request with a
//! canned response and records what it received.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, exactly as sent (still percent-encoded).
    pub target: String,
    pub body: Vec<u8>,
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// Overrides the `Content-Length` header (to claim a size).
    pub content_length: Option<u64>,
}

impl Reply {
    pub fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply {
            status,
            body: value.to_string().into_bytes(),
            content_length: None,
        }
    }

    pub fn bytes(status: u16, body: &[u8]) -> Reply {
        Reply {
            status,
            body: body.to_vec(),
            content_length: None,
        }
    }
}

/// The server; it answers requests until the test ends.
pub struct FakeNode {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeNode {
    /// Serves `handler`'s reply to every request.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + 'static) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                serve(stream, &handler, &log);
            }
        });
        FakeNode { url, seen }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Answers one request, logging it before replying (so a client that has
/// its answer always finds its request in the log).
fn serve(stream: TcpStream, handler: &impl Fn(&Seen) -> Reply, log: &Mutex<Vec<Seen>>) -> Option<()> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let request = Seen { method, target, body };
    let reply = handler(&request);
    log.lock().unwrap().push(request);
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        reply.content_length.unwrap_or(reply.body.len() as u64)
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
    Some(())
}
