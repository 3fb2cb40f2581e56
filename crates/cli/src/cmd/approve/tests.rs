//! The approver driven as a person would: messages from the daemon in, keys in, the screen
//! (a `TestBackend` buffer) and the decisions out.

use std::time::{Duration, Instant};

use portcullis_daemon::protocol::{
    Always, Ask, Decide, Decision, Outcome, PendingAsk, Remember, Response,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Action, App};
use super::ui;

fn ask(id: &str, server: &str, tool: &str, always: Always) -> Ask {
    Ask {
        id: id.into(),
        server: server.into(),
        server_key: format!("key-{server}"),
        method: "tools/call".into(),
        tool: tool.into(),
        evidence: vec![format!("path /home/me/{tool}.txt")],
        arguments: format!("{{\"path\": \"/home/me/{tool}.txt\"}}"),
        args_hash: "abc123".into(),
        rule: format!("ask-{tool}"),
        reason: format!("{tool} changes files"),
        timeout_ms: 25_000,
        always,
        suggested_pattern: Some("path: {under: [/home/me]}".into()),
    }
}

/// `ask` announced by the daemon with all its time left.
fn pending(ask: Ask) -> Response {
    let remaining_ms = ask.timeout_ms;
    Response::Pending(Box::new(PendingAsk { ask, remaining_ms }))
}

/// An app with two asks, `s:1` (fs · write_file, patterns allowed) and `s:2` (git · push).
fn two(now: Instant) -> App {
    let mut app = App::default();
    let first = ask("s:1", "fs", "write_file", Always::Pattern);
    app.on_event(pending(first), now);
    let second = ask("s:2", "git", "push", Always::Exact);
    app.on_event(pending(second), now);
    app
}

fn screen(app: &App, now: Instant) -> Vec<String> {
    screen_and_cursor(app, now).0
}

/// The screen's lines, and where the terminal's cursor is (`x` in characters).
fn screen_and_cursor(app: &App, now: Instant) -> (Vec<String>, (u16, u16)) {
    let (width, height) = (100, 30);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(frame, app, now)).unwrap();
    let buffer = terminal.backend().buffer();
    let lines = (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect())
        .collect();
    let cursor = terminal.get_cursor_position().unwrap();
    (lines, (cursor.x, cursor.y))
}

fn shows(lines: &[String], text: &str) -> bool {
    lines.iter().any(|line| line.contains(text))
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn char(c: char) -> KeyEvent {
    let modifiers = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

fn press(app: &mut App, keys: &[KeyEvent]) -> Vec<Action> {
    keys.iter().filter_map(|k| app.on_key(*k)).collect()
}

fn decide(actions: Vec<Action>) -> Decide {
    match <[Action; 1]>::try_from(actions) {
        Ok([Action::Decide(decide)]) => decide,
        other => panic!("expected one decision, got {other:?}"),
    }
}

#[test]
fn nothing_pending_says_so() {
    let lines = screen(&App::default(), Instant::now());
    let text = lines.join(" ");
    assert!(text.contains("Nothing is waiting for you."), "{lines:#?}");
    assert!(text.contains("Calls that a rule asks about appear here."));
    assert!(shows(&lines, "q quit"));
}

#[test]
fn pending_asks_are_listed_with_their_countdown_and_the_selected_one_in_detail() {
    let now = Instant::now();
    let mut app = two(now);
    let later = now + Duration::from_millis(3_500);
    let lines = screen(&app, later);
    assert!(shows(&lines, "Waiting for you (2)"), "{lines:#?}");
    assert!(shows(&lines, "> fs · write_file · 22s"), "{lines:#?}");
    assert!(shows(&lines, "git · push · 22s"));
    assert!(shows(&lines, "tools/call"));
    assert!(shows(&lines, "{\"path\": \"/home/me/write_file.txt\"}"));
    assert!(shows(&lines, "path /home/me/write_file.txt"));
    assert!(shows(&lines, "ask-write_file"));
    assert!(shows(&lines, "write_file changes files"));
    assert!(shows(
        &lines,
        "these exact arguments, or a pattern you write"
    ));
    assert!(!shows(&lines, "ask-push"));

    press(&mut app, &[char('j')]);
    let lines = screen(&app, later);
    assert!(shows(&lines, "> git · push"), "{lines:#?}");
    assert!(shows(&lines, "ask-push"));
    assert!(shows(&lines, "these exact arguments only"));
    assert!(!shows(&lines, "ask-write_file"));
}

#[test]
fn control_characters_in_an_ask_are_spelled_out() {
    let now = Instant::now();
    let mut app = App::default();
    let mut sneaky = ask("s:1", "fs", "write_file", Always::Exact);
    sneaky.arguments = "{\"x\": \"\u{1b}[2J\u{202e}gnp.exe\"}".into();
    app.on_event(pending(sneaky), now);
    let lines = screen(&app, now);
    assert!(shows(&lines, "\\u{1b}[2J\\u{202e}gnp.exe"), "{lines:#?}");
    assert!(!lines.iter().any(|l| l.contains('\u{1b}')));
}

#[test]
fn a_allows_and_d_denies_the_selected_ask_once() {
    let mut app = two(Instant::now());
    let allow = decide(press(&mut app, &[char('a')]));
    assert_eq!(
        allow,
        Decide {
            id: "s:1".into(),
            decision: Decision::Allow,
            remember: None,
            expires_in_s: None
        }
    );
    app.decided("s:1", Ok(()));
    assert_eq!(app.status, "Allowed once: fs · write_file.");
    // Its end is no news: the status keeps saying what the person did.
    let resolved = Response::Resolved {
        id: "s:1".into(),
        outcome: Outcome::Allowed,
    };
    app.on_event(resolved, Instant::now());
    assert_eq!(app.status, "Allowed once: fs · write_file.");
    assert_eq!(app.pending.len(), 1);

    let deny = decide(press(&mut app, &[char('d')]));
    assert_eq!(deny.id, "s:2");
    assert_eq!(deny.decision, Decision::Deny);
    assert_eq!(deny.remember, None);
    app.decided("s:2", Err("the ask is no longer pending".into()));
    let lines = screen(&app, Instant::now());
    assert!(
        shows(
            &lines,
            "Denied once: git · push: refused: the ask is no longer pending"
        ),
        "{lines:#?}"
    );
}

#[test]
fn always_allow_remembers_the_exact_arguments_by_default() {
    let mut app = two(Instant::now());
    assert!(press(&mut app, &[char('A')]).is_empty());
    let lines = screen(&app, Instant::now());
    assert!(
        shows(&lines, "Always allow fs · write_file: remember what?"),
        "{lines:#?}"
    );
    assert!(shows(&lines, "[x] these exact arguments   [ ] a pattern"));
    assert!(shows(&lines, "‹ never ›"));
    assert!(shows(&lines, "Enter confirm · Esc cancel"));

    let always = decide(press(&mut app, &[key(KeyCode::Enter)]));
    assert_eq!(
        always,
        Decide {
            id: "s:1".into(),
            decision: Decision::Allow,
            remember: Some(Remember::Exact),
            expires_in_s: None
        }
    );
    assert!(app.modal.is_none());
}

#[test]
fn always_deny_can_remember_an_edited_pattern() {
    let mut app = two(Instant::now());
    press(
        &mut app,
        &[char('D'), key(KeyCode::Right), key(KeyCode::Tab)],
    );
    let lines = screen(&app, Instant::now());
    assert!(
        shows(&lines, "[ ] these exact arguments   [x] a pattern"),
        "{lines:#?}"
    );
    assert!(shows(&lines, "▸ Pattern"));
    assert!(shows(&lines, "    path: {under: [/home/me]}"));

    // "]}" off the end, a narrower directory, a second line.
    let mut keys = vec![key(KeyCode::Backspace), key(KeyCode::Backspace)];
    keys.extend("/src]}".chars().map(char));
    keys.push(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    keys.extend("command: any".chars().map(char));
    press(&mut app, &keys);
    let (lines, (x, y)) = screen_and_cursor(&app, Instant::now());
    assert!(
        shows(&lines, "    path: {under: [/home/me/src]}"),
        "{lines:#?}"
    );
    // The terminal's cursor is where typing goes: after "any".
    let row: Vec<char> = lines[usize::from(y)].chars().collect();
    let before: String = row[..usize::from(x)].iter().collect();
    assert!(before.ends_with("    command: any"), "{before:?}");

    let always = decide(press(&mut app, &[key(KeyCode::Enter)]));
    assert_eq!(always.decision, Decision::Deny);
    assert_eq!(
        always.remember,
        Some(Remember::Pattern {
            pattern: "path: {under: [/home/me/src]}\ncommand: any".into()
        })
    );
}

#[test]
fn an_empty_pattern_is_not_sent() {
    let mut app = two(Instant::now());
    let mut keys = vec![char('A'), key(KeyCode::Right), key(KeyCode::Tab)];
    keys.extend(std::iter::repeat_n(key(KeyCode::Backspace), 40));
    keys.push(key(KeyCode::Enter));
    assert!(press(&mut app, &keys).is_empty());
    assert!(app.modal.is_some());
    assert!(
        app.status.contains("Write the argument conditions"),
        "{}",
        app.status
    );
}

#[test]
fn the_expiry_choice_becomes_expires_in_s() {
    let mut app = two(Instant::now());
    press(
        &mut app,
        &[char('A'), key(KeyCode::Tab), key(KeyCode::Right)],
    );
    assert!(shows(
        &screen(&app, Instant::now()),
        "▸ Expires  ‹ 1 hour ›"
    ));
    press(&mut app, &[key(KeyCode::Right), key(KeyCode::Right)]);
    assert!(shows(&screen(&app, Instant::now()), "‹ 7 days ›"));
    let always = decide(press(&mut app, &[key(KeyCode::Enter)]));
    assert_eq!(always.remember, Some(Remember::Exact));
    assert_eq!(always.expires_in_s, Some(7 * 86_400));
    app.decided(&always.id, Ok(()));
    assert_eq!(
        app.status,
        "Always allowed (these exact arguments, expires: 7 days): fs · write_file."
    );
}

#[test]
fn esc_cancels_the_dialog_and_only_then_quits() {
    let mut app = two(Instant::now());
    let actions = press(
        &mut app,
        &[char('A'), key(KeyCode::Right), key(KeyCode::Esc)],
    );
    assert!(actions.is_empty(), "{actions:?}");
    assert!(app.modal.is_none());
    let lines = screen(&app, Instant::now());
    assert!(
        shows(&lines, "Cancelled: nothing was decided."),
        "{lines:#?}"
    );
    assert!(!shows(&lines, "remember what?"));
    assert_eq!(press(&mut app, &[key(KeyCode::Esc)]), vec![Action::Quit]);
}

#[test]
fn a_resolved_ask_leaves_the_list_and_the_selection_follows() {
    let now = Instant::now();
    let mut app = two(now);
    let third = ask("s:3", "web", "fetch", Always::Pattern);
    app.on_event(pending(third), now);
    press(&mut app, &[char('j')]);
    assert_eq!(app.selected().unwrap().ask.id, "s:2");

    // One above the selection ends: the selection stays on git · push.
    let gone = |id: &str, outcome| Response::Resolved {
        id: id.into(),
        outcome,
    };
    app.on_event(gone("s:1", Outcome::TimedOut), now);
    assert_eq!(app.selected().unwrap().ask.id, "s:2");
    let lines = screen(&app, now);
    assert!(!shows(&lines, "fs · write_file · "), "{lines:#?}");
    assert!(shows(&lines, "fs · write_file timed out."));
    assert!(shows(&lines, "> git · push"));

    // The selected one ends: the next takes its place; the last one ends: the one before.
    app.on_event(gone("s:2", Outcome::Allowed), now);
    assert_eq!(app.selected().unwrap().ask.id, "s:3");
    app.on_event(gone("s:3", Outcome::Withdrawn), now);
    assert!(app.selected().is_none());
    let lines = screen(&app, now);
    assert!(shows(&lines, "Nothing is waiting for you."), "{lines:#?}");
    assert!(shows(&lines, "web · fetch was withdrawn by the client."));
    assert_eq!(press(&mut app, &[char('a')]), vec![]);
    assert_eq!(app.status, "Nothing is selected.");
}

#[test]
fn the_dialog_closes_when_its_ask_ends_first() {
    let now = Instant::now();
    let mut app = two(now);
    press(&mut app, &[char('A')]);
    let resolved = Response::Resolved {
        id: "s:1".into(),
        outcome: Outcome::TimedOut,
    };
    app.on_event(resolved, now);
    assert!(app.modal.is_none());
    assert_eq!(
        app.status,
        "fs · write_file timed out before you confirmed."
    );
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
}

#[test]
fn a_rule_that_always_asks_refuses_always() {
    let now = Instant::now();
    let mut app = App::default();
    let never = ask("s:9", "sh", "exec", Always::Never);
    app.on_event(pending(never), now);
    for k in ['A', 'D'] {
        assert!(press(&mut app, &[char(k)]).is_empty());
        assert!(app.modal.is_none());
        let lines = screen(&app, now);
        assert!(
            shows(
                &lines,
                "Rule ask-exec asks every time: nothing can be remembered."
            ),
            "{lines:#?}"
        );
        assert!(shows(&lines, "nothing: this rule asks every time"));
    }
    assert_eq!(
        decide(press(&mut app, &[char('a')])).decision,
        Decision::Allow
    );
}

#[test]
fn exact_only_rules_offer_no_pattern() {
    let mut app = two(Instant::now());
    press(&mut app, &[char('j'), char('A'), key(KeyCode::Right)]);
    let lines = screen(&app, Instant::now());
    assert!(
        shows(
            &lines,
            "(no pattern: this rule remembers exact arguments only)"
        ),
        "{lines:#?}"
    );
    assert!(shows(&lines, "[x] these exact arguments   [-] a pattern"));
    let always = decide(press(&mut app, &[key(KeyCode::Enter)]));
    assert_eq!(always.remember, Some(Remember::Exact));
}

#[test]
fn when_the_daemon_stops_any_key_exits() {
    let mut app = two(Instant::now());
    app.daemon_stopped();
    let lines = screen(&app, Instant::now());
    assert!(
        shows(&lines, "The daemon stopped: press any key to exit."),
        "{lines:#?}"
    );
    assert_eq!(press(&mut app, &[char('a')]), vec![Action::Quit]);
    assert!(app.stopped);
}

#[test]
fn answers_to_decisions_in_flight_at_once_are_told_against_their_own_ask() {
    let mut app = two(Instant::now());
    let first = decide(press(&mut app, &[char('a')]));
    let second = decide(press(&mut app, &[char('j'), char('d')]));
    assert_eq!((first.id.as_str(), second.id.as_str()), ("s:1", "s:2"));
    // The daemon answers the second first.
    app.decided("s:2", Err("the ask is no longer pending".into()));
    assert_eq!(
        app.status,
        "Denied once: git · push: refused: the ask is no longer pending"
    );
    app.decided("s:1", Ok(()));
    assert_eq!(app.status, "Allowed once: fs · write_file.");
}
