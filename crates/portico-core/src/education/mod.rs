//! Patient education: the practice's library of resources (a link or a short article, in one
//! of the portal's languages) about problems, tests and medications by their codes; the
//! portal shows them beside a patient's matching records in the patient's language, and staff
//! send them in messages. A resource is practice content, not PHI: what is audited is the
//! chart a match was made for and the library's changes.

pub mod codes;
pub mod demo;
pub mod library;
pub mod matching;

/// The longest title kept.
pub const MAX_TITLE: usize = 200;
/// The longest summary kept.
pub const MAX_SUMMARY: usize = 1000;
/// The longest article (Markdown) kept.
pub const MAX_BODY: usize = 20_000;
/// The longest address kept.
pub const MAX_URL: usize = 2000;
/// Codes one resource may be about, at most.
pub const MAX_CODES: usize = 50;

pub const ACTIVE: &str = "active";
pub const ARCHIVED: &str = "archived";

/// A resource that is an address elsewhere, opened in a new tab.
pub const LINK: &str = "link";
/// A resource written here, in Markdown, shown in the portal.
pub const ARTICLE: &str = "article";

/// The languages the portal speaks, so a resource can be shown in them (BCP 47).
pub const LANGUAGES: [&str; 2] = ["en", "es"];
/// What a patient reads when nothing is written in their language.
pub const FALLBACK_LANGUAGE: &str = "en";
