//! A bad link for sync tests: a loopback TCP proxy to an upstream address that cuts every open
//! connection at random moments (exponential gaps, like a radio link that drops) and can hold
//! each direction to a throughput, as a slow link would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use rand_core::RngCore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

/// What the link does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Link {
    /// Mean time between cuts (each cut closes every open connection); never cut when `None`.
    pub mean_gap: Option<Duration>,
    /// Bytes per second in each direction; unlimited when `None`.
    pub rate: Option<u64>,
}

/// The proxy, running until dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    cuts: Arc<AtomicU64>,
    upstream_bytes: Arc<AtomicU64>,
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    /// Listens on a loopback port and forwards each connection to `upstream` through `link`.
    pub fn start(upstream: SocketAddr, link: Link) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let cuts = Arc::new(AtomicU64::new(0));
        let upstream_bytes = Arc::new(AtomicU64::new(0));
        let counted = upstream_bytes.clone();
        let open = Arc::new(AtomicUsize::new(0));
        let (cut, _) = watch::channel(0u64);
        if let Some(mean) = link.mean_gap {
            runtime.spawn(cutter(mean, cut.clone(), open.clone(), cuts.clone()));
        }
        let pacers = link.rate.map(|rate| (Pacer::new(rate), Pacer::new(rate)));
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let cut = cut.subscribe();
                let pacers = pacers.clone();
                let open = open.clone();
                let counted = counted.clone();
                tokio::spawn(async move {
                    open.fetch_add(1, Ordering::SeqCst);
                    forward(client, upstream, cut, pacers, counted).await;
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Proxy {
            addr,
            cuts,
            upstream_bytes,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts that closed at least one open connection so far.
    pub fn cuts(&self) -> u64 {
        self.cuts.load(Ordering::SeqCst)
    }

    /// Bytes delivered to the upstream so far (requests, headers included).
    pub fn upstream_bytes(&self) -> u64 {
        self.upstream_bytes.load(Ordering::SeqCst)
    }
}

/// A random gap with mean `mean`, exponentially distributed.
fn exponential(mean: Duration) -> Duration {
    let uniform = (rand_core::OsRng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    mean.mul_f64(-(1.0 - uniform).ln())
}

/// Cuts every open connection after each random gap.
async fn cutter(
    mean: Duration,
    cut: watch::Sender<u64>,
    open: Arc<AtomicUsize>,
    cuts: Arc<AtomicU64>,
) {
    loop {
        tokio::time::sleep(exponential(mean)).await;
        if open.load(Ordering::SeqCst) > 0 {
            cuts.fetch_add(1, Ordering::SeqCst);
            cut.send_modify(|generation| *generation += 1);
        }
    }
}

/// One direction's throughput limit, shared by every connection (they share the link).
#[derive(Clone)]
struct Pacer {
    rate: u64,
    free_at: Arc<Mutex<Instant>>,
}

impl Pacer {
    fn new(rate: u64) -> Pacer {
        Pacer {
            rate: rate.max(1),
            free_at: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Bytes taken from the socket at a time: about 1/20 s of the link.
    fn quantum(&self) -> usize {
        usize::try_from(self.rate / 20)
            .unwrap_or(usize::MAX)
            .clamp(1, 16 * 1024)
    }

    /// Waits until `bytes` have gone through the link after what was sent before them.
    async fn pass(&self, bytes: usize) {
        let done = {
            let mut free_at = self.free_at.lock().await;
            let start = (*free_at).max(Instant::now());
            *free_at = start + Duration::from_secs_f64(bytes as f64 / self.rate as f64);
            *free_at
        };
        tokio::time::sleep_until(done).await;
    }
}

/// Relays one connection until either side closes it or the link is cut; an upstream that does
/// not answer closes the client's connection at once.
async fn forward(
    client: TcpStream,
    upstream: SocketAddr,
    mut cut: watch::Receiver<u64>,
    pacers: Option<(Pacer, Pacer)>,
    counted: Arc<AtomicU64>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (up, down) = match pacers {
        Some((up, down)) => (Some(up), Some(down)),
        None => (None, None),
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        _ = async {
            tokio::join!(
                pump(client_read, server_write, up, Some(&counted)),
                pump(server_read, client_write, down, None)
            )
        } => {}
        _ = cut.changed() => {}
    }
}

/// Copies one direction, through `pacer` when the link is limited, adding the bytes delivered to
/// `counted`; on EOF it passes the half-close on.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    pacer: Option<Pacer>,
    counted: Option<&AtomicU64>,
) {
    let size = pacer.as_ref().map_or(64 * 1024, Pacer::quantum);
    let mut buffer = vec![0u8; size];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(pacer) = &pacer {
            pacer.pass(n).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        if let Some(counted) = counted {
            counted.fetch_add(n as u64, Ordering::SeqCst);
        }
    }
    let _ = to.shutdown().await;
}
