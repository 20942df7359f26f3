//! Fork-join on scoped threads: the builder runs its independent passes (hashing, signing,
//! encrypting the same bytes) side by side.

/// Runs `a` on this thread and `b` on a scoped thread, and returns both results. A panic in
/// `b` is resumed here.
pub fn both<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    std::thread::scope(|scope| {
        let other = scope.spawn(b);
        let here = a();
        (here, joined(other))
    })
}

/// The result of a scoped thread; its panic is resumed here.
pub fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_returns_each_side() {
        assert_eq!(both(|| 1, || "two"), (1, "two"));
    }
}
