//! `portcullis approve`: decide pending asks in the terminal, for when no browser is at hand
//! (over SSH, say). It subscribes to the daemon's pending asks and sends each decision on a
//! connection of its own, so a slow answer never holds up the stream of asks.
//!
//! `app` is the state and the keys, `modal` the "always" dialog, `ui` the drawing; this file is
//! the I/O around them: the terminal, the socket, the loop.

mod app;
mod modal;
#[cfg(test)]
mod tests;
mod ui;

use std::io::{self, BufReader, IsTerminal, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use portcullis_daemon::client::{self, ClientError};
use portcullis_daemon::protocol::{Decide, Request, Response, line};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event};

use app::{Action, App};

/// How often the screen is redrawn without a key: the countdowns tick each second.
const TICK: Duration = Duration::from_millis(200);
/// How long a decision may take to be answered before it is reported as lost.
const DECIDE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the subscription and decision threads hand the loop.
enum Feed {
    Event(Response),
    Closed,
    /// The daemon's answer to the decision on an ask: `Err` says why it did not take effect.
    Decided(String, Result<(), String>),
}

/// Runs the approver until the person quits (0) or the daemon goes away (1).
pub fn run(state_dir: &Path) -> anyhow::Result<u8> {
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        bail!(
            "`portcullis approve` needs a terminal; without one, decide in the browser: \
             `portcullis dashboard --url` prints the link"
        );
    }
    // A person may open the approver before any wrapper has asked anything: start the daemon.
    let exe = std::env::current_exe().context("cannot find the portcullis executable")?;
    let stream = client::connect_or_start(state_dir, &exe)
        .map_err(|err| anyhow::anyhow!("{err}: {}", err.advice()))?;
    let mut control = stream
        .try_clone()
        .context("cannot use the daemon connection")?;
    control
        .write_all(&line(&Request::Subscribe))
        .context("cannot subscribe to the daemon's pending asks")?;
    let (sender, feed) = mpsc::channel();
    subscribe(stream, sender.clone());

    let mut screen = Screen::enter()?;
    let result = event_loop(&mut screen.terminal, (&sender, &feed), state_dir);
    // Ends the subscription thread's blocking read.
    let _ = control.shutdown(Shutdown::Both);
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    (sender, feed): (&Sender<Feed>, &Receiver<Feed>),
    state_dir: &Path,
) -> anyhow::Result<u8> {
    let mut app = App::default();
    loop {
        loop {
            match feed.try_recv() {
                Ok(Feed::Event(event)) => app.on_event(event, Instant::now()),
                Ok(Feed::Decided(id, result)) => app.decided(&id, result),
                Ok(Feed::Closed) | Err(TryRecvError::Disconnected) => {
                    if !app.stopped {
                        app.daemon_stopped();
                    }
                    break;
                }
                Err(TryRecvError::Empty) => break,
            }
        }
        terminal
            .draw(|frame| ui::draw(frame, &app, Instant::now()))
            .context("cannot draw on the terminal")?;
        if !event::poll(TICK).context("cannot read the keyboard")? {
            continue;
        }
        let Event::Key(key) = event::read().context("cannot read the keyboard")? else {
            continue;
        };
        match app.on_key(key) {
            Some(Action::Quit) => return Ok(u8::from(app.stopped)),
            // Sent on a thread: a slow daemon never freezes the screen.
            Some(Action::Decide(decide)) => {
                let (sender, dir) = (sender.clone(), state_dir.to_owned());
                thread::spawn(move || {
                    let result = send_decision(&dir, &decide);
                    let _ = sender.send(Feed::Decided(decide.id, result));
                });
            }
            None => {}
        }
    }
}

/// Reads the subscription's messages on a thread of their own, so the screen keeps ticking
/// while the daemon is quiet.
fn subscribe(stream: UnixStream, sender: Sender<Feed>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        loop {
            let event = match client::read_response(&mut reader) {
                Ok(Some(event)) => event,
                // One garbled line is said, and the stream goes on.
                Err(ClientError::Protocol(why)) => Response::Error {
                    message: format!("an unreadable message ({why})"),
                },
                Ok(None) | Err(_) => break,
            };
            if sender.send(Feed::Event(event)).is_err() {
                return;
            }
        }
        let _ = sender.send(Feed::Closed);
    });
}

/// Sends one decision on a connection of its own and reads the daemon's answer: `Err`
/// says why it did not take effect.
fn send_decision(state_dir: &Path, decide: &Decide) -> Result<(), String> {
    let request = Request::Decide(decide.clone());
    match client::ask_once(state_dir, &request, DECIDE_TIMEOUT) {
        Ok(Response::Ok) => Ok(()),
        Ok(Response::Error { message }) => Err(message),
        Ok(other) => Err(format!("the daemon answered {other:?}")),
        Err(err) => Err(err.to_string()),
    }
}

/// The terminal in raw mode on the alternate screen, given back as it was when dropped;
/// ratatui's panic hook gives it back on a panic too.
struct Screen {
    terminal: DefaultTerminal,
}

impl Screen {
    fn enter() -> anyhow::Result<Self> {
        match ratatui::try_init() {
            Ok(terminal) => Ok(Self { terminal }),
            Err(err) => {
                ratatui::restore();
                Err(err).context("cannot set up the terminal")
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
