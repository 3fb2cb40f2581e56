//! Tests of [`scan`] and [`scan_assignment`] as a whole, and the fixtures that the tests of each
//! pass share: deterministic pseudo-random tokens (so that no token literal appears in the sources)
//! and assertions on findings.

use super::*;
use proptest::prelude::*;

pub(super) const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub(super) const DIGITS: &str = "0123456789";
pub(super) const URL_SAFE: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub(super) const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Pseudo-random characters from `alphabet`, deterministic per seed and never repeating the
/// previous one: fake tokens that look generated, with no token literal in the sources.
pub(super) fn noise(seed: u64, len: usize, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut previous = None;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mut index = (state >> 33) as usize % chars.len();
            if previous == Some(index) {
                index = (index + 1) % chars.len();
            }
            previous = Some(index);
            chars[index]
        })
        .collect()
}

/// A PEM block of `label` with a few lines of base64.
pub(super) fn pem(label: &str, seed: u64) -> String {
    let body: Vec<String> = (0..3)
        .map(|i| noise(seed.wrapping_add(i), 64, BASE64))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----",
        body.join("\n")
    )
}

/// A realistic occurrence of `kind`: the text before the secret, the secret, the text after.
pub(super) fn sample(kind: SecretKind, seed: u64) -> (String, String, String) {
    let n = |len, alphabet| noise(seed, len, alphabet);
    let (before, secret, after) = match kind {
        SecretKind::AwsAccessKeyId => (
            "aws_access_key_id = ",
            format!("AKIA{}", n(16, UPPER_DIGITS)),
            "",
        ),
        SecretKind::AwsSecretAccessKey => ("aws_secret_access_key = ", n(40, BASE64), ""),
        SecretKind::GitHubToken => ("export GH_TOKEN=", format!("ghp_{}", n(36, ALNUM)), ""),
        SecretKind::GitLabToken => (
            "glab auth login --token ",
            format!("glpat-{}", n(20, URL_SAFE)),
            " --hostname x",
        ),
        SecretKind::OpenAiKey => (
            "OPENAI_API_KEY=\"",
            format!("sk-proj-{}", n(64, URL_SAFE)),
            "\"",
        ),
        SecretKind::AnthropicKey => (
            "{\"x-api-key\": \"",
            format!("sk-ant-api03-{}AA", n(93, URL_SAFE)),
            "\"}",
        ),
        SecretKind::SlackToken => (
            "use the bot token ",
            format!("xoxb-{}-{}-{}", n(12, DIGITS), n(13, DIGITS), n(24, ALNUM)),
            " to post",
        ),
        SecretKind::SlackWebhook => (
            "curl -X POST ",
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                n(8, UPPER_DIGITS),
                n(10, UPPER_DIGITS),
                n(24, ALNUM)
            ),
            " -d '{}'",
        ),
        SecretKind::StripeKey => (
            "stripe.api_key = '",
            format!("sk_live_{}", n(24, ALNUM)),
            "'",
        ),
        SecretKind::GoogleApiKey => (
            "https://maps.googleapis.com/maps/api/geocode/json?key=",
            format!("AIza{}", n(35, URL_SAFE)),
            "&address=x",
        ),
        SecretKind::GoogleOAuthSecret => (
            "\"client_secret\": \"",
            format!("GOCSPX-{}", n(28, URL_SAFE)),
            "\"",
        ),
        SecretKind::GoogleAccessToken => (
            "Authorization: Bearer ",
            format!("ya29.{}", n(120, URL_SAFE)),
            "",
        ),
        SecretKind::NpmToken => (
            "//registry.npmjs.org/:_authToken=",
            format!("npm_{}", n(36, ALNUM)),
            "",
        ),
        SecretKind::PypiToken => (
            "password = ",
            format!("pypi-AgEIcHlwaS5vcmc{}", n(70, URL_SAFE)),
            "",
        ),
        SecretKind::PrivateKey => ("deploy key:\n", pem("OPENSSH PRIVATE KEY", seed), "\n"),
        SecretKind::Jwt => (
            "Cookie: session=",
            format!(
                "eyJ{}.eyJ{}.{}",
                n(33, URL_SAFE),
                noise(seed.wrapping_add(1), 60, URL_SAFE),
                noise(seed.wrapping_add(2), 43, URL_SAFE)
            ),
            "; Path=/",
        ),
        SecretKind::UrlPassword => (
            "DATABASE_URL=postgres://app:",
            n(16, ALNUM),
            "@db.internal:5432/app",
        ),
        SecretKind::GenericSecret => ("api_key = \"", n(32, ALNUM), "\""),
    };
    (before.to_owned(), secret, after.to_owned())
}

/// `sample` as one text and the finding expected in it.
fn embedded(kind: SecretKind, seed: u64) -> (String, SecretFinding) {
    let (before, secret, after) = sample(kind, seed);
    let finding = SecretFinding {
        kind,
        start: before.len(),
        end: before.len() + secret.len(),
    };
    (format!("{before}{secret}{after}"), finding)
}

/// `finding` moved `offset` bytes later, as when text is put before it.
fn shifted(finding: &SecretFinding, offset: usize) -> SecretFinding {
    SecretFinding {
        kind: finding.kind,
        start: finding.start + offset,
        end: finding.end + offset,
    }
}

/// What [`scan`] finds in `text`, as kinds and the text they span.
fn found(text: &str) -> Vec<(SecretKind, &str)> {
    scan(text)
        .iter()
        .map(|f| (f.kind, &text[f.start..f.end]))
        .collect()
}

/// `text` holds exactly one secret, of `kind`, spanning exactly `expected`.
pub(super) fn assert_single(text: &str, kind: SecretKind, expected: &str) {
    assert_eq!(found(text), [(kind, expected)], "in {text:?}");
}

pub(super) fn assert_clean(text: &str) {
    let found = found(text);
    assert!(found.is_empty(), "{found:?} in {text:?}");
}

#[test]
fn every_kind_is_found_with_its_exact_span() {
    for kind in SecretKind::ALL {
        for seed in 0..4 {
            let (text, finding) = embedded(kind, seed);
            assert_eq!(scan(&text), [finding], "{kind:?} in {text:?}");
        }
    }
}

#[test]
fn several_secrets_in_one_text_deep_in_a_large_one() {
    let padding = "lorem ipsum dolor sit amet, tokens and keys and passwords. ".repeat(20_000);
    let mut text = padding.clone();
    let mut expected = Vec::new();
    for (seed, kind) in (0..).zip(SecretKind::ALL) {
        let (sample, finding) = embedded(kind, seed);
        text.push('\n');
        expected.push(shifted(&finding, text.len()));
        text.push_str(&sample);
        text.push('\n');
        text.push_str(&padding[..1000]);
    }
    assert_eq!(scan(&text), expected);
}

#[test]
fn every_candidate_is_checked_not_only_the_first() {
    let token = format!("ghp_{}", noise(7, 36, ALNUM));
    let text = format!("token=aaaaaaaaaaaaaaaaaaaa token={token}");
    assert_single(&text, SecretKind::GitHubToken, &token);
    let value = noise(8, 24, ALNUM);
    let text = format!("api_key=aaaaaaaaaaaaaaaaaaaa\napi_key={value}");
    assert_single(&text, SecretKind::GenericSecret, &value);
    let text = format!("{}{token}", "a ".repeat(100_000));
    assert_single(&text, SecretKind::GitHubToken, &token);
}

#[test]
fn non_secrets_are_not_reported() {
    let sha = noise(50, 40, "0123456789abcdef");
    let integrity = format!("sha512-{}==", noise(51, 86, BASE64));
    let random = noise(52, 24, ALNUM);
    let texts = [
        format!("commit {sha}\ntoken = {sha}\nrevision: {}", &sha[..7]),
        "api_key: 123e4567-e89b-12d3-a456-426614174000".to_owned(),
        format!("\"integrity\": \"{integrity}\",\n\"token\": \"{integrity}\""),
        format!("aws_access_key_id = AKIAIOSFODNN7{}", "EXAMPLE"),
        format!("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", "EXAMPLEKEY"),
        "max_tokens: 4096\ntokens_used: 1234\n\"token_count\": 12345".to_owned(),
        "tokenizer = \"cl100k_base\"".to_owned(),
        "password: ${DB_PASSWORD}\npassword = $DB_PASSWORD\npwd: %DB_PASS%".to_owned(),
        "postgres://user:password@localhost/db".to_owned(),
        "api_key = \"your-api-key-here\"\napi_key: <your key>\ntoken = \"xxxxxxxxxxxxxxxxxxxxxxxx\"".to_owned(),
        "OPENAI_API_KEY=YOUR_OPENAI_API_KEY\nsecret: '********'\napi_key=...".to_owned(),
        format!("ghp_{}\nsk-proj-your_openai_api_key_goes_here", "x".repeat(36)),
        "password = os.environ[\"DB_PASSWORD\"]\napiKey: process.env.OPENAI_API_KEY".to_owned(),
        "let token = get_token(&config)?;\nself.password = request.form.password".to_owned(),
        "token = self.settings.github_token\nsecret = getSecretFromVault()".to_owned(),
        format!("monkey = \"{random}\"\nkeyboard_layout = \"{random}\""),
        format!("passwordless: true\ntoken_type: bearer\nsecret_name = \"{random}\""),
        "auth: true\nauth_url: https://login.example.com/oauth2/authorize".to_owned(),
        "private_key_path = ~/.ssh/id_ed25519\nprivate_key: /etc/ssl/private/server.key".to_owned(),
        "credentials_file: service-account-prod.json".to_owned(),
        "Please enter your password: it must be long and contain digits.".to_owned(),
        "The bearer token is stored in the keychain; pass: the ball".to_owned(),
        "fn main() { let key = map.get(&key); let pass = 3; }".to_owned(),
        "stripe publishable key pk_live_0123456789abcdefghijklmnop".to_owned(),
        "token: 0x1f2e3d4c5b6a79880f1e2d3c4b5a6978".to_owned(),
        "password = aaaaaaaaaaaa\nsecret_key = abcabcabcabcabcabc".to_owned(),
        "api_key = \"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"".to_owned(),
    ];
    for text in &texts {
        assert_clean(text);
    }
}

#[test]
fn scan_assignment_checks_name_and_value() {
    let random = noise(60, 32, ALNUM);
    let whole = |kind| {
        Some(SecretFinding {
            kind,
            start: 0,
            end: random.len(),
        })
    };
    assert_eq!(
        scan_assignment("api_key", &random),
        whole(SecretKind::GenericSecret)
    );
    assert_eq!(
        scan_assignment("Authorization", &random),
        whole(SecretKind::GenericSecret)
    );
    assert_eq!(scan_assignment("keyboard", &random), None);
    assert_eq!(scan_assignment("description", &random), None);
    assert_eq!(scan_assignment("token_count", "12345"), None);
    assert_eq!(scan_assignment("password", "${DB_PASSWORD}"), None);
    assert_eq!(scan_assignment("api_key", "your-api-key-here"), None);
    assert_eq!(
        scan_assignment("token", "jane.roe@northwind-traders.com"),
        None
    );
    assert!(scan_assignment("password", "Xk9@fj2-Qp7z!").is_some());
    assert_eq!(
        scan_assignment("password", "hunter22"),
        Some(SecretFinding {
            kind: SecretKind::GenericSecret,
            start: 0,
            end: 8,
        })
    );
    let token = format!("ghp_{}", noise(61, 36, ALNUM));
    assert_eq!(
        scan_assignment("token", &token).map(|f| (f.kind, f.end)),
        Some((SecretKind::GitHubToken, token.len()))
    );
    let aws = noise(62, 40, BASE64);
    assert_eq!(
        scan_assignment("aws_secret_access_key", &aws).map(|f| f.kind),
        Some(SecretKind::AwsSecretAccessKey)
    );
    let example = format!("wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", "EXAMPLEKEY");
    assert_eq!(scan_assignment("aws_secret_access_key", &example), None);
    let header = format!("Bearer {random}");
    assert_eq!(
        scan_assignment("Authorization", &header),
        Some(SecretFinding {
            kind: SecretKind::GenericSecret,
            start: "Bearer ".len(),
            end: header.len(),
        })
    );
}

#[test]
fn adversarial_inputs_stay_linear() {
    // Quadratic behaviour on any of these would take minutes at this size.
    let size = 400_000;
    for unit in [
        "token=",
        "a:",
        "api_key: aaaaaaaaaaaaaaaaaaaaaaaaa\n",
        "-----BEGIN PRIVATE KEY-----",
        "eyJaaaaaaaaaa.",
        "://a:",
        "bearer ",
        "\"password\": \"",
        "ghp_",
        "a",
        " ",
    ] {
        let text = unit.repeat(size / unit.len());
        let started = std::time::Instant::now();
        let findings = scan(&text);
        assert_well_formed(&text, &findings);
        assert!(started.elapsed().as_secs() < 5, "{unit:?}");
    }
}

#[test]
fn kind_names_round_trip() {
    let mut names: Vec<&str> = SecretKind::ALL.iter().map(|k| k.name()).collect();
    for kind in SecretKind::ALL {
        assert_eq!(SecretKind::from_name(kind.name()), Some(kind));
        assert!(
            kind.name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-')
        );
        let article = kind.describe().split(' ').next();
        assert!(matches!(article, Some("a" | "an")), "{}", kind.describe());
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), SecretKind::ALL.len());
    assert_eq!(
        SecretKind::from_name("github-token"),
        Some(SecretKind::GitHubToken)
    );
    assert_eq!(SecretKind::from_name("nope"), None);
}

/// Text that is mostly near-misses: prefixes, operators, quotes, non-ASCII.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "ghp_",
            "AKIA",
            "sk-",
            "sk-ant-api03-",
            "xoxb-1-",
            "eyJ",
            ".",
            "://",
            ":",
            "@",
            "=",
            "\"",
            "'",
            "\\n",
            "\n",
            " ",
            "token",
            "api_key",
            "password",
            "Bearer ",
            "-----BEGIN PRIVATE KEY-----",
            "-----END ",
            "é",
            "日本",
            "AIza",
            "npm_",
            "_",
        ])
        .prop_map(str::to_owned),
        "[A-Za-z0-9+/=_-]{0,40}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn assert_well_formed(text: &str, findings: &[SecretFinding]) {
    for f in findings {
        assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "{f:?}"
        );
    }
    for pair in findings.windows(2) {
        assert!(pair[0].end <= pair[1].start, "{pair:?}");
    }
}

proptest! {
    // No regression files: they would land outside this module's file.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn findings_are_sorted_disjoint_and_on_char_boundaries(text in prop_oneof!["\\PC*", soup()]) {
        let findings = scan(&text);
        assert_well_formed(&text, &findings);
        for (key, value) in [("token", text.as_str()), (text.as_str(), "Zq8xP2mW9vL4kR7t")] {
            if let Some(f) = scan_assignment(key, value) {
                // The whole value, or all of it after an authorization scheme.
                prop_assert_eq!(f.end, value.len());
                prop_assert_eq!(f.start == 0, skip_auth_scheme(value) == value);
                assert_well_formed(value, &[f]);
            }
        }
    }

    #[test]
    fn a_token_inside_prose_is_found_exactly(
        prose in "[a-z ]{0,300}",
        at in 0usize..=300,
        kind in prop::sample::select(SecretKind::ALL.to_vec()),
        seed: u64,
    ) {
        let at = at.min(prose.len());
        let (sample, finding) = embedded(kind, seed);
        let text = format!("{} {sample} {}", &prose[..at], &prose[at..]);
        prop_assert_eq!(scan(&text), vec![shifted(&finding, at + 1)]);
    }

    #[test]
    fn low_entropy_padding_never_hides_a_token(
        pad in prop::sample::select(vec!["a", "x", "0", "=", "-", ".", "/", " ", "\n", "ab", "token=aaaa "]),
        repeat in 0usize..20_000,
        kind in prop::sample::select(SecretKind::ALL.to_vec()),
        seed: u64,
    ) {
        let padding = format!("{}\n", pad.repeat(repeat));
        let (sample, finding) = embedded(kind, seed);
        let text = format!("{padding}{sample}");
        prop_assert_eq!(scan(&text), vec![shifted(&finding, padding.len())]);
    }
}
