//! WCAG 2.x contrast of the white text the portal puts on a practice's primary colour
//! (buttons, the header), and the nearest darker colour of the same hue that is readable.

use std::fmt;

/// WCAG 2.x level AA for normal text.
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

/// How much lightness (HSL, 0 to 1) each step of a suggestion takes away.
const LIGHTNESS_STEP: f64 = 0.01;

/// An sRGB colour, written `#rrggbb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Rgb {
    pub const WHITE: Self = Self {
        r: 255,
        g: 255,
        b: 255,
    };

    /// `#rrggbb` (either case); anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        Some(Self {
            r: channel(0)?,
            g: channel(2)?,
            b: channel(4)?,
        })
    }

    /// Relative luminance as WCAG 2.x defines it: 0 for black, 1 for white.
    pub fn relative_luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// The contrast ratio with `other`, from 1 (none) to 21 (black on white).
    pub fn contrast_with(self, other: Self) -> f64 {
        let (a, b) = (self.relative_luminance(), other.relative_luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// The contrast ratio of white text on this colour.
    pub fn white_text_contrast(self) -> f64 {
        self.contrast_with(Self::WHITE)
    }

    /// Whether white text on this colour is readable (at least 4.5:1).
    pub fn passes_with_white_text(self) -> bool {
        self.white_text_contrast() >= MIN_TEXT_CONTRAST
    }

    /// The lightest colour of the same hue and saturation, reached by lowering the
    /// lightness a step at a time, on which white text is readable; the colour itself when
    /// it already passes. Always found: at zero lightness it is black (21:1).
    pub fn nearest_passing_darker(self) -> Self {
        if self.passes_with_white_text() {
            return self;
        }
        self.darker_steps()
            .find(|c| c.passes_with_white_text())
            .unwrap_or(Self { r: 0, g: 0, b: 0 })
    }

    /// The colours of the same hue one lightness step apart, darker each time, down to black.
    fn darker_steps(self) -> impl Iterator<Item = Self> {
        let (h, s, l) = self.to_hsl();
        (1..)
            .map(move |step| l - f64::from(step) * LIGHTNESS_STEP)
            .take_while(|l| *l > 0.0)
            .map(move |l| Self::from_hsl(h, s, l))
            .chain(std::iter::once(Self { r: 0, g: 0, b: 0 }))
    }

    /// Hue in degrees (0 to 360), saturation and lightness (0 to 1).
    fn to_hsl(self) -> (f64, f64, f64) {
        let [r, g, b] = [self.r, self.g, self.b].map(|c| f64::from(c) / 255.0);
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        let l = f64::midpoint(max, min);
        let d = max - min;
        if d == 0.0 {
            return (0.0, 0.0, l);
        }
        let s = d / (1.0 - (2.0 * l - 1.0).abs());
        let h = if max == r {
            60.0 * ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / d + 2.0)
        } else {
            60.0 * ((r - g) / d + 4.0)
        };
        (h, s, l)
    }

    fn from_hsl(h: f64, s: f64, l: f64) -> Self {
        let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
        let x = c * (1.0 - ((h / 60.0).rem_euclid(2.0) - 1.0).abs());
        let m = l - c / 2.0;
        let (r, g, b) = match h {
            h if h < 60.0 => (c, x, 0.0),
            h if h < 120.0 => (x, c, 0.0),
            h if h < 180.0 => (0.0, c, x),
            h if h < 240.0 => (0.0, x, c),
            h if h < 300.0 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        // Clamped to 0..=255 first, so the cast neither truncates nor wraps.
        let channel = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
        Self {
            r: channel(r),
            g: channel(g),
            b: channel(b),
        }
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// A ratio for people, cut (never rounded up) to two decimals so a refused colour never
/// reads as `4.50:1`.
pub fn format_ratio(ratio: f64) -> String {
    format!("{:.2}:1", (ratio * 100.0).floor() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(text: &str) -> Rgb {
        Rgb::parse(text).unwrap()
    }

    #[test]
    fn white_on_the_default_blue_passes_narrowly() {
        let ratio = rgb("#1f6feb").white_text_contrast();
        assert!((ratio - 4.63).abs() < 0.01, "{ratio}");
        assert!(rgb("#1f6feb").passes_with_white_text());
        assert_eq!(rgb("#1f6feb").nearest_passing_darker(), rgb("#1f6feb"));
    }

    #[test]
    fn white_on_white_is_one_and_on_black_twenty_one() {
        assert!((Rgb::WHITE.white_text_contrast() - 1.0).abs() < 1e-9);
        let black = rgb("#000000");
        assert!((black.white_text_contrast() - 21.0).abs() < 1e-9);
        assert!(black.passes_with_white_text());
    }

    #[test]
    fn amber_fails_and_the_suggestion_is_the_lightest_darker_step_that_passes() {
        let amber = rgb("#ffcc00");
        let ratio = amber.white_text_contrast();
        assert!((ratio - 1.51).abs() < 0.01, "{ratio}");
        assert!(!amber.passes_with_white_text());

        let suggested = amber.nearest_passing_darker();
        assert_eq!(suggested.to_string(), "#8f7200");
        assert!(suggested.passes_with_white_text(), "{suggested}");
        let steps: Vec<Rgb> = amber.darker_steps().collect();
        let at = steps.iter().position(|c| *c == suggested).unwrap();
        // The step before it (lighter) fails, or it is the first step below amber itself.
        let lighter = if at == 0 { amber } else { steps[at - 1] };
        assert!(!lighter.passes_with_white_text(), "{lighter}");
        // Same hue: still a yellow-orange (red above green, no blue).
        assert!(suggested.r > suggested.g && suggested.b == 0, "{suggested}");
    }

    #[test]
    fn parses_only_six_hex_digits_and_prints_lower_case() {
        assert_eq!(rgb("#1F6FEB").to_string(), "#1f6feb");
        for bad in ["1f6feb", "#1f6fe", "#1f6febb", "#1f6fgb", "", "#", "#ÿÿÿ"] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn hsl_round_trips() {
        for text in ["#1f6feb", "#ffcc00", "#0f766e", "#808080", "#ff00ff"] {
            let c = rgb(text);
            let (h, s, l) = c.to_hsl();
            assert_eq!(Rgb::from_hsl(h, s, l), c, "{text}");
        }
    }

    #[test]
    fn ratios_are_cut_not_rounded_up() {
        assert_eq!(format_ratio(4.499), "4.49:1");
        assert_eq!(format_ratio(1.0), "1.00:1");
    }
}
