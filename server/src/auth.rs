//! Who a connection is and what it may do.
//!
//! The server passes the token of the `connect` frame to an [`Authenticator`], which
//! answers with an [`Identity`] (the user, and [`ChannelPermissions`] deciding which
//! channels it may subscribe and publish to) or an [`AuthError`]. A failed
//! authentication ends the connection with a `disconnect` frame and close code
//! `UNAUTHORIZED` (4100), which tells clients not to retry with the same token.
//!
//! Two authenticators ship with the crate: [`JwtAuth`] verifies HMAC-SHA256 JSON Web
//! Tokens, and [`DevAuth`] lets everyone in (for development). Any
//! `Fn(Option<String>) -> impl Future<Output = Result<Identity, AuthError>>` is an
//! authenticator too.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Something a connection may be allowed to do on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelAction {
    /// Subscribe (receive messages and presence).
    Subscribe,
    /// Publish messages.
    Publish,
}

type PermissionFn = dyn Fn(ChannelAction, &str) -> bool + Send + Sync;

/// Decides which channels an identity may subscribe and publish to.
#[derive(Clone)]
pub struct ChannelPermissions(Arc<PermissionFn>);

impl std::fmt::Debug for ChannelPermissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChannelPermissions(..)")
    }
}

impl ChannelPermissions {
    /// Everything is allowed.
    pub fn allow_all() -> Self {
        Self::from_fn(|_, _| true)
    }

    /// Nothing is allowed.
    pub fn deny_all() -> Self {
        Self::from_fn(|_, _| false)
    }

    /// Any predicate over the action and the channel name.
    pub fn from_fn(f: impl Fn(ChannelAction, &str) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Channel patterns per action: `*` matches every channel, `prefix*` every channel
    /// starting with `prefix`, anything else exactly that channel.
    pub fn from_patterns(subscribe: Vec<String>, publish: Vec<String>) -> Self {
        Self::from_fn(move |action, channel| {
            let patterns = match action {
                ChannelAction::Subscribe => &subscribe,
                ChannelAction::Publish => &publish,
            };
            patterns.iter().any(|p| pattern_matches(p, channel))
        })
    }

    /// Whether `action` on `channel` is allowed.
    pub fn allows(&self, action: ChannelAction, channel: &str) -> bool {
        (self.0)(action, channel)
    }
}

fn pattern_matches(pattern: &str, channel: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => channel.starts_with(prefix),
        None => pattern == channel,
    }
}

/// An authenticated connection's identity.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The user, if the connection is not anonymous. Shown to other clients in presence
    /// and as the publisher of messages.
    pub user: Option<String>,
    /// What the connection may do on which channels.
    pub permissions: ChannelPermissions,
}

impl Identity {
    /// An anonymous identity allowed everything.
    pub fn anonymous() -> Self {
        Self {
            user: None,
            permissions: ChannelPermissions::allow_all(),
        }
    }

    /// A named user allowed everything.
    pub fn user(name: impl Into<String>) -> Self {
        Self {
            user: Some(name.into()),
            permissions: ChannelPermissions::allow_all(),
        }
    }

    /// Replaces the permissions.
    pub fn with_permissions(mut self, permissions: ChannelPermissions) -> Self {
        self.permissions = permissions;
        self
    }
}

/// Why a token was not accepted. Every variant closes the connection with
/// `UNAUTHORIZED`; the message is sent to the client as the close reason, so it must not
/// contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The client sent no token but one is required: it should obtain one.
    #[error("a token is required")]
    MissingToken,
    /// The token could not be verified (bad signature, expired, malformed): the client
    /// should obtain a new one.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token is valid but the application refuses this client.
    #[error("rejected: {0}")]
    Rejected(String),
}

/// Turns the `connect` frame's token into an [`Identity`].
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Verifies `token` (absent when the client sent none).
    async fn authenticate(&self, token: Option<&str>) -> Result<Identity, AuthError>;
}

#[async_trait]
impl<F, Fut> Authenticator for F
where
    F: Fn(Option<String>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Identity, AuthError>> + Send + 'static,
{
    async fn authenticate(&self, token: Option<&str>) -> Result<Identity, AuthError> {
        (self)(token.map(str::to_owned)).await
    }
}

/// Development authentication: everyone is let in and allowed everything. A token, if
/// given, is taken verbatim as the user name (up to 128 bytes), which makes demos with
/// several named users easy. Never use it in production.
#[derive(Debug, Clone, Copy, Default)]
pub struct DevAuth;

#[async_trait]
impl Authenticator for DevAuth {
    async fn authenticate(&self, token: Option<&str>) -> Result<Identity, AuthError> {
        match token.filter(|t| !t.is_empty()) {
            None => Ok(Identity::anonymous()),
            Some(t) if t.len() > 128 => Err(AuthError::Rejected("user name too long".into())),
            Some(t) => Ok(Identity::user(t)),
        }
    }
}

/// Verifies HS256 JSON Web Tokens signed with a shared secret.
///
/// Claims read: `exp` (required, checked with 5 s of leeway), `sub` (the user), and an
/// optional `channels` object `{"subscribe": [patterns], "publish": [patterns]}`
/// (see [`ChannelPermissions::from_patterns`]); without `channels` the user may do
/// everything.
#[derive(Clone)]
pub struct JwtAuth {
    key: DecodingKey,
    validation: Validation,
    allow_anonymous: bool,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth")
            .field("allow_anonymous", &self.allow_anonymous)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    channels: Option<ChannelClaims>,
}

#[derive(Deserialize)]
struct ChannelClaims {
    #[serde(default)]
    subscribe: Vec<String>,
    #[serde(default)]
    publish: Vec<String>,
}

impl JwtAuth {
    /// Verifies tokens signed with HMAC-SHA256 and `secret`. Connections without a token
    /// are refused.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        Self {
            key: DecodingKey::from_secret(secret.as_ref()),
            validation,
            allow_anonymous: false,
        }
    }

    /// Lets connections without a token in as anonymous (allowed everything); tokens
    /// that are present must still verify.
    pub fn allow_anonymous(mut self, allow: bool) -> Self {
        self.allow_anonymous = allow;
        self
    }

    /// Verifies one token.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| AuthError::InvalidToken(e.to_string()))?;
        let permissions = match data.claims.channels {
            Some(c) => ChannelPermissions::from_patterns(c.subscribe, c.publish),
            None => ChannelPermissions::allow_all(),
        };
        Ok(Identity {
            user: data.claims.sub,
            permissions,
        })
    }
}

#[async_trait]
impl Authenticator for JwtAuth {
    async fn authenticate(&self, token: Option<&str>) -> Result<Identity, AuthError> {
        match token.filter(|t| !t.is_empty()) {
            Some(token) => self.verify(token),
            None if self.allow_anonymous => Ok(Identity::anonymous()),
            None => Err(AuthError::MissingToken),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_or_by_prefix() {
        let p = ChannelPermissions::from_patterns(
            vec!["chat.*".into(), "news".into()],
            vec!["chat.general".into()],
        );
        assert!(p.allows(ChannelAction::Subscribe, "chat.x"));
        assert!(p.allows(ChannelAction::Subscribe, "news"));
        assert!(!p.allows(ChannelAction::Subscribe, "newsroom"));
        assert!(p.allows(ChannelAction::Publish, "chat.general"));
        assert!(!p.allows(ChannelAction::Publish, "chat.x"));
        let all = ChannelPermissions::from_patterns(vec!["*".into()], vec![]);
        assert!(all.allows(ChannelAction::Subscribe, "anything"));
        assert!(!all.allows(ChannelAction::Publish, "anything"));
    }
}
