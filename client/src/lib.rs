//! resocket client.
