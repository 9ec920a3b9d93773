//! One module per subcommand.

pub mod coverage;
pub mod devices;
pub mod run;
pub mod serve;
pub mod steps;
