//! The embedded, in-process engine.
//!
//! Each channel is one [`Mutex`]-guarded record. A publish assigns the offset, stores the
//! message and hands it to every subscriber under that one lock, and a subscribe
//! registers the subscriber, reads history and takes the presence snapshot under the
//! same lock; that is what makes replay and live delivery meet without gap or overlap.
//!
//! Nothing survives the process. Every engine instance draws a random epoch, so clients
//! that reconnect to a restarted server get `reset` instead of a wrong replay. Channels
//! nobody subscribes to and whose history and dedup window have expired are swept
//! away; a channel created again afterwards gets a new epoch, because its old offsets
//! are gone.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use resocket_protocol::{Position, PresenceEvent, PresenceMember, ServerFrame};

use super::{
    Engine, EngineError, HistoryRead, PublishReceipt, PublishRequest, Recovery, SharedFrame,
    SubscribeSnapshot, Subscriber, SubscriberId,
};

/// Bounds of the in-memory history and dedup window, per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryEngineConfig {
    /// Most messages kept per channel for replay (0 keeps none).
    pub history_max_messages: usize,
    /// Messages older than this are dropped from history.
    pub history_max_age: Duration,
    /// Most `msg_id`s remembered per channel for deduplication (0 disables it).
    pub dedup_max_ids: usize,
    /// A `msg_id` is forgotten this long after its first publish.
    pub dedup_window: Duration,
}

impl Default for MemoryEngineConfig {
    /// 1,000 messages / 5 minutes of history; 10,000 ids / 5 minutes of dedup.
    fn default() -> Self {
        Self {
            history_max_messages: 1000,
            history_max_age: Duration::from_secs(300),
            dedup_max_ids: 10_000,
            dedup_window: Duration::from_secs(300),
        }
    }
}

/// How often idle channels are looked for, at most.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// Channel storage in this process's memory.
///
/// One lock per channel orders publishes and subscribes, which is what makes replay
/// and live delivery meet without gap or overlap. A fresh random epoch per instance
/// means clients reconnecting to a restarted server get `reset`, never a wrong replay.
pub struct MemoryEngine {
    epoch: String,
    config: MemoryEngineConfig,
    channels: RwLock<HashMap<String, Arc<Mutex<Channel>>>>,
    incarnations: AtomicU64,
    last_sweep: Mutex<Instant>,
}

impl std::fmt::Debug for MemoryEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryEngine")
            .field("epoch", &self.epoch)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryEngine {
    fn default() -> Self {
        Self::new(MemoryEngineConfig::default())
    }
}

impl MemoryEngine {
    /// A new, empty engine with a fresh random epoch.
    pub fn new(config: MemoryEngineConfig) -> Self {
        Self {
            epoch: format!("{:016x}", rand::random::<u64>()),
            config,
            channels: RwLock::new(HashMap::new()),
            incarnations: AtomicU64::new(0),
            last_sweep: Mutex::new(Instant::now()),
        }
    }

    /// The random part shared by the epochs of all channels of this engine.
    pub fn epoch_prefix(&self) -> &str {
        &self.epoch
    }

    /// Number of channels currently held in memory.
    pub fn channel_count(&self) -> usize {
        read(&self.channels).len()
    }

    /// Runs `f` on the channel's state, creating the channel if needed.
    fn with_channel<R>(&self, name: &str, f: impl FnOnce(&mut Channel, Instant) -> R) -> R {
        let now = Instant::now();
        self.maybe_sweep(now);
        loop {
            let existing = read(&self.channels).get(name).cloned();
            let channel = match existing {
                Some(channel) => channel,
                None => write(&self.channels)
                    .entry(name.to_owned())
                    .or_insert_with(|| {
                        let n = self.incarnations.fetch_add(1, Ordering::Relaxed);
                        Arc::new(Mutex::new(Channel::new(
                            name,
                            format!("{}-{n}", self.epoch),
                        )))
                    })
                    .clone(),
            };
            let mut state = lock(&channel);
            // A sweep may have removed the channel between the lookup and the lock.
            if state.removed {
                continue;
            }
            return f(&mut state, now);
        }
    }

    /// Runs `f` on the channel's state if the channel exists.
    fn with_existing<R>(
        &self,
        name: &str,
        f: impl FnOnce(&mut Channel, Instant) -> R,
    ) -> Option<R> {
        let channel = read(&self.channels).get(name).cloned()?;
        let mut state = lock(&channel);
        if state.removed {
            return None;
        }
        Some(f(&mut state, Instant::now()))
    }

    fn maybe_sweep(&self, now: Instant) {
        let Ok(mut last) = self.last_sweep.try_lock() else {
            return;
        };
        if now.duration_since(*last) < SWEEP_INTERVAL {
            return;
        }
        *last = now;
        drop(last);
        self.sweep(now);
    }

    /// Drops channels with no subscribers, no history and no remembered `msg_id`s.
    fn sweep(&self, now: Instant) {
        let mut channels = write(&self.channels);
        channels.retain(|_, channel| {
            let mut state = lock(channel);
            state.trim(now, &self.config);
            let idle =
                state.subscribers.is_empty() && state.history.is_empty() && state.dedup.is_empty();
            if idle {
                state.removed = true;
            }
            !idle
        });
    }
}

#[async_trait]
impl Engine for MemoryEngine {
    async fn publish(&self, request: PublishRequest) -> Result<PublishReceipt, EngineError> {
        let name = request.channel.clone();
        Ok(self.with_channel(&name, |channel, now| {
            channel.publish(request, now, &self.config)
        }))
    }

    async fn subscribe(
        &self,
        channel: &str,
        since: Option<&Position>,
        subscriber: Subscriber,
    ) -> Result<SubscribeSnapshot, EngineError> {
        Ok(self.with_channel(channel, |channel, now| {
            channel.subscribe(since, subscriber, now, &self.config)
        }))
    }

    async fn unsubscribe(
        &self,
        channel: &str,
        subscriber: SubscriberId,
    ) -> Result<(), EngineError> {
        self.with_existing(channel, |channel, _| channel.unsubscribe(subscriber));
        Ok(())
    }

    async fn history(
        &self,
        channel: &str,
        since: Option<&Position>,
    ) -> Result<HistoryRead, EngineError> {
        Ok(self.with_channel(channel, |channel, now| {
            channel.read(since, now, &self.config)
        }))
    }

    async fn presence(&self, channel: &str) -> Result<Vec<PresenceMember>, EngineError> {
        Ok(self
            .with_existing(channel, |channel, _| channel.members())
            .unwrap_or_default())
    }
}

struct StoredMessage {
    offset: u64,
    stored_at: Instant,
    frame: Arc<SharedFrame>,
}

struct Channel {
    name: String,
    epoch: String,
    /// Offset of the latest message in this epoch.
    offset: u64,
    history: VecDeque<StoredMessage>,
    dedup: DedupWindow,
    subscribers: BTreeMap<SubscriberId, Subscriber>,
    removed: bool,
}

impl Channel {
    fn new(name: &str, epoch: String) -> Self {
        Self {
            name: name.to_owned(),
            epoch,
            offset: 0,
            history: VecDeque::new(),
            dedup: DedupWindow::default(),
            subscribers: BTreeMap::new(),
            removed: false,
        }
    }

    fn publish(
        &mut self,
        request: PublishRequest,
        now: Instant,
        config: &MemoryEngineConfig,
    ) -> PublishReceipt {
        self.trim(now, config);
        let dedup = config.dedup_max_ids > 0 && !request.msg_id.is_empty();
        if dedup {
            if let Some(offset) = self.dedup.get(&request.msg_id) {
                return PublishReceipt {
                    epoch: self.epoch.clone(),
                    offset,
                    duplicate: true,
                };
            }
        }
        self.offset += 1;
        let offset = self.offset;
        let frame = SharedFrame::new(ServerFrame::Message {
            channel: self.name.clone(),
            epoch: self.epoch.clone(),
            offset,
            payload: request.payload,
            publisher: request.publisher,
        });
        if config.history_max_messages > 0 {
            self.history.push_back(StoredMessage {
                offset,
                stored_at: now,
                frame: frame.clone(),
            });
            self.trim(now, config);
        }
        if dedup {
            self.dedup
                .insert(request.msg_id.into(), offset, now, config.dedup_max_ids);
        }
        for subscriber in self.subscribers.values() {
            subscriber.sink.deliver(&frame);
        }
        PublishReceipt {
            epoch: self.epoch.clone(),
            offset,
            duplicate: false,
        }
    }

    fn subscribe(
        &mut self,
        since: Option<&Position>,
        subscriber: Subscriber,
        now: Instant,
        config: &MemoryEngineConfig,
    ) -> SubscribeSnapshot {
        let history = self.read(since, now, config);
        let join = SharedFrame::new(ServerFrame::Presence {
            channel: self.name.clone(),
            event: PresenceEvent::Join {
                member: subscriber.member.clone(),
            },
        });
        for other in self.subscribers.values() {
            if other.id != subscriber.id {
                other.sink.deliver(&join);
            }
        }
        self.subscribers.insert(subscriber.id, subscriber);
        SubscribeSnapshot {
            history,
            presence: self.members(),
        }
    }

    fn unsubscribe(&mut self, id: SubscriberId) {
        let Some(gone) = self.subscribers.remove(&id) else {
            return;
        };
        let leave = SharedFrame::new(ServerFrame::Presence {
            channel: self.name.clone(),
            event: PresenceEvent::Leave {
                member: gone.member,
            },
        });
        for other in self.subscribers.values() {
            other.sink.deliver(&leave);
        }
    }

    fn members(&self) -> Vec<PresenceMember> {
        self.subscribers
            .values()
            .map(|s| s.member.clone())
            .collect()
    }

    fn read(
        &mut self,
        since: Option<&Position>,
        now: Instant,
        config: &MemoryEngineConfig,
    ) -> HistoryRead {
        self.trim(now, config);
        let recovery = match since {
            None => Recovery::Fresh,
            Some(p) if p.epoch != self.epoch || p.offset > self.offset => Recovery::Reset,
            Some(p) if p.offset == self.offset => Recovery::Recovered(Vec::new()),
            Some(p) => match self.history.front() {
                // History offsets are contiguous, so everything after `p` is present
                // exactly when the oldest kept message is no later than `p.offset + 1`.
                Some(first) if first.offset <= p.offset + 1 => {
                    let skip = (p.offset + 1 - first.offset) as usize;
                    Recovery::Recovered(
                        self.history
                            .iter()
                            .skip(skip)
                            .map(|m| m.frame.clone())
                            .collect(),
                    )
                }
                _ => Recovery::Reset,
            },
        };
        HistoryRead {
            epoch: self.epoch.clone(),
            offset: self.offset,
            recovery,
        }
    }

    fn trim(&mut self, now: Instant, config: &MemoryEngineConfig) {
        while self.history.len() > config.history_max_messages {
            self.history.pop_front();
        }
        while self
            .history
            .front()
            .is_some_and(|m| now.duration_since(m.stored_at) > config.history_max_age)
        {
            self.history.pop_front();
        }
        self.dedup.expire(now, config.dedup_window);
    }
}

/// The `msg_id`s published on one channel recently, oldest first.
#[derive(Default)]
struct DedupWindow {
    offsets: HashMap<Arc<str>, u64>,
    order: VecDeque<(Arc<str>, Instant)>,
}

impl DedupWindow {
    fn get(&self, msg_id: &str) -> Option<u64> {
        self.offsets.get(msg_id).copied()
    }

    fn insert(&mut self, msg_id: Arc<str>, offset: u64, now: Instant, max_ids: usize) {
        self.offsets.insert(msg_id.clone(), offset);
        self.order.push_back((msg_id, now));
        while self.order.len() > max_ids {
            self.pop_oldest();
        }
    }

    fn expire(&mut self, now: Instant, window: Duration) {
        while self
            .order
            .front()
            .is_some_and(|(_, at)| now.duration_since(*at) > window)
        {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((id, _)) = self.order.pop_front() {
            self.offsets.remove(&id);
        }
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

// A panic while a lock is held cannot leave these structures half-updated in a way that
// matters more than losing the server, so poisoning is ignored.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ChannelSubscriber;
    use resocket_protocol::Payload;

    #[derive(Default)]
    struct Collect(Mutex<Vec<ServerFrame>>);

    impl ChannelSubscriber for Collect {
        fn deliver(&self, frame: &Arc<SharedFrame>) {
            lock(&self.0).push(frame.frame().clone());
        }
    }

    fn config(history: usize) -> MemoryEngineConfig {
        MemoryEngineConfig {
            history_max_messages: history,
            ..MemoryEngineConfig::default()
        }
    }

    fn publish(
        channel: &mut Channel,
        msg_id: &str,
        now: Instant,
        c: &MemoryEngineConfig,
    ) -> PublishReceipt {
        channel.publish(
            PublishRequest {
                channel: "c".into(),
                msg_id: msg_id.into(),
                payload: Payload::from(msg_id.as_bytes().to_vec()),
                publisher: None,
            },
            now,
            c,
        )
    }

    fn subscriber(id: SubscriberId, sink: Arc<Collect>) -> Subscriber {
        Subscriber {
            id,
            member: PresenceMember {
                session: format!("s{id}"),
                user: None,
            },
            sink,
        }
    }

    fn offsets(recovery: &Recovery) -> Option<Vec<u64>> {
        match recovery {
            Recovery::Recovered(frames) => Some(frames.iter().filter_map(|f| f.offset()).collect()),
            _ => None,
        }
    }

    #[test]
    fn offsets_start_at_one_and_duplicates_keep_the_first_offset() {
        let c = config(10);
        let now = Instant::now();
        let mut ch = Channel::new("c", "e".into());
        assert_eq!(publish(&mut ch, "a", now, &c).offset, 1);
        assert_eq!(publish(&mut ch, "b", now, &c).offset, 2);
        let again = publish(&mut ch, "a", now, &c);
        assert_eq!((again.offset, again.duplicate), (1, true));
        assert_eq!(ch.offset, 2);
        // Empty ids are never deduplicated.
        assert_eq!(publish(&mut ch, "", now, &c).offset, 3);
        assert_eq!(publish(&mut ch, "", now, &c).offset, 4);
    }

    #[test]
    fn dedup_window_forgets_by_count_and_age() {
        let c = MemoryEngineConfig {
            dedup_max_ids: 2,
            dedup_window: Duration::from_secs(1),
            ..config(10)
        };
        let t0 = Instant::now();
        let mut ch = Channel::new("c", "e".into());
        publish(&mut ch, "a", t0, &c);
        publish(&mut ch, "b", t0, &c);
        publish(&mut ch, "c", t0, &c);
        assert!(!publish(&mut ch, "a", t0, &c).duplicate, "evicted by count");
        assert!(publish(&mut ch, "c", t0, &c).duplicate);
        let later = t0 + Duration::from_secs(2);
        assert!(
            !publish(&mut ch, "c", later, &c).duplicate,
            "expired by age"
        );
    }

    #[test]
    fn recovery_depends_on_epoch_offset_and_trimmed_history() {
        let c = config(3);
        let now = Instant::now();
        let mut ch = Channel::new("c", "e".into());
        for id in ["1", "2", "3", "4", "5"] {
            publish(&mut ch, id, now, &c);
        }
        let at = |offset| Position {
            epoch: "e".into(),
            offset,
        };
        assert_eq!(
            offsets(&ch.read(Some(&at(2)), now, &c).recovery),
            Some(vec![3, 4, 5])
        );
        assert_eq!(
            offsets(&ch.read(Some(&at(4)), now, &c).recovery),
            Some(vec![5])
        );
        assert_eq!(
            offsets(&ch.read(Some(&at(5)), now, &c).recovery),
            Some(vec![])
        );
        assert!(matches!(
            ch.read(Some(&at(1)), now, &c).recovery,
            Recovery::Reset
        ));
        assert!(matches!(
            ch.read(Some(&at(6)), now, &c).recovery,
            Recovery::Reset
        ));
        let other = Position {
            epoch: "old".into(),
            offset: 5,
        };
        assert!(matches!(
            ch.read(Some(&other), now, &c).recovery,
            Recovery::Reset
        ));
        assert!(matches!(ch.read(None, now, &c).recovery, Recovery::Fresh));
        let late = now + c.history_max_age + Duration::from_secs(1);
        assert!(matches!(
            ch.read(Some(&at(4)), late, &c).recovery,
            Recovery::Reset
        ));
    }

    #[test]
    fn presence_joins_and_leaves_reach_the_other_subscribers() {
        let c = config(10);
        let now = Instant::now();
        let mut ch = Channel::new("c", "e".into());
        let first = Arc::new(Collect::default());
        let second = Arc::new(Collect::default());
        ch.subscribe(None, subscriber(1, first.clone()), now, &c);
        let snapshot = ch.subscribe(None, subscriber(2, second.clone()), now, &c);
        assert_eq!(snapshot.presence.len(), 2);
        ch.unsubscribe(2);
        let seen = lock(&first.0).clone();
        assert!(
            matches!(&seen[0], ServerFrame::Presence { event: PresenceEvent::Join { member }, .. } if member.session == "s2")
        );
        assert!(
            matches!(&seen[1], ServerFrame::Presence { event: PresenceEvent::Leave { member }, .. } if member.session == "s2")
        );
        assert!(
            lock(&second.0).is_empty(),
            "nobody is told about their own join"
        );
    }

    #[tokio::test]
    async fn idle_channels_are_swept_and_come_back_with_a_new_epoch() {
        let engine = MemoryEngine::new(MemoryEngineConfig {
            history_max_messages: 0,
            dedup_max_ids: 0,
            ..MemoryEngineConfig::default()
        });
        let receipt = engine
            .publish(PublishRequest {
                channel: "c".into(),
                msg_id: "m".into(),
                payload: Payload::default(),
                publisher: None,
            })
            .await
            .unwrap();
        assert_eq!(engine.channel_count(), 1);
        engine.sweep(Instant::now());
        assert_eq!(engine.channel_count(), 0);
        let read = engine.history("c", None).await.unwrap();
        assert_ne!(read.epoch, receipt.epoch);
        assert!(read.epoch.starts_with(engine.epoch_prefix()));
    }
}
