//! Loaded models, kept in memory by content id so that a request does not
//! re-read, re-hash and re-optimise the model it names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::loaded::Loaded;
use veris_core::ModelId;

/// A small least-recently-used map of loaded models.
#[derive(Debug)]
pub struct ModelCache {
    capacity: usize,
    inner: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    tick: u64,
    entries: HashMap<ModelId, (u64, Arc<Loaded>)>,
}

impl ModelCache {
    pub fn new(capacity: usize) -> Self {
        ModelCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every update is a single insert or remove), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The model for `id`, loading it with `load` on a miss. Loading runs
    /// outside the lock; two concurrent misses may both load, one wins.
    pub fn get_or_load<E>(&self, id: ModelId, load: impl FnOnce() -> Result<Loaded, E>) -> Result<Arc<Loaded>, E> {
        {
            let mut s = self.state();
            s.tick += 1;
            let tick = s.tick;
            if let Some(entry) = s.entries.get_mut(&id) {
                entry.0 = tick;
                return Ok(entry.1.clone());
            }
        }
        let model = Arc::new(load()?);
        let mut s = self.state();
        if s.entries.len() >= self.capacity
            && let Some(oldest) = s.entries.iter().min_by_key(|(_, (t, _))| *t).map(|(k, _)| *k)
        {
            s.entries.remove(&oldest);
        }
        let tick = s.tick;
        s.entries.insert(id, (tick, model.clone()));
        Ok(model)
    }

    /// The model for `id` if it is loaded (a hit counts as a use).
    pub fn get(&self, id: &ModelId) -> Option<Arc<Loaded>> {
        let mut s = self.state();
        s.tick += 1;
        let tick = s.tick;
        let entry = s.entries.get_mut(id)?;
        entry.0 = tick;
        Some(entry.1.clone())
    }

    /// Forgets a model (after it is removed from the hub).
    pub fn evict(&self, id: &ModelId) {
        self.state().entries.remove(id);
    }
}
