//! `portcullis dashboard`: a one-time login link to the daemon's dashboard, opened in the browser
//! (or only printed, with `--url`). Starts the daemon if needed.

use std::process::{Command, Stdio};

use clap::Args;
use portcullis_daemon::client;
use portcullis_daemon::protocol::{Request, Response};

use crate::config::state_dir;

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Only print the login link (for scripts, SSH port forwarding, another browser).
    #[arg(long)]
    url: bool,
}

pub fn run(args: DashboardArgs) -> anyhow::Result<u8> {
    let state = state_dir()?;
    let exe = std::env::current_exe()?;
    let mut stream = client::connect_or_start(&state, &exe)?;
    let url = match client::request(&mut stream, &Request::Login)? {
        Response::Login { url } => url,
        other => anyhow::bail!("the daemon answered {other:?}"),
    };
    println!("{url}");
    if !args.url {
        eprintln!("this link logs in once; run `portcullis dashboard` again for another");
        if let Err(e) = open_browser(&url) {
            eprintln!("portcullis: could not open a browser ({e}); open the link above yourself");
        }
    }
    Ok(0)
}

/// The platform's "open this URL" command.
fn open_browser(url: &str) -> std::io::Result<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
}
