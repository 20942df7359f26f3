//! The app's memory budget: glibc hands large freed buffers (captures, documents, packets) back to
//! the system, and WebKitGTK draws the window without GPU compositing, which a form does not need
//! and whose buffers cost about 90 MiB in the web process.
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

/// Turns WebKitGTK's hardware-accelerated compositing off for the window's web view.
pub fn without_gpu_compositing<R: tauri::Runtime>(
    window: &tauri::WebviewWindow<R>,
) -> tauri::Result<()> {
    window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    })
}
