//! One module per subcommand.

pub mod certify;
pub mod coverage;
pub mod devices;
pub mod image;
pub mod report;
pub mod run;
pub mod serve;
pub mod sim;
pub mod steps;
pub mod target;
