//! The app's memory settings, applied first in `main`: glibc hands large freed buffers (captures,
//! documents, packets) back to the system instead of keeping them in per-thread heaps, and
//! WebKitGTK and GTK draw without the GPU and do not probe for one.
#![allow(unsafe_code)]

/// Allocations of 128 KiB and more come straight from `mmap` and go back when freed (glibc would
/// otherwise raise that threshold to the largest buffer freed and keep such buffers in its heap),
/// and two malloc arenas serve all threads instead of one per thread that ever ran a command.
/// Called first in `main`, before any thread exists.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets glibc allocator parameters; no allocation is in flight.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// WebKitGTK and GTK draw without the GPU, and neither probes for one: each setting below applies
/// unless the environment sets it. Called in `main` before any thread exists; WebKit reads them when
/// the webview is made, and its web process inherits them.
///
/// - `WEBKIT_DISABLE_COMPOSITING_MODE=1`: with GPU compositing, every layer's tiles and the
///   painting engine's GPU caches live in the web process (in RAM too with Mesa's software
///   renderer) and grew with every registration; the page is painted on the CPU instead. An
///   operator's form needs no GPU.
/// - `WEBKIT_DISABLE_DMABUF_RENDERER=1`, `GDK_GL=disable` and `WEBKIT_WEB_RENDER_DEVICE_FILE`:
///   without them the app process opens an EGL or GLX display three times over (WebKit's DMA-BUF
///   renderer check, WebKit's search for the GPU's render node, GTK's GL probe), each of which
///   loads Mesa and its LLVM (about 29 MiB in the app process) for nothing, since nothing is
///   composited. The render node named is the conventional first one; with the DMA-BUF renderer
///   off it is never opened.
pub fn tune_web_engine() {
    #[cfg(target_os = "linux")]
    for (name, value) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        ("GDK_GL", "disable"),
        ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD128"),
    ] {
        if std::env::var_os(name).is_none() {
            // SAFETY: no other thread exists yet that could read the environment concurrently.
            unsafe { std::env::set_var(name, value) };
        }
    }
}
