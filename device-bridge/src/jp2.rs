//! JPEG 2000 lossless (reversible 5/3 wavelet) encoding into a JP2 file in memory, through the
//! OpenJPEG C library that `openjpeg-sys` builds from bundled sources.
//!
//! This is the one module with `unsafe`: the FFI calls into OpenJPEG. No maintained pure-Rust
//! JPEG 2000 encoder exists, and the safe `jpeg2k` wrapper can only write to files from decoded
//! images. Every pointer handed to OpenJPEG is owned by a guard that frees it on all paths.
#![allow(unsafe_code)]

use std::ffi::c_void;

use openjpeg_sys as opj;

/// Pixel layout of the samples passed to [`encode_lossless`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    Gray,
    Rgb,
}

impl Channels {
    pub fn count(self) -> usize {
        match self {
            Channels::Gray => 1,
            Channels::Rgb => 3,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Jp2Error {
    #[error(
        "image of {width}x{height} with {channels} channels needs {expected} bytes, got {actual}"
    )]
    SizeMismatch {
        width: u32,
        height: u32,
        channels: usize,
        expected: usize,
        actual: usize,
    },
    #[error("openjpeg failed during {0}")]
    Codec(&'static str),
}

impl Jp2Error {
    pub fn code(&self) -> &'static str {
        match self {
            Jp2Error::SizeMismatch { .. } => "JP2_SIZE_MISMATCH",
            Jp2Error::Codec(_) => "JP2_CODEC",
        }
    }
}

/// Encodes 8-bit interleaved samples as a lossless JP2 file. Tier-1 coding of the code blocks
/// (most of the cost) spreads over `threads` OpenJPEG workers; 1 keeps it on the calling thread.
pub fn encode_lossless(
    width: u32,
    height: u32,
    channels: Channels,
    samples: &[u8],
    threads: usize,
) -> Result<Vec<u8>, Jp2Error> {
    let count = channels.count();
    let expected = width as usize * height as usize * count;
    if samples.len() != expected || width == 0 || height == 0 {
        return Err(Jp2Error::SizeMismatch {
            width,
            height,
            channels: count,
            expected,
            actual: samples.len(),
        });
    }
    let image = ImageGuard::new(width, height, channels)?;
    image.fill(samples, count);

    // SAFETY: the parameters struct is plain data; OpenJPEG fills in its defaults.
    let mut params: opj::opj_cparameters_t = unsafe { std::mem::zeroed() };
    unsafe { opj::opj_set_default_encoder_parameters(&mut params) };
    params.tcp_numlayers = 1;
    params.tcp_rates[0] = 0.0; // rate 0 = lossless
    params.cp_disto_alloc = 1;
    params.irreversible = 0; // reversible 5/3 wavelet
    params.tcp_mct = if channels == Channels::Rgb { 1 } else { 0 };
    // Selective arithmetic-coding bypass ("lazy" mode): still lossless, ~5 % fewer instructions.
    // Tier-1 coding is ~85 % of the cost whatever else is set: on a 280x360 finger, 2 to 7
    // resolution levels or 32x32 instead of the default 64x64 code blocks moved the
    // instruction count by under 2 % (callgrind), so the defaults stay.
    params.mode = 0x01;
    let smallest = width.min(height);
    let mut levels = 6;
    while levels > 1 && (smallest >> (levels - 1)) < 1 {
        levels -= 1;
    }
    params.numresolution = levels;

    let codec = CodecGuard::new()?;
    // SAFETY: codec, params and image are valid for the duration of the call.
    if unsafe { opj::opj_setup_encoder(codec.0, &mut params, image.0) } == 0 {
        return Err(Jp2Error::Codec("setup"));
    }
    if threads > 1 {
        // SAFETY: called after setup and before start_compress, as OpenJPEG requires.
        unsafe { opj::opj_codec_set_threads(codec.0, threads.min(64) as i32) };
    }
    let mut sink = Sink::default();
    let stream = StreamGuard::new(&mut sink)?;
    // SAFETY: all three objects are alive; the sink outlives the stream guard.
    unsafe {
        if opj::opj_start_compress(codec.0, image.0, stream.0) == 0 {
            return Err(Jp2Error::Codec("start"));
        }
        if opj::opj_encode(codec.0, stream.0) == 0 {
            return Err(Jp2Error::Codec("encode"));
        }
        if opj::opj_end_compress(codec.0, stream.0) == 0 {
            return Err(Jp2Error::Codec("end"));
        }
    }
    drop(stream);
    Ok(sink.bytes)
}

struct ImageGuard(*mut opj::opj_image_t);

impl ImageGuard {
    fn new(width: u32, height: u32, channels: Channels) -> Result<ImageGuard, Jp2Error> {
        let component = opj::opj_image_cmptparm_t {
            dx: 1,
            dy: 1,
            w: width,
            h: height,
            x0: 0,
            y0: 0,
            prec: 8,
            bpp: 8,
            sgnd: 0,
        };
        let mut components = vec![component; channels.count()];
        let colour_space = match channels {
            Channels::Gray => opj::OPJ_COLOR_SPACE::OPJ_CLRSPC_GRAY,
            Channels::Rgb => opj::OPJ_COLOR_SPACE::OPJ_CLRSPC_SRGB,
        };
        // SAFETY: the component array is valid and sized to the count passed.
        let image = unsafe {
            opj::opj_image_create(
                components.len() as u32,
                components.as_mut_ptr(),
                colour_space,
            )
        };
        if image.is_null() {
            return Err(Jp2Error::Codec("image allocation"));
        }
        // SAFETY: image is non-null and freshly created.
        unsafe {
            (*image).x0 = 0;
            (*image).y0 = 0;
            (*image).x1 = width;
            (*image).y1 = height;
        }
        Ok(ImageGuard(image))
    }

    fn fill(&self, samples: &[u8], count: usize) {
        // SAFETY: opj_image_create allocated `count` components of w*h samples each.
        unsafe {
            let image = &*self.0;
            let components = std::slice::from_raw_parts(image.comps, count);
            for (index, component) in components.iter().enumerate() {
                let plane = std::slice::from_raw_parts_mut(
                    component.data,
                    component.w as usize * component.h as usize,
                );
                for (target, pixel) in plane.iter_mut().zip(samples.chunks_exact(count)) {
                    *target = i32::from(pixel[index]);
                }
            }
        }
    }
}

impl Drop for ImageGuard {
    fn drop(&mut self) {
        // SAFETY: created by opj_image_create, destroyed once.
        unsafe { opj::opj_image_destroy(self.0) }
    }
}

struct CodecGuard(*mut opj::opj_codec_t);

impl CodecGuard {
    fn new() -> Result<CodecGuard, Jp2Error> {
        // SAFETY: plain constructor.
        let codec = unsafe { opj::opj_create_compress(opj::OPJ_CODEC_FORMAT::OPJ_CODEC_JP2) };
        if codec.is_null() {
            return Err(Jp2Error::Codec("codec allocation"));
        }
        Ok(CodecGuard(codec))
    }
}

impl Drop for CodecGuard {
    fn drop(&mut self) {
        // SAFETY: created by opj_create_compress, destroyed once.
        unsafe { opj::opj_destroy_codec(self.0) }
    }
}

/// A seekable in-memory output (JP2 seeks back to patch box lengths).
#[derive(Default)]
struct Sink {
    bytes: Vec<u8>,
    position: usize,
}

struct StreamGuard(*mut opj::opj_stream_t);

impl StreamGuard {
    fn new(sink: &mut Sink) -> Result<StreamGuard, Jp2Error> {
        // SAFETY: an output stream whose callbacks only touch the sink passed as user data.
        unsafe {
            let stream = opj::opj_stream_create(1 << 16, 0);
            if stream.is_null() {
                return Err(Jp2Error::Codec("stream allocation"));
            }
            opj::opj_stream_set_write_function(stream, Some(write_callback));
            opj::opj_stream_set_skip_function(stream, Some(skip_callback));
            opj::opj_stream_set_seek_function(stream, Some(seek_callback));
            opj::opj_stream_set_user_data(stream, (sink as *mut Sink).cast::<c_void>(), None);
            Ok(StreamGuard(stream))
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        // SAFETY: created by opj_stream_create, destroyed once (this flushes pending writes).
        unsafe { opj::opj_stream_destroy(self.0) }
    }
}

unsafe extern "C" fn write_callback(
    buffer: *mut c_void,
    length: usize,
    user: *mut c_void,
) -> usize {
    // SAFETY: user is the Sink registered above; buffer holds `length` bytes.
    let (sink, data) = unsafe {
        (
            &mut *user.cast::<Sink>(),
            std::slice::from_raw_parts(buffer.cast::<u8>(), length),
        )
    };
    let end = sink.position + length;
    if sink.bytes.len() < end {
        sink.bytes.resize(end, 0);
    }
    sink.bytes[sink.position..end].copy_from_slice(data);
    sink.position = end;
    length
}

unsafe extern "C" fn skip_callback(offset: i64, user: *mut c_void) -> i64 {
    // SAFETY: user is the Sink registered above.
    let sink = unsafe { &mut *user.cast::<Sink>() };
    let target = sink.position as i64 + offset;
    if target < 0 {
        return -1;
    }
    sink.position = target as usize;
    offset
}

unsafe extern "C" fn seek_callback(offset: i64, user: *mut c_void) -> i32 {
    // SAFETY: user is the Sink registered above.
    let sink = unsafe { &mut *user.cast::<Sink>() };
    if offset < 0 {
        return 0;
    }
    sink.position = offset as usize;
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_round_trip(width: u32, height: u32, channels: Channels) {
        let samples: Vec<u8> = (0..width as usize * height as usize * channels.count())
            .map(|i| ((i * 7919) % 251) as u8)
            .collect();
        let encoded = encode_lossless(width, height, channels, &samples, 1).expect("encodes");
        let threaded = encode_lossless(width, height, channels, &samples, 2).expect("encodes");
        assert_eq!(threaded, encoded, "worker threads do not change the file");
        assert_eq!(&encoded[4..8], b"jP  ", "a JP2 signature box");
        let decoded = jpeg2k::Image::from_bytes(&encoded).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (width, height));
        let components = decoded.components();
        assert_eq!(components.len(), channels.count());
        for (index, component) in components.iter().enumerate() {
            let plane: Vec<u8> = samples
                .iter()
                .skip(index)
                .step_by(channels.count())
                .copied()
                .collect();
            let decoded_plane: Vec<u8> = component.data().iter().map(|v| *v as u8).collect();
            assert_eq!(decoded_plane, plane, "component {index} is lossless");
        }
    }

    #[test]
    fn encoding_is_lossless() {
        check_round_trip(64, 48, Channels::Gray);
        check_round_trip(33, 17, Channels::Rgb);
        check_round_trip(1, 1, Channels::Gray);
        check_round_trip(280, 360, Channels::Gray);
    }

    #[test]
    fn wrong_sizes_are_rejected() {
        let error = encode_lossless(4, 4, Channels::Gray, &[0; 15], 1).expect_err("too short");
        assert_eq!(error.code(), "JP2_SIZE_MISMATCH");
    }
}
