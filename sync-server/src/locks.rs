//! Per-key async locks (one upload, one RID) that are dropped from memory once nobody holds them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Default)]
pub struct KeyedLocks {
    map: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Holds one key's lock; releasing it forgets the key when no one else waits for it.
pub struct KeyGuard<'a> {
    locks: &'a KeyedLocks,
    key: String,
    entry: Arc<AsyncMutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    fn entry(&self, key: &str) -> Arc<AsyncMutex<()>> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned()).or_default().clone()
    }

    /// Waits for the lock of `key`.
    pub async fn lock(&self, key: &str) -> KeyGuard<'_> {
        let entry = self.entry(key);
        let guard = entry.clone().lock_owned().await;
        KeyGuard {
            locks: self,
            key: key.to_owned(),
            entry,
            guard: Some(guard),
        }
    }

    /// Takes the lock of `key` if it is free.
    pub fn try_lock(&self, key: &str) -> Option<KeyGuard<'_>> {
        let entry = self.entry(key);
        let guard = entry.clone().try_lock_owned().ok();
        let held = KeyGuard {
            locks: self,
            key: key.to_owned(),
            entry,
            guard,
        };
        held.guard.is_some().then_some(held)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or_default()
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut map = self.locks.map.lock().unwrap_or_else(|p| p.into_inner());
        // Clones are made only under the map lock: the map's and ours means no one else.
        if Arc::strong_count(&self.entry) == 2 {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_key_is_exclusive_and_forgotten_after() {
        let locks = KeyedLocks::default();
        let held = locks.lock("a").await;
        assert!(locks.try_lock("a").is_none());
        assert!(locks.try_lock("b").is_some());
        drop(held);
        assert_eq!(locks.len(), 0);
        assert!(locks.try_lock("a").is_some());
        assert_eq!(locks.len(), 0);
    }
}
