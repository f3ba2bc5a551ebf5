//! Publishes and calls from the moment they are made until they are answered: the
//! offline queue (waiting for a connection) and the requests in flight.

use resocket_protocol::{Payload, RequestId};

use super::config::QueueLimits;
use super::sorted::SortedMap;
use super::time::Time;

/// What a request asks of the server.
#[derive(Debug, Clone)]
pub(crate) enum RequestKind {
    Publish {
        channel: String,
        msg_id: String,
        payload: Payload,
    },
    Call {
        method: String,
        payload: Payload,
    },
}

impl RequestKind {
    fn payload_len(&self) -> usize {
        match self {
            RequestKind::Publish { payload, .. } | RequestKind::Call { payload, .. } => {
                payload.len()
            }
        }
    }
}

/// Whether a request waits in the offline queue or has been written to a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Queued,
    Sent,
}

#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) kind: RequestKind,
    pub(crate) deadline: Option<Time>,
    pub(crate) status: Status,
}

/// Every unanswered publish and call, ordered by id (the order they were made in).
///
/// Queued requests are bounded by [`QueueLimits`]; requests in flight are not counted,
/// because they have already left. A request whose deadline passes is removed wherever
/// it is, so a queued one is never sent afterwards.
#[derive(Debug)]
pub(crate) struct PendingRequests {
    limits: QueueLimits,
    by_id: SortedMap<RequestId, Request>,
    /// Requests with a deadline, earliest first.
    deadlines: SortedMap<(Time, RequestId), ()>,
    queued_items: usize,
    queued_bytes: usize,
}

/// The queue has no room; carries what is waiting now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueFull {
    pub(crate) items: usize,
    pub(crate) bytes: usize,
}

impl PendingRequests {
    pub(crate) fn new(limits: QueueLimits) -> Self {
        Self {
            limits,
            by_id: SortedMap::default(),
            deadlines: SortedMap::default(),
            queued_items: 0,
            queued_bytes: 0,
        }
    }

    /// Items and payload bytes waiting in the offline queue.
    pub(crate) fn queued(&self) -> (usize, usize) {
        (self.queued_items, self.queued_bytes)
    }

    /// Adds a request. A queued one must fit the limits, else nothing is added.
    pub(crate) fn insert(
        &mut self,
        id: RequestId,
        kind: RequestKind,
        deadline: Option<Time>,
        status: Status,
    ) -> Result<(), QueueFull> {
        let len = kind.payload_len();
        if status == Status::Queued
            && (self.queued_items + 1 > self.limits.max_items
                || self.queued_bytes + len > self.limits.max_bytes)
        {
            return Err(QueueFull {
                items: self.queued_items,
                bytes: self.queued_bytes,
            });
        }
        if let Some(at) = deadline {
            self.deadlines.insert((at, id), ());
        }
        if status == Status::Queued {
            self.queued_items += 1;
            self.queued_bytes += len;
        }
        self.by_id.insert(
            id,
            Request {
                kind,
                deadline,
                status,
            },
        );
        Ok(())
    }

    /// Removes a request (answered, failed or expired).
    pub(crate) fn remove(&mut self, id: RequestId) -> Option<Request> {
        let request = self.by_id.remove(&id)?;
        if let Some(at) = request.deadline {
            self.deadlines.remove(&(at, id));
        }
        if request.status == Status::Queued {
            self.queued_items -= 1;
            self.queued_bytes -= request.kind.payload_len();
        }
        Some(request)
    }

    /// Marks every queued request as sent and returns them in order.
    pub(crate) fn take_queued_for_send(&mut self) -> Vec<(RequestId, RequestKind)> {
        let mut out = Vec::with_capacity(self.queued_items);
        for (id, request) in self.by_id.iter_mut() {
            if request.status == Status::Queued {
                request.status = Status::Sent;
                out.push((*id, request.kind.clone()));
            }
        }
        self.queued_items = 0;
        self.queued_bytes = 0;
        out
    }

    /// Puts every request in flight back in the queue (they will be sent again, in
    /// order, after reconnecting), except calls when `requeue_calls` is false: those are
    /// removed and returned so their callers can be told.
    pub(crate) fn requeue_in_flight(&mut self, requeue_calls: bool) -> Vec<RequestId> {
        let mut failed = Vec::new();
        for (id, request) in self.by_id.iter_mut() {
            if request.status != Status::Sent {
                continue;
            }
            if matches!(request.kind, RequestKind::Call { .. }) && !requeue_calls {
                failed.push(*id);
                continue;
            }
            request.status = Status::Queued;
            self.queued_items += 1;
            self.queued_bytes += request.kind.payload_len();
        }
        for id in &failed {
            self.remove(*id);
        }
        failed
    }

    /// Removes and returns every request whose deadline is at or before `now`.
    pub(crate) fn expire(&mut self, now: Time) -> Vec<(RequestId, Request)> {
        let mut expired = Vec::new();
        while let Some((&(at, id), ())) = self.deadlines.first() {
            if at > now {
                break;
            }
            if let Some(request) = self.remove(id) {
                expired.push((id, request));
            }
        }
        expired
    }

    /// Removes and returns every request.
    pub(crate) fn drain(&mut self) -> Vec<(RequestId, Request)> {
        let ids: Vec<RequestId> = self.by_id.iter().map(|(id, _)| *id).collect();
        ids.into_iter()
            .filter_map(|id| self.remove(id).map(|r| (id, r)))
            .collect()
    }

    /// The earliest deadline of any request.
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.deadlines.first().map(|(&(at, _), ())| at)
    }
}
