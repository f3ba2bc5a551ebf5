//! RPC handlers: `call` frames routed by method name.
//!
//! A handler is an async function of a [`CallContext`] and the call's [`Payload`] that
//! returns a payload or an [`RpcError`]. Each call runs in its own task, so a slow
//! handler never holds up the connection's other frames; it is bounded by the server's
//! call timeout (`HANDLER_TIMEOUT`) and a panic inside it becomes an `INTERNAL` error
//! reply instead of taking anything else down.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt};
use resocket_protocol::codes::error;
use resocket_protocol::{CallResult, ErrorBody, Payload};

/// Who is calling, for an RPC handler.
#[derive(Debug, Clone)]
pub struct CallContext {
    session: Arc<str>,
    user: Option<Arc<str>>,
    method: Arc<str>,
}

impl CallContext {
    pub(crate) fn new(session: Arc<str>, user: Option<Arc<str>>, method: &str) -> Self {
        Self {
            session,
            user,
            method: method.into(),
        }
    }

    /// Session id of the calling connection.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Authenticated user of the calling connection, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The method being called.
    pub fn method(&self) -> &str {
        &self.method
    }
}

/// A typed failure returned by an RPC handler, sent to the client as
/// `reply { result: err { code, message } }`.
///
/// Application errors use codes from
/// [`APPLICATION_BASE`](resocket_protocol::codes::error::APPLICATION_BASE) (1000) up;
/// the constructors named after protocol codes cover the common protocol cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error {code}: {message}")]
pub struct RpcError {
    /// Machine-readable code.
    pub code: u16,
    /// Human-readable message.
    pub message: String,
}

impl RpcError {
    /// An error with any code; application codes are 1000 and above.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `BAD_REQUEST`: the payload is not what the method expects.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(error::BAD_REQUEST, message)
    }

    /// `PERMISSION_DENIED`: the caller may not do this.
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(error::PERMISSION_DENIED, message)
    }

    /// `INTERNAL`: the handler failed.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(error::INTERNAL, message)
    }
}

impl From<ErrorBody> for RpcError {
    fn from(body: ErrorBody) -> Self {
        Self::new(body.code, body.message)
    }
}

impl From<RpcError> for ErrorBody {
    fn from(e: RpcError) -> Self {
        ErrorBody {
            code: e.code,
            message: e.message,
        }
    }
}

type BoxedHandler = Arc<
    dyn Fn(CallContext, Payload) -> BoxFuture<'static, Result<Payload, RpcError>> + Send + Sync,
>;

/// The handlers registered on a server, by method name.
#[derive(Clone, Default)]
pub(crate) struct RpcRegistry {
    handlers: HashMap<String, BoxedHandler>,
}

impl RpcRegistry {
    pub(crate) fn insert<F, Fut>(&mut self, method: impl Into<String>, handler: F)
    where
        F: Fn(CallContext, Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, RpcError>> + Send + 'static,
    {
        let handler: BoxedHandler = Arc::new(move |ctx, payload| handler(ctx, payload).boxed());
        self.handlers.insert(method.into(), handler);
    }

    /// Runs the handler of `ctx.method()` to completion, within `timeout`.
    pub(crate) async fn call(
        &self,
        ctx: CallContext,
        payload: Payload,
        timeout: Duration,
    ) -> CallResult {
        let Some(handler) = self.handlers.get(ctx.method()).cloned() else {
            return CallResult::Err(ErrorBody {
                code: error::METHOD_NOT_FOUND,
                message: format!("no method `{}`", ctx.method()),
            });
        };
        let method = ctx.method.clone();
        let run = AssertUnwindSafe(handler(ctx, payload)).catch_unwind();
        match tokio::time::timeout(timeout, run).await {
            Ok(Ok(Ok(payload))) => CallResult::Ok(payload),
            Ok(Ok(Err(e))) => CallResult::Err(e.into()),
            Ok(Err(_panic)) => {
                tracing::error!(%method, "RPC handler panicked");
                CallResult::Err(ErrorBody {
                    code: error::INTERNAL,
                    message: "handler failed".into(),
                })
            }
            Err(_) => CallResult::Err(ErrorBody {
                code: error::HANDLER_TIMEOUT,
                message: format!("handler did not answer within {} ms", timeout.as_millis()),
            }),
        }
    }
}

impl std::fmt::Debug for RpcRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.handlers.keys()).finish()
    }
}
