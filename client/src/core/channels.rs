//! Subscribed channels and the position each has reached.

use resocket_protocol::{Position, RequestId};

use super::sorted::SortedMap;

/// Where a channel's subscription stands on the current connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChannelState {
    /// Not yet asked for on this connection.
    Unsynced,
    /// `subscribe` sent, `subscribed` not yet received.
    Subscribing(RequestId),
    /// Messages flow.
    Active,
}

/// One subscribed channel.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    /// Last delivered position; the next subscribe resumes after it.
    pub(crate) position: Option<Position>,
    pub(crate) state: ChannelState,
}

/// What to do with an incoming message, judged against the channel's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Next in order: deliver.
    Deliver,
    /// At or below the position: a duplicate, drop it.
    Duplicate,
    /// Offsets were skipped: report a gap, then deliver.
    Gap { expected: u64 },
    /// Another epoch: report it, then deliver.
    EpochChanged,
    /// The channel is not active on this connection: drop it.
    NotActive,
}

/// Every channel the application subscribed, whether or not the server knows yet.
#[derive(Debug, Default)]
pub(crate) struct Channels {
    by_name: SortedMap<String, Channel>,
    /// Subscribe requests awaiting their answer, by request id.
    pending: SortedMap<RequestId, String>,
}

impl Channels {
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Channel> {
        self.by_name.get(name)
    }

    pub(crate) fn insert(&mut self, name: String, position: Option<Position>) {
        self.by_name.insert(
            name,
            Channel {
                position,
                state: ChannelState::Unsynced,
            },
        );
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Channel> {
        let channel = self.by_name.remove(name)?;
        if let ChannelState::Subscribing(id) = channel.state {
            self.pending.remove(&id);
        }
        Some(channel)
    }

    /// Marks every channel as needing a subscribe on the next connection.
    pub(crate) fn unsync_all(&mut self) {
        self.pending.clear();
        for (_, channel) in self.by_name.iter_mut() {
            channel.state = ChannelState::Unsynced;
        }
    }

    /// Records that `subscribe` with request `id` was sent for `name`, returning the
    /// position to resume from.
    pub(crate) fn start_subscribe(&mut self, name: &str, id: RequestId) -> Option<Position> {
        let channel = self.by_name.get_mut(name)?;
        channel.state = ChannelState::Subscribing(id);
        self.pending.insert(id, name.to_owned());
        channel.position.clone()
    }

    /// Channels not yet subscribed on this connection, in name order.
    pub(crate) fn unsynced(&self) -> Vec<String> {
        self.by_name
            .iter()
            .filter(|(_, c)| c.state == ChannelState::Unsynced)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The channel a pending subscribe request is for, removing the request.
    pub(crate) fn take_pending(&mut self, id: RequestId) -> Option<String> {
        self.pending.remove(&id)
    }

    /// Marks a channel active at `position` (the server's answer to subscribe).
    pub(crate) fn activate(&mut self, name: &str, position: Option<Position>) {
        if let Some(channel) = self.by_name.get_mut(name) {
            channel.state = ChannelState::Active;
            if position.is_some() {
                channel.position = position;
            }
        }
    }

    /// Judges a message at `epoch`/`offset` and, when it is to be delivered, advances
    /// the channel's position to it.
    pub(crate) fn admit(&mut self, name: &str, epoch: &str, offset: u64) -> Admission {
        let Some(channel) = self.by_name.get_mut(name) else {
            return Admission::NotActive;
        };
        if channel.state != ChannelState::Active {
            return Admission::NotActive;
        }
        let admission = match &channel.position {
            None => Admission::Deliver,
            Some(p) if p.epoch != epoch => Admission::EpochChanged,
            Some(p) if offset <= p.offset => return Admission::Duplicate,
            Some(p) if offset == p.offset + 1 => Admission::Deliver,
            Some(p) => Admission::Gap {
                expected: p.offset + 1,
            },
        };
        match &mut channel.position {
            // The common case: no new String per message.
            Some(p) if p.epoch == epoch => p.offset = offset,
            position => {
                *position = Some(Position {
                    epoch: epoch.to_owned(),
                    offset,
                })
            }
        }
        admission
    }
}
