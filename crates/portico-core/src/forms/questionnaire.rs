//! The part of FHIR R4 `Questionnaire` and `QuestionnaireResponse` that Portico's forms use,
//! read strictly (an unknown field is an error, not ignored), and the rules of a good
//! definition. A problem names the item it is about, so the builder can point at it.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const MAX_ITEMS: usize = 100;
pub const MAX_LINK_ID: usize = 64;
pub const MAX_TEXT: usize = 500;
pub const MAX_OPTIONS: usize = 50;
pub const MAX_OPTION: usize = 200;
pub const MAX_TITLE: usize = 200;
/// The longest free-text answer.
pub const MAX_ANSWER: usize = 2000;

/// The item types a form may use (FHIR `Questionnaire.item.type`).
pub const TYPES: [&str; 7] = [
    "string", "text", "choice", "boolean", "date", "decimal", "integer",
];
/// FHIR `enableWhen.operator` values supported.
pub const OPERATORS: [&str; 3] = ["=", "!=", "exists"];

pub const FORM_ITEM_INVALID: &str = "FORM_ITEM_INVALID";
pub const FORM_ANSWER_REQUIRED: &str = "FORM_ANSWER_REQUIRED";
pub const FORM_ANSWER_INVALID: &str = "FORM_ANSWER_INVALID";

/// Bad input about one item (or answer): `field` is `items.<linkId>` for a definition and
/// the link id for an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    pub(crate) fn item(index: usize, link_id: &str, message: impl Into<String>) -> Self {
        let field = if link_id.trim().is_empty() {
            format!("items[{index}]")
        } else {
            format!("items.{link_id}")
        };
        Self {
            field,
            code: FORM_ITEM_INVALID,
            message: message.into(),
        }
    }

    pub fn answer(link_id: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: link_id.to_owned(),
            code,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Questionnaire {
    pub resource_type: String,
    /// `urn:uuid:<form key>`: the same for every version of the form.
    pub url: String,
    pub version: String,
    pub title: String,
    /// `draft`, `active` or `retired`.
    pub status: String,
    pub item: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Item {
    pub link_id: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_option: Vec<AnswerOption>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enable_when: Vec<EnableWhen>,
    /// `any` or `all`; FHIR wants it when there is more than one condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_behavior: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerOption {
    pub value_string: String,
}

/// Show the item only when the answer to `question` (an earlier item) compares so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnableWhen {
    pub question: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_boolean: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_decimal: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_integer: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_date: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionnaireResponse {
    pub resource_type: String,
    /// The form's canonical URL and version: `urn:uuid:<key>|<version>`.
    pub questionnaire: String,
    /// `in-progress` (a draft) or `completed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authored: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<ResponseItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub reference: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseItem {
    pub link_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub answer: Vec<Answer>,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Answer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_decimal: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<String>,
}

/// A typed answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Boolean(bool),
    Decimal(f64),
    Integer(i64),
    Date(NaiveDate),
}

impl Value {
    /// Reads `raw` as an answer to an item of `kind` (`true`/`false`, a number, a
    /// `YYYY-MM-DD` date, or text; a choice must be one of `options`). The reason on failure.
    pub fn parse(kind: &str, raw: &str, options: &[AnswerOption]) -> Result<Self, String> {
        let raw = raw.trim();
        match kind {
            "boolean" => match raw {
                "true" => Ok(Self::Boolean(true)),
                "false" => Ok(Self::Boolean(false)),
                _ => Err("answer yes or no (true or false)".to_owned()),
            },
            "integer" => raw
                .parse()
                .map(Self::Integer)
                .map_err(|_| "answer with a whole number".to_owned()),
            "decimal" => raw
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite())
                .map(Self::Decimal)
                .ok_or_else(|| "answer with a number".to_owned()),
            "date" => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(Self::Date)
                .map_err(|_| "answer with a date (YYYY-MM-DD)".to_owned()),
            "choice" => {
                if options.iter().any(|o| o.value_string == raw) {
                    Ok(Self::Text(raw.to_owned()))
                } else {
                    Err("choose one of the options".to_owned())
                }
            }
            _ => {
                if raw.is_empty() {
                    Err("the answer is empty".to_owned())
                } else if raw.chars().count() > MAX_ANSWER {
                    Err(format!("at most {MAX_ANSWER} characters"))
                } else {
                    Ok(Self::Text(raw.to_owned()))
                }
            }
        }
    }

    /// The FHIR answer.
    pub fn to_answer(&self) -> Answer {
        let mut answer = Answer::default();
        match self {
            Self::Text(t) => answer.value_string = Some(t.clone()),
            Self::Boolean(b) => answer.value_boolean = Some(*b),
            Self::Decimal(d) => answer.value_decimal = Some(*d),
            Self::Integer(i) => answer.value_integer = Some(*i),
            Self::Date(d) => answer.value_date = Some(d.to_string()),
        }
        answer
    }

    /// The answer as the form's input takes it (`true`, `12.5`, `2026-01-31`, text).
    pub fn raw(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Boolean(b) => b.to_string(),
            Self::Decimal(d) => d.to_string(),
            Self::Integer(i) => i.to_string(),
            Self::Date(d) => d.to_string(),
        }
    }

    /// A stored FHIR answer, read back.
    pub fn of_answer(answer: &Answer) -> Option<Self> {
        if let Some(t) = &answer.value_string {
            return Some(Self::Text(t.clone()));
        }
        if let Some(b) = answer.value_boolean {
            return Some(Self::Boolean(b));
        }
        if let Some(d) = answer.value_decimal {
            return Some(Self::Decimal(d));
        }
        if let Some(i) = answer.value_integer {
            return Some(Self::Integer(i));
        }
        answer
            .value_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(Self::Date)
    }
}

impl EnableWhen {
    /// The value compared against, typed by the question's item.
    pub fn expected(&self) -> Option<Value> {
        if let Some(t) = &self.answer_string {
            return Some(Value::Text(t.clone()));
        }
        if let Some(b) = self.answer_boolean {
            return Some(Value::Boolean(b));
        }
        if let Some(d) = self.answer_decimal {
            return Some(Value::Decimal(d));
        }
        if let Some(i) = self.answer_integer {
            return Some(Value::Integer(i));
        }
        self.answer_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(Value::Date)
    }

    /// A condition on `question` comparing with `raw` (read as an answer to `target`, the
    /// question's item; for `exists`, `true` or `false`).
    pub fn new(target: &Item, operator: &str, raw: &str) -> Result<Self, String> {
        let mut when = Self {
            question: target.link_id.clone(),
            operator: operator.to_owned(),
            answer_string: None,
            answer_boolean: None,
            answer_decimal: None,
            answer_integer: None,
            answer_date: None,
        };
        let value = if operator == "exists" {
            Value::parse("boolean", raw, &[])
                .map_err(|_| "an `exists` condition compares with true or false".to_owned())?
        } else {
            Value::parse(&target.kind, raw, &target.answer_option).map_err(|reason| {
                format!(
                    "the condition's value does not fit \"{}\": {reason}",
                    target.link_id
                )
            })?
        };
        match value {
            Value::Text(t) => when.answer_string = Some(t),
            Value::Boolean(b) => when.answer_boolean = Some(b),
            Value::Decimal(d) => when.answer_decimal = Some(d),
            Value::Integer(i) => when.answer_integer = Some(i),
            Value::Date(d) => when.answer_date = Some(d.to_string()),
        }
        Ok(when)
    }

    fn holds(&self, answered: Option<&Value>) -> bool {
        let expected = self.expected();
        match self.operator.as_str() {
            "exists" => expected == Some(Value::Boolean(answered.is_some())),
            "=" => answered.is_some() && answered == expected.as_ref(),
            // No answer is not equal to the value.
            "!=" => answered != expected.as_ref(),
            _ => false,
        }
    }
}

impl Item {
    /// Whether the item is shown, given the answers of the earlier items that are shown.
    pub fn enabled(&self, answers: &HashMap<String, Value>) -> bool {
        if self.enable_when.is_empty() {
            return true;
        }
        let mut results = self
            .enable_when
            .iter()
            .map(|w| w.holds(answers.get(&w.question)));
        if self.enable_behavior.as_deref() == Some("any") {
            results.any(|r| r)
        } else {
            results.all(|r| r)
        }
    }
}

fn valid_link_id(link_id: &str) -> bool {
    !link_id.is_empty()
        && link_id.len() <= MAX_LINK_ID
        && link_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Checks a definition: a title, 1 to 100 items, each with a unique link id, text and a
/// known type; options on choices only, and conditions only on earlier items with a value
/// of the right type. The first problem found, naming its item.
pub fn check(form: &Questionnaire) -> Result<(), Problem> {
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(Problem {
            field: "title".to_owned(),
            code: "FORM_TITLE_INVALID",
            message: format!("give the form a title of 1 to {MAX_TITLE} characters"),
        });
    }
    if form.item.is_empty() || form.item.len() > MAX_ITEMS {
        return Err(Problem {
            field: "items".to_owned(),
            code: FORM_ITEM_INVALID,
            message: format!("a form has 1 to {MAX_ITEMS} items"),
        });
    }
    let mut earlier: HashMap<&str, &Item> = HashMap::new();
    for (index, item) in form.item.iter().enumerate() {
        let bad = |message: String| Err(Problem::item(index, &item.link_id, message));
        let name = &item.link_id;
        if !valid_link_id(name) {
            return bad(format!(
                "item {}: a link id is 1 to {MAX_LINK_ID} letters, digits, '.', '-' or '_'",
                index + 1
            ));
        }
        if earlier.contains_key(name.as_str()) {
            return bad(format!("item \"{name}\": the link id is used twice"));
        }
        let text = item.text.trim();
        if text.is_empty() || text.chars().count() > MAX_TEXT {
            return bad(format!(
                "item \"{name}\": the question needs a text of 1 to {MAX_TEXT} characters"
            ));
        }
        if !TYPES.contains(&item.kind.as_str()) {
            return bad(format!("item \"{name}\": unknown type \"{}\"", item.kind));
        }
        if item.kind == "choice" {
            if item.answer_option.is_empty() {
                return bad(format!("item \"{name}\": a choice needs options"));
            }
            if item.answer_option.len() > MAX_OPTIONS {
                return bad(format!("item \"{name}\": at most {MAX_OPTIONS} options"));
            }
            let mut seen = Vec::new();
            for option in &item.answer_option {
                let value = option.value_string.trim();
                if value.is_empty() || value.chars().count() > MAX_OPTION {
                    return bad(format!(
                        "item \"{name}\": an option is 1 to {MAX_OPTION} characters"
                    ));
                }
                if value != option.value_string {
                    return bad(format!(
                        "item \"{name}\": an option starts or ends with spaces"
                    ));
                }
                if seen.contains(&value) {
                    return bad(format!("item \"{name}\": the option \"{value}\" is twice"));
                }
                seen.push(value);
            }
        } else if !item.answer_option.is_empty() {
            return bad(format!("item \"{name}\": only a choice has options"));
        }
        for when in &item.enable_when {
            let Some(target) = earlier.get(when.question.as_str()) else {
                return bad(format!(
                    "item \"{name}\": its condition is on \"{}\", which is not an earlier item",
                    when.question
                ));
            };
            if !OPERATORS.contains(&when.operator.as_str()) {
                return bad(format!(
                    "item \"{name}\": the condition's operator is =, != or exists"
                ));
            }
            // The value must be the one a condition built from it would hold.
            let fits = when.expected().is_some_and(|expected| {
                EnableWhen::new(target, &when.operator, &expected.raw()).as_ref() == Ok(when)
            });
            if !fits {
                return bad(format!(
                    "item \"{name}\": the condition's value does not fit \"{}\"",
                    when.question
                ));
            }
        }
        match item.enable_behavior.as_deref() {
            None if item.enable_when.len() > 1 => {
                return bad(format!(
                    "item \"{name}\": with several conditions, say whether any or all must hold"
                ));
            }
            Some(b) if b != "any" && b != "all" => {
                return bad(format!("item \"{name}\": enableBehavior is any or all"));
            }
            Some(_) if item.enable_when.is_empty() => {
                return bad(format!(
                    "item \"{name}\": enableBehavior without conditions"
                ));
            }
            _ => {}
        }
        earlier.insert(name.as_str(), item);
    }
    Ok(())
}

/// The answers to keep, checked against `form`, in the form's order. Every answer must be to
/// one of its items and of that item's type. On `complete`, answers to items hidden by
/// their conditions are dropped, and every shown required item must be answered.
pub fn answers(
    form: &Questionnaire,
    given: &[(String, String)],
    complete: bool,
) -> Result<Vec<(Item, Value)>, Problem> {
    let mut by_link: HashMap<&str, &str> = HashMap::new();
    for (link_id, raw) in given {
        if !form.item.iter().any(|i| &i.link_id == link_id) {
            return Err(Problem::answer(
                link_id,
                FORM_ANSWER_INVALID,
                format!("\"{link_id}\" is not a question of this form"),
            ));
        }
        if by_link.insert(link_id, raw).is_some() {
            return Err(Problem::answer(
                link_id,
                FORM_ANSWER_INVALID,
                format!("\"{link_id}\" is answered twice"),
            ));
        }
    }
    let mut shown: HashMap<String, Value> = HashMap::new();
    let mut kept = Vec::new();
    for item in &form.item {
        let enabled = item.enabled(&shown);
        // An empty answer is no answer (a cleared field).
        let raw = by_link
            .get(item.link_id.as_str())
            .map(|r| r.trim())
            .filter(|r| !r.is_empty());
        let value = match raw {
            Some(raw) => Some(Value::parse(&item.kind, raw, &item.answer_option).map_err(
                |reason| {
                    Problem::answer(
                        &item.link_id,
                        FORM_ANSWER_INVALID,
                        format!("\"{}\": {reason}", item.link_id),
                    )
                },
            )?),
            None => None,
        };
        if complete && !enabled {
            continue;
        }
        match value {
            Some(value) => {
                if enabled {
                    shown.insert(item.link_id.clone(), value.clone());
                }
                kept.push((item.clone(), value));
            }
            None if complete && item.required => {
                return Err(Problem::answer(
                    &item.link_id,
                    FORM_ANSWER_REQUIRED,
                    format!("\"{}\" needs an answer", item.link_id),
                ));
            }
            None => {}
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(link_id: &str, kind: &str) -> Item {
        Item {
            link_id: link_id.to_owned(),
            text: format!("Question {link_id}"),
            kind: kind.to_owned(),
            required: false,
            answer_option: Vec::new(),
            enable_when: Vec::new(),
            enable_behavior: None,
        }
    }

    fn form(item: Vec<Item>) -> Questionnaire {
        Questionnaire {
            resource_type: "Questionnaire".to_owned(),
            url: "urn:uuid:0".to_owned(),
            version: "1".to_owned(),
            title: "Check-in".to_owned(),
            status: "active".to_owned(),
            item,
        }
    }

    #[test]
    fn a_condition_on_a_later_item_is_refused_with_the_item_named() {
        let smoker = item("smoker", "boolean");
        let mut packs = item("packs", "integer");
        packs.enable_when = vec![EnableWhen::new(&smoker, "=", "true").unwrap()];
        let problem = check(&form(vec![packs.clone(), smoker.clone()])).unwrap_err();
        assert_eq!(problem.field, "items.packs");
        assert_eq!(problem.code, FORM_ITEM_INVALID);
        assert!(check(&form(vec![smoker, packs])).is_ok());
    }

    #[test]
    fn an_answer_to_a_hidden_item_is_dropped_and_not_required() {
        let smoker = item("smoker", "boolean");
        let mut packs = item("packs", "integer");
        packs.required = true;
        packs.enable_when = vec![EnableWhen::new(&smoker, "=", "true").unwrap()];
        let f = form(vec![smoker, packs]);
        let kept = answers(
            &f,
            &[
                ("smoker".to_owned(), "false".to_owned()),
                ("packs".to_owned(), "3".to_owned()),
            ],
            true,
        )
        .unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].1, Value::Boolean(false));
        let refused = answers(&f, &[("smoker".to_owned(), "true".to_owned())], true).unwrap_err();
        assert_eq!(refused.field, "packs");
        assert_eq!(refused.code, FORM_ANSWER_REQUIRED);
    }
}
