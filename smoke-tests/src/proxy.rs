//! A loopback TCP proxy between a client and the server that injects network faults: it stops forwarding (a hung NAT, or one lost flow), resets every connection at a byte offset, or resets one connection after a request.
//!
//! Blackholed, it keeps both sockets of every connection open and reads nothing more, so the
//! kernels still acknowledge what was sent before: neither TCP keepalives nor
//! `tcp_user_timeout` notice, only the peers' own timeouts do, as with a hung proxy in
//! production. Reset, it closes both sockets with RST and resets any later connection too.
//! It listens on 127.0.0.1 only, takes at most [`MAX_CONNECTIONS`], and its tasks end when it
//! is dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// More connections than a migrator opens; a runaway client is refused beyond this.
pub const MAX_CONNECTIONS: usize = 32;

/// What goes wrong, and when.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward everything.
    None,
    /// Forward the client's bytes up to and including the read after the one that holds
    /// this text, then stop forwarding in both directions, keeping every socket open. The
    /// read after: the extended protocol parses a statement in one message and executes it
    /// in the next, so the statement that holds the text has run either way.
    BlackholeAfter(Vec<u8>),
    /// As [`Fault::BlackholeAfter`], but only the connection that carried the text stops:
    /// a NAT that lost one flow, while the others go on.
    HangConnectionAfter(Vec<u8>),
    /// Forward this many bytes (both directions counted together), then reset every
    /// connection, and every later one.
    ResetAt(u64),
    /// Forward the client's read that holds this text, then reset that connection alone (a
    /// blip after a request reached the server, before its answer came back); the others,
    /// and later ones, go on.
    ResetConnectionAfter(Vec<u8>),
}

/// A running proxy; dropping it closes every connection.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    fired: watch::Receiver<bool>,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl Drop for Proxy {
    /// Ends every task, the accepting one included (it holds the set, so dropping the set
    /// alone would not), which closes every socket.
    fn drop(&mut self) {
        lock(&self.tasks).abort_all();
    }
}

struct Shared {
    upstream: SocketAddr,
    fault: Fault,
    forwarded: AtomicU64,
    /// Set once the fault has happened, wherever.
    fire: watch::Sender<bool>,
    /// One per connection: set when the fault hits that connection.
    connections: Mutex<Vec<Arc<watch::Sender<bool>>>>,
}

impl Proxy {
    /// Starts a proxy to the server of `url`, which must be reachable by IP address.
    pub async fn start(url: &str, fault: Fault) -> Proxy {
        let parsed = dbconn::url::parse(url).expect("server URL");
        let host = parsed.host_str().expect("server host");
        let upstream = tokio::net::lookup_host((host, parsed.port().unwrap_or(5432)))
            .await
            .expect("resolve the server")
            .next()
            .expect("an address for the server");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (fire, fired) = watch::channel(false);
        let shared = Arc::new(Shared {
            upstream,
            fault,
            forwarded: AtomicU64::new(0),
            fire,
            connections: Mutex::new(Vec::new()),
        });
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let accepting = accept(listener, Arc::clone(&shared), Arc::clone(&tasks));
        lock(&tasks).spawn(accepting);
        Proxy {
            addr,
            shared,
            fired,
            tasks,
        }
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let mut proxied = dbconn::url::parse(url).expect("server URL");
        proxied.set_host(Some("127.0.0.1")).expect("set host");
        proxied.set_port(Some(self.addr.port())).expect("set port");
        proxied.to_string()
    }

    /// Bytes forwarded so far, both directions together.
    pub fn forwarded(&self) -> u64 {
        self.shared.forwarded.load(Ordering::SeqCst)
    }

    /// Whether the fault has happened.
    pub fn has_fired(&self) -> bool {
        *self.fired.borrow()
    }

    /// Waits until the fault has happened, for at most `limit`; false when it did not.
    pub async fn fired_within(&self, limit: Duration) -> bool {
        let mut fired = self.fired.clone();
        tokio::time::timeout(limit, fired.wait_for(|f| *f))
            .await
            .is_ok()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, tasks: Arc<Mutex<JoinSet<()>>>) {
    let mut accepted = 0;
    while let Ok((client, _)) = listener.accept().await {
        accepted += 1;
        if accepted > MAX_CONNECTIONS {
            let _ = client.set_zero_linger();
            continue;
        }
        if shared.fault.is_global() && *shared.fire.borrow() {
            match shared.fault {
                // A dead network: the connection goes nowhere.
                Fault::ResetAt(_) => {
                    let _ = client.set_zero_linger();
                }
                // A hung one: accepted, then silence, and nothing reaches the server.
                _ => {
                    lock(&tasks).spawn(async move {
                        let _held = client;
                        std::future::pending::<()>().await;
                    });
                }
            }
            continue;
        }
        let Ok(server) = TcpStream::connect(shared.upstream).await else {
            let _ = client.set_zero_linger();
            continue;
        };
        let hit = Arc::new(watch::channel(false).0);
        lock(&shared.connections).push(Arc::clone(&hit));
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let armed = Arc::new(AtomicBool::new(false));
        let up = Pump {
            shared: Arc::clone(&shared),
            hit: Arc::clone(&hit),
            armed: Arc::clone(&armed),
            up: true,
        };
        let down = Pump {
            shared: Arc::clone(&shared),
            hit,
            armed,
            up: false,
        };
        let mut set = lock(&tasks);
        set.spawn(up.run(client_read, server_write));
        set.spawn(down.run(server_read, client_write));
    }
}

/// One direction of one connection.
struct Pump {
    shared: Arc<Shared>,
    /// Set when the fault hits this connection.
    hit: Arc<watch::Sender<bool>>,
    /// Set when the request that holds a [`Fault::ResetConnectionAfter`] needle went through:
    /// the reset waits for the server's answer, so the server has surely read the request
    /// (a reset discards what the kernel has not sent yet).
    armed: Arc<AtomicBool>,
    /// Client to server.
    up: bool,
}

impl Pump {
    /// Copies `from` to `to` until the fault hits this connection, then holds both sockets
    /// open (blackhole) or resets them.
    async fn run(self, mut from: OwnedReadHalf, mut to: OwnedWriteHalf) {
        let mut hit = self.hit.subscribe();
        let mut buf = vec![0u8; 16 * 1024];
        // The end of the previous read, so a needle split across two reads is still seen,
        // and whether the needle went by.
        let mut seen = Seen::default();
        loop {
            let n = tokio::select! {
                read = from.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                },
                _ = hit.wait_for(|f| *f) => break,
            };
            if *hit.borrow() {
                break;
            }
            let chunk = &buf[..n];
            if !self.up && self.armed.load(Ordering::SeqCst) {
                // The server answered the request: the answer is lost with the connection.
                self.fire();
                break;
            }
            let (send, fire) = self.shared.decide(chunk, &mut seen, self.up);
            if to.write_all(&chunk[..send]).await.is_err() {
                return;
            }
            if fire && matches!(self.shared.fault, Fault::ResetConnectionAfter(_)) {
                self.armed.store(true, Ordering::SeqCst);
            } else if fire {
                self.fire();
                break;
            }
        }
        if let Fault::ResetAt(_) | Fault::ResetConnectionAfter(_) = self.shared.fault {
            // RST instead of FIN on both sockets, as a crashed middlebox sends.
            let _ = from.as_ref().set_zero_linger();
            let _ = to.as_ref().set_zero_linger();
            return;
        }
        // Hold both sockets open, reading nothing, until the proxy is dropped.
        std::future::pending::<()>().await
    }

    /// The fault happens: on this connection, or on every one.
    fn fire(&self) {
        if self.shared.fault.is_global() {
            for connection in lock(&self.shared.connections).iter() {
                connection.send_replace(true);
            }
        } else {
            self.hit.send_replace(true);
        }
        self.shared.fire.send_replace(true);
    }
}

impl Fault {
    /// Whether it strikes every connection, present and future, or only one.
    fn is_global(&self) -> bool {
        !matches!(
            self,
            Fault::HangConnectionAfter(_) | Fault::ResetConnectionAfter(_)
        )
    }
}

/// What one direction of a connection has seen of the needle.
#[derive(Default)]
struct Seen {
    tail: Vec<u8>,
    needle: bool,
}

impl Shared {
    /// How much of `chunk` to forward, and whether the fault fires after it.
    fn decide(&self, chunk: &[u8], seen: &mut Seen, up: bool) -> (usize, bool) {
        match &self.fault {
            Fault::None => {
                self.forwarded
                    .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                (chunk.len(), false)
            }
            Fault::ResetConnectionAfter(needle) => {
                self.forwarded
                    .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                if !up || *self.fire.borrow() {
                    return (chunk.len(), false);
                }
                seen.tail.extend_from_slice(chunk);
                let found = seen
                    .tail
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice());
                let keep = seen.tail.len().min(needle.len());
                seen.tail.drain(..seen.tail.len() - keep);
                (chunk.len(), found)
            }
            Fault::BlackholeAfter(needle) | Fault::HangConnectionAfter(needle) => {
                self.forwarded
                    .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                if !up {
                    return (chunk.len(), false);
                }
                if seen.needle {
                    return (chunk.len(), true);
                }
                seen.tail.extend_from_slice(chunk);
                seen.needle = seen
                    .tail
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice());
                let keep = seen.tail.len().min(needle.len());
                seen.tail.drain(..seen.tail.len() - keep);
                (chunk.len(), false)
            }
            Fault::ResetAt(offset) => {
                let before = self
                    .forwarded
                    .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                if before + chunk.len() as u64 >= *offset {
                    (offset.saturating_sub(before) as usize, true)
                } else {
                    (chunk.len(), false)
                }
            }
        }
    }
}
