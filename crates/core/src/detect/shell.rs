//! Shell command parsing and analysis.

use crate::detect::paths::PathContext;

/// A dangerous behaviour a command can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandCategory {
    RecursiveDelete,
    FilesystemFormat,
    RawDeviceWrite,
    ForkBomb,
    DownloadExec,
    DecodeExec,
    ReverseShell,
}

impl CommandCategory {
    /// Every category, in a stable order.
    pub const ALL: [CommandCategory; 7] = [
        Self::RecursiveDelete,
        Self::FilesystemFormat,
        Self::RawDeviceWrite,
        Self::ForkBomb,
        Self::DownloadExec,
        Self::DecodeExec,
        Self::ReverseShell,
    ];

    /// The kebab-case name used in policies.
    pub fn name(self) -> &'static str {
        match self {
            Self::RecursiveDelete => "recursive-delete",
            Self::FilesystemFormat => "filesystem-format",
            Self::RawDeviceWrite => "raw-device-write",
            Self::ForkBomb => "fork-bomb",
            Self::DownloadExec => "download-exec",
            Self::DecodeExec => "decode-exec",
            Self::ReverseShell => "reverse-shell",
        }
    }

    /// The category called `name` (see [`CommandCategory::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// A phrase a person understands.
    pub fn describe(self) -> &'static str {
        match self {
            Self::RecursiveDelete => "recursive deletion outside the project",
            Self::FilesystemFormat => "formatting or repartitioning a disk",
            Self::RawDeviceWrite => "writing directly to a disk device",
            Self::ForkBomb => "a fork bomb",
            Self::DownloadExec => "running code downloaded from the network",
            Self::DecodeExec => "running code hidden by encoding",
            Self::ReverseShell => "a reverse shell giving a remote host control",
        }
    }
}

/// One dangerous behaviour found in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFinding {
    pub category: CommandCategory,
    pub detail: String,
}

/// What a command line does, as far as can be known statically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandAnalysis {
    pub canonical: String,
    pub programs: Vec<String>,
    pub path_words: Vec<String>,
    pub findings: Vec<CommandFinding>,
}

/// Analyses a shell command line or script.
pub fn analyze(script: &str, ctx: &PathContext) -> CommandAnalysis {
    let _ = (script, ctx);
    CommandAnalysis::default()
}

/// Analyses a command given as an argv array.
pub fn analyze_argv(argv: &[&str], ctx: &PathContext) -> CommandAnalysis {
    let _ = (argv, ctx);
    CommandAnalysis::default()
}
