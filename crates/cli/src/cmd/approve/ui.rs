//! Drawing the approver. Meant to be read over SSH on any terminal: every state is said in
//! words or marks (`>` for the selection, `[x]` for a choice, `▸` for the field in focus), colour
//! and bold only repeat it. Every text from the daemon is spelled out with `escape::visible`: an
//! argument must not be able to move the cursor or hide part of itself from the person deciding.

use std::time::Instant;

use portcullis_daemon::protocol::{Always, Decision};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::app::{App, Pending, label};
use super::modal::{Field, Modal, Scope};
use crate::escape::visible;

const EMPTY: &str = "Nothing is waiting for you. Calls that a rule asks about appear here.";
const KEYS: &str = "↑↓/jk select · a allow once · d deny · A always allow · D always deny · q quit";
const MODAL_KEYS: &str =
    "Tab/↑↓ field · ←→/space change · Ctrl+J new line · Enter confirm · Esc cancel";

pub fn draw(frame: &mut Frame, app: &App, now: Instant) {
    let [main, status, footer] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(2),
    ])
    .areas(frame.area());

    if app.pending.is_empty() {
        let block = Block::bordered().title(" Portcullis · approvals ");
        frame.render_widget(
            Paragraph::new(EMPTY).wrap(Wrap { trim: true }).block(block),
            main,
        );
    } else {
        let rows = app.pending.len() as u16 + 2;
        let [list, detail] =
            Layout::vertical([Constraint::Max(rows.max(3)), Constraint::Min(3)]).areas(main);
        draw_list(frame, app, now, list);
        if let Some(pending) = app.selected() {
            draw_detail(frame, pending, now, detail);
        }
    }

    let status_text = Line::from(Span::styled(
        app.status.as_str(),
        Style::new().add_modifier(Modifier::BOLD),
    ));
    frame.render_widget(Paragraph::new(status_text), status);
    let keys = match (&app.modal, app.stopped) {
        (_, true) => "any key: exit",
        (Some(_), false) => MODAL_KEYS,
        (None, false) => KEYS,
    };
    frame.render_widget(Paragraph::new(keys).wrap(Wrap { trim: true }), footer);

    if let Some(modal) = &app.modal
        && let Some(pending) = app.pending.iter().find(|p| p.ask.id == modal.id)
    {
        draw_modal(frame, modal, pending, main);
    }
}

fn countdown(pending: &Pending, now: Instant) -> String {
    let left = pending.deadline.saturating_duration_since(now);
    format!("{}s", left.as_millis().div_ceil(1000))
}

fn draw_list(frame: &mut Frame, app: &App, now: Instant, area: Rect) {
    let items: Vec<ListItem> = app
        .pending
        .iter()
        .map(|p| ListItem::new(format!("{} · {}", label(&p.ask), countdown(p, now))))
        .collect();
    let title = format!(" Waiting for you ({}) ", app.pending.len());
    let list = List::new(items)
        .block(Block::bordered().title(title))
        .highlight_symbol("> ")
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD));
    let mut state = ListState::default().with_selected(Some(app.selected));
    frame.render_stateful_widget(list, area, &mut state);
}

fn field<'a>(name: &'a str, value: impl Into<Span<'a>>) -> Line<'a> {
    Line::from(vec![
        Span::styled(
            format!("{name:<10}"),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        value.into(),
    ])
}

/// Multi-line text, each line spelled out and indented under its heading.
fn indented(text: &str) -> Vec<Line<'static>> {
    text.lines()
        .map(|line| Line::from(format!("  {}", visible(line))))
        .collect()
}

fn draw_detail(frame: &mut Frame, pending: &Pending, now: Instant, area: Rect) {
    let ask = &pending.ask;
    let always = match ask.always {
        Always::Pattern => "these exact arguments, or a pattern you write",
        Always::Exact => "these exact arguments only",
        Always::Never => "nothing: this rule asks every time",
    };
    let mut lines = vec![
        field("Server", visible(&ask.server).into_owned()),
        field("Tool", visible(&ask.tool).into_owned()),
        field("Method", visible(&ask.method).into_owned()),
        field("Rule", visible(&ask.rule).into_owned()),
        field("Reason", visible(&ask.reason).into_owned()),
        field("Time left", countdown(pending, now)),
        field("Always", always),
    ];
    if !ask.evidence.is_empty() {
        lines.push(field("Evidence", ""));
        lines.extend(ask.evidence.iter().flat_map(|e| indented(e)));
    }
    lines.push(field("Arguments", ""));
    lines.extend(indented(&ask.arguments));
    let title = format!(" {} ", label(ask));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title)),
        area,
    );
}

fn draw_modal(frame: &mut Frame, modal: &Modal, pending: &Pending, within: Rect) {
    let verb = match modal.decision {
        Decision::Allow => "Always allow",
        Decision::Deny => "Always deny",
    };
    let focus = |f: Field, text: &'static str| {
        let mark = if modal.focus == f { "▸ " } else { "  " };
        Span::styled(
            format!("{mark}{text:<9}"),
            if modal.focus == f {
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            } else {
                Style::new()
            },
        )
    };
    let check = |on: bool| if on { "[x]" } else { "[ ]" };
    let mut lines = vec![
        Line::from(format!("{verb} {}: remember what?", label(&pending.ask))),
        Line::default(),
        Line::from(vec![
            focus(Field::Scope, "Scope"),
            Span::raw(format!(
                "{} these exact arguments   {} a pattern",
                check(modal.scope == Scope::Exact),
                if modal.patterns_allowed {
                    check(modal.scope == Scope::Pattern)
                } else {
                    "[-]"
                }
            )),
        ]),
    ];
    if !modal.patterns_allowed {
        lines.push(Line::from(
            "           (no pattern: this rule remembers exact arguments only)",
        ));
    }
    let text_top = lines.len();
    if modal.scope == Scope::Pattern {
        lines.push(Line::from(focus(Field::Pattern, "Pattern")));
        if modal.pattern.is_empty() {
            lines.push(Line::from("    (empty: write conditions, or `any`)"));
        } else {
            lines.extend(
                modal
                    .pattern
                    .split('\n')
                    .map(|l| Line::from(format!("    {l}"))),
            );
        }
    }
    lines.push(Line::from(vec![
        focus(Field::Expiry, "Expires"),
        Span::raw(format!("‹ {} ›", modal.expiry_label())),
    ]));

    let width = within.width.saturating_sub(4).min(80);
    let height = (lines.len() as u16 + 2).min(within.height);
    let area = Rect {
        x: within.x + (within.width - width) / 2,
        y: within.y + (within.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(" {verb} "))),
        area,
    );
    if modal.focus == Field::Pattern {
        let (line, before) = modal.cursor_line();
        let x = area.x + 1 + 4 + Span::raw(before).width() as u16;
        let y = area.y + 1 + (text_top + 1 + line) as u16;
        let inside = area.x + area.width.saturating_sub(2);
        let bottom = area.y + area.height.saturating_sub(2);
        frame.set_cursor_position(Position::new(x.min(inside), y.min(bottom)));
    }
}
