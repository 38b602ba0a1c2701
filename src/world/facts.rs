//! Facts several checks share, gathered once per run on first use: the mount table, the
//! network links and the image's tree walk. Checks run on worker threads, so the cache
//! is thread-safe.

use super::Target;
use super::links::{LinkError, Links};
use super::mounts::{MountError, MountTable};
use super::tape;
use super::walk::Tree;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

/// A lazily gathered fact. A mutex rather than `OnceLock::get_or_init`, because a load
/// can fail and a failure is kept as the fact ("could not read mountinfo") so every
/// check that needs it reports the same error without trying again.
///
/// Each fact keeps the questions a bundle could not answer while it was gathered, so that
/// every check served the fact learns of them, not only the first.
type Cell<T, E> = Mutex<Option<(Result<Arc<T>, Arc<E>>, Vec<String>)>>;

#[derive(Default)]
pub struct Facts {
    mounts: Cell<MountTable, MountError>,
    links: Cell<Links, LinkError>,
    tree: Cell<Tree, Infallible>,
}

fn get_or_load<T, E>(
    cell: &Cell<T, E>,
    load: impl FnOnce() -> Result<T, E>,
) -> Result<Arc<T>, Arc<E>> {
    // A poisoned lock means a check panicked while loading; the panic is reported on its
    // own, and the fact is simply loaded again.
    let mut slot = cell.lock().unwrap_or_else(|e| e.into_inner());
    let (fact, misses) = slot.get_or_insert_with(|| {
        let before = tape::take_misses();
        let fact = load().map(Arc::new).map_err(Arc::new);
        let misses = tape::take_misses();
        tape::note_misses(&before);
        (fact, misses)
    });
    tape::note_misses(misses);
    fact.clone()
}

impl Facts {
    pub fn mounts(&self, target: &Target) -> Result<Arc<MountTable>, Arc<MountError>> {
        get_or_load(&self.mounts, || MountTable::load(target))
    }

    pub fn links(&self, target: &Target) -> Result<Arc<Links>, Arc<LinkError>> {
        get_or_load(&self.links, || Links::load(target))
    }

    /// Every entry of the target's root, walked once however many checks ask.
    pub fn tree(&self, target: &Target) -> Arc<Tree> {
        match get_or_load(&self.tree, || Ok(Tree::walk(&target.root))) {
            Ok(tree) => tree,
            Err(never) => match *never {},
        }
    }
}
