//! The platform layer: clock, sleep, spawn, entropy and sockets, chosen by target.

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(not(target_arch = "wasm32"))]
mod native;

#[cfg(target_arch = "wasm32")]
pub(crate) use browser::{random_seed, spawn, with_page_wakeups, Browser as Current};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::{random_seed, spawn, Native as Current};

/// Natively nothing tells the process that the network or the app came back: the
/// commands go to the driver unchanged.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn with_page_wakeups(
    commands: futures_channel::mpsc::UnboundedReceiver<crate::driver::Command>,
) -> futures_channel::mpsc::UnboundedReceiver<crate::driver::Command> {
    commands
}
