//! docs/configuration.md's table of settings must name every setting, and no other, with the code's
//! default: a new setting fails here until the table has it, and a changed default until the
//! table shows it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Config;

/// Every setting (`PORTICO_...`) and its default as docs/configuration.md shows it; `None` when it is
/// unset or empty by default (docs/configuration.md then says so in words).
pub(super) fn code_defaults() -> BTreeMap<String, Option<String>> {
    let Value::Object(sections) = serde_json::to_value(Config::default()).unwrap() else {
        panic!("Config is a struct of sections");
    };
    let mut settings = BTreeMap::new();
    for (section, fields) in sections {
        let Value::Object(fields) = fields else {
            panic!("{section} is a struct of settings");
        };
        for (field, value) in fields {
            let shown = match value {
                Value::Null => None,
                Value::String(s) if s.is_empty() => None,
                Value::Array(a) if a.is_empty() => None,
                Value::String(s) => Some(s),
                other => Some(other.to_string()),
            };
            let name = format!("PORTICO_{}", field.to_ascii_uppercase());
            assert!(
                settings.insert(name.clone(), shown).is_none(),
                "{name} is in two sections"
            );
        }
    }
    settings
}

/// The words in backticks.
fn code_spans(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Each setting docs/configuration.md's table names, with the default shown for it: the first word in
/// backticks of its part of the default cell (`a` / `b` for two settings of one row), `None`
/// where the default is described in words only.
fn readme_defaults() -> Vec<(String, Option<String>)> {
    // Read when the test runs (not compiled in): the docs are no input of the build.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
    let readme = std::fs::read_to_string(path).expect("docs/configuration.md is readable");
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("docs/configuration.md has a Configuration section");
    let mut settings = Vec::new();
    for row in section
        .lines()
        .skip_while(|l| !l.starts_with("| variable |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
    {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        let names = code_spans(cells[0]);
        let defaults: Vec<&str> = cells[1].split(" / ").collect();
        assert!(
            defaults.len() == 1 || defaults.len() == names.len(),
            "one default for the row, or one per setting: {row}"
        );
        for (i, name) in names.into_iter().enumerate() {
            assert!(name.starts_with("PORTICO_"), "a setting's full name: {row}");
            let part = defaults.get(i).unwrap_or(&defaults[0]);
            settings.push((name, code_spans(part).into_iter().next()));
        }
    }
    assert!(
        !settings.is_empty(),
        "docs/configuration.md has a table of settings"
    );
    settings
}

#[test]
fn no_setting_is_in_two_sections() {
    assert!(code_defaults().len() > 50);
}

#[test]
fn the_configuration_docs_name_every_setting_with_its_default() {
    let code = code_defaults();
    let mut named = BTreeSet::new();
    let mut problems = Vec::new();
    for (name, shown) in readme_defaults() {
        if !named.insert(name.clone()) {
            problems.push(format!("docs/configuration.md names {name} twice"));
            continue;
        }
        match code.get(&name) {
            None => problems.push(format!("docs/configuration.md names {name}, which is not a setting")),
            Some(default) if *default != shown => problems.push(format!(
                "{name}: docs/configuration.md shows {shown:?} as the default, the code has {default:?}"
            )),
            Some(_) => {}
        }
    }
    for name in code.keys().filter(|name| !named.contains(*name)) {
        problems.push(format!("{name} is not in docs/configuration.md's table"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
