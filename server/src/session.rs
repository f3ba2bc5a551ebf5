//! What one connection's frames mean: the protocol state of a session.
//!
//! The read loop in [`connection`](crate::connection) decodes frames and hands each to
//! [`Session::handle`], in order. A session starts unauthenticated; the only frame it
//! accepts then is `connect`. Afterwards every request is rate limited, validated,
//! checked against the identity's channel permissions, carried out through the engine,
//! and answered with exactly one frame naming its id. Anything that ends the connection
//! goes through the outbox's close, never by dropping the socket here.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use resocket_protocol::codes::{close, error};
use resocket_protocol::{
    CallResult, ClientFrame, Payload, Position, PresenceEvent, PresenceMember, RequestId,
    ServerFrame, SubscribeOutcome, PROTOCOL_VERSION,
};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::auth::{ChannelAction, Identity};
use crate::connection::Connection;
use crate::engine::{PublishRequest, Recovery, Subscriber};
use crate::limits::{validate_channel_name, Admission, RequestLimiter};
use crate::outbox::Closing;
use crate::rpc::CallContext;
use crate::subscription::ChannelFeed;

/// Protocol state of one connection. See the [module docs](self).
pub(crate) struct Session {
    conn: Arc<Connection>,
    identity: Option<Identity>,
    user: Option<Arc<str>>,
    limiter: RequestLimiter,
    calls: JoinSet<()>,
}

impl Session {
    pub(crate) fn new(conn: Arc<Connection>) -> Self {
        let limits = &conn.server.config.limits;
        let limiter =
            RequestLimiter::new(Instant::now(), limits.request_rate, limits.request_burst);
        Self {
            conn,
            identity: None,
            user: None,
            limiter,
            calls: JoinSet::new(),
        }
    }

    /// Whether `connect` was accepted.
    pub(crate) fn is_connected(&self) -> bool {
        self.identity.is_some()
    }

    /// Resolves when one of the running RPC calls finishes (never, if none runs).
    pub(crate) async fn call_finished(&mut self) {
        if self.calls.join_next().await.is_none() {
            std::future::pending::<()>().await;
        }
    }

    /// Handles one frame from the client.
    pub(crate) async fn handle(&mut self, frame: ClientFrame) {
        let Some(identity) = &self.identity else {
            return self.connect(frame).await;
        };
        let permissions = identity.permissions.clone();
        match frame {
            ClientFrame::Connect { .. } => self.conn.disconnect(
                close::PROTOCOL_VIOLATION,
                "connect sent twice on one connection",
            ),
            ClientFrame::Ping {} => {
                self.conn.send(&ServerFrame::Pong {});
            }
            ClientFrame::Pong {} => {}
            ClientFrame::Subscribe { id, channel, since } => {
                if self.admit(id) {
                    if let Err((code, message)) = self
                        .subscribe(id, channel, since, |c| {
                            permissions.allows(ChannelAction::Subscribe, c)
                        })
                        .await
                    {
                        self.conn.send_error(code, message, Some(id));
                    }
                }
            }
            ClientFrame::Unsubscribe { id, channel } => {
                if self.admit(id) {
                    self.unsubscribe(id, channel).await;
                }
            }
            ClientFrame::Publish {
                id,
                channel,
                msg_id,
                payload,
            } => {
                if self.admit(id) {
                    let allowed = permissions.allows(ChannelAction::Publish, &channel);
                    if let Err((code, message)) =
                        self.publish(id, channel, msg_id, payload, allowed).await
                    {
                        self.conn.send_error(code, message, Some(id));
                    }
                }
            }
            ClientFrame::Call {
                id,
                method,
                payload,
            } => {
                if self.admit(id) {
                    self.call(id, method, payload);
                }
            }
        }
    }

    async fn connect(&mut self, frame: ClientFrame) {
        let ClientFrame::Connect {
            version,
            token,
            client,
            resume,
        } = frame
        else {
            return self
                .conn
                .disconnect(close::PROTOCOL_VIOLATION, "the first frame must be connect");
        };
        if version != PROTOCOL_VERSION {
            return self.conn.disconnect(
                close::UNSUPPORTED_PROTOCOL,
                format!("protocol version {version} is not supported; this server speaks {PROTOCOL_VERSION}"),
            );
        }
        let server = &self.conn.server;
        let authenticate =
            AssertUnwindSafe(server.auth.authenticate(token.as_deref())).catch_unwind();
        let identity = match tokio::time::timeout(server.config.connect_timeout, authenticate).await
        {
            Ok(Ok(Ok(identity))) => identity,
            Ok(Ok(Err(e))) => {
                tracing::debug!(session = %self.conn.session, error = %e, "authentication refused");
                return self.conn.disconnect(close::UNAUTHORIZED, e.to_string());
            }
            Ok(Err(_)) | Err(_) => {
                // The hook failed or hung: a server-side problem, so the client is told
                // to come back later rather than to give up.
                tracing::error!(session = %self.conn.session, "authentication hook failed or timed out");
                return self.conn.outbox.close(Closing::Disconnect {
                    code: close::SHUTDOWN,
                    reason: "authentication is unavailable".into(),
                    retry_after_ms: Some(1000),
                });
            }
        };
        self.user = identity.user.as_deref().map(Arc::from);
        self.conn.send(&ServerFrame::Connected {
            session: self.conn.session.to_string(),
            ping_interval_ms: duration_ms(server.config.ping_interval),
            ping_timeout_ms: duration_ms(server.config.ping_timeout),
            user: identity.user.clone(),
        });
        tracing::debug!(
            session = %self.conn.session,
            user = ?identity.user,
            client = %client.name,
            client_version = %client.version,
            resume = ?resume,
            "connected"
        );
        self.identity = Some(identity);
    }

    /// Takes a token for a request; refuses it (and maybe the connection) if none.
    fn admit(&mut self, id: RequestId) -> bool {
        match self.limiter.admit(Instant::now()) {
            Admission::Allowed => true,
            Admission::Refused => {
                self.conn
                    .send_error(error::RATE_LIMITED, "request rate limit exceeded", Some(id));
                false
            }
            Admission::Abusive => {
                self.conn
                    .send_error(error::RATE_LIMITED, "request rate limit exceeded", Some(id));
                self.conn.outbox.close(Closing::Disconnect {
                    code: close::RATE_LIMITED,
                    reason: "request rate limit exceeded persistently".into(),
                    retry_after_ms: Some(1000),
                });
                false
            }
        }
    }

    async fn subscribe(
        &mut self,
        id: RequestId,
        channel: String,
        since: Option<Position>,
        allowed: impl Fn(&str) -> bool,
    ) -> Result<(), (u16, String)> {
        validate_channel_name(&channel).map_err(|m| (error::BAD_REQUEST, m))?;
        if !allowed(&channel) {
            return Err((
                error::PERMISSION_DENIED,
                format!("not allowed to subscribe to `{channel}`"),
            ));
        }
        let limits = &self.conn.server.config.limits;
        let feed = {
            let mut subscriptions = self.conn.subscriptions();
            if subscriptions.contains_key(&channel) {
                return Err((
                    error::ALREADY_SUBSCRIBED,
                    format!("already subscribed to `{channel}`"),
                ));
            }
            if subscriptions.len() >= limits.max_subscriptions {
                return Err((
                    error::TOO_MANY_SUBSCRIPTIONS,
                    format!(
                        "at most {} subscriptions per connection",
                        limits.max_subscriptions
                    ),
                ));
            }
            let feed = Arc::new(ChannelFeed::new(
                self.conn.outbox.clone(),
                self.conn.encoding,
                limits.outbox_max_frames,
            ));
            // Recorded before the engine knows it, so that cleanup after an abrupt end
            // of the connection never misses a registration.
            subscriptions.insert(channel.clone(), feed.clone());
            self.conn.server.metrics.subscriptions.increment(1);
            feed
        };
        let subscriber = Subscriber {
            id: self.conn.id,
            member: PresenceMember {
                session: self.conn.session.to_string(),
                user: self.user.as_deref().map(str::to_owned),
            },
            sink: feed.clone(),
        };
        let engine = &self.conn.server.engine;
        let snapshot = match engine.subscribe(&channel, since.as_ref(), subscriber).await {
            Ok(snapshot) => snapshot,
            Err(e) => {
                self.conn.subscriptions().remove(&channel);
                self.conn.server.metrics.subscriptions.decrement(1);
                tracing::warn!(%channel, error = %e, "subscribe failed");
                return Err((error::INTERNAL, e.to_string()));
            }
        };
        let history = snapshot.history;
        let (outcome, replay) = match history.recovery {
            Recovery::Fresh => (SubscribeOutcome::Fresh, Vec::new()),
            Recovery::Reset => (SubscribeOutcome::Reset, Vec::new()),
            Recovery::Recovered(frames) => (
                SubscribeOutcome::Recovered {
                    replayed: frames.len() as u64,
                },
                frames,
            ),
        };
        self.conn.send(&ServerFrame::Subscribed {
            id,
            channel: channel.clone(),
            epoch: history.epoch,
            offset: history.offset,
            outcome,
        });
        for frame in &replay {
            self.conn.outbox.push(frame.encoded(self.conn.encoding));
        }
        self.conn.send(&ServerFrame::Presence {
            channel,
            event: PresenceEvent::Snapshot {
                members: snapshot.presence,
            },
        });
        feed.open(history.offset);
        Ok(())
    }

    async fn unsubscribe(&mut self, id: RequestId, channel: String) {
        let Some(feed) = self.conn.subscriptions().remove(&channel) else {
            return self.conn.send_error(
                error::NOT_SUBSCRIBED,
                format!("not subscribed to `{channel}`"),
                Some(id),
            );
        };
        feed.close();
        self.conn.server.metrics.subscriptions.decrement(1);
        if let Err(e) = self
            .conn
            .server
            .engine
            .unsubscribe(&channel, self.conn.id)
            .await
        {
            tracing::warn!(%channel, error = %e, "unsubscribe failed");
        }
        self.conn.send(&ServerFrame::Unsubscribed { id, channel });
    }

    async fn publish(
        &mut self,
        id: RequestId,
        channel: String,
        msg_id: String,
        payload: Payload,
        allowed: bool,
    ) -> Result<(), (u16, String)> {
        let limits = &self.conn.server.config.limits;
        validate_channel_name(&channel).map_err(|m| (error::BAD_REQUEST, m))?;
        if payload.len() > limits.max_payload_bytes {
            return Err((
                error::PAYLOAD_TOO_LARGE,
                format!(
                    "payload of {} bytes exceeds {} bytes",
                    payload.len(),
                    limits.max_payload_bytes
                ),
            ));
        }
        if msg_id.len() > limits.max_msg_id_bytes {
            return Err((
                error::BAD_REQUEST,
                format!("msg_id longer than {} bytes", limits.max_msg_id_bytes),
            ));
        }
        if !allowed {
            return Err((
                error::PERMISSION_DENIED,
                format!("not allowed to publish to `{channel}`"),
            ));
        }
        let publisher = Some(match &self.user {
            Some(user) => user.to_string(),
            None => self.conn.session.to_string(),
        });
        let request = PublishRequest {
            channel,
            msg_id,
            payload,
            publisher,
        };
        let receipt = self
            .conn
            .server
            .engine
            .publish(request)
            .await
            .map_err(|e| (error::INTERNAL, e.to_string()))?;
        if !receipt.duplicate {
            self.conn.server.metrics.publishes.increment(1);
        }
        self.conn.send(&ServerFrame::PublishAck {
            id,
            epoch: receipt.epoch,
            offset: receipt.offset,
            duplicate: receipt.duplicate,
        });
        Ok(())
    }

    fn call(&mut self, id: RequestId, method: String, payload: Payload) {
        let server = &self.conn.server;
        server.metrics.calls.increment(1);
        let limits = &server.config.limits;
        if payload.len() > limits.max_payload_bytes {
            return self.conn.send_error(
                error::PAYLOAD_TOO_LARGE,
                format!(
                    "payload of {} bytes exceeds {} bytes",
                    payload.len(),
                    limits.max_payload_bytes
                ),
                Some(id),
            );
        }
        if self.calls.len() >= limits.max_inflight_calls {
            return self.conn.send_error(
                error::RATE_LIMITED,
                format!(
                    "at most {} calls in flight per connection",
                    limits.max_inflight_calls
                ),
                Some(id),
            );
        }
        let ctx = CallContext::new(self.conn.session.clone(), self.user.clone(), &method);
        let conn = self.conn.clone();
        self.calls.spawn(async move {
            let server = &conn.server;
            let result = server
                .rpc
                .call(ctx, payload, server.config.call_timeout)
                .await;
            if let CallResult::Err(e) = &result {
                server.metrics.error(e.code);
            }
            conn.send(&ServerFrame::Reply { id, result });
        });
    }
}

/// The duration in whole milliseconds, saturating.
fn duration_ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A connection's subscriptions by channel name.
pub(crate) type Subscriptions = HashMap<String, Arc<ChannelFeed>>;
