//! What this binary is: its version and the commit it was built from (set by `build.rs`).

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const COMMIT: &str = env!("TESSERA_COMMIT");
/// `tessera --version` prints `tessera <this>`.
pub const VERSION_LINE: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("TESSERA_COMMIT"), ")");
