//! The R30x / ZFM / AS608 optical fingerprint module protocol (reference §6): EF01 packet
//! framing with a 16-bit checksum, one type per command with its payload and response parser,
//! one generic `send`, image upload (256×288 at 4 bits per pixel), a single-finger `Driver` for
//! the bridge, and a simulated sensor that serves the protocol over any byte transport.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::device::{
    Acquisition, CaptureSpec, DeviceDescriptor, DeviceKind, Driver, DriverError, SegmentImage,
};
use crate::synth::{self, Raster};
use crate::transport::{Transport, TransportError};

pub const DEFAULT_BAUD: u32 = 57_600;
pub const DEFAULT_ADDRESS: u32 = 0xFFFF_FFFF;
pub const IMAGE_WIDTH: u32 = 256;
pub const IMAGE_HEIGHT: u32 = 288;
const START: [u8; 2] = [0xEF, 0x01];
/// Largest payload accepted from the wire (the module's largest data packet is 256 bytes).
const MAX_PAYLOAD: usize = 512;

/// Packet identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    Command = 0x01,
    Data = 0x02,
    Ack = 0x07,
    EndData = 0x08,
}

impl PacketKind {
    fn from_byte(byte: u8) -> Option<PacketKind> {
        match byte {
            0x01 => Some(PacketKind::Command),
            0x02 => Some(PacketKind::Data),
            0x07 => Some(PacketKind::Ack),
            0x08 => Some(PacketKind::EndData),
            _ => None,
        }
    }
}

/// One EF01 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub address: u32,
    pub kind: PacketKind,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("more bytes needed")]
    Incomplete,
    #[error("bad start code {0:02X?}")]
    BadStart([u8; 2]),
    #[error("unknown packet id {0:#04x}")]
    BadKind(u8),
    #[error("declared length {0} is out of range")]
    BadLength(usize),
    #[error("checksum mismatch: computed {computed:#06x}, received {received:#06x}")]
    Checksum { computed: u16, received: u16 },
}

impl Packet {
    pub fn new(kind: PacketKind, payload: Vec<u8>) -> Packet {
        Packet {
            address: DEFAULT_ADDRESS,
            kind,
            payload,
        }
    }

    /// Serialises: start, address, id, length (payload + 2), payload, checksum (big-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let length = (self.payload.len() + 2) as u16;
        let mut out = Vec::with_capacity(self.payload.len() + 11);
        out.extend_from_slice(&START);
        out.extend_from_slice(&self.address.to_be_bytes());
        out.push(self.kind as u8);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(&checksum(self.kind as u8, length, &self.payload).to_be_bytes());
        out
    }
}

fn checksum(kind: u8, length: u16, payload: &[u8]) -> u16 {
    let [high, low] = length.to_be_bytes();
    payload.iter().fold(
        u16::from(kind) + u16::from(high) + u16::from(low),
        |sum, b| sum.wrapping_add(u16::from(*b)),
    )
}

/// Parses one packet from the front of `bytes`, returning it and the bytes consumed.
pub fn parse_packet(bytes: &[u8]) -> Result<(Packet, usize), FrameError> {
    if bytes.len() < 9 {
        if bytes.len() >= 2 && bytes[..2] != START {
            return Err(FrameError::BadStart([bytes[0], bytes[1]]));
        }
        return Err(FrameError::Incomplete);
    }
    if bytes[..2] != START {
        return Err(FrameError::BadStart([bytes[0], bytes[1]]));
    }
    let address = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
    let kind = PacketKind::from_byte(bytes[6]).ok_or(FrameError::BadKind(bytes[6]))?;
    let length = usize::from(u16::from_be_bytes([bytes[7], bytes[8]]));
    if !(2..=MAX_PAYLOAD + 2).contains(&length) {
        return Err(FrameError::BadLength(length));
    }
    let total = 9 + length;
    if bytes.len() < total {
        return Err(FrameError::Incomplete);
    }
    let payload = bytes[9..total - 2].to_vec();
    let received = u16::from_be_bytes([bytes[total - 2], bytes[total - 1]]);
    let computed = checksum(bytes[6], length as u16, &payload);
    if received != computed {
        return Err(FrameError::Checksum { computed, received });
    }
    Ok((
        Packet {
            address,
            kind,
            payload,
        },
        total,
    ))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum R30xError {
    #[error("serial link: {0}")]
    Transport(#[from] TransportError),
    #[error("malformed packet: {0}")]
    Frame(#[from] FrameError),
    #[error("unexpected {0:?} packet")]
    Unexpected(PacketKind),
    #[error("module answered confirmation code {code:#04x} ({meaning})")]
    Module { code: u8, meaning: &'static str },
    #[error("response payload too short")]
    ShortResponse,
}

impl R30xError {
    pub fn code(&self) -> &'static str {
        match self {
            R30xError::Transport(TransportError::Timeout) => "R30X_TIMEOUT",
            R30xError::Transport(_) => "R30X_LINK",
            R30xError::Frame(FrameError::Checksum { .. }) => "R30X_CHECKSUM",
            R30xError::Frame(_) => "R30X_FRAME",
            R30xError::Unexpected(_) => "R30X_UNEXPECTED",
            R30xError::Module { .. } => "R30X_MODULE",
            R30xError::ShortResponse => "R30X_SHORT",
        }
    }
}

/// Confirmation codes (§6).
pub fn confirmation_meaning(code: u8) -> &'static str {
    match code {
        0x00 => "ok",
        0x01 => "packet receive error",
        0x02 => "no finger on the sensor",
        0x03 => "image capture failed",
        0x06 => "image too messy",
        0x07 => "too few feature points",
        0x0E => "cannot receive following packets",
        0x0F => "image upload failed",
        0x13 => "wrong password",
        0x15 => "invalid image",
        0x21 => "password must be verified",
        _ => "unknown confirmation code",
    }
}

/// A command: its instruction payload and how to read its acknowledgement.
pub trait Command {
    type Response;
    fn payload(&self) -> Vec<u8>;
    /// Parses the acknowledgement payload after the confirmation code (code 0 only).
    fn parse_response(&self, rest: &[u8]) -> Result<Self::Response, R30xError>;
}

/// `0x13` VfyPwd: verifies the 4-byte module password.
#[derive(Debug, Clone, Copy)]
pub struct VerifyPassword(pub u32);

impl Command for VerifyPassword {
    type Response = ();
    fn payload(&self) -> Vec<u8> {
        let mut out = vec![0x13];
        out.extend_from_slice(&self.0.to_be_bytes());
        out
    }
    fn parse_response(&self, _: &[u8]) -> Result<(), R30xError> {
        Ok(())
    }
}

/// `0x17` port control / handshake: checks the module answers.
#[derive(Debug, Clone, Copy)]
pub struct Handshake;

impl Command for Handshake {
    type Response = ();
    fn payload(&self) -> Vec<u8> {
        vec![0x17, 0x00]
    }
    fn parse_response(&self, _: &[u8]) -> Result<(), R30xError> {
        Ok(())
    }
}

/// `0x0F` ReadSysPara: the module's system parameters.
#[derive(Debug, Clone, Copy)]
pub struct ReadSystemParameters;

/// The fields of ReadSysPara that matter to the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemParameters {
    pub capacity: u16,
    pub security_level: u16,
    pub address: u32,
    /// Data packet size in bytes (32, 64, 128 or 256).
    pub packet_size: usize,
    pub baud: u32,
}

impl Command for ReadSystemParameters {
    type Response = SystemParameters;
    fn payload(&self) -> Vec<u8> {
        vec![0x0F]
    }
    fn parse_response(&self, rest: &[u8]) -> Result<SystemParameters, R30xError> {
        if rest.len() < 16 {
            return Err(R30xError::ShortResponse);
        }
        let word = |i: usize| u16::from_be_bytes([rest[i], rest[i + 1]]);
        Ok(SystemParameters {
            capacity: word(4),
            security_level: word(6),
            address: u32::from_be_bytes([rest[8], rest[9], rest[10], rest[11]]),
            packet_size: 32 << word(12).min(3),
            baud: u32::from(word(14)) * 9600,
        })
    }
}

/// `0x01` GenImg: captures a finger image into the module's image buffer.
#[derive(Debug, Clone, Copy)]
pub struct GenerateImage;

impl Command for GenerateImage {
    type Response = ();
    fn payload(&self) -> Vec<u8> {
        vec![0x01]
    }
    fn parse_response(&self, _: &[u8]) -> Result<(), R30xError> {
        Ok(())
    }
}

/// `0x0A` UpImage: the module then sends the image in data packets.
#[derive(Debug, Clone, Copy)]
pub struct UploadImage;

impl Command for UploadImage {
    type Response = ();
    fn payload(&self) -> Vec<u8> {
        vec![0x0A]
    }
    fn parse_response(&self, _: &[u8]) -> Result<(), R30xError> {
        Ok(())
    }
}

/// The host side of the protocol over a transport, with explicit per-read timeouts.
pub struct R30xHost<T: Transport> {
    transport: T,
    pub timeout: Duration,
}

impl<T: Transport> R30xHost<T> {
    pub fn new(transport: T) -> R30xHost<T> {
        R30xHost {
            transport,
            timeout: Duration::from_secs(2),
        }
    }

    /// Sends a command and returns its parsed acknowledgement.
    pub fn send<C: Command>(&mut self, command: &C) -> Result<C::Response, R30xError> {
        self.transport.discard_input();
        self.transport.write_all(
            &Packet::new(PacketKind::Command, command.payload()).to_bytes(),
            self.timeout,
        )?;
        let ack = read_packet(&mut self.transport, self.timeout)?;
        if ack.kind != PacketKind::Ack {
            return Err(R30xError::Unexpected(ack.kind));
        }
        let (&code, rest) = ack.payload.split_first().ok_or(R30xError::ShortResponse)?;
        if code != 0 {
            return Err(R30xError::Module {
                code,
                meaning: confirmation_meaning(code),
            });
        }
        command.parse_response(rest)
    }

    /// Handshake then password check, as host libraries do on connect.
    pub fn connect(&mut self, password: u32) -> Result<SystemParameters, R30xError> {
        self.send(&Handshake)?;
        self.send(&VerifyPassword(password))?;
        self.send(&ReadSystemParameters)
    }

    /// Uploads the image buffer and unpacks it to 8-bit grey (4-bit samples × 17).
    pub fn upload_image(&mut self) -> Result<Raster, R30xError> {
        self.send(&UploadImage)?;
        let expected = (IMAGE_WIDTH * IMAGE_HEIGHT / 2) as usize;
        let mut packed = Vec::with_capacity(expected);
        loop {
            let packet = read_packet(&mut self.transport, self.timeout)?;
            match packet.kind {
                PacketKind::Data | PacketKind::EndData => packed.extend_from_slice(&packet.payload),
                other => return Err(R30xError::Unexpected(other)),
            }
            if packet.kind == PacketKind::EndData || packed.len() > expected {
                break;
            }
        }
        if packed.len() != expected {
            return Err(R30xError::Module {
                code: 0x0F,
                meaning: confirmation_meaning(0x0F),
            });
        }
        let pixels = packed
            .iter()
            .flat_map(|b| [(b >> 4) * 17, (b & 0x0F) * 17])
            .collect();
        Ok(Raster {
            width: IMAGE_WIDTH,
            height: IMAGE_HEIGHT,
            channels: crate::jp2::Channels::Gray,
            pixels,
        })
    }
}

/// Reads one packet, byte-exact, within `timeout` per read.
pub fn read_packet<T: Transport + ?Sized>(
    transport: &mut T,
    timeout: Duration,
) -> Result<Packet, R30xError> {
    let mut header = [0u8; 9];
    transport.read_exact(&mut header, timeout)?;
    if header[..2] != START {
        return Err(FrameError::BadStart([header[0], header[1]]).into());
    }
    let length = usize::from(u16::from_be_bytes([header[7], header[8]]));
    if !(2..=MAX_PAYLOAD + 2).contains(&length) {
        return Err(FrameError::BadLength(length).into());
    }
    let mut bytes = header.to_vec();
    bytes.resize(9 + length, 0);
    transport.read_exact(&mut bytes[9..], timeout)?;
    Ok(parse_packet(&bytes)?.0)
}

/// The R30x module as a single-finger development device for the bridge.
pub struct R30xDevice<T: Transport> {
    descriptor: DeviceDescriptor,
    host: Mutex<R30xHost<T>>,
}

impl<T: Transport> R30xDevice<T> {
    /// Connects (handshake, password) and describes the device.
    pub fn connect(transport: T, label: &str) -> Result<R30xDevice<T>, R30xError> {
        let mut host = R30xHost::new(transport);
        let parameters = host.connect(0)?;
        let serial: String = format!("R30X{:08X}{}", parameters.address, label)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(24)
            .collect();
        Ok(R30xDevice {
            descriptor: DeviceDescriptor {
                kind: DeviceKind::FingerSingle,
                serial_no: serial,
                make: "ZhianTec".to_string(),
                model: "R30x".to_string(),
                driver: "r30x-serial",
            },
            host: Mutex::new(host),
        })
    }

    fn capture_raster(&self, deadline: Instant) -> Result<Option<Raster>, DriverError> {
        let mut host = self.host.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match host.send(&GenerateImage) {
                Ok(()) => return host.upload_image().map(Some).map_err(to_driver_error),
                Err(R30xError::Module { code: 0x02, .. }) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(R30xError::Module { code: 0x02, .. }) => return Ok(None),
                Err(error) => return Err(to_driver_error(error)),
            }
        }
    }
}

fn to_driver_error(error: R30xError) -> DriverError {
    match error {
        R30xError::Transport(TransportError::Disconnected) => DriverError::Unplugged,
        R30xError::Transport(TransportError::Timeout) => DriverError::Timeout,
        R30xError::Transport(other) => DriverError::Io(other.to_string()),
        other => DriverError::Protocol(other.to_string()),
    }
}

impl<T: Transport> Driver for R30xDevice<T> {
    fn descriptor(&self) -> &DeviceDescriptor {
        &self.descriptor
    }

    fn acquire(&self, spec: &CaptureSpec, deadline: Instant) -> Result<Acquisition, DriverError> {
        let Some(image) = self.capture_raster(deadline)? else {
            return Ok(Acquisition::NothingPresented);
        };
        Ok(Acquisition::Frame(
            spec.segments
                .iter()
                .take(1)
                .map(|name| SegmentImage {
                    bio_sub_type: Some(name.clone()),
                    image: image.clone(),
                })
                .collect(),
        ))
    }

    fn preview(&self, _sub_id: u32, _frame_no: u64) -> Result<Raster, DriverError> {
        let deadline = Instant::now() + Duration::from_millis(500);
        Ok(self
            .capture_raster(deadline)?
            .unwrap_or_else(|| Raster::gray(IMAGE_WIDTH, IMAGE_HEIGHT, 255)))
    }
}

/// A simulated R30x module answering the protocol on a transport (a pty in practice).
pub struct SimulatedSensor {
    pub password: u32,
    pub quality: u8,
    pub seed: u64,
    /// GenImg answers "no finger" this many times before a finger is "placed".
    pub finger_after: u32,
    gen_calls: u32,
    image_ready: bool,
    verified: bool,
}

impl SimulatedSensor {
    pub fn new(quality: u8, seed: u64) -> SimulatedSensor {
        SimulatedSensor {
            password: 0,
            quality,
            seed,
            finger_after: 0,
            gen_calls: 0,
            image_ready: false,
            verified: false,
        }
    }

    /// Answers one incoming packet (or garbage) with the packets to send back.
    pub fn respond(&mut self, incoming: Result<Packet, R30xError>) -> Vec<Packet> {
        let ack = |code: u8, extra: &[u8]| {
            let mut payload = vec![code];
            payload.extend_from_slice(extra);
            Packet::new(PacketKind::Ack, payload)
        };
        let packet = match incoming {
            Ok(packet) if packet.kind == PacketKind::Command && !packet.payload.is_empty() => {
                packet
            }
            _ => return vec![ack(0x01, &[])],
        };
        match packet.payload[0] {
            0x17 => vec![ack(0x00, &[])],
            0x13 => {
                let given = packet
                    .payload
                    .get(1..5)
                    .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                self.verified = given == Some(self.password);
                vec![ack(if self.verified { 0x00 } else { 0x13 }, &[])]
            }
            _ if !self.verified => vec![ack(0x21, &[])],
            0x0F => {
                let mut params = Vec::with_capacity(16);
                params.extend_from_slice(&0u16.to_be_bytes()); // status register
                params.extend_from_slice(&0x0009u16.to_be_bytes()); // system id
                params.extend_from_slice(&300u16.to_be_bytes()); // capacity
                params.extend_from_slice(&3u16.to_be_bytes()); // security level
                params.extend_from_slice(&DEFAULT_ADDRESS.to_be_bytes());
                params.extend_from_slice(&2u16.to_be_bytes()); // 128-byte packets
                params.extend_from_slice(&6u16.to_be_bytes()); // 57600 baud
                vec![ack(0x00, &params)]
            }
            0x01 => {
                self.gen_calls += 1;
                if self.gen_calls > self.finger_after {
                    self.image_ready = true;
                    vec![ack(0x00, &[])]
                } else {
                    vec![ack(0x02, &[])]
                }
            }
            0x0A if self.image_ready => {
                let image = synth::fingerprint(
                    IMAGE_WIDTH,
                    IMAGE_HEIGHT,
                    self.quality,
                    self.seed + u64::from(self.gen_calls),
                );
                let packed: Vec<u8> = image
                    .pixels
                    .chunks_exact(2)
                    .map(|p| (p[0] & 0xF0) | (p[1] >> 4))
                    .collect();
                let mut out = vec![ack(0x00, &[])];
                let chunks: Vec<&[u8]> = packed.chunks(128).collect();
                for (index, chunk) in chunks.iter().enumerate() {
                    let kind = if index + 1 == chunks.len() {
                        PacketKind::EndData
                    } else {
                        PacketKind::Data
                    };
                    out.push(Packet::new(kind, chunk.to_vec()));
                }
                out
            }
            0x0A => vec![ack(0x15, &[])],
            _ => vec![ack(0x01, &[])],
        }
    }

    /// Serves the protocol until the transport closes.
    pub fn serve<T: Transport>(&mut self, transport: &mut T) -> Result<(), TransportError> {
        loop {
            let incoming = match read_packet(transport, Duration::from_secs(3600)) {
                Err(R30xError::Transport(TransportError::Timeout)) => continue,
                Err(R30xError::Transport(error)) => return Err(error),
                other => other,
            };
            if incoming.is_err() {
                transport.discard_input();
            }
            for packet in self.respond(incoming) {
                transport.write_all(&packet.to_bytes(), Duration::from_secs(5))?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::tests::Pipe;

    #[test]
    fn packets_round_trip_with_checksums() {
        let packet = Packet::new(PacketKind::Command, vec![0x13, 0, 0, 0, 0]);
        let bytes = packet.to_bytes();
        // Known frame of VfyPwd(0): EF01 FFFFFFFF 01 0007 13 00000000 001B.
        assert_eq!(
            bytes,
            [
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x13, 0, 0, 0, 0, 0x00, 0x1B
            ]
        );
        assert_eq!(parse_packet(&bytes), Ok((packet, bytes.len())));
        let mut corrupt = bytes.clone();
        corrupt[10] ^= 0xFF;
        assert!(matches!(
            parse_packet(&corrupt),
            Err(FrameError::Checksum { .. })
        ));
        assert_eq!(parse_packet(&bytes[..5]), Err(FrameError::Incomplete));
        assert_eq!(
            parse_packet(b"garbage!!!!"),
            Err(FrameError::BadStart([b'g', b'a']))
        );
    }

    #[test]
    fn host_reads_an_image_from_the_simulated_sensor() {
        let (host_end, mut sensor_end) = Pipe::pair();
        let sensor = std::thread::spawn(move || {
            let mut sensor = SimulatedSensor::new(80, 3);
            sensor.finger_after = 2;
            let _ = sensor.serve(&mut sensor_end);
        });
        let device = R30xDevice::connect(host_end, "pipe").expect("connects");
        assert_eq!(device.descriptor().kind, DeviceKind::FingerSingle);
        let spec = CaptureSpec {
            sub_id: 0,
            segments: vec!["Left IndexFinger".into()],
            exception_photo: false,
        };
        let frame = device
            .acquire(&spec, Instant::now() + Duration::from_secs(5))
            .expect("acquires");
        let Acquisition::Frame(segments) = frame else {
            panic!("a finger frame")
        };
        assert_eq!(
            (segments[0].image.width, segments[0].image.height),
            (IMAGE_WIDTH, IMAGE_HEIGHT)
        );
        assert!(crate::quality::finger(&segments[0].image) > 30.0);
        drop(device);
        sensor.join().expect("sensor thread");
    }

    #[test]
    fn a_garbled_answer_fails_one_capture_and_the_next_one_works() {
        let (host_end, mut sensor_end) = Pipe::pair();
        let sensor = std::thread::spawn(move || {
            let mut sensor = SimulatedSensor::new(80, 9);
            let mut answered = 0;
            loop {
                let incoming = match read_packet(&mut sensor_end, Duration::from_secs(5)) {
                    Err(R30xError::Transport(_)) => return,
                    other => other,
                };
                answered += 1;
                if answered == 4 {
                    // The first GenImg gets line noise instead of an acknowledgement.
                    let _ = sensor_end.write_all(
                        b"\xEF\x01\xFF\xFF\xFF\xFF\x07\x00\x03\x00\x00\x99",
                        Duration::from_secs(1),
                    );
                    continue;
                }
                for packet in sensor.respond(incoming) {
                    if sensor_end
                        .write_all(&packet.to_bytes(), Duration::from_secs(1))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        });
        let device = R30xDevice::connect(host_end, "pipe").expect("connects");
        let spec = CaptureSpec {
            sub_id: 0,
            segments: vec!["Left Thumb".into()],
            exception_photo: false,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let error = device
            .acquire(&spec, deadline)
            .expect_err("checksum error surfaces");
        assert_eq!(error.code(), "DEVICE_PROTOCOL");
        assert!(error.to_string().contains("checksum"), "{error}");
        assert!(
            matches!(device.acquire(&spec, deadline), Ok(Acquisition::Frame(_))),
            "the next capture works"
        );
        drop(device);
        sensor.join().expect("sensor thread");
    }

    #[test]
    fn garbage_and_bad_checksums_get_clear_errors() {
        let mut sensor = SimulatedSensor::new(80, 1);
        let answer = sensor.respond(Err(R30xError::Frame(FrameError::Checksum {
            computed: 1,
            received: 2,
        })));
        assert_eq!(answer[0].payload, vec![0x01]);
        let answer = sensor.respond(Ok(Packet::new(PacketKind::Command, vec![0x01])));
        assert_eq!(answer[0].payload, vec![0x21], "password first");

        let (mut host_end, mut garbage_end) = Pipe::pair();
        garbage_end
            .write_all(b"\x00\x11noise-noise", Duration::from_secs(1))
            .expect("write");
        let error = read_packet(&mut host_end, Duration::from_millis(200)).expect_err("garbage");
        assert_eq!(error.code(), "R30X_FRAME");
        host_end.discard_input();
        let mut bad = Packet::new(PacketKind::Ack, vec![0]).to_bytes();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        garbage_end
            .write_all(&bad, Duration::from_secs(1))
            .expect("write");
        let error = read_packet(&mut host_end, Duration::from_millis(200)).expect_err("checksum");
        assert_eq!(error.code(), "R30X_CHECKSUM");
        drop(garbage_end);
        let error = read_packet(&mut host_end, Duration::from_millis(200)).expect_err("closed");
        assert!(matches!(error, R30xError::Transport(_)));
    }
}
