//! One module per subcommand.

pub mod check;
pub mod rules;
pub mod run;
pub mod validate;
