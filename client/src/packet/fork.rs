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

/// Maps `items` with `f` on two threads, keeping the order; the split balances `weight`. Fewer
/// than two items stay on this thread.
pub fn map_halves<T: Send, R: Send>(
    items: &mut [T],
    weight: impl Fn(&T) -> usize,
    f: impl Fn(&mut T) -> R + Sync,
) -> Vec<R> {
    if items.len() < 2 {
        return items.iter_mut().map(f).collect();
    }
    let total: usize = items.iter().map(&weight).sum();
    let mut seen = 0;
    let split = items
        .iter()
        .position(|item| {
            seen += weight(item);
            seen * 2 >= total
        })
        .map_or(items.len(), |at| at + 1);
    let (first, second) = items.split_at_mut(split);
    let f = &f;
    let (mut left, right) = both(
        || first.iter_mut().map(f).collect::<Vec<_>>(),
        || second.iter_mut().map(f).collect::<Vec<_>>(),
    );
    left.extend(right);
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_halves_keeps_order_for_every_length() {
        for len in 0..7usize {
            let mut items: Vec<usize> = (0..len).collect();
            let doubled = map_halves(&mut items, |&n| n + 1, |n| *n * 2);
            assert_eq!(doubled, (0..len).map(|n| n * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn both_returns_each_side() {
        assert_eq!(both(|| 1, || "two"), (1, "two"));
    }
}
