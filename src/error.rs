//! The one error type of fleetlab. Every rejection names the input field it concerns (a JSON path
//! such as `instances.count`, or a function argument such as `capacity_rps`) and says what is
//! allowed, so the CLI can print it on one line and the page can show it next to the control.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Dotted path of the offending field, e.g. `traffic.changes[2].rate_rps`.
    pub field: String,
    /// What is wrong and what is allowed, e.g. `must be between 1 and 100000, got 0`.
    pub problem: String,
}

impl Error {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Error {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// A number outside its allowed closed range.
    pub fn out_of_range(
        field: impl Into<String>,
        got: impl fmt::Display,
        min: impl fmt::Display,
        max: impl fmt::Display,
    ) -> Self {
        Error::new(field, format!("must be between {min} and {max}, got {got}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.field, self.problem)
        }
    }
}

impl std::error::Error for Error {}

/// Checks that `value` is a finite number in `[min, max]`.
pub fn check_range(field: &str, value: f64, min: f64, max: f64) -> Result<f64, Error> {
    if value.is_finite() && value >= min && value <= max {
        Ok(value)
    } else if !value.is_finite() {
        Err(Error::new(
            field,
            format!("must be a finite number between {min} and {max}, got {value}"),
        ))
    } else {
        Err(Error::out_of_range(field, value, min, max))
    }
}

/// Checks that an integer is in `[min, max]`.
pub fn check_int<T: PartialOrd + fmt::Display + Copy>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<T, Error> {
    if value >= min && value <= max {
        Ok(value)
    } else {
        Err(Error::out_of_range(field, value, min, max))
    }
}
