//! One module per subcommand.

#[cfg(unix)]
pub mod approve;
pub mod check;
#[cfg(unix)]
pub mod daemon;
#[cfg(unix)]
pub mod dashboard;
pub mod init;
pub mod logs;
pub mod pins;
pub mod rules;
pub mod run;
pub mod scan;
pub mod status;
pub mod validate;
