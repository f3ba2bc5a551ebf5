//! resocket server.
