//! Reading a patients CSV file row by row and checking each row: its columns found from the
//! header (the usual spellings), each field checked as a chart's would be, duplicates within
//! the file and charts the practice already has. Rows are read one at a time from the text
//! (the `csv` crate); what is kept per row is only the keys duplicates are found by.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::patient_search::fold_words;

/// Whether a problem blocks the import (an error) or only says what will happen (a notice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Notice,
}

/// One problem of one row (or of the header, line 1). The message names the field, never
/// the value (it is a patient's data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub line: u64,
    pub field: String,
    pub code: String,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    fn error(line: u64, field: Field, code: &str, message: impl Into<String>) -> Self {
        Self {
            line,
            field: field.name().to_owned(),
            code: code.to_owned(),
            severity: Severity::Error,
            message: message.into(),
        }
    }

    fn notice(line: u64, field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            line,
            field: field.to_owned(),
            code: code.to_owned(),
            severity: Severity::Notice,
            message: message.into(),
        }
    }
}

/// The columns a file may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    GivenName,
    FamilyName,
    BirthDate,
    Sex,
    Mrn,
    Email,
    Mobile,
    Language,
}

impl Field {
    const ALL: [Self; 8] = [
        Self::GivenName,
        Self::FamilyName,
        Self::BirthDate,
        Self::Sex,
        Self::Mrn,
        Self::Email,
        Self::Mobile,
        Self::Language,
    ];

    /// How problems name the field.
    pub fn name(self) -> &'static str {
        match self {
            Self::GivenName => "givenName",
            Self::FamilyName => "familyName",
            Self::BirthDate => "birthDate",
            Self::Sex => "sex",
            Self::Mrn => "mrn",
            Self::Email => "email",
            Self::Mobile => "mobile",
            Self::Language => "language",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Self::GivenName => "given name",
            Self::FamilyName => "family name",
            Self::BirthDate => "date of birth",
            Self::Sex => "sex",
            Self::Mrn => "MRN",
            Self::Email => "email",
            Self::Mobile => "mobile",
            Self::Language => "language",
        }
    }

    fn required(self) -> bool {
        matches!(
            self,
            Self::GivenName | Self::FamilyName | Self::BirthDate | Self::Sex
        )
    }

    /// The column a header names: case, spaces and punctuation ignored.
    fn of_header(header: &str) -> Option<Self> {
        let key: String = header
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match key.as_str() {
            "givenname" | "firstname" | "first" | "given" | "forename" | "givennames" => {
                Self::GivenName
            }
            "familyname" | "lastname" | "last" | "surname" | "family" => Self::FamilyName,
            "dateofbirth" | "dob" | "birthdate" | "birthday" | "born" => Self::BirthDate,
            "sex" | "gender" | "administrativegender" | "sexatbirth" => Self::Sex,
            "mrn" | "medicalrecordnumber" | "recordnumber" | "chartnumber" | "patientid" => {
                Self::Mrn
            }
            "email" | "emailaddress" | "mail" => Self::Email,
            "mobile" | "mobilephone" | "mobilenumber" | "cell" | "cellphone" | "phone"
            | "phonenumber" | "telephone" => Self::Mobile,
            "language" | "preferredlanguage" | "lang" | "spokenlanguage" => Self::Language,
            _ => return None,
        })
    }
}

/// Where each column is, from the header row.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    at: HashMap<usize, Field>,
}

impl Columns {
    /// The columns of `header`, with a notice for each column that is not read; an error
    /// (line 1) for each required column missing or a column named twice.
    pub fn of(header: &csv::StringRecord) -> (Self, Vec<Problem>) {
        let mut columns = Self::default();
        let mut problems = Vec::new();
        for (i, name) in header.iter().enumerate() {
            match Field::of_header(name) {
                Some(field) if columns.at.values().any(|f| *f == field) => {
                    problems.push(Problem::error(
                        1,
                        field,
                        "DUPLICATE_COLUMN",
                        format!("line 1: two columns are the {}", field.words()),
                    ));
                }
                Some(field) => {
                    columns.at.insert(i, field);
                }
                None => problems.push(Problem::notice(
                    1,
                    "header",
                    "UNKNOWN_COLUMN",
                    format!(
                        "line 1: column {} is not a known column and is left out",
                        i + 1
                    ),
                )),
            }
        }
        for field in Field::ALL {
            if field.required() && !columns.at.values().any(|f| *f == field) {
                problems.push(Problem::error(
                    1,
                    field,
                    "MISSING_COLUMN",
                    format!("line 1: the file needs a {} column", field.words()),
                ));
            }
        }
        (columns, problems)
    }

    fn value<'r>(&self, record: &'r csv::StringRecord, field: Field) -> &'r str {
        self.at
            .iter()
            .find(|(_, f)| **f == field)
            .and_then(|(i, _)| record.get(*i))
            .map_or("", str::trim)
    }
}

/// A row that passed its own checks: what its chart is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    /// FHIR administrative gender.
    pub gender: &'static str,
    pub mrn: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
}

/// FHIR administrative gender for the ways files write sex.
fn gender(value: &str) -> Option<&'static str> {
    Some(match value.to_ascii_lowercase().as_str() {
        "f" | "female" | "woman" | "w" => "female",
        "m" | "male" | "man" => "male",
        "o" | "other" | "x" | "nonbinary" | "non-binary" | "diverse" => "other",
        "u" | "unknown" | "unk" => "unknown",
        _ => return None,
    })
}

/// Languages a file may name, by ISO 639-1 code and by name (in English and in the language).
const LANGUAGES: &[(&str, &[&str])] = &[
    ("en", &["english"]),
    ("es", &["spanish", "español", "espanol", "castellano"]),
    ("fr", &["french", "français", "francais"]),
    ("de", &["german", "deutsch"]),
    ("it", &["italian", "italiano"]),
    ("pt", &["portuguese", "português", "portugues"]),
    ("zh", &["chinese", "mandarin", "cantonese", "中文"]),
    ("vi", &["vietnamese", "tiếng việt"]),
    ("tl", &["tagalog", "filipino"]),
    ("ko", &["korean", "한국어"]),
    ("ar", &["arabic", "العربية"]),
    ("ru", &["russian", "русский"]),
    ("ht", &["haitian creole", "kreyòl"]),
    ("hi", &["hindi"]),
    ("pl", &["polish", "polski"]),
    ("ja", &["japanese", "日本語"]),
    ("fa", &["persian", "farsi"]),
    ("ur", &["urdu"]),
    ("bn", &["bengali", "bangla"]),
    ("pa", &["punjabi"]),
    ("gu", &["gujarati"]),
    ("el", &["greek"]),
    ("he", &["hebrew"]),
    ("hy", &["armenian"]),
    ("so", &["somali"]),
    ("am", &["amharic"]),
    ("sw", &["swahili"]),
    ("uk", &["ukrainian"]),
    ("ro", &["romanian"]),
    ("nl", &["dutch"]),
    ("tr", &["turkish"]),
    ("th", &["thai"]),
    ("km", &["khmer"]),
    ("lo", &["lao"]),
    ("ne", &["nepali"]),
    ("ta", &["tamil"]),
    ("te", &["telugu"]),
    ("ml", &["malayalam"]),
    ("my", &["burmese"]),
    ("sq", &["albanian"]),
    ("sr", &["serbian"]),
    ("hr", &["croatian"]),
    ("bs", &["bosnian"]),
];

/// The language's tag: a known code (with a region such as `es-MX`) or a known name.
fn language(value: &str) -> Option<String> {
    let lower = value.to_lowercase();
    if let Some((code, _)) = LANGUAGES
        .iter()
        .find(|(_, names)| names.contains(&lower.as_str()))
    {
        return Some((*code).to_owned());
    }
    let mut parts = value.split(['-', '_']);
    let primary = parts.next()?.to_ascii_lowercase();
    if !LANGUAGES.iter().any(|(code, _)| *code == primary) {
        return None;
    }
    let mut tag = primary;
    for part in parts {
        let region = part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic());
        let numeric = part.len() == 3 && part.chars().all(|c| c.is_ascii_digit());
        let script = part.len() == 4 && part.chars().all(|c| c.is_ascii_alphabetic());
        if region || numeric {
            tag.push('-');
            tag.push_str(&part.to_ascii_uppercase());
        } else if script {
            tag.push('-');
            tag.push_str(&part[..1].to_ascii_uppercase());
            tag.push_str(&part[1..].to_ascii_lowercase());
        } else {
            return None;
        }
    }
    Some(tag)
}

/// Reads one data row: the row to import, or every problem of its own fields.
pub fn read_row(
    columns: &Columns,
    record: &csv::StringRecord,
    line: u64,
    today: NaiveDate,
) -> Result<Row, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut text = |field: Field| {
        let value = columns.value(record, field);
        if value.is_empty() && field.required() {
            problems.push(Problem::error(
                line,
                field,
                "MISSING_FIELD",
                format!("line {line}: the {} is missing", field.words()),
            ));
        }
        value
    };
    let (given, family, birth, sex) = (
        text(Field::GivenName),
        text(Field::FamilyName),
        text(Field::BirthDate),
        text(Field::Sex),
    );
    let (mrn, email, mobile, lang) = (
        text(Field::Mrn),
        text(Field::Email),
        text(Field::Mobile),
        text(Field::Language),
    );
    for (field, value) in [(Field::GivenName, given), (Field::FamilyName, family)] {
        if value.chars().count() > 100 || value.chars().any(char::is_control) {
            problems.push(Problem::error(
                line,
                field,
                "INVALID_NAME",
                format!(
                    "line {line}: the {} must be 1 to 100 characters",
                    field.words()
                ),
            ));
        }
    }
    let birth_date = match crate::patient_search::parse_date(birth) {
        Some(date) if date > today => {
            problems.push(Problem::error(
                line,
                Field::BirthDate,
                "INVALID_DATE",
                format!("line {line}: the date of birth is in the future"),
            ));
            None
        }
        Some(date) if date < NaiveDate::from_ymd_opt(1880, 1, 1).unwrap_or(date) => {
            problems.push(Problem::error(
                line,
                Field::BirthDate,
                "INVALID_DATE",
                format!("line {line}: the date of birth is before 1880"),
            ));
            None
        }
        Some(date) => Some(date),
        None if birth.is_empty() => None,
        None => {
            problems.push(Problem::error(
                line,
                Field::BirthDate,
                "INVALID_DATE",
                format!(
                    "line {line}: the date of birth is not a date (use YYYY-MM-DD or MM/DD/YYYY)"
                ),
            ));
            None
        }
    };
    let gender = match gender(sex) {
        Some(g) => Some(g),
        None if sex.is_empty() => None,
        None => {
            problems.push(Problem::error(
                line,
                Field::Sex,
                "INVALID_SEX",
                format!(
                    "line {line}: the sex must be female, male, other or unknown (or F, M, O, U)"
                ),
            ));
            None
        }
    };
    if mrn.chars().count() > 64 || mrn.chars().any(char::is_control) {
        problems.push(Problem::error(
            line,
            Field::Mrn,
            "INVALID_MRN",
            format!("line {line}: the MRN must be at most 64 characters"),
        ));
    }
    let email = (!email.is_empty())
        .then(|| crate::accounts::normalize_email(email))
        .transpose()
        .unwrap_or_else(|_| {
            problems.push(Problem::error(
                line,
                Field::Email,
                "INVALID_EMAIL",
                format!("line {line}: the email is not an email address"),
            ));
            None
        });
    let phone = (!mobile.is_empty())
        .then(|| crate::records::emergency::phone("mobile", mobile))
        .transpose()
        .unwrap_or_else(|_| {
            problems.push(Problem::error(
                line,
                Field::Mobile,
                "INVALID_PHONE",
                format!("line {line}: the mobile is not a phone number of 7 to 15 digits"),
            ));
            None
        });
    let language = match language(lang) {
        Some(tag) => Some(tag),
        None if lang.is_empty() => None,
        None => {
            problems.push(Problem::error(
                line,
                Field::Language,
                "UNKNOWN_LANGUAGE",
                format!("line {line}: the language is not one Portico knows (use a code such as en or es, or its name)"),
            ));
            None
        }
    };
    match (birth_date, gender) {
        (Some(birth_date), Some(gender)) if problems.is_empty() => Ok(Row {
            line,
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            birth_date,
            gender,
            mrn: (!mrn.is_empty()).then(|| mrn.to_owned()),
            email,
            phone,
            language,
        }),
        _ => Err(problems),
    }
}

/// A person as duplicates are found: folded family and given names and the birth date.
pub type PersonKey = (String, String, NaiveDate);

pub fn person_key(given_name: &str, family_name: &str, birth_date: NaiveDate) -> PersonKey {
    (
        fold_words(family_name).join(" "),
        fold_words(given_name).join(" "),
        birth_date,
    )
}

/// The practice's charts as the file is matched against them.
#[derive(Debug, Default)]
pub struct Existing {
    pub mrns: HashSet<String>,
    /// Each person, and the chart's id (audited when a row matches it).
    pub people: HashMap<PersonKey, uuid::Uuid>,
    pub mrn_charts: HashMap<String, uuid::Uuid>,
}

/// What becomes of a row.
#[derive(Debug)]
pub enum Verdict {
    /// A new chart.
    New(Row),
    /// A chart the practice already has: skipped, not changed.
    AlreadyHere(uuid::Uuid),
    /// The row has an error.
    Refused,
}

/// The rows seen so far, to find a row that repeats an earlier one.
#[derive(Debug, Default)]
pub struct Seen {
    mrns: HashMap<String, u64>,
    people: HashMap<PersonKey, u64>,
}

/// Decides a row that passed its own checks against the file's earlier rows and the
/// practice's charts. The rules (docs/api.md):
/// - the MRN of an earlier row, or the name and birth date of an earlier row: an error;
/// - the MRN of a chart: a notice, the row is skipped (already here);
/// - the name and birth date of a chart, and no MRN in the row: a notice, skipped;
/// - the name and birth date of a chart, with an MRN that chart does not have: an error
///   (two charts for one person, or two people alike: a person must decide).
pub fn decide(
    row: Row,
    seen: &mut Seen,
    existing: &Existing,
    problems: &mut Vec<Problem>,
) -> Verdict {
    let line = row.line;
    let person = person_key(&row.given_name, &row.family_name, row.birth_date);
    let mut refused = false;
    if let Some(mrn) = &row.mrn {
        if let Some(first) = seen.mrns.get(mrn) {
            problems.push(Problem::error(
                line,
                Field::Mrn,
                "DUPLICATE_IN_FILE",
                format!("line {line}: the same MRN as line {first}"),
            ));
            refused = true;
        } else {
            seen.mrns.insert(mrn.clone(), line);
        }
    }
    if let Some(first) = seen.people.get(&person) {
        problems.push(Problem::error(
            line,
            Field::GivenName,
            "DUPLICATE_IN_FILE",
            format!("line {line}: the same name and date of birth as line {first}"),
        ));
        refused = true;
    } else {
        seen.people.insert(person.clone(), line);
    }
    if refused {
        return Verdict::Refused;
    }
    if let Some(chart) = row.mrn.as_ref().and_then(|m| existing.mrn_charts.get(m)) {
        problems.push(Problem::notice(
            line,
            Field::Mrn.name(),
            "ALREADY_HERE",
            format!("line {line}: a chart with this MRN is already here; the row is skipped"),
        ));
        return Verdict::AlreadyHere(*chart);
    }
    if let Some(chart) = existing.people.get(&person) {
        if row.mrn.is_none() {
            problems.push(Problem::notice(
                line,
                Field::GivenName.name(),
                "ALREADY_HERE",
                format!("line {line}: a chart with this name and date of birth is already here; the row is skipped"),
            ));
            return Verdict::AlreadyHere(*chart);
        }
        problems.push(Problem::error(
            line,
            Field::Mrn,
            "EXISTING_CHART",
            format!("line {line}: a chart with this name and date of birth is already here under another MRN (or none); correct the MRN or remove the row"),
        ));
        return Verdict::Refused;
    }
    Verdict::New(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(header: &[&str]) -> (Columns, Vec<Problem>) {
        Columns::of(&csv::StringRecord::from(header.to_vec()))
    }

    #[test]
    fn headers_are_read_in_their_usual_spellings() {
        let (cols, problems) = columns(&[
            "First Name",
            "LAST_NAME",
            "D.O.B.",
            "Gender",
            "Cell Phone",
            "Notes",
        ]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "UNKNOWN_COLUMN");
        assert_eq!(cols.at.len(), 5);
        let (_, missing) = columns(&["given name", "family name"]);
        let codes: Vec<_> = missing
            .iter()
            .map(|p| (p.code.as_str(), p.field.as_str()))
            .collect();
        assert_eq!(
            codes,
            [("MISSING_COLUMN", "birthDate"), ("MISSING_COLUMN", "sex")]
        );
    }

    #[test]
    fn sex_and_languages_map_to_their_codes() {
        assert_eq!(gender("F"), Some("female"));
        assert_eq!(gender("Male"), Some("male"));
        assert_eq!(gender("X"), Some("other"));
        assert_eq!(gender("maybe"), None);
        assert_eq!(language("Spanish").as_deref(), Some("es"));
        assert_eq!(language("es-mx").as_deref(), Some("es-MX"));
        assert_eq!(language("Klingon"), None);
        assert_eq!(language("xx"), None);
    }

    #[test]
    fn a_row_names_each_bad_field() {
        let (cols, _) = columns(&[
            "given", "family", "dob", "sex", "email", "mobile", "language",
        ]);
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let record = csv::StringRecord::from(vec!["", "Ng", "2030-01-01", "q", "nope", "12", "zz"]);
        let problems = read_row(&cols, &record, 7, today).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "givenName",
                "birthDate",
                "sex",
                "email",
                "mobile",
                "language"
            ]
        );
        assert!(problems.iter().all(|p| p.message.starts_with("line 7:")));
        let good =
            csv::StringRecord::from(vec!["Ana", "Ng", "03/04/1980", "f", "A@X.org", "", "es"]);
        let row = read_row(&cols, &good, 8, today).unwrap();
        assert_eq!(row.birth_date, NaiveDate::from_ymd_opt(1980, 3, 4).unwrap());
        assert_eq!(row.email.as_deref(), Some("a@x.org"));
    }
}
