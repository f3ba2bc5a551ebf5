//! The set of open connections, for shutdown.
//!
//! Each connection registers its outbox and the abort handles of its tasks. A graceful
//! shutdown closes every outbox with a `SHUTDOWN` disconnect carrying a random
//! `retry_after_ms` (so clients spread their reconnects) and waits for the set to empty;
//! an abort stops every task at once, the way a crash would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use resocket_protocol::codes::close;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::outbox::{Closing, Outbox};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopping {
    Running,
    Draining { retry_spread_ms: u64 },
    Aborted,
}

struct Entry {
    outbox: Arc<Outbox>,
    tasks: Vec<AbortHandle>,
}

struct State {
    open: HashMap<u64, Entry>,
    stopping: Stopping,
}

/// The server's open connections. See the [module docs](self).
pub(crate) struct ConnectionRegistry {
    state: Mutex<State>,
    emptied: Notify,
}

impl ConnectionRegistry {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                open: HashMap::new(),
                stopping: Stopping::Running,
            }),
            emptied: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of open connections.
    pub(crate) fn len(&self) -> usize {
        self.lock().open.len()
    }

    /// Whether a shutdown or abort has begun.
    pub(crate) fn is_stopping(&self) -> bool {
        self.lock().stopping != Stopping::Running
    }

    /// Adds a connection. If the server is already shutting down, its outbox is closed
    /// right away with the shutdown advice.
    pub(crate) fn register(self: &Arc<Self>, id: u64, outbox: Arc<Outbox>) -> Registration {
        let mut state = self.lock();
        if let Stopping::Draining { retry_spread_ms } = state.stopping {
            outbox.close(shutdown_closing(retry_spread_ms));
        }
        state.open.insert(
            id,
            Entry {
                outbox,
                tasks: Vec::new(),
            },
        );
        Registration {
            registry: self.clone(),
            id,
        }
    }

    /// Closes every connection with a `SHUTDOWN` disconnect; new ones get the same.
    pub(crate) fn begin_shutdown(&self, retry_spread: Duration) {
        let retry_spread_ms = u64::try_from(retry_spread.as_millis()).unwrap_or(u64::MAX);
        let mut state = self.lock();
        if state.stopping != Stopping::Running {
            return;
        }
        state.stopping = Stopping::Draining { retry_spread_ms };
        for entry in state.open.values() {
            entry.outbox.close(shutdown_closing(retry_spread_ms));
        }
    }

    /// Stops every connection's tasks at once, without a word to the clients.
    pub(crate) fn abort_all(&self) {
        let mut state = self.lock();
        state.stopping = Stopping::Aborted;
        for entry in state.open.values() {
            for task in &entry.tasks {
                task.abort();
            }
        }
    }

    /// Waits until no connection is left, or until `deadline`. Returns whether the set
    /// is empty.
    pub(crate) async fn wait_empty(&self, deadline: Instant) -> bool {
        loop {
            let emptied = self.emptied.notified();
            if self.len() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, emptied).await.is_err() {
                return self.len() == 0;
            }
        }
    }
}

fn shutdown_closing(retry_spread_ms: u64) -> Closing {
    let retry_after_ms = if retry_spread_ms == 0 {
        0
    } else {
        rand::random_range(0..retry_spread_ms)
    };
    Closing::Disconnect {
        code: close::SHUTDOWN,
        reason: "server shutting down".into(),
        retry_after_ms: Some(retry_after_ms),
    }
}

/// A connection's place in the registry; dropping it removes the connection.
pub(crate) struct Registration {
    registry: Arc<ConnectionRegistry>,
    id: u64,
}

impl Registration {
    /// Records the connection's tasks so an abort can stop them. If the server was
    /// aborted in the meantime, they are stopped right away.
    pub(crate) fn attach(&self, tasks: &[AbortHandle]) {
        let mut state = self.registry.lock();
        let aborted = state.stopping == Stopping::Aborted;
        if let Some(entry) = state.open.get_mut(&self.id) {
            entry.tasks.extend_from_slice(tasks);
        }
        if aborted {
            for task in tasks {
                task.abort();
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut state = self.registry.lock();
        state.open.remove(&self.id);
        if state.open.is_empty() {
            self.registry.emptied.notify_waiters();
        }
    }
}
