//! The "always" dialog: what a remembered decision covers and for how long. Remembering is the
//! one decision that outlives the call, so it is never one keystroke: the person sees the scope,
//! may narrow it to a pattern of their own, and confirms.

use portcullis_daemon::protocol::{Always, Ask, Decision, Remember};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::escape::visible;

/// How long a remembered decision lasts: a label and `expires_in_s`.
pub const EXPIRIES: [(&str, Option<u64>); 5] = [
    ("never", None),
    ("1 hour", Some(3_600)),
    ("1 day", Some(86_400)),
    ("7 days", Some(604_800)),
    ("30 days", Some(2_592_000)),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Exact,
    Pattern,
}

/// The part of the dialog that keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Scope,
    Pattern,
    Expiry,
}

/// What a key did to the dialog.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Stay,
    Cancel,
    Confirm {
        remember: Remember,
        expires_in_s: Option<u64>,
    },
    /// Not confirmed, and why.
    Refuse(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modal {
    /// The ask the dialog decides: it closes if that ask ends first.
    pub id: String,
    pub decision: Decision,
    pub scope: Scope,
    /// Whether the ask's rule lets a pattern be remembered at all.
    pub patterns_allowed: bool,
    pub pattern: String,
    /// A byte offset into `pattern`, always on a character boundary.
    pub cursor: usize,
    /// An index into [`EXPIRIES`].
    pub expiry: usize,
    pub focus: Field,
}

impl Modal {
    /// Exact arguments by default: the narrowest thing to remember.
    pub fn new(ask: &Ask, decision: Decision) -> Self {
        // The suggestion comes from the wrapper: spelled out like any other shown text, line by
        // line, so what the person edits and sends is what they saw.
        let pattern = ask
            .suggested_pattern
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(|line| visible(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            id: ask.id.clone(),
            decision,
            scope: Scope::Exact,
            patterns_allowed: ask.always == Always::Pattern,
            cursor: pattern.len(),
            pattern,
            expiry: 0,
            focus: Field::Scope,
        }
    }

    pub fn expiry_label(&self) -> &'static str {
        EXPIRIES[self.expiry].0
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Step {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => return Step::Cancel,
            // Alt+Enter or Ctrl+J start a new line: terminals cannot tell Shift+Enter apart.
            KeyCode::Enter if alt && self.focus == Field::Pattern => self.insert('\n'),
            KeyCode::Char('j') if control && self.focus == Field::Pattern => self.insert('\n'),
            KeyCode::Enter => return self.confirm(),
            KeyCode::Tab | KeyCode::Down => self.move_focus(1),
            KeyCode::BackTab | KeyCode::Up => self.move_focus(-1),
            _ => match self.focus {
                Field::Scope => self.scope_key(key.code),
                Field::Expiry => self.expiry_key(key.code),
                Field::Pattern if !control && !alt => self.edit_key(key.code),
                Field::Pattern => {}
            },
        }
        Step::Stay
    }

    fn confirm(&self) -> Step {
        let remember = match self.scope {
            Scope::Exact => Remember::Exact,
            Scope::Pattern => {
                let pattern = self.pattern.trim_end();
                if pattern.trim().is_empty() {
                    return Step::Refuse(
                        "Write the argument conditions to remember (or `any` for every call \
                         of this tool), or choose exact arguments."
                            .into(),
                    );
                }
                Remember::Pattern {
                    pattern: pattern.to_owned(),
                }
            }
        };
        Step::Confirm {
            remember,
            expires_in_s: EXPIRIES[self.expiry].1,
        }
    }

    /// The fields in focus order: the text only when a pattern is chosen.
    fn fields(&self) -> &'static [Field] {
        match self.scope {
            Scope::Exact => &[Field::Scope, Field::Expiry],
            Scope::Pattern => &[Field::Scope, Field::Pattern, Field::Expiry],
        }
    }

    fn move_focus(&mut self, by: isize) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = (at as isize + by).rem_euclid(fields.len() as isize) as usize;
        self.focus = fields[next];
    }

    fn scope_key(&mut self, code: KeyCode) {
        if matches!(code, KeyCode::Left | KeyCode::Right | KeyCode::Char(' '))
            && self.patterns_allowed
        {
            self.scope = match self.scope {
                Scope::Exact => Scope::Pattern,
                Scope::Pattern => Scope::Exact,
            };
        }
    }

    fn expiry_key(&mut self, code: KeyCode) {
        let n = EXPIRIES.len();
        match code {
            KeyCode::Right | KeyCode::Char(' ') => self.expiry = (self.expiry + 1) % n,
            KeyCode::Left => self.expiry = (self.expiry + n - 1) % n,
            _ => {}
        }
    }

    fn edit_key(&mut self, code: KeyCode) {
        let text = &self.pattern;
        match code {
            KeyCode::Char(c) if !c.is_control() => self.insert(c),
            KeyCode::Backspace => {
                if let Some(c) = text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                    self.pattern.remove(self.cursor);
                }
            }
            KeyCode::Delete if self.cursor < text.len() => {
                self.pattern.remove(self.cursor);
            }
            KeyCode::Left => {
                if let Some(c) = text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                }
            }
            KeyCode::Right => {
                if let Some(c) = text[self.cursor..].chars().next() {
                    self.cursor += c.len_utf8();
                }
            }
            KeyCode::Home => self.cursor = text[..self.cursor].rfind('\n').map_or(0, |i| i + 1),
            KeyCode::End => {
                self.cursor += text[self.cursor..]
                    .find('\n')
                    .unwrap_or(text.len() - self.cursor);
            }
            _ => {}
        }
    }

    fn insert(&mut self, c: char) {
        self.pattern.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    /// The cursor as (line, text of that line before it), for placing the terminal's cursor.
    pub fn cursor_line(&self) -> (usize, &str) {
        let before = &self.pattern[..self.cursor];
        let line = before.matches('\n').count();
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, &before[start..])
    }
}
