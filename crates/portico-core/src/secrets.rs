//! Human-typeable one-time codes (activation and recovery codes) from the OS generator.

use uuid::Uuid;

/// No 0/O or 1/I: easy to read aloud and type.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `groups` groups of five characters, joined by hyphens (5 bits of entropy a character).
pub fn code(groups: usize) -> String {
    let mut chars = Vec::with_capacity(groups * 5);
    while chars.len() < groups * 5 {
        for b in Uuid::new_v4().into_bytes() {
            if chars.len() < groups * 5 {
                chars.push(ALPHABET[usize::from(b & 31)] as char);
            }
        }
    }
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a typed code: upper case, without spaces or hyphens.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_normalise_to_the_same_value() {
        let c = code(2);
        assert_eq!(c.len(), 11);
        assert_eq!(c.as_bytes()[5], b'-');
        assert_eq!(
            normalize(&c.to_lowercase().replace('-', " ")),
            normalize(&c)
        );
        assert_ne!(code(2), code(2));
    }
}
