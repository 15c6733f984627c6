//! The one error type of fleetlab. Every rejection names the input field it concerns (a JSON path
//! such as `instances.count`, or a function argument such as `capacity_rps`), says what kind of
//! problem it is and what is allowed, as data: the CLI prints the English sentence on one line,
//! the page words the same data in the reader's language next to the control. No serde or Rust
//! wording reaches a person: parse failures are classified into these kinds first.

use std::fmt;

use serde::Serialize;

/// An allowed closed range; `integer` when only whole numbers are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    pub integer: bool,
}

impl Range {
    pub const fn float(min: f64, max: f64) -> Range {
        Range {
            min,
            max,
            integer: false,
        }
    }

    pub const fn int(min: f64, max: f64) -> Range {
        Range {
            min,
            max,
            integer: true,
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        x >= self.min && x <= self.max
    }
}

/// What is wrong, as data. Serialized with a `kind` tag for the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorKind {
    /// Nothing was given where a value is needed (an empty field, or JSON `null`).
    Empty { range: Option<Range> },
    /// Text or a value of another type where a number is needed.
    NotANumber { range: Option<Range> },
    /// A fractional number where only whole numbers are allowed.
    NotWhole { range: Range },
    /// A number outside the allowed range (including infinities and NaN).
    OutOfRange { range: Range },
    /// A name that is not one of the allowed names (an algorithm, a fault kind…).
    UnknownName { allowed: Vec<String> },
    /// A field the format does not have (a typo would otherwise fall back to a default).
    UnknownField { allowed: Vec<String> },
    /// A value of the wrong JSON type: `expected` is object, array, string, boolean or number.
    WrongType { expected: String },
    /// A required field is absent.
    Missing,
    /// The same field twice in one object.
    Duplicate,
    /// A list longer than allowed.
    TooMany { max: u64 },
    /// The Maglev table size must be prime.
    NotPrime,
    /// Must be smaller than another field's value (`warmup_s` < `duration_s`).
    NotBelow { other: String, limit: f64 },
    /// Must be at least another field's value (`max_replicas` ≥ `min_replicas`).
    NotAtLeast { other: String, limit: f64 },
    /// Times in a list must not go backwards.
    OutOfOrder { previous: f64 },
    /// A balancer that routes by key needs `traffic.keys` ≥ 1.
    NeedsKeys { algorithm: String },
    /// Zero instances need an autoscaler that can start from zero (one of `autoscalers`).
    NeedsScaleFromZero { autoscalers: Vec<String> },
    /// Either exactly `unlimited` (a marker such as −1) or at least `min`.
    UnlimitedOrAtLeast { unlimited: f64, min: f64 },
    /// There is no instance with this id (now).
    NoSuchInstance { id: f64 },
    /// This setting cannot change while the simulation runs; start a new run instead.
    NotLive,
    /// The text is not valid JSON.
    Syntax { line: u64, column: u64 },
    /// Anything else; `problem` says what.
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Error {
    /// Dotted path of the offending field, e.g. `traffic.changes[2].rate_rps`.
    pub field: String,
    /// What is wrong and what is allowed, in English, e.g. `must be between 1 and 100000, got 0`.
    pub problem: String,
    #[serde(flatten)]
    pub kind: ErrorKind,
}

/// A number as people write it: no trailing `.0`, no exponent below 1e21.
pub fn plain(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e21 {
        format!("{}", x as i128)
    } else {
        format!("{x}")
    }
}

fn range_text(r: &Range) -> String {
    let what = if r.integer {
        "a whole number"
    } else {
        "a number"
    };
    format!(
        "must be {what} between {} and {}",
        plain(r.min),
        plain(r.max)
    )
}

impl Error {
    /// A free-text problem (kind `Other`).
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Error {
            field: field.into(),
            problem: problem.into(),
            kind: ErrorKind::Other,
        }
    }

    /// A problem of a known kind, worded in English from its data; `got` is what was given.
    pub fn of(field: impl Into<String>, kind: ErrorKind, got: Option<String>) -> Self {
        let got_text = got
            .as_ref()
            .map(|g| format!(", got {g}"))
            .unwrap_or_default();
        let problem = match &kind {
            ErrorKind::Empty { range } => match range {
                Some(r) => format!("is empty: it {}", range_text(r)),
                None => "is empty".to_string(),
            },
            ErrorKind::NotANumber { range } => match range {
                Some(r) => format!("{}{got_text}", range_text(r)),
                None => format!("must be a number{got_text}"),
            },
            ErrorKind::NotWhole { range } | ErrorKind::OutOfRange { range } => {
                format!("{}{got_text}", range_text(range))
            }
            ErrorKind::UnknownName { allowed } => {
                format!("must be one of {}{got_text}", allowed.join(", "))
            }
            ErrorKind::UnknownField { allowed } => {
                if allowed.is_empty() {
                    "is not a field of this object".to_string()
                } else {
                    format!("is not a field here; the fields are {}", allowed.join(", "))
                }
            }
            ErrorKind::WrongType { expected } => format!("must be {expected}{got_text}"),
            ErrorKind::Missing => "is missing".to_string(),
            ErrorKind::Duplicate => "appears twice".to_string(),
            ErrorKind::TooMany { max } => format!("may have at most {max} entries{got_text}"),
            ErrorKind::NotPrime => format!("must be a prime number (e.g. 65537){got_text}"),
            ErrorKind::NotBelow { other, limit } => {
                format!("must be less than {other} ({}){got_text}", plain(*limit))
            }
            ErrorKind::NotAtLeast { other, limit } => {
                format!("must be at least {other} ({}){got_text}", plain(*limit))
            }
            ErrorKind::OutOfOrder { previous } => format!(
                "must not be earlier than the entry before it ({}){got_text}",
                plain(*previous)
            ),
            ErrorKind::NeedsKeys { algorithm } => {
                format!("balancer {algorithm} routes by key: set traffic.keys to at least 1")
            }
            ErrorKind::NeedsScaleFromZero { autoscalers } => format!(
                "can be 0 only with an autoscaler that scales from zero (autoscaler.kind {}){got_text}",
                autoscalers.join(" or ")
            ),
            ErrorKind::UnlimitedOrAtLeast { unlimited, min } => format!(
                "must be {} (unlimited) or at least {}{got_text}",
                plain(*unlimited),
                plain(*min)
            ),
            ErrorKind::NoSuchInstance { id } => format!("there is no instance {}", plain(*id)),
            ErrorKind::NotLive => {
                "cannot change while the simulation runs; start a new run with it".to_string()
            }
            ErrorKind::Syntax { line, column } => {
                format!("is not valid JSON (line {line}, column {column})")
            }
            ErrorKind::Other => got.unwrap_or_default(),
        };
        Error {
            field: field.into(),
            problem,
            kind,
        }
    }

    /// A number outside its allowed closed range.
    pub fn out_of_range(
        field: impl Into<String>,
        got: impl fmt::Display,
        min: impl fmt::Display,
        max: impl fmt::Display,
    ) -> Self {
        let (min, max) = (min.to_string(), max.to_string());
        match (min.parse::<f64>(), max.parse::<f64>()) {
            (Ok(lo), Ok(hi)) => {
                let integer = !min.contains('.') && !max.contains('.');
                let range = Range {
                    min: lo,
                    max: hi,
                    integer,
                };
                Error::of(
                    field,
                    ErrorKind::OutOfRange { range },
                    Some(got.to_string()),
                )
            }
            _ => Error::new(field, format!("must be between {min} and {max}, got {got}")),
        }
    }

    /// The same error for a field one level down: `prefix.field`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// Text as one printable line: control characters (a newline inside a JSON key, a terminal
/// escape sequence) are written as Rust escapes (`\n`, `\u{1b}`), so a message never spans
/// lines nor drives the terminal it is printed on (found by fuzzing `Scenario::from_json`).
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", one_line(&self.problem))
        } else {
            write!(f, "{}: {}", one_line(&self.field), one_line(&self.problem))
        }
    }
}

impl std::error::Error for Error {}

/// Checks that `value` is a finite number in `[min, max]`.
pub fn check_range(field: &str, value: f64, min: f64, max: f64) -> Result<f64, Error> {
    let range = Range::float(min, max);
    if value.is_finite() && range.contains(value) {
        Ok(value)
    } else {
        Err(Error::of(
            field,
            ErrorKind::OutOfRange { range },
            Some(plain(value)),
        ))
    }
}

/// Checks that an integer is in `[min, max]`.
pub fn check_int<T: PartialOrd + fmt::Display + Copy + Into<f64>>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<T, Error> {
    if value >= min && value <= max {
        Ok(value)
    } else {
        let range = Range::int(min.into(), max.into());
        Err(Error::of(
            field,
            ErrorKind::OutOfRange { range },
            Some(value.to_string()),
        ))
    }
}

/// Checks that `value` is a whole number in `[min, max]` and returns it as u32 (for setters that
/// take a JavaScript number).
pub fn check_whole(field: &str, value: f64, min: u32, max: u32) -> Result<u32, Error> {
    let range = Range::int(f64::from(min), f64::from(max));
    if !value.is_finite() || !range.contains(value) {
        return Err(Error::of(
            field,
            ErrorKind::OutOfRange { range },
            Some(plain(value)),
        ));
    }
    if value.fract() != 0.0 {
        return Err(Error::of(
            field,
            ErrorKind::NotWhole { range },
            Some(plain(value)),
        ));
    }
    Ok(value as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_wording_from_data() {
        let e = check_whole("instances.count", 0.0, 1, 100_000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "instances.count: must be a whole number between 1 and 100000, got 0"
        );
        let e = check_whole("instances.count", 1.5, 1, 100_000).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::NotWhole { .. }));
        let e = check_range("traffic.rate_rps", f64::INFINITY, 0.0, 1e7).unwrap_err();
        assert_eq!(
            e.to_string(),
            "traffic.rate_rps: must be a number between 0 and 10000000, got inf"
        );
        assert_eq!(plain(1e21), "1000000000000000000000");
        assert_eq!(plain(0.25), "0.25");
    }

    #[test]
    fn serializes_with_a_kind_tag() {
        let e = check_whole("instances.count", 0.0, 1, 5).unwrap_err();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "out_of_range");
        assert_eq!(v["field"], "instances.count");
        assert_eq!(v["range"]["max"], 5.0);
        assert_eq!(v["range"]["integer"], true);
    }

    #[test]
    fn a_message_is_one_printable_line_whatever_the_input_names() {
        let e = Error::of(
            "a\nb\u{1b}[31m",
            ErrorKind::UnknownField { allowed: vec![] },
            None,
        );
        assert_eq!(
            e.to_string(),
            "a\\nb\\u{1b}[31m: is not a field of this object"
        );
        // The data keeps what was given, for the page to match.
        assert_eq!(e.field, "a\nb\u{1b}[31m");
        let e = Error::new("", "line one\r\nline two");
        assert_eq!(e.to_string(), "line one\\r\\nline two");
    }
}
