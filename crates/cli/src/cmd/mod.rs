//! One module per subcommand.

pub mod check;
pub mod logs;
pub mod pins;
pub mod rules;
pub mod run;
pub mod validate;
