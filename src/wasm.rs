//! The only file that knows wasm-bindgen: a thin facade over `sim::Simulation` for the page.
//! Settings go in as plain JS values, small results come out as objects, and the
//! per-instance state is exposed as a pointer into wasm memory that the page wraps in a
//! `Float32Array` each frame (memory can grow, which detaches old views).
//!
//! Every argument is taken as whatever JavaScript passes (a number where a number is meant is
//! checked, never coerced: `NaN`, `2**32`, `'abc'` are refused, not turned into 0) and every
//! refusal throws a JS `Error` whose message is the core's English sentence and whose
//! properties carry the same error as data — `field`, `kind` and, by kind, `range`
//! (`{min, max, integer}`) or `allowed` — so the page words it in the reader's language.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::{Error, ErrorKind, Range};
use crate::scenario::{self, schema, AutoscalerConfig, FaultKind, KeyDistribution, Scenario};
use crate::sim::{self, Breakpoints, Replay, Stop, ViewReader, VIEW_FIELDS};
use crate::theory;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).unwrap_or(JsValue::NULL)
}

/// A core error as a thrown JS `Error` carrying the error's data as properties.
fn js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // json_compatible: the flattened kind comes out as plain properties, not a JS Map.
    let detail = to_js(&e);
    if detail.is_object() {
        js_sys::Object::assign(&err, &js_sys::Object::from(detail));
    }
    err.into()
}

/// Reads a JS value as JSON, as the CLI reads a file: through JSON text and the core's strict
/// parser, so unknown fields and duplicate keys are refused with the same paths.
fn json_of(value: &JsValue, field: &str) -> Result<serde_json::Value, Error> {
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| {
            Error::of(
                field,
                ErrorKind::WrongType {
                    expected: "a value JSON can represent".into(),
                },
                None,
            )
        })?;
    scenario::strict_json(&text).map_err(|e| e.within(field))
}

/// A JS number argument, refused (never coerced) when it is not one.
fn number_arg(value: &JsValue, field: &str) -> Result<f64, Error> {
    value.as_f64().ok_or_else(|| {
        Error::of(
            field,
            ErrorKind::NotANumber { range: None },
            Some(shown(value)),
        )
    })
}

/// A JS string argument naming one of `T`'s variants.
fn name_arg<T: serde::de::DeserializeOwned>(
    value: &JsValue,
    field: &str,
    allowed: &[&str],
) -> Result<T, Error> {
    let unknown = || {
        Error::of(
            field,
            ErrorKind::UnknownName {
                allowed: allowed.iter().map(|s| s.to_string()).collect(),
            },
            Some(shown(value)),
        )
    };
    let name = value.as_string().ok_or_else(unknown)?;
    serde_json::from_value(serde_json::Value::String(name)).map_err(|_| unknown())
}

fn shown(value: &JsValue) -> String {
    value
        .as_string()
        .map(|s| format!("\"{s}\""))
        .or_else(|| value.as_f64().map(crate::error::plain))
        .or_else(|| value.as_bool().map(|b| b.to_string()))
        .unwrap_or_else(|| {
            if value.is_null() || value.is_undefined() {
                "nothing".into()
            } else {
                "an object".into()
            }
        })
}

/// A field's edit value: text stays text (the core parses what people type), everything else
/// goes through JSON.
fn edit_value(value: &JsValue, field: &str) -> Result<serde_json::Value, Error> {
    match value.as_string() {
        Some(text) => Ok(serde_json::Value::String(text)),
        None => json_of(value, field),
    }
}

fn parse_scenario(value: &JsValue) -> Result<Scenario, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Scenario::default());
    }
    let text = match value.as_string() {
        Some(text) => text,
        None => json_of(value, "")?.to_string(),
    };
    Scenario::from_json(&text)
}

#[wasm_bindgen]
pub struct Simulation {
    /// The run with its copies for rewinding.
    replay: Replay,
    reader: ViewReader,
    view: Vec<f32>,
    breakpoints: Breakpoints,
    /// The log entry of the last breakpoint hit, until the page takes it.
    hit: Option<u64>,
}

/// Most events one `step` processes (about a second of work in a browser).
const STEP_EVENTS: u64 = 2_000_000;

/// Non-negative seconds as nanoseconds, saturating (never wrapping).
fn seconds_ns(s: f64) -> u64 {
    if s > 0.0 {
        (s.min(scenario::MAX_DURATION_S) * 1e9) as u64
    } else {
        0
    }
}

impl Simulation {
    fn inner(&self) -> &sim::Simulation {
        self.replay.sim()
    }

    fn run_for(&mut self, seconds: f64, max_events: u64, breakpoints: Breakpoints) {
        if seconds.is_nan() || seconds <= 0.0 {
            return;
        }
        let target = self.inner().now_ns().saturating_add(seconds_ns(seconds));
        if let Stop::Breakpoint { seq } = self.replay.advance_until(target, max_events, breakpoints)
        {
            self.hit = Some(seq);
        }
    }
}

#[wasm_bindgen]
impl Simulation {
    /// `new Simulation(scenario)`: any subset of the scenario JSON (an object or its text);
    /// throws an Error naming the first invalid field.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: JsValue) -> Result<Simulation, JsValue> {
        let scenario = parse_scenario(&scenario).map_err(js_error)?;
        let inner = sim::Simulation::with_timeline_capacity(scenario, sim::PAGE_TIMELINE_CAPACITY)
            .map_err(js_error)?;
        Ok(Simulation {
            replay: Replay::new(inner),
            reader: ViewReader::default(),
            view: Vec::new(),
            breakpoints: Breakpoints::NONE,
            hit: None,
        })
    }

    /// Simulates the next `seconds` (nothing for anything but a positive number).
    pub fn advance(&mut self, seconds: JsValue) {
        if let Some(s) = seconds.as_f64() {
            self.run_for(s, u64::MAX, Breakpoints::NONE);
        }
    }

    /// Simulates up to `seconds` more but processes at most `max_events` events, and stops
    /// early at a breakpoint (see `take_break`); returns the simulated seconds covered (the
    /// page's per-frame time box).
    pub fn advance_budget(&mut self, seconds: f64, max_events: f64) -> f64 {
        if max_events.is_nan() || max_events < 1.0 {
            return 0.0;
        }
        let before = self.inner().now_ns();
        self.run_for(seconds, max_events.min(1e15) as u64, self.breakpoints);
        (self.inner().now_ns() - before) as f64 / 1e9
    }

    pub fn run_to_end(&mut self) {
        let end = seconds_ns(self.inner().scenario().duration_s);
        self.replay.advance_until(end, u64::MAX, Breakpoints::NONE);
    }

    /// Pause when one of these events happens: a list of event-log kinds (`"evicted"`,
    /// `"ejected"`, `"scaled"`, …); an empty list clears them.
    pub fn set_breakpoints(&mut self, kinds: JsValue) -> Result<(), JsValue> {
        let names: Vec<String> = serde_wasm_bindgen::from_value(kinds).map_err(|_| {
            js_error(Error::of(
                "breakpoints",
                ErrorKind::WrongType {
                    expected: "a list of event names".into(),
                },
                None,
            ))
        })?;
        self.breakpoints = Breakpoints::from_names(&names).map_err(js_error)?;
        Ok(())
    }

    /// The log sequence number of the entry that stopped the clock at a breakpoint since the
    /// last call, or -1.
    pub fn take_break(&mut self) -> f64 {
        self.hit.take().map_or(-1.0, |s| s as f64)
    }

    /// One step while paused: `"event"` (the next event), `"second"` (one simulated second)
    /// or `"sync"` (until the autoscaler's next decision). Returns the seconds covered. A step
    /// does at most `STEP_EVENTS` events of work (at 10^7 requests/s a second is 10^7 events,
    /// and without an autoscaler "sync" would run an hour): it then covers less.
    pub fn step(&mut self, unit: JsValue) -> Result<f64, JsValue> {
        let before = self.inner().now_ns();
        match unit.as_string().as_deref() {
            Some("event") => {
                self.replay.advance_until(u64::MAX, 1, Breakpoints::NONE);
            }
            Some("second") => self.run_for(1.0, STEP_EVENTS, self.breakpoints),
            Some("sync") => {
                let decisions = Breakpoints::from_names(&["scaled", "kept"]).expect("known");
                self.run_for(3600.0, STEP_EVENTS, decisions);
                self.hit = None;
            }
            _ => {
                return Err(js_error(Error::of(
                    "step",
                    ErrorKind::UnknownName {
                        allowed: vec!["event".into(), "second".into(), "sync".into()],
                    },
                    Some(shown(&unit)),
                )))
            }
        }
        Ok((self.inner().now_ns() - before) as f64 / 1e9)
    }

    /// Goes to simulated time `t_s` of this run (at most `horizon_s`), back or forth, doing at
    /// most `max_events` events of re-simulation; true once there (call again otherwise).
    pub fn seek(&mut self, t_s: f64, max_events: f64) -> bool {
        if t_s.is_nan() || max_events.is_nan() || max_events < 1.0 {
            return true;
        }
        self.replay
            .seek(seconds_ns(t_s), max_events.min(1e15) as u64)
    }

    /// The furthest simulated time this run has reached (the end of the time slider).
    #[wasm_bindgen(getter)]
    pub fn horizon_s(&self) -> f64 {
        self.replay.horizon_ns() as f64 / 1e9
    }

    /// The same object the CLI prints.
    pub fn summary(&self) -> JsValue {
        to_js(&self.inner().summary())
    }

    /// Live measurements beyond the summary (utilization, retries, moved keys, ...).
    pub fn details(&self) -> JsValue {
        to_js(&self.inner().details())
    }

    /// The live state in a lesson's terms: nominal and ready-capacity arithmetic, conditions
    /// in force, latency since the last change and whether it is settling.
    pub fn explain(&self) -> JsValue {
        to_js(&self.inner().explain())
    }

    /// The run's description: the starting settings with every scheduled change and every
    /// change recorded so far (a link to it replays this run).
    pub fn description(&self) -> JsValue {
        to_js(&self.inner().current_scenario())
    }

    /// The settings in force now (what the controls show).
    pub fn scenario(&self) -> JsValue {
        let mut s = self.inner().scenario().clone();
        s.traffic.changes.clear();
        s.faults.clear();
        s.edits.clear();
        to_js(&s)
    }

    #[wasm_bindgen(getter)]
    pub fn now_s(&self) -> f64 {
        self.inner().now_s()
    }

    #[wasm_bindgen(getter)]
    pub fn events_processed(&self) -> f64 {
        self.inner().events_processed() as f64
    }

    /// Sets one scenario field now (`"instances.count"`, `"balancer.choice_count"`,
    /// `"balancer"`, …). A string value is text as typed: the core parses it.
    pub fn edit(&mut self, path: JsValue, value: JsValue) -> Result<(), JsValue> {
        let path = path.as_string().ok_or_else(|| {
            js_error(Error::of(
                "path",
                ErrorKind::UnknownField {
                    allowed: Vec::new(),
                },
                Some(shown(&path)),
            ))
        })?;
        let value = edit_value(&value, &path).map_err(js_error)?;
        self.replay.edit(&path, value).map_err(js_error)
    }

    /// Text typed for the field at `path` (any field, list entries included, live or not) as
    /// the value to use, parsed and checked as `edit` would; throws the structured error.
    pub fn parse_field(&self, path: JsValue, text: JsValue) -> Result<JsValue, JsValue> {
        let (Some(path), Some(text)) = (path.as_string(), text.as_string()) else {
            return Err(js_error(Error::of(
                "path",
                ErrorKind::WrongType {
                    expected: "a field path and the text typed".into(),
                },
                None,
            )));
        };
        self.inner()
            .scenario()
            .parse_typed(&path, &text)
            .map(|v| to_js(&v))
            .map_err(js_error)
    }

    pub fn set_instances(&mut self, count: JsValue) -> Result<(), JsValue> {
        let v = edit_value(&count, "instances.count").map_err(js_error)?;
        self.replay.edit("instances.count", v).map_err(js_error)
    }

    pub fn set_load(&mut self, rate_rps: JsValue) -> Result<(), JsValue> {
        let v = edit_value(&rate_rps, "traffic.rate_rps").map_err(js_error)?;
        self.replay.edit("traffic.rate_rps", v).map_err(js_error)
    }

    pub fn set_capacity(&mut self, capacity_rps: JsValue) -> Result<(), JsValue> {
        let v = edit_value(&capacity_rps, "instances.capacity_rps").map_err(js_error)?;
        self.replay
            .edit("instances.capacity_rps", v)
            .map_err(js_error)
    }

    /// Request keys from now on: `distribution` is "uniform" or "zipf".
    pub fn set_keys(
        &mut self,
        keys: JsValue,
        distribution: JsValue,
        zipf_s: JsValue,
    ) -> Result<(), JsValue> {
        let result = (|| {
            let keys = number_arg(&keys, "traffic.keys")?;
            let distribution: KeyDistribution = name_arg(
                &distribution,
                "traffic.key_distribution",
                &["uniform", "zipf"],
            )?;
            let zipf_s = number_arg(&zipf_s, "traffic.zipf_s")?;
            self.replay
                .change(|sim| sim.set_keys(keys, distribution, zipf_s))
        })();
        result.map_err(js_error)
    }

    pub fn set_balancer(&mut self, config: JsValue) -> Result<(), JsValue> {
        let v = json_of(&config, "balancer").map_err(js_error)?;
        self.replay.edit("balancer", v).map_err(js_error)
    }

    pub fn set_autoscaler(&mut self, config: JsValue) -> Result<(), JsValue> {
        let v = json_of(&config, "autoscaler").map_err(js_error)?;
        self.replay.edit("autoscaler", v).map_err(js_error)
    }

    pub fn set_registry(&mut self, config: JsValue) -> Result<(), JsValue> {
        let v = json_of(&config, "registry").map_err(js_error)?;
        self.replay.edit("registry", v).map_err(js_error)
    }

    /// One instance's balancer weight and speed (capacity multiplier).
    pub fn set_instance(
        &mut self,
        id: JsValue,
        weight: JsValue,
        speed: JsValue,
    ) -> Result<(), JsValue> {
        let result = (|| {
            let id = number_arg(&id, "instance")?;
            let weight = number_arg(&weight, "weight")?;
            let speed = number_arg(&speed, "speed")?;
            self.replay
                .change(|sim| sim.set_instance(id, weight, speed))
        })();
        result.map_err(js_error)
    }

    /// A fault now: kind is "crash", "slow", "partition" or "recover"; factor is the slow
    /// capacity multiplier. Recorded in the run as a timed fault.
    pub fn fault(
        &mut self,
        instance: JsValue,
        kind: JsValue,
        factor: JsValue,
    ) -> Result<(), JsValue> {
        let result = (|| {
            let id = number_arg(&instance, "instance")?;
            let kind: FaultKind = name_arg(&kind, "kind", schema::FAULT_KINDS)?;
            let factor = if kind == FaultKind::Slow {
                number_arg(&factor, "factor")?
            } else {
                1.0
            };
            self.replay.fault(id, kind, factor)
        })();
        result.map_err(js_error)
    }

    /// Refreshes the per-instance view (rows of `view_fields()`); returns the number of rows.
    pub fn refresh_view(&mut self, linger_s: f64) -> usize {
        self.reader
            .fill(self.replay.sim(), &mut self.view, linger_s);
        self.view.len() / VIEW_FIELDS.len()
    }

    pub fn view_ptr(&self) -> *const f32 {
        self.view.as_ptr()
    }

    pub fn view_len(&self) -> usize {
        self.view.len()
    }

    pub fn view_fields() -> Vec<String> {
        VIEW_FIELDS.iter().map(|s| s.to_string()).collect()
    }

    /// The kept one-second samples as columns: `{t_s: [...], offered_rps: [...], ...}`.
    pub fn timeline(&self) -> JsValue {
        to_js(&self.inner().timeline().columns())
    }

    /// Samples pushed since the start (to know when the charts need new data).
    pub fn timeline_total(&self) -> f64 {
        self.inner().timeline().total() as f64
    }

    /// For hash balancers: the instance id that keys 1..=count map to now (-1: none).
    pub fn key_owners(&self, count: f64) -> Vec<i32> {
        let count = if count >= 0.0 {
            count.min(100_000.0) as u32
        } else {
            0
        };
        self.inner()
            .key_owners(count)
            .into_iter()
            .map(|o| o.map_or(-1, |id| id as i32))
            .collect()
    }

    /// Event-log entries with sequence number >= `since` (typed events with their data).
    pub fn log_since(&self, since: f64) -> JsValue {
        let since = if since >= 0.0 { since as u64 } else { 0 };
        to_js(&self.inner().log_since(since))
    }

    /// Model servers now: each replica's waiting, batch, KV use and saturation, the pool's
    /// saturation, TTFT and TPOT so far; null for a web fleet.
    pub fn serving(&self) -> JsValue {
        to_js(&self.inner().serving())
    }

    /// One replica's KV use, batch and waiting requests over its last samples (one per
    /// simulated second, up to 300): `{instance, t_s: [...], kv_use: [...], batch: [...],
    /// waiting: [...]}`; null for a web instance or an unknown id.
    pub fn replica_history(&self, id: f64) -> JsValue {
        if !(0.0..=f64::from(u32::MAX)).contains(&id) || id.fract() != 0.0 {
            return JsValue::NULL;
        }
        to_js(&self.inner().replica_history(id as u32))
    }

    /// "Why this replica?" for the last request routed: every endpoint's numbers, the rule
    /// that decided and the winner; null when none is kept (web fleets with a balancer that
    /// does not score).
    pub fn last_pick(&self) -> JsValue {
        to_js(&self.inner().last_pick_scores())
    }

    /// The same for the last picks still kept (at most 16), oldest first.
    pub fn pick_history(&self) -> JsValue {
        to_js(&self.inner().pick_history())
    }

    /// The kept picks in brief, oldest first, one per request: `[{request, t_s, winner}]`
    /// (what "why this replica?" lists; `pick_scores` gives one's numbers).
    pub fn pick_list(&self) -> JsValue {
        to_js(&self.inner().pick_list())
    }

    /// The same for request number `request` (1 = the run's first), if still kept; else null.
    pub fn pick_scores(&self, request: f64) -> JsValue {
        if !(request >= 1.0 && request.fract() == 0.0) {
            return JsValue::NULL;
        }
        to_js(&self.inner().pick_scores(request as u64))
    }
}

/// The names of the codes in the view's `lifecycle` and `registry` columns and the bits of its
/// `flags` column: `{lifecycle: [...], registry: [...], flags: [[name, bit], ...]}`.
#[wasm_bindgen]
pub fn codes() -> JsValue {
    to_js(&sim::codes())
}

/// Every scenario field: path, type, range or names, unit, documentation and default.
#[wasm_bindgen]
pub fn schema() -> JsValue {
    to_js(&schema::rows())
}

/// The closed forms the page shows beside its measurements, for L, N and C.
#[wasm_bindgen]
pub fn theory_readout(load_rps: f64, instances: f64, capacity_rps: f64) -> JsValue {
    // Bounded like the fleet itself: Erlang B costs one step per server.
    let n = if Range::int(1.0, f64::from(scenario::MAX_INSTANCES)).contains(instances)
        && instances.fract() == 0.0
    {
        instances as u32
    } else {
        0
    };
    to_js(&theory::readout(load_rps, n, capacity_rps))
}

/// Fraction of keys that move when `hash mod N` goes from `a` to `b` buckets, and the least a
/// consistent hash must move: `{mod_n, consistent}`.
#[wasm_bindgen]
pub fn moved_fractions(a: f64, b: f64) -> JsValue {
    let count = |x: f64| {
        if (0.0..=1e9).contains(&x) {
            x as u32
        } else {
            0
        }
    };
    #[derive(Serialize)]
    struct Moved {
        mod_n: f64,
        consistent: f64,
    }
    to_js(&Moved {
        mod_n: theory::mod_n_moved_fraction(count(a), count(b)),
        consistent: theory::consistent_moved_fraction(count(a), count(b)),
    })
}

/// The prompt and output length distributions of a `traffic.tokens` object (checked as in a
/// scenario; missing fields take their defaults): `{prompt: {p, tokens, mean, max}, output:
/// {…}}`, the quantile table drawn from (or, for a lognormal, its quantiles at the same p).
#[wasm_bindgen]
pub fn token_lengths(tokens: JsValue) -> Result<JsValue, JsValue> {
    let result = (|| {
        let tokens = match json_of(&tokens, "traffic.tokens")? {
            serde_json::Value::Null => serde_json::json!({}),
            other => other,
        };
        let doc = serde_json::json!({ "traffic": { "tokens": tokens } });
        let scenario = Scenario::from_json(&doc.to_string())?;
        let sampler = crate::serving::tokens::TokenSampler::new(&scenario.traffic.tokens);
        #[derive(Serialize)]
        struct Lengths {
            prompt: crate::serving::tokens::LengthTable,
            output: crate::serving::tokens::LengthTable,
        }
        Ok(Lengths {
            prompt: crate::serving::tokens::LengthTable::of(&sampler.prompt),
            output: crate::serving::tokens::LengthTable::of(&sampler.output),
        })
    })();
    result.map(|l: _| to_js(&l)).map_err(js_error)
}

/// The endpoint picker's default profile on given endpoint readings (the core's formula, for
/// a "try it" panel): per endpoint 2·queue + 2·kv + 3·prefix.
#[wasm_bindgen]
pub fn endpoint_picker_scores(
    waiting: Vec<u32>,
    kv_use: Vec<f64>,
    prefix_match: Vec<f64>,
) -> Vec<f64> {
    crate::balance::endpoint_picker::scores(&waiting, &kv_use, &prefix_match)
}

/// Which of two runs (their `summary()` objects) served the same requests better:
/// `{lost, p99, mean, winner, trade_off}` (see `verdict`).
#[wasm_bindgen]
pub fn compare_verdict(a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
    let measures = |v: &JsValue, field: &str| {
        crate::verdict::RunMeasures::from_summary_json(&json_of(v, field)?, field)
    };
    let a = measures(&a, "a").map_err(js_error)?;
    let b = measures(&b, "b").map_err(js_error)?;
    Ok(to_js(&crate::verdict::verdict(&a, &b)))
}

/// The same rule for two to four runs of the same requests (their `summary()` objects, in
/// order): `{measures: [{measure, best, leaders, even}], winners, outcome: winner | tie | even |
/// trade_off}` (see `verdict::ranking`; model servers add the TTFT measures).
#[wasm_bindgen]
pub fn compare_ranking(summaries: JsValue) -> Result<JsValue, JsValue> {
    let result = (|| {
        let list = json_of(&summaries, "summaries")?;
        let items = match list.as_array() {
            Some(items) if (2..=4).contains(&items.len()) => items.clone(),
            _ => {
                return Err(Error::of(
                    "summaries",
                    ErrorKind::WrongType {
                        expected: "a list of two to four run summaries".into(),
                    },
                    None,
                ))
            }
        };
        let runs = items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                crate::verdict::RunMeasures::from_summary_json(s, &format!("summaries[{i}]"))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(to_js(&crate::verdict::ranking(&runs)))
    })();
    result.map_err(js_error)
}

/// A fresh random seed for the page's "new seed" button (the only use of OS randomness).
#[wasm_bindgen]
pub fn random_seed() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 1.0;
    }
    (u64::from_le_bytes(bytes) & scenario::MAX_SEED) as f64
}

/// The scenario defaults, for the page to fill its controls.
#[wasm_bindgen]
pub fn default_scenario() -> JsValue {
    to_js(&Scenario::default())
}

/// Checks a scenario (object or JSON text) as the CLI does; returns it with every default
/// filled in, or throws the first problem.
#[wasm_bindgen]
pub fn check_scenario(scenario: JsValue) -> Result<JsValue, JsValue> {
    parse_scenario(&scenario)
        .map(|s| to_js(&s))
        .map_err(js_error)
}

/// The HPA settings (`autoscaler` with kind "hpa") as an autoscaling/v2 manifest for the
/// Deployment `name` (a DNS label); both are checked first.
#[wasm_bindgen]
pub fn hpa_yaml(autoscaler: JsValue, name: JsValue) -> Result<String, JsValue> {
    let result = (|| {
        let mut doc = serde_json::json!({ "autoscaler": json_of(&autoscaler, "autoscaler")? });
        let scenario = Scenario::from_json(&doc.take().to_string())?;
        let name = name.as_string().unwrap_or_default();
        crate::autoscale::manifest::check_name(&name)?;
        match scenario.autoscaler {
            AutoscalerConfig::Hpa(h) => Ok(crate::autoscale::manifest::hpa_yaml(&h, &name)),
            _ => Err(Error::of(
                "autoscaler.kind",
                ErrorKind::UnknownName {
                    allowed: vec!["hpa".into()],
                },
                None,
            )),
        }
    })();
    result.map_err(js_error)
}

/// Named presets (e.g. "large model replica": a 120 s start-up): `[{id, title: {en, zh-CN},
/// note: {en, zh-CN}, sources: [...], fields: [[path, value], ...]}]`. Apply one with
/// `sim.edit(path, value)` for each of its fields (they are live fields), or to a scenario
/// before `new Simulation`.
#[wasm_bindgen]
pub fn presets() -> JsValue {
    to_js(&scenario::presets::presets())
}

/// Checks the variants of a race (2 to 4 scenarios): every one must see the first one's
/// requests (same seed, duration, warm-up, traffic, service times and traffic edits). Throws
/// the first difference, e.g. field `variants[2].traffic`; returns the scenarios with their
/// defaults filled in.
#[wasm_bindgen]
pub fn race_check(scenarios: JsValue) -> Result<JsValue, JsValue> {
    let result = (|| {
        let list = json_of(&scenarios, "variants")?;
        let items = list.as_array().cloned().unwrap_or_default();
        let mut parsed = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let s = Scenario::from_json(&item.to_string())
                .map_err(|e| e.within(&format!("variants[{i}]")))?;
            parsed.push(s);
        }
        crate::race::check(&parsed)?;
        Ok(to_js(&parsed))
    })();
    result.map_err(js_error)
}

/// The race's verdict from each variant's name and summary: `entries` is
/// `[{name, summary: sim.summary()}, ...]`. Returns `{winner, standings: [{standing: best |
/// costlier {extra} | tied {extra} | slower {ratio} | lost_requests {loss, best}}], names, text}` (`text`
/// is the English sentence, for tools; the page words `standings`).
#[wasm_bindgen]
pub fn race_verdict(entries: JsValue) -> Result<JsValue, JsValue> {
    let result = (|| {
        let list = json_of(&entries, "entries")?;
        let items = list.as_array().cloned().unwrap_or_default();
        let mut contenders = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let name = item
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default();
            let summary = item.get("summary").unwrap_or(&serde_json::Value::Null);
            contenders.push(crate::race::Contender::from_summary_json(
                name,
                summary,
                &format!("entries[{i}].summary"),
            )?);
        }
        let verdict = crate::race::verdict(&contenders);
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            verdict: &'a crate::race::Verdict,
            text: String,
        }
        Ok(to_js(&Out {
            text: verdict.to_string(),
            verdict: &verdict,
        }))
    })();
    result.map_err(js_error)
}
