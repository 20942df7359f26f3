//! ISO/IEC 19794-4:2011 (finger, `FIR 020`), 19794-5:2011 (face, `FAC 030`) and 19794-6:2011
//! (iris, `IIR 020`) records with JPEG 2000 lossless image data, laid out byte for byte like the
//! MockMDS registration samples that MOSIP's bio-utils accept, plus a header reader for checks.

use time::OffsetDateTime;

const FINGER_MAGIC: &[u8; 8] = b"FIR\x00020\x00";
const IRIS_MAGIC: &[u8; 8] = b"IIR\x00020\x00";
const FACE_MAGIC: &[u8; 8] = b"FAC\x00030\x00";

/// Finger positions as ISO 19794-4 numbers them.
pub fn finger_position(bio_sub_type: &str) -> u8 {
    match bio_sub_type {
        "Right Thumb" => 1,
        "Right IndexFinger" => 2,
        "Right MiddleFinger" => 3,
        "Right RingFinger" => 4,
        "Right LittleFinger" => 5,
        "Left Thumb" => 6,
        "Left IndexFinger" => 7,
        "Left MiddleFinger" => 8,
        "Left RingFinger" => 9,
        "Left LittleFinger" => 10,
        _ => 0,
    }
}

/// ISO 19794-6 eye label: 1 right, 2 left, 0 undefined.
pub fn eye_label(bio_sub_type: &str) -> u8 {
    match bio_sub_type {
        "Right" => 1,
        "Left" => 2,
        _ => 0,
    }
}

fn capture_time(out: &mut Vec<u8>, at: OffsetDateTime) {
    out.extend_from_slice(&(at.year() as u16).to_be_bytes());
    out.push(u8::from(at.month()));
    out.push(at.day());
    out.push(at.hour());
    out.push(at.minute());
    out.push(at.second());
    out.extend_from_slice(&at.millisecond().to_be_bytes());
}

fn quality_block(out: &mut Vec<u8>, score: u8) {
    out.push(1); // one quality block
    out.push(score.min(100));
    out.extend_from_slice(&0x00FFu16.to_be_bytes()); // vendor: unregistered (Enrol estimator)
    out.extend_from_slice(&0x0001u16.to_be_bytes()); // algorithm id
}

fn finish(magic: &[u8; 8], header_tail: &[u8], representation: Vec<u8>) -> Vec<u8> {
    let total = 8 + 4 + header_tail.len() + 4 + representation.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(magic);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(header_tail);
    out.extend_from_slice(&((representation.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(&representation);
    out
}

/// A finger image record: 8-bit grey, 500 ppi, JPEG 2000 lossless (compression 5).
pub fn finger_record(
    position: u8,
    width: u16,
    height: u16,
    quality: u8,
    jp2: &[u8],
    at: OffsetDateTime,
) -> Vec<u8> {
    let mut rep = Vec::with_capacity(jp2.len() + 64);
    capture_time(&mut rep, at);
    rep.push(0); // capture device technology: unknown
    rep.extend_from_slice(&0u16.to_be_bytes()); // vendor
    rep.extend_from_slice(&0u16.to_be_bytes()); // device type
    quality_block(&mut rep, quality);
    rep.push(position);
    rep.push(0); // representation number
    rep.push(1); // scale units: pixels per inch
    for _ in 0..4 {
        rep.extend_from_slice(&500u16.to_be_bytes()); // capture and image sampling rates
    }
    rep.push(8); // bit depth
    rep.push(5); // compression: JPEG 2000 lossless
    rep.push(0); // impression: live-scan plain
    rep.extend_from_slice(&width.to_be_bytes());
    rep.extend_from_slice(&height.to_be_bytes());
    rep.extend_from_slice(&(jp2.len() as u32).to_be_bytes());
    rep.extend_from_slice(jp2);
    // number of representations (1), certification flag (0), number of finger positions (1)
    finish(FINGER_MAGIC, &[0, 1, 0, 1], rep)
}

/// An iris image record: VGA image type (K2), JPEG 2000 lossless, 8-bit grey.
pub fn iris_record(
    label: u8,
    width: u16,
    height: u16,
    quality: u8,
    jp2: &[u8],
    at: OffsetDateTime,
) -> Vec<u8> {
    let mut rep = Vec::with_capacity(jp2.len() + 64);
    capture_time(&mut rep, at);
    rep.push(1); // capture device technology: CMOS/CCD
    rep.extend_from_slice(&0u16.to_be_bytes());
    rep.extend_from_slice(&0u16.to_be_bytes());
    quality_block(&mut rep, quality);
    rep.extend_from_slice(&1u16.to_be_bytes()); // representation number
    rep.push(label);
    rep.push(2); // image type: VGA (K2)
    rep.push(0x0A); // image format: JPEG 2000
    rep.push(0); // properties: undefined orientations, no scan type
    rep.extend_from_slice(&width.to_be_bytes());
    rep.extend_from_slice(&height.to_be_bytes());
    rep.push(8); // bit depth
    rep.extend_from_slice(&0u16.to_be_bytes()); // range: unassigned
    rep.extend_from_slice(&0xFFFFu16.to_be_bytes()); // roll angle: undefined
    rep.extend_from_slice(&0xFFFFu16.to_be_bytes()); // roll uncertainty: undefined
    for _ in 0..6 {
        rep.extend_from_slice(&0u16.to_be_bytes()); // iris centre and diameter: unassigned
    }
    rep.extend_from_slice(&(jp2.len() as u32).to_be_bytes());
    rep.extend_from_slice(jp2);
    // number of representations (1), certification flag (0), number of eyes (1)
    finish(IRIS_MAGIC, &[0, 1, 0, 1], rep)
}

/// A face image record: full frontal, 24-bit RGB, JPEG 2000 lossless (image data type 2).
pub fn face_record(
    width: u16,
    height: u16,
    quality: u8,
    jp2: &[u8],
    at: OffsetDateTime,
) -> Vec<u8> {
    let mut rep = Vec::with_capacity(jp2.len() + 64);
    capture_time(&mut rep, at);
    rep.push(0); // capture device technology: unknown
    rep.extend_from_slice(&0u16.to_be_bytes());
    rep.extend_from_slice(&0u16.to_be_bytes());
    quality_block(&mut rep, quality);
    rep.extend_from_slice(&0u16.to_be_bytes()); // landmark points
    rep.push(0xFF); // gender: unknown
    rep.extend_from_slice(&[0, 0, 0]); // eye colour, hair colour, subject height
    rep.extend_from_slice(&[0, 0, 0]); // property mask
    rep.extend_from_slice(&0u16.to_be_bytes()); // expression
    rep.extend_from_slice(&[0; 6]); // pose angles and uncertainties
    rep.push(1); // face image type: full frontal
    rep.push(2); // image data type: JPEG 2000 lossless
    rep.extend_from_slice(&width.to_be_bytes());
    rep.extend_from_slice(&height.to_be_bytes());
    rep.push(0); // spatial sampling rate
    rep.extend_from_slice(&0u16.to_be_bytes()); // post-acquisition processing
    rep.push(0); // cross reference
    rep.push(1); // colour space: 24-bit RGB
    rep.extend_from_slice(&(jp2.len() as u32).to_be_bytes());
    rep.extend_from_slice(jp2);
    // number of representations (1), certification flag (0), temporal semantics (0)
    finish(FACE_MAGIC, &[0, 1, 0, 0, 0], rep)
}

/// The facts about a record that SBI conformance checks look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    pub format: String,
    pub record_length: u32,
    pub width: u16,
    pub height: u16,
    pub quality: u8,
    /// Finger position, eye label, or face image type.
    pub position: u8,
    /// Finger compression code, iris image format, or face image data type.
    pub compression: u8,
    pub image: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IsoError {
    #[error("record is truncated")]
    Truncated,
    #[error("unknown record format {0:?}")]
    UnknownFormat(String),
    #[error("record length {declared} differs from the data length {actual}")]
    LengthMismatch { declared: u32, actual: usize },
}

impl IsoError {
    pub fn code(&self) -> &'static str {
        match self {
            IsoError::Truncated => "ISO_TRUNCATED",
            IsoError::UnknownFormat(_) => "ISO_UNKNOWN_FORMAT",
            IsoError::LengthMismatch { .. } => "ISO_LENGTH_MISMATCH",
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], IsoError> {
        let end = self.at.checked_add(count).ok_or(IsoError::Truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or(IsoError::Truncated)?;
        self.at = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, IsoError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, IsoError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, IsoError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Reads the first representation of a finger, iris or face record.
pub fn read_record(bytes: &[u8]) -> Result<RecordSummary, IsoError> {
    let mut r = Reader { bytes, at: 0 };
    let magic: &[u8; 8] = r.take(8)?.try_into().map_err(|_| IsoError::Truncated)?;
    let format = String::from_utf8_lossy(magic)
        .replace('\0', " ")
        .trim()
        .to_string();
    let record_length = r.u32()?;
    if record_length as usize != bytes.len() {
        return Err(IsoError::LengthMismatch {
            declared: record_length,
            actual: bytes.len(),
        });
    }
    let _representations = r.u16()?;
    let certification = r.u8()?;
    match magic {
        FINGER_MAGIC | IRIS_MAGIC => {
            r.u8()?;
        }
        FACE_MAGIC => {
            r.u16()?;
        }
        _ => return Err(IsoError::UnknownFormat(format)),
    }
    let _length = r.u32()?;
    r.take(9 + 1 + 2 + 2)?;
    let quality_blocks = r.u8()?;
    let mut quality = 255;
    for index in 0..quality_blocks {
        let score = r.u8()?;
        r.take(4)?;
        if index == 0 {
            quality = score;
        }
    }
    let summary = |position, compression, width, height, image: &[u8]| RecordSummary {
        format: format.clone(),
        record_length,
        width,
        height,
        quality,
        position,
        compression,
        image: image.to_vec(),
    };
    match magic {
        FINGER_MAGIC => {
            if certification != 0 {
                let blocks = r.u8()?;
                r.take(3 * usize::from(blocks))?;
            }
            let position = r.u8()?;
            r.take(2 + 8)?;
            let _depth = r.u8()?;
            let compression = r.u8()?;
            let _impression = r.u8()?;
            let width = r.u16()?;
            let height = r.u16()?;
            let length = r.u32()? as usize;
            let image = r.take(length)?;
            Ok(summary(position, compression, width, height, image))
        }
        IRIS_MAGIC => {
            r.u16()?;
            let label = r.u8()?;
            let _image_type = r.u8()?;
            let format_code = r.u8()?;
            r.u8()?;
            let width = r.u16()?;
            let height = r.u16()?;
            r.take(1 + 2 + 2 + 2 + 12)?;
            let length = r.u32()? as usize;
            let image = r.take(length)?;
            Ok(summary(label, format_code, width, height, image))
        }
        _ => {
            let landmarks = r.u16()?;
            r.take(15)?;
            r.take(8 * usize::from(landmarks))?;
            let face_type = r.u8()?;
            let data_type = r.u8()?;
            let width = r.u16()?;
            let height = r.u16()?;
            r.take(5)?;
            let length = r.u32()? as usize;
            let image = r.take(length)?;
            Ok(summary(face_type, data_type, width, height, image))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn samples_dir() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/sbi-data/mockmds-iso-samples/registration");
        if dir.is_dir() {
            Some(dir)
        } else {
            eprintln!(
                "notice: {} not found; skipping the MockMDS ISO sample check",
                dir.display()
            );
            None
        }
    }

    #[track_caller]
    fn check_sample(
        name: &str,
        format: &str,
        width: u16,
        height: u16,
        position: u8,
        compression: u8,
    ) {
        let Some(dir) = samples_dir() else { return };
        let bytes = std::fs::read(dir.join(name)).expect("sample readable");
        let summary = read_record(&bytes).expect("sample parses");
        assert_eq!(summary.format, format);
        assert_eq!((summary.width, summary.height), (width, height));
        assert_eq!(
            (summary.position, summary.compression),
            (position, compression)
        );
        assert_eq!(&summary.image[4..8], b"jP  ");
    }

    #[test]
    fn mockmds_samples_parse() {
        check_sample("Left_Index.iso", "FIR 020", 280, 448, 7, 5);
        check_sample("Left_Iris.iso", "IIR 020", 417, 313, 2, 0x0A);
        check_sample("Face.iso", "FAC 030", 240, 320, 1, 2);
    }

    #[test]
    fn our_records_mirror_the_sample_layout() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let jp2 = b"\0\0\0\x0cjP  \r\n\x87\nrest".to_vec();
        let finger = finger_record(7, 280, 448, 57, &jp2, at);
        let summary = read_record(&finger).expect("finger parses");
        assert_eq!(
            (summary.position, summary.compression, summary.quality),
            (7, 5, 57)
        );
        assert_eq!(summary.image, jp2);
        // Same header offsets as the MockMDS auth sample (certification flag 0): data at 62.
        assert_eq!(&finger[62..], &jp2[..]);
        let iris = iris_record(2, 640, 480, 90, &jp2, at);
        assert_eq!(&iris[73..], &jp2[..]);
        assert_eq!(read_record(&iris).expect("iris").position, 2);
        let face = face_record(480, 640, 80, &jp2, at);
        assert_eq!(&face[73..], &jp2[..]);
        assert_eq!(read_record(&face).expect("face").compression, 2);
    }

    #[test]
    fn broken_records_are_rejected() {
        let finger = finger_record(7, 1, 1, 50, b"xx", OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            read_record(&finger[..20]).expect_err("cut").code(),
            "ISO_LENGTH_MISMATCH"
        );
        let mut wrong = finger.clone();
        wrong[0] = b'X';
        assert_eq!(
            read_record(&wrong).expect_err("magic").code(),
            "ISO_UNKNOWN_FORMAT"
        );
        assert_eq!(
            read_record(&[1, 2]).expect_err("short").code(),
            "ISO_TRUNCATED"
        );
    }
}
