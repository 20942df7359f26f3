//! Serial ports through `serialport` (no libudev): R30x modules on USB-serial adapters or ptys.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use super::{Transport, TransportError};

/// An open serial port, 8N1 without flow control.
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
}

impl SerialTransport {
    pub fn open(path: &str, baud: u32) -> Result<SerialTransport, TransportError> {
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| TransportError::Io(format!("cannot open {path}: {e}")))?;
        Ok(SerialTransport { port })
    }

    pub fn from_port(port: TTYPort) -> SerialTransport {
        SerialTransport {
            port: Box::new(port),
        }
    }
}

/// A pseudo-terminal pair: the first end is served, the second's path is given to clients.
pub fn pty_pair() -> Result<(SerialTransport, TTYPort, String), TransportError> {
    let (mut master, slave) =
        TTYPort::pair().map_err(|e| TransportError::Io(format!("cannot create a pty: {e}")))?;
    master
        .set_timeout(Duration::from_millis(100))
        .map_err(|e| TransportError::Io(e.to_string()))?;
    let path = slave
        .name()
        .ok_or_else(|| TransportError::Io("the pty has no name".to_string()))?;
    Ok((SerialTransport::from_port(master), slave, path))
}

fn io_error(error: std::io::Error) -> TransportError {
    match error.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => TransportError::Timeout,
        std::io::ErrorKind::BrokenPipe
        | std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::NotConnected => TransportError::Disconnected,
        _ if error.raw_os_error() == Some(5) => TransportError::Disconnected, // EIO: the other side closed
        _ => TransportError::Io(error.to_string()),
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        let deadline = Instant::now() + timeout;
        let mut written = 0;
        while written < bytes.len() {
            match self.port.write(&bytes[written..]) {
                Ok(0) => return Err(TransportError::Disconnected),
                Ok(n) => written += n,
                Err(e) => match io_error(e) {
                    TransportError::Timeout if Instant::now() < deadline => {}
                    other => return Err(other),
                },
            }
        }
        self.port.flush().map_err(io_error)
    }

    fn read_exact(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<(), TransportError> {
        let deadline = Instant::now() + timeout;
        let mut filled = 0;
        while filled < buffer.len() {
            match self.port.read(&mut buffer[filled..]) {
                Ok(0) => return Err(TransportError::Disconnected),
                Ok(n) => filled += n,
                Err(e) => match io_error(e) {
                    TransportError::Timeout if Instant::now() < deadline => {}
                    other => return Err(other),
                },
            }
        }
        Ok(())
    }

    fn discard_input(&mut self) {
        let _ = self.port.clear(serialport::ClearBuffer::Input);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Driver;
    use crate::r30x::{R30xDevice, SimulatedSensor};

    #[test]
    fn r30x_driver_talks_to_the_simulated_sensor_over_a_pty() {
        let (mut sensor_end, _slave, path) = pty_pair().expect("pty");
        std::thread::spawn(move || {
            let _ = SimulatedSensor::new(70, 5).serve(&mut sensor_end);
        });
        let transport =
            SerialTransport::open(&path, crate::r30x::DEFAULT_BAUD).expect("opens the pty");
        let device = R30xDevice::connect(transport, "pty").expect("handshake and password");
        let spec = crate::device::CaptureSpec {
            sub_id: 0,
            segments: vec!["Right IndexFinger".into()],
            exception_photo: false,
        };
        let frame = device
            .acquire(&spec, Instant::now() + Duration::from_secs(10))
            .expect("image uploaded over the pty");
        assert!(
            matches!(frame, crate::device::Acquisition::Frame(ref s) if s[0].image.pixels.len() == 256 * 288)
        );
        let missing = SerialTransport::open("/dev/enrol-no-such-port", 57_600)
            .err()
            .expect("missing port");
        assert!(missing.to_string().contains("/dev/enrol-no-such-port"));
    }
}
