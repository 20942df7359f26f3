//! The app's memory settings, applied first in `main`: glibc hands large freed buffers (captures,
//! documents, packets) back to the system instead of keeping them in per-thread heaps, and
//! WebKitGTK draws the page without GPU compositing.
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

/// WebKitGTK's compositing mode (`WEBKIT_DISABLE_COMPOSITING_MODE=1` unless the environment sets
/// it): with GPU compositing, every layer's tiles and the painting engine's GPU caches live in the
/// web process (in RAM too with Mesa's software renderer) and grew with every registration; the
/// page is painted on the CPU instead. An operator's form needs no GPU. Read by WebKit when the
/// webview is made and inherited by its web process; called in `main` before any thread exists.
pub fn tune_web_engine() {
    #[cfg(target_os = "linux")]
    {
        const COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
        if std::env::var_os(COMPOSITING).is_none() {
            // SAFETY: no other thread exists yet that could read the environment concurrently.
            unsafe { std::env::set_var(COMPOSITING, "1") };
        }
    }
}
