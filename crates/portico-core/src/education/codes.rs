//! The code systems a resource can be about, and what a well-formed code of each looks like:
//! checked on the way in so a typo does not leave a resource that never matches. Codes are
//! kept in one canonical form (upper case, ICD-10-CM with its dot) so a lookup is an equality.

/// A code system of the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    /// ICD-10-CM: problems (diagnoses).
    Icd10,
    /// SNOMED CT: problems.
    Snomed,
    /// LOINC: tests and results.
    Loinc,
    /// RxNorm: medications.
    Rxnorm,
}

impl System {
    pub const ALL: [System; 4] = [Self::Icd10, Self::Snomed, Self::Loinc, Self::Rxnorm];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Icd10 => "icd10",
            Self::Snomed => "snomed",
            Self::Loinc => "loinc",
            Self::Rxnorm => "rxnorm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sys| sys.as_str() == s)
    }

    /// `code` in canonical form, if it is a well-formed code of this system.
    pub fn canonical(self, code: &str) -> Option<String> {
        let code = code.trim();
        match self {
            Self::Icd10 => icd10(code),
            Self::Snomed => snomed(code).then(|| code.to_owned()),
            Self::Loinc => loinc(code).then(|| code.to_owned()),
            Self::Rxnorm => rxnorm(code).then(|| code.to_owned()),
        }
    }

    /// The codes a record's `code` is found under: itself, and for ICD-10-CM each shorter
    /// code above it (a resource about `E11` is about `E11.9` too). Empty when malformed.
    pub fn lookup_keys(self, code: &str) -> Vec<String> {
        let Some(code) = self.canonical(code) else {
            return Vec::new();
        };
        if self != Self::Icd10 {
            return vec![code];
        }
        // `E11.65` → `E11`, `E11.6`, `E11.65`.
        (3..=code.len())
            .filter(|&n| n != 4)
            .filter_map(|n| code.get(..n))
            .map(str::to_owned)
            .collect()
    }

    /// The system of a problem's code as the records keep it: SNOMED CT when it is all
    /// digits, ICD-10-CM otherwise.
    pub fn of_condition_code(code: &str) -> Self {
        if !code.trim().is_empty() && code.trim().bytes().all(|b| b.is_ascii_digit()) {
            Self::Snomed
        } else {
            Self::Icd10
        }
    }
}

/// ICD-10-CM: a letter, a digit, a digit or letter (the category), then up to four more
/// characters after a dot; `E119` is read as `E11.9`. U codes are reserved for WHO and not
/// used here, but `U07.1` exists in ICD-10-CM, so every letter is allowed.
fn icd10(code: &str) -> Option<String> {
    let plain: String = code
        .chars()
        .filter(|&c| c != '.')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let dots = code.chars().filter(|&c| c == '.').count();
    if dots > 1 || (dots == 1 && (code.find('.') != Some(3) || code.ends_with('.'))) {
        return None;
    }
    let b = plain.as_bytes();
    if !(3..=7).contains(&b.len())
        || !b[0].is_ascii_uppercase()
        || !b[1].is_ascii_digit()
        || !b[2].is_ascii_alphanumeric()
        || !b[3..].iter().all(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    Some(if b.len() > 3 {
        format!("{}.{}", &plain[..3], &plain[3..])
    } else {
        plain
    })
}

/// SNOMED CT identifier: 6 to 18 digits, no leading zero, the last a Verhoeff check digit.
fn snomed(code: &str) -> bool {
    (6..=18).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_digit())
        && !code.starts_with('0')
        && verhoeff_valid(code)
}

/// LOINC: up to seven digits, a hyphen and the mod-10 check digit (`2345-7`).
fn loinc(code: &str) -> bool {
    let Some((number, check)) = code.split_once('-') else {
        return false;
    };
    if number.is_empty()
        || number.len() > 7
        || check.len() != 1
        || !number.bytes().all(|b| b.is_ascii_digit())
        || !check.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    // LOINC's mod 10 is Luhn's: every other digit from the right doubled, digits summed.
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let twice = d * 2;
                twice / 10 + twice % 10
            } else {
                d
            }
        })
        .sum();
    let expected = (10 - sum % 10) % 10;
    check.bytes().next().map(|b| u32::from(b - b'0')) == Some(expected)
}

/// RxNorm concept id (RxCUI): 1 to 8 digits.
fn rxnorm(code: &str) -> bool {
    (1..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 8, 7, 6, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// A digit string whose last digit is its Verhoeff check digit.
fn verhoeff_valid(digits: &str) -> bool {
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        let d = usize::from(b - b'0');
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][d])];
    }
    c == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loinc_codes_with_their_check_digit_are_accepted() {
        for code in ["2345-7", "718-7", "4548-4", "2093-3", "8480-6"] {
            assert!(loinc(code), "{code}");
        }
        for code in ["2345-6", "2345", "23a5-7", "-7", "12345678-0", "2345-77"] {
            assert!(!loinc(code), "{code}");
        }
    }

    #[test]
    fn snomed_codes_with_their_verhoeff_digit_are_accepted() {
        // Type 2 diabetes, hypertension, diabetes mellitus, COPD.
        for code in ["44054006", "38341003", "73211009", "13645005"] {
            assert!(snomed(code), "{code}");
        }
        for code in ["44054007", "12345", "044054006", "4405400x"] {
            assert!(!snomed(code), "{code}");
        }
    }

    #[test]
    fn icd10_codes_are_kept_with_their_dot() {
        assert_eq!(icd10("e11.9").as_deref(), Some("E11.9"));
        assert_eq!(icd10("E119").as_deref(), Some("E11.9"));
        assert_eq!(icd10("I10").as_deref(), Some("I10"));
        assert_eq!(icd10("S52.521A").as_deref(), Some("S52.521A"));
        for code in [
            "E1",
            "11.9",
            "E11.",
            "E1.19",
            "E11.9.1",
            "E11.95678",
            "E11-9",
        ] {
            assert_eq!(icd10(code), None, "{code}");
        }
    }

    #[test]
    fn an_icd10_code_is_found_under_the_codes_above_it() {
        assert_eq!(
            System::Icd10.lookup_keys("E11.65"),
            vec!["E11", "E11.6", "E11.65"]
        );
        assert_eq!(System::Icd10.lookup_keys("I10"), vec!["I10"]);
        assert_eq!(System::Loinc.lookup_keys("4548-4"), vec!["4548-4"]);
        assert!(System::Loinc.lookup_keys("4548-5").is_empty());
    }

    #[test]
    fn rxnorm_codes_are_digits() {
        assert!(rxnorm("860975"));
        assert!(!rxnorm("86O975"));
        assert!(!rxnorm(""));
        assert!(!rxnorm("123456789"));
    }

    #[test]
    fn a_problem_code_of_digits_is_snomed() {
        assert_eq!(System::of_condition_code("44054006"), System::Snomed);
        assert_eq!(System::of_condition_code("E11.9"), System::Icd10);
    }
}
