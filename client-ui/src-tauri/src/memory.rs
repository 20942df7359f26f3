//! The app's allocator settings: glibc hands large freed buffers (captures, documents, packets)
//! back to the system instead of keeping them in per-thread heaps.
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
