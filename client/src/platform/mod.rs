//! The platform layer: clock, sleep, spawn, entropy and sockets, chosen by target.

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(not(target_arch = "wasm32"))]
mod native;

#[cfg(target_arch = "wasm32")]
pub(crate) use browser::{random_seed, spawn, Browser as Current};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::{random_seed, spawn, Native as Current};
