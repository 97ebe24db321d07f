//! The kinds of home reading: LOINC codes, allowed UCUM units with their conversion to the
//! canonical unit, and the plausible range of each measure (in the canonical unit), beyond
//! which a value is a typing slip rather than a reading.

/// A kind of home reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    BloodPressure,
    Glucose,
    Weight,
    Temperature,
    Spo2,
    PeakFlow,
}

/// One number of a reading: blood pressure has two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Systolic,
    Diastolic,
    Value,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Systolic => "systolic",
            Self::Diastolic => "diastolic",
            Self::Value => "value",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Systolic, Self::Diastolic, Self::Value]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Self::BloodPressure,
        Self::Glucose,
        Self::Weight,
        Self::Temperature,
        Self::Spo2,
        Self::PeakFlow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BloodPressure => "blood_pressure",
            Self::Glucose => "glucose",
            Self::Weight => "weight",
            Self::Temperature => "temperature",
            Self::Spo2 => "spo2",
            Self::PeakFlow => "peak_flow",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The UCUM unit readings are normalised to and thresholds set in.
    pub fn canonical_unit(self) -> &'static str {
        match self {
            Self::BloodPressure => "mm[Hg]",
            Self::Glucose => "mg/dL",
            Self::Weight => "kg",
            Self::Temperature => "Cel",
            Self::Spo2 => "%",
            Self::PeakFlow => "L/min",
        }
    }

    /// The UCUM units a reading may be given in.
    pub fn units(self) -> &'static [&'static str] {
        match self {
            Self::BloodPressure => &["mm[Hg]"],
            Self::Glucose => &["mg/dL", "mmol/L"],
            Self::Weight => &["kg", "[lb_av]"],
            Self::Temperature => &["Cel", "[degF]"],
            Self::Spo2 => &["%"],
            Self::PeakFlow => &["L/min"],
        }
    }

    pub fn measures(self) -> &'static [Measure] {
        match self {
            Self::BloodPressure => &[Measure::Systolic, Measure::Diastolic],
            _ => &[Measure::Value],
        }
    }

    /// The LOINC code of a reading given in `unit` (glucose has one per unit; blood pressure
    /// is the panel, with 8480-6 and 8462-4 as its components).
    pub fn code(self, unit: &str) -> &'static str {
        match self {
            Self::BloodPressure => "85354-9",
            Self::Glucose if unit == "mmol/L" => "15074-8",
            Self::Glucose => "2339-0",
            Self::Weight => "29463-7",
            Self::Temperature => "8310-5",
            Self::Spo2 => "59408-5",
            Self::PeakFlow => "19935-6",
        }
    }

    /// The LOINC display of [`Kind::code`].
    pub fn display(self, unit: &str) -> &'static str {
        match self {
            Self::BloodPressure => "Blood pressure panel with all children optional",
            Self::Glucose if unit == "mmol/L" => "Glucose [Moles/volume] in Blood",
            Self::Glucose => "Glucose [Mass/volume] in Blood",
            Self::Weight => "Body weight",
            Self::Temperature => "Body temperature",
            Self::Spo2 => "Oxygen saturation in Arterial blood by Pulse oximetry",
            Self::PeakFlow => {
                "Maximum expiratory gas flow Respiratory system airway by Peak flow meter"
            }
        }
    }

    /// The FHIR Observation category: glucose is a laboratory value (a meter's), the rest
    /// are vital signs.
    pub fn category(self) -> &'static str {
        match self {
            Self::Glucose => "laboratory",
            _ => "vital-signs",
        }
    }

    /// The codes of the clinic's results charted next to this kind's readings (a clinic's
    /// blood pressure is often kept as its two components).
    pub fn clinic_codes(self) -> &'static [&'static str] {
        match self {
            Self::BloodPressure => &["85354-9", "8480-6", "8462-4"],
            Self::Glucose => &["2339-0", "15074-8"],
            Self::Weight => &["29463-7"],
            Self::Temperature => &["8310-5"],
            Self::Spo2 => &["59408-5", "2708-6"],
            Self::PeakFlow => &["19935-6"],
        }
    }

    /// The plausible range of `measure`, in the canonical unit.
    pub fn range(self, measure: Measure) -> (f64, f64) {
        match (self, measure) {
            (Self::BloodPressure, Measure::Diastolic) => (30.0, 200.0),
            (Self::BloodPressure, _) => (50.0, 300.0),
            (Self::Glucose, _) => (10.0, 1000.0),
            (Self::Weight, _) => (0.5, 500.0),
            (Self::Temperature, _) => (30.0, 45.0),
            (Self::Spo2, _) => (50.0, 100.0),
            (Self::PeakFlow, _) => (50.0, 1000.0),
        }
    }
}

/// `value` given in `unit`, in the canonical unit, rounded to two decimals; `None` for a
/// unit the kind does not take.
pub fn normalise(kind: Kind, unit: &str, value: f64) -> Option<f64> {
    if !kind.units().contains(&unit) {
        return None;
    }
    let canonical = match unit {
        // 1 mmol/L of glucose (180.16 g/mol) is 18.016 mg/dL.
        "mmol/L" => value * 18.016,
        "[lb_av]" => value * 0.453_592_37,
        "[degF]" => (value - 32.0) * 5.0 / 9.0,
        _ => value,
    };
    Some((canonical * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_the_canonical_unit() {
        assert_eq!(normalise(Kind::Glucose, "mmol/L", 5.5), Some(99.09));
        assert_eq!(normalise(Kind::Weight, "[lb_av]", 150.0), Some(68.04));
        assert_eq!(normalise(Kind::Temperature, "[degF]", 98.6), Some(37.0));
        assert_eq!(normalise(Kind::Spo2, "%", 97.0), Some(97.0));
        assert_eq!(normalise(Kind::Weight, "mg/dL", 70.0), None);
    }
}
