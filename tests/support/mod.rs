//! What several integration tests share.

pub(crate) mod external;
pub(crate) mod negative_table;
pub(crate) mod ports;
pub(crate) mod process;
pub(crate) mod relay;
