//! Finding a chart from the front desk's one search box: what the text means (a birth date,
//! an email, a phone number, or name words and an MRN), the normalised columns and name
//! terms that make each kind an index lookup instead of a scan, and keeping them current.
//!
//! The normalised forms are kept on the `patients` row (`search_family`, `search_given` for
//! ordering, `phone_reversed`, `email_lower`) and, for names, in `patient_search_terms`: one
//! row per word of the family and given names. A word table rather than one `search_name`
//! column because the front desk types any word of the name first ("gar mar" for "María
//! García"), and only a word at the start of an indexed value can be found by a range on
//! the index; a chart has only a few words, so the table stays small.
//!
//! Every lookup is a range `value >= prefix AND value < prefix || U+10FFFF` on an index that
//! starts with `tenant_id`: portable (SQLite's `LIKE` needs a `NOCASE` index and PostgreSQL's
//! a pattern operator class) and byte-ordered on both, as the columns use the `C` collation
//! on PostgreSQL. Phones are stored with their digits reversed, so "ends with these digits"
//! is such a prefix range too.
//!
//! The search text is PHI: nothing here logs it or puts it in an error.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect,
    Select, Set,
    sea_query::{Query, SelectStatement, UnionType},
};

use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{patient, patient_search_term as term},
};

/// The longest search text accepted, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Name words beyond these are ignored (no chart's name needs more to be told apart).
const MAX_NAME_WORDS: usize = 8;
/// Digits of a phone search that are compared: the last ten (the US national number), so
/// `+1 555 123 4567` finds a chart stored as `555-123-4567`.
const PHONE_DIGITS: usize = 10;
/// A shorter run of digits is an MRN or a name, not a phone number.
const MIN_PHONE_DIGITS: usize = 7;
/// The longest stored value of each normalised column (the columns' `varchar` lengths).
const NAME_MAX: usize = 100;

/// What the search text was recognised as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatientSearch {
    /// `YYYY-MM-DD` or `MM/DD/YYYY`: the birth date, exactly.
    BirthDate(NaiveDate),
    /// Text with an `@`: emails starting with it, case-insensitively.
    Email(String),
    /// Mostly digits: phones ending with them (`reversed` holds them back to front), or the
    /// MRN exactly.
    Phone { reversed: String, mrn: String },
    /// Anything else: charts with a name word starting with each word, or the MRN exactly.
    Name { words: Vec<String>, mrn: String },
}

impl PatientSearch {
    /// Reads the search box. Blank text is no search (`None`); text over
    /// [`MAX_SEARCH_CHARS`] is refused without repeating it.
    pub fn parse(text: &str) -> CoreResult<Option<Self>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(CoreError::invalid(
                "search",
                "SEARCH_TOO_LONG",
                "the search must be at most 200 characters",
            ));
        }
        if let Some(date) = parse_date(text) {
            return Ok(Some(Self::BirthDate(date)));
        }
        if text.contains('@') {
            return Ok(Some(Self::Email(text.to_lowercase())));
        }
        let stripped: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+' | '.'))
            .collect();
        if stripped.len() >= MIN_PHONE_DIGITS && stripped.chars().all(|c| c.is_ascii_digit()) {
            let tail = &stripped[stripped.len().saturating_sub(PHONE_DIGITS)..];
            return Ok(Some(Self::Phone {
                reversed: tail.chars().rev().collect(),
                mrn: text.to_owned(),
            }));
        }
        let mut words: Vec<String> = Vec::new();
        for word in fold_words(text) {
            if !words.contains(&word) && words.len() < MAX_NAME_WORDS {
                words.push(word);
            }
        }
        Ok(Some(Self::Name {
            words,
            mrn: text.to_owned(),
        }))
    }
}

/// `YYYY-MM-DD`, or `MM/DD/YYYY` (one-digit month and day too) as US front desks type it.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.split(['-', '/']).collect();
    let numeric = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return None;
    }
    let (year, month, day) = if text.contains('-') && !text.contains('/') && parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if text.contains('/') && !text.contains('-') && parts[2].len() == 4 {
        (parts[2], parts[0], parts[1])
    } else {
        return None;
    };
    if month.len() > 2 || day.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Lower-cased words with accents folded to ASCII and apostrophes dropped (`O'Brien` is
/// `obrien`); any other punctuation separates words (`García-López` is `garcia`, `lopez`).
/// The same function reads stored names and the search box, so the two always agree. The
/// migration that filled the columns for older charts keeps a copy of it: a change here
/// needs a migration that re-indexes.
pub fn fold_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' | '\u{b4}' => {}
            // Combining marks: the accents of already decomposed text.
            '\u{300}'..='\u{36f}' => {}
            c if c.is_ascii_alphanumeric() => word.push(c),
            c => match fold_latin(c) {
                Some(ascii) => word.push_str(ascii),
                None if c.is_alphanumeric() => word.push(c),
                None => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                }
            },
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
        .into_iter()
        .map(|w| w.chars().take(NAME_MAX).collect())
        .collect()
}

/// The folded words joined by single spaces, at most 100 characters.
fn fold(text: &str) -> String {
    fold_words(text).join(" ").chars().take(NAME_MAX).collect()
}

/// ASCII for a lower-case letter of Latin-1 and Latin Extended-A.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ſ' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// The phone's digits back to front (`None` without digits).
pub fn phone_reversed(phone: &str) -> Option<String> {
    let digits: String = phone
        .chars()
        .rev()
        .filter(char::is_ascii_digit)
        .take(32)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// The email as searched: trimmed and lower-cased.
pub fn email_lower(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    (!email.is_empty()).then(|| email.chars().take(254).collect())
}

/// The chart's name terms: each word of the family and given names, once.
pub fn name_terms(given_name: &str, family_name: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in fold_words(family_name)
        .into_iter()
        .chain(fold_words(given_name))
    {
        if !terms.contains(&word) {
            terms.push(word);
        }
    }
    terms
}

/// Sets the normalised columns from the source columns this write changes (those `Set`), so
/// a write of other columns leaves them alone. The entity's `before_save` calls it, so every
/// insert and update of a chart through its active model keeps them current.
pub(crate) fn fill_columns(active: &mut patient::ActiveModel) {
    if let ActiveValue::Set(family) = &active.family_name {
        active.search_family = Set(fold(family));
    }
    if let ActiveValue::Set(given) = &active.given_name {
        active.search_given = Set(fold(given));
    }
    if let ActiveValue::Set(phone) = &active.phone {
        active.phone_reversed = Set(phone.as_deref().and_then(phone_reversed));
    }
    if let ActiveValue::Set(email) = &active.email {
        active.email_lower = Set(email.as_deref().and_then(email_lower));
    }
}

/// Rewrites the chart's name terms from its names. Called wherever a chart's names are
/// written (creation, the EHR's demographics); unchanged terms are not rewritten.
pub(crate) async fn index_names(tx: &TenantTx, chart: &patient::Model) -> CoreResult<()> {
    let wanted = name_terms(&chart.given_name, &chart.family_name);
    let mut stored: Vec<String> = tx
        .find::<term::Entity>()
        .filter(term::Column::PatientId.eq(chart.id))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|t| t.term)
        .collect();
    stored.sort();
    let mut sorted = wanted.clone();
    sorted.sort();
    if stored == sorted {
        return Ok(());
    }
    tx.delete::<term::Entity>()
        .filter(term::Column::PatientId.eq(chart.id))
        .exec(tx.conn())
        .await?;
    for word in wanted {
        term::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            patient_id: Set(chart.id),
            term: Set(word),
        }
        .insert(tx.conn())
        .await?;
    }
    Ok(())
}

/// Where a page of search results starts: after this chart in the search's order.
#[derive(Clone, Debug)]
pub struct After {
    pub search_family: String,
    pub search_given: String,
    pub id: uuid::Uuid,
}

impl From<&patient::Model> for After {
    fn from(p: &patient::Model) -> Self {
        Self {
            search_family: p.search_family.clone(),
            search_given: p.search_given.clone(),
            id: p.id,
        }
    }
}

/// Values from `prefix` up to (not including) the next value without it, in byte order.
fn prefix_range<C: ColumnTrait>(column: C, prefix: &str) -> Condition {
    Condition::all()
        .add(column.gte(prefix))
        .add(column.lt(format!("{prefix}{}", char::MAX)))
}

/// `SELECT patient_id FROM patient_search_terms` with a term starting with each word.
fn name_candidates(tx: &TenantTx, words: &[String]) -> Option<SelectStatement> {
    let (first, rest) = words.split_first()?;
    let mut select = Query::select();
    select
        .column((term::Entity, term::Column::PatientId))
        .from(term::Entity)
        .cond_where(
            Condition::all()
                .add(term::Column::TenantId.eq(tx.tenant_id().as_uuid()))
                .add(prefix_range(term::Column::Term, first)),
        );
    if let Some(next) = name_candidates(tx, rest) {
        select.and_where(term::Column::PatientId.in_subquery(next));
    }
    Some(select)
}

/// `SELECT id FROM patients` of this tenant matching `condition`.
fn chart_ids(tx: &TenantTx, condition: Condition) -> SelectStatement {
    Query::select()
        .column((patient::Entity, patient::Column::Id))
        .from(patient::Entity)
        .cond_where(
            Condition::all()
                .add(patient::Column::TenantId.eq(tx.tenant_id().as_uuid()))
                .add(condition),
        )
        .to_owned()
}

/// The search as one statement on `patients`, in the search's order (normalised family
/// name, given name, then id), after `after` when given. Each kind of search reaches the
/// rows through an index that starts with the tenant; an MRN alternative is a `UNION` of
/// the candidate ids rather than an `OR`, which would make SQLite scan the tenant's charts.
/// Public so that a test can `EXPLAIN` it.
pub fn select(
    tx: &TenantTx,
    search: &PatientSearch,
    after: Option<&After>,
) -> Select<patient::Entity> {
    use patient::Column;
    let mut query = tx.find::<patient::Entity>();
    query = match search {
        PatientSearch::BirthDate(date) => query.filter(Column::BirthDate.eq(*date)),
        PatientSearch::Email(prefix) => query.filter(prefix_range(Column::EmailLower, prefix)),
        PatientSearch::Phone { reversed, mrn } => {
            let mut ids = chart_ids(tx, prefix_range(Column::PhoneReversed, reversed));
            ids.union(
                UnionType::Distinct,
                chart_ids(tx, Condition::all().add(Column::Mrn.eq(mrn.as_str()))),
            );
            query.filter(Column::Id.in_subquery(ids))
        }
        PatientSearch::Name { words, mrn } => {
            let by_mrn = chart_ids(tx, Condition::all().add(Column::Mrn.eq(mrn.as_str())));
            let ids = match name_candidates(tx, words) {
                Some(mut ids) => {
                    ids.union(UnionType::Distinct, by_mrn);
                    ids
                }
                None => by_mrn,
            };
            query.filter(Column::Id.in_subquery(ids))
        }
    };
    if let Some(after) = after {
        query = query.filter(
            Condition::any()
                .add(Column::SearchFamily.gt(after.search_family.as_str()))
                .add(
                    Condition::all()
                        .add(Column::SearchFamily.eq(after.search_family.as_str()))
                        .add(
                            Condition::any()
                                .add(Column::SearchGiven.gt(after.search_given.as_str()))
                                .add(
                                    Condition::all()
                                        .add(Column::SearchGiven.eq(after.search_given.as_str()))
                                        .add(Column::Id.gt(after.id)),
                                ),
                        ),
                ),
        );
    }
    query
        .order_by_asc(Column::SearchFamily)
        .order_by_asc(Column::SearchGiven)
        .order_by_asc(Column::Id)
}

/// A batch of search results (unaudited, unfiltered by restriction: the caller does both).
pub(crate) async fn batch(
    tx: &TenantTx,
    search: &PatientSearch,
    after: Option<&After>,
    limit: u64,
) -> CoreResult<Vec<patient::Model>> {
    Ok(select(tx, search, after)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PatientSearch {
        PatientSearch::parse(text).unwrap().unwrap()
    }

    #[test]
    fn names_fold_accents_case_and_apostrophes() {
        assert_eq!(
            fold_words("María García-López"),
            ["maria", "garcia", "lopez"]
        );
        assert_eq!(fold_words("O'Brien"), ["obrien"]);
        assert_eq!(fold_words("O\u{2019}BRIEN"), ["obrien"]);
        assert_eq!(fold_words("Jos\u{65}\u{301}"), ["jose"]);
        assert_eq!(fold_words("Straße Øster"), ["strasse", "oster"]);
        assert_eq!(name_terms("Ann Ann", "Ann"), ["ann"]);
    }

    #[test]
    fn the_shape_of_the_text_decides_the_search() {
        let date = NaiveDate::from_ymd_opt(1984, 3, 7).unwrap();
        assert_eq!(parse("1984-03-07"), PatientSearch::BirthDate(date));
        assert_eq!(parse("03/07/1984"), PatientSearch::BirthDate(date));
        assert_eq!(parse("3/7/1984"), PatientSearch::BirthDate(date));
        assert_eq!(
            parse(" Ann.Lee@Example "),
            PatientSearch::Email("ann.lee@example".into())
        );
        assert_eq!(
            parse("+1 (555) 123-4567"),
            PatientSearch::Phone {
                reversed: "7654321555".into(),
                mrn: "+1 (555) 123-4567".into()
            }
        );
        assert_eq!(
            parse("gar  MAR"),
            PatientSearch::Name {
                words: vec!["gar".into(), "mar".into()],
                mrn: "gar  MAR".into()
            }
        );
        assert!(matches!(parse("12345"), PatientSearch::Name { .. }));
        assert!(matches!(parse("13/45/2000"), PatientSearch::Name { .. }));
        assert_eq!(PatientSearch::parse("   ").unwrap(), None);
        assert!(PatientSearch::parse(&"a".repeat(201)).is_err());
        assert!(PatientSearch::parse(&"a".repeat(200)).unwrap().is_some());
    }

    #[test]
    fn phones_are_stored_back_to_front() {
        assert_eq!(
            phone_reversed("555-123-4567").as_deref(),
            Some("7654321555")
        );
        assert_eq!(phone_reversed("n/a"), None);
    }
}
