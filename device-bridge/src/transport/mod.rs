//! Byte transports with explicit timeouts, the only place that knows `serialport` and `nusb`:
//! the serial port (R30x modules), USB enumeration and hot-plug watching, and an in-memory pipe
//! used by tests as a byte-level fake.

pub mod serial;
pub mod usb;

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("timed out")]
    Timeout,
    #[error("device disconnected")]
    Disconnected,
    #[error("{0}")]
    Io(String),
}

impl TransportError {
    pub fn code(&self) -> &'static str {
        match self {
            TransportError::Timeout => "TRANSPORT_TIMEOUT",
            TransportError::Disconnected => "TRANSPORT_DISCONNECTED",
            TransportError::Io(_) => "TRANSPORT_IO",
        }
    }
}

/// A bidirectional byte link. Every call is bounded by the timeout it is given.
pub trait Transport: Send {
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError>;
    fn read_exact(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<(), TransportError>;
    /// Drops whatever is waiting to be read (resynchronises after garbage).
    fn discard_input(&mut self);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
    use std::time::Instant;

    /// An in-memory duplex byte pipe.
    pub struct Pipe {
        outgoing: Sender<Vec<u8>>,
        incoming: Receiver<Vec<u8>>,
        buffered: Vec<u8>,
    }

    impl Pipe {
        pub fn pair() -> (Pipe, Pipe) {
            let (a_tx, a_rx) = channel();
            let (b_tx, b_rx) = channel();
            (
                Pipe {
                    outgoing: a_tx,
                    incoming: b_rx,
                    buffered: Vec::new(),
                },
                Pipe {
                    outgoing: b_tx,
                    incoming: a_rx,
                    buffered: Vec::new(),
                },
            )
        }
    }

    impl Transport for Pipe {
        fn write_all(&mut self, bytes: &[u8], _: Duration) -> Result<(), TransportError> {
            self.outgoing
                .send(bytes.to_vec())
                .map_err(|_| TransportError::Disconnected)
        }

        fn read_exact(
            &mut self,
            buffer: &mut [u8],
            timeout: Duration,
        ) -> Result<(), TransportError> {
            let deadline = Instant::now() + timeout;
            while self.buffered.len() < buffer.len() {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.incoming.recv_timeout(left) {
                    Ok(chunk) => self.buffered.extend_from_slice(&chunk),
                    Err(RecvTimeoutError::Timeout) => return Err(TransportError::Timeout),
                    Err(RecvTimeoutError::Disconnected) => {
                        return Err(TransportError::Disconnected);
                    }
                }
            }
            buffer.copy_from_slice(&self.buffered[..buffer.len()]);
            self.buffered.drain(..buffer.len());
            Ok(())
        }

        fn discard_input(&mut self) {
            self.buffered.clear();
            while self.incoming.try_recv().is_ok() {}
        }
    }
}
