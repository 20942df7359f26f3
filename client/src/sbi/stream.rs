//! STREAM previews: `multipart/x-mixed-replace` M-JPEG as SBI services send it (§4). Frames are
//! read as MOSIP's client reads them: header lines up to `Content-Length`, then that many bytes.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use enrol_schema::sbi::StreamRequest;

use super::discovery::FoundDevice;
use super::error::SbiError;
use super::http::{self, Timeouts};

/// Largest accepted preview frame.
pub const MAX_FRAME: usize = 8 << 20;
/// Longest accepted header line.
const MAX_LINE: usize = 1024;

/// Opens the preview of `device`'s sub-device for at most `timeout`.
pub fn stream(
    device: &FoundDevice,
    device_sub_id: u32,
    timeout: Duration,
) -> Result<Frames<Box<dyn Read + Send>>, SbiError> {
    let request = StreamRequest {
        device_id: device.info.device_id.clone(),
        device_sub_id,
        timeout: Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
    };
    let body = serde_json::to_vec(&request).map_err(|e| SbiError::Stream(e.to_string()))?;
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        total: Some(timeout + Duration::from_secs(5)),
    };
    let (content_type, reader) = http::open(device.port, "STREAM", "/stream", body, timeouts)?;
    if content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        let mut text = Vec::new();
        reader
            .take(64 * 1024)
            .read_to_end(&mut text)
            .map_err(|e| SbiError::Stream(e.to_string()))?;
        return Err(stream_error(&text));
    }
    Frames::new(&content_type, reader)
}

/// Errors come back as bare `{errorCode, errorInfo}` or wrapped in `{"error": …}`.
fn stream_error(body: &[u8]) -> SbiError {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let error = value.get("error").unwrap_or(&value);
    let field = |name: &str| error.get(name).and_then(|v| v.as_str()).unwrap_or_default();
    if field("errorCode").is_empty() {
        return SbiError::Stream("the device answered JSON instead of a stream".into());
    }
    SbiError::from_device(field("errorCode"), field("errorInfo"))
}

/// The JPEG frames of a preview stream; ends when the device closes it. Dropping it closes the
/// connection, which stops the stream.
pub struct Frames<R> {
    reader: BufReader<R>,
    boundary: String,
    done: bool,
}

impl<R: Read> Frames<R> {
    /// Reads frames from a body whose `Content-Type` is `multipart/x-mixed-replace; boundary=…`.
    pub fn new(content_type: &str, body: R) -> Result<Frames<R>, SbiError> {
        let (kind, params) = content_type.split_once(';').unwrap_or((content_type, ""));
        if !kind
            .trim()
            .eq_ignore_ascii_case("multipart/x-mixed-replace")
        {
            return Err(SbiError::Stream(format!(
                "content type {content_type:?} is not multipart/x-mixed-replace"
            )));
        }
        let boundary = params
            .split(';')
            .filter_map(|param| param.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
            .map(|(_, value)| value.trim().trim_matches('"').to_owned())
            .filter(|boundary| !boundary.is_empty())
            .ok_or_else(|| SbiError::Stream("no boundary in the content type".into()))?;
        Ok(Frames {
            reader: BufReader::new(body),
            boundary,
            done: false,
        })
    }

    /// The next frame, `Ok(None)` at a clean end of stream.
    fn next_frame(&mut self) -> Result<Option<Vec<u8>>, SbiError> {
        let mut length = None;
        let mut in_part = false;
        loop {
            let Some(line) = self.line()? else {
                return if in_part {
                    Err(SbiError::Stream(
                        "the stream ended inside a frame header".into(),
                    ))
                } else {
                    Ok(None)
                };
            };
            let line = line.trim();
            if line.is_empty() {
                if let (true, Some(length)) = (in_part, length) {
                    return self.body(length).map(Some);
                }
                continue;
            }
            // MockMDS writes the boundary parameter itself ("--BoundaryString") as the
            // delimiter; RFC 2046 prefixes it with "--". Accept both, and the closing form.
            let delimiter = line
                .strip_prefix("--")
                .filter(|rest| rest.starts_with(self.boundary.as_str()));
            if line == self.boundary || delimiter.is_some() {
                if line.ends_with("--") && line != self.boundary {
                    return Ok(None);
                }
                in_part = true;
                length = None;
                continue;
            }
            if !in_part {
                return Err(SbiError::Stream(format!(
                    "expected the boundary, found {line:?}"
                )));
            }
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                let value: usize = value
                    .trim()
                    .parse()
                    .map_err(|_| SbiError::Stream(format!("bad Content-Length {value:?}")))?;
                if value > MAX_FRAME {
                    return Err(SbiError::Stream(format!(
                        "a {value}-byte frame is over the {MAX_FRAME}-byte limit"
                    )));
                }
                length = Some(value);
            }
        }
    }

    fn line(&mut self) -> Result<Option<String>, SbiError> {
        let mut line = Vec::new();
        let read = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| SbiError::Stream(e.to_string()))?;
        if read == 0 {
            return Ok(None);
        }
        if line.len() > MAX_LINE {
            return Err(SbiError::Stream("a header line is too long".into()));
        }
        Ok(Some(String::from_utf8_lossy(&line).into_owned()))
    }

    fn body(&mut self, length: usize) -> Result<Vec<u8>, SbiError> {
        let mut frame = vec![0u8; length];
        self.reader
            .read_exact(&mut frame)
            .map_err(|e| SbiError::Stream(format!("the stream ended inside a frame: {e}")))?;
        if !frame.starts_with(&[0xFF, 0xD8]) {
            return Err(SbiError::Stream("a frame is not a JPEG".into()));
        }
        Ok(frame)
    }
}

impl<R: Read> Iterator for Frames<R> {
    type Item = Result<Vec<u8>, SbiError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let frame = self.next_frame().transpose();
        if !matches!(frame, Some(Ok(_))) {
            self.done = true;
        }
        frame
    }
}
