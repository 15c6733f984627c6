//! The only file that knows wasm-bindgen: a thin facade over `sim::Simulation` for the page.
//! Settings go in as plain JS objects (serde-wasm-bindgen), small results come out as objects,
//! and the per-instance state is exposed as a pointer into wasm memory that the page wraps in
//! a `Float32Array` each frame (memory can grow, which detaches old views). Every core `Error`
//! becomes a JS `Error` whose message names the field.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::scenario::{
    self, AutoscalerConfig, BalancerConfig, FaultKind, KeyDistribution, RegistryConfig, Scenario,
};
use crate::sim::{self, VIEW_FIELDS};
use crate::theory;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

/// Reads a JS value as the CLI reads a file: through JSON text and serde_json, so unknown
/// fields are rejected (serde-wasm-bindgen looks up only the fields it knows, and would let a
/// misspelt one pass silently) and errors carry the same paths.
fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, Error> {
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| Error::new("", "must be a plain object that JSON can represent"))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de)
        .map_err(|e| scenario::path_error(&e.path().to_string(), &e.inner().to_string()))
}

/// A scenario enum from its JSON name, through the same serde names as the scenario file.
fn enum_from_name<T: serde::de::DeserializeOwned>(field: &str, name: &str) -> Result<T, Error> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|e| Error::new(field, scenario::path_error("", &e.to_string()).problem))
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).unwrap_or(JsValue::NULL)
}

#[wasm_bindgen]
pub struct Simulation {
    inner: sim::Simulation,
    view: Vec<f32>,
}

#[wasm_bindgen]
impl Simulation {
    /// `new Simulation(scenario)`: any subset of the scenario JSON; throws an Error naming the
    /// first invalid field.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: JsValue) -> Result<Simulation, JsError> {
        let scenario: Scenario = if scenario.is_undefined() || scenario.is_null() {
            Scenario::default()
        } else {
            from_js(scenario).map_err(js_error)?
        };
        let inner = sim::Simulation::with_timeline_capacity(scenario, sim::PAGE_TIMELINE_CAPACITY)
            .map_err(js_error)?;
        Ok(Simulation {
            inner,
            view: Vec::new(),
        })
    }

    /// Simulates the next `seconds`.
    pub fn advance(&mut self, seconds: f64) {
        self.inner.advance(seconds);
    }

    /// Simulates up to `seconds` more but processes at most `max_events` events; returns the
    /// simulated seconds actually covered (the page's per-frame time box).
    pub fn advance_budget(&mut self, seconds: f64, max_events: f64) -> f64 {
        let before = self.inner.now_ns();
        if seconds.is_nan() || seconds <= 0.0 || max_events.is_nan() || max_events < 1.0 {
            return 0.0;
        }
        let target = before.saturating_add((seconds.min(scenario::MAX_DURATION_S) * 1e9) as u64);
        self.inner.advance_to(target, max_events as u64);
        (self.inner.now_ns() - before) as f64 / 1e9
    }

    pub fn run_to_end(&mut self) {
        self.inner.run_to_end();
    }

    /// The same object the CLI prints.
    pub fn summary(&self) -> JsValue {
        to_js(&self.inner.summary())
    }

    /// Live measurements beyond the summary (utilization, retries, moved keys, ...).
    pub fn details(&self) -> JsValue {
        to_js(&self.inner.details())
    }

    /// The scenario reproducing the current settings.
    pub fn scenario(&self) -> JsValue {
        to_js(&self.inner.current_scenario())
    }

    #[wasm_bindgen(getter)]
    pub fn now_s(&self) -> f64 {
        self.inner.now_s()
    }

    #[wasm_bindgen(getter)]
    pub fn events_processed(&self) -> f64 {
        self.inner.events_processed() as f64
    }

    pub fn set_instances(&mut self, count: f64) -> Result<(), JsError> {
        self.inner.set_instances(count).map_err(js_error)
    }

    pub fn set_load(&mut self, rate_rps: f64) -> Result<(), JsError> {
        self.inner.set_load(rate_rps).map_err(js_error)
    }

    pub fn set_capacity(&mut self, capacity_rps: f64) -> Result<(), JsError> {
        self.inner.set_capacity(capacity_rps).map_err(js_error)
    }

    /// Request keys from now on: `distribution` is "uniform" or "zipf".
    pub fn set_keys(&mut self, keys: f64, distribution: &str, zipf_s: f64) -> Result<(), JsError> {
        let distribution: KeyDistribution =
            enum_from_name("traffic.key_distribution", distribution).map_err(js_error)?;
        self.inner
            .set_keys(keys, distribution, zipf_s)
            .map_err(js_error)
    }

    pub fn set_balancer(&mut self, config: JsValue) -> Result<(), JsError> {
        let config: BalancerConfig =
            from_js(config).map_err(|e| js_error(prefix("balancer", e)))?;
        self.inner.set_balancer(config).map_err(js_error)
    }

    pub fn set_autoscaler(&mut self, config: JsValue) -> Result<(), JsError> {
        let config: AutoscalerConfig =
            from_js(config).map_err(|e| js_error(prefix("autoscaler", e)))?;
        self.inner.set_autoscaler(config).map_err(js_error)
    }

    pub fn set_registry(&mut self, config: JsValue) -> Result<(), JsError> {
        let config: RegistryConfig =
            from_js(config).map_err(|e| js_error(prefix("registry", e)))?;
        self.inner.set_registry(config).map_err(js_error)
    }

    pub fn set_instance(&mut self, id: u32, weight: f64, speed: f64) -> Result<(), JsError> {
        self.inner.set_instance(id, weight, speed).map_err(js_error)
    }

    /// Applies a fault now: kind is "crash", "slow", "partition" or "recover".
    pub fn fault(&mut self, instance: u32, kind: &str, factor: f64) -> Result<(), JsError> {
        let kind: FaultKind = enum_from_name("kind", kind).map_err(js_error)?;
        let factor = if kind == FaultKind::Slow {
            crate::error::check_range("factor", factor, 0.01, 1.0).map_err(js_error)?
        } else {
            1.0
        };
        self.inner.apply_fault(instance, kind, factor);
        Ok(())
    }

    /// Refreshes the per-instance view (rows of `view_fields()`); returns the number of rows.
    pub fn refresh_view(&mut self, linger_s: f64) -> usize {
        self.inner.fill_view(&mut self.view, linger_s);
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
        to_js(&Columns::from(self.inner.timeline()))
    }

    /// Samples pushed since the start (to know when the charts need new data).
    pub fn timeline_total(&self) -> f64 {
        self.inner.timeline().total() as f64
    }

    /// For hash balancers: the instance id that keys 1..=count map to now (-1: none).
    pub fn key_owners(&mut self, count: u32) -> Vec<i32> {
        self.inner
            .key_owners(count.min(100_000))
            .into_iter()
            .map(|o| o.map_or(-1, |id| id as i32))
            .collect()
    }

    /// Event-log entries with sequence number >= `since`.
    pub fn log_since(&self, since: f64) -> JsValue {
        to_js(&self.inner.log_since(since.max(0.0) as u64))
    }
}

#[derive(Serialize, Default)]
struct Columns {
    t_s: Vec<f64>,
    offered_rps: Vec<f64>,
    arrived_rps: Vec<f64>,
    throughput_rps: Vec<f64>,
    dropped: Vec<f64>,
    failed: Vec<f64>,
    ready: Vec<f64>,
    desired: Vec<f64>,
    mean_s: Vec<f64>,
    p50_s: Vec<f64>,
    p99_s: Vec<f64>,
    utilization: Vec<f64>,
    in_flight: Vec<f64>,
}

impl From<&crate::metrics::Timeline> for Columns {
    fn from(t: &crate::metrics::Timeline) -> Self {
        let mut c = Columns::default();
        for s in t.samples() {
            c.t_s.push(s.t_s);
            c.offered_rps.push(s.offered_rps);
            c.arrived_rps.push(s.arrived_rps);
            c.throughput_rps.push(s.throughput_rps);
            c.dropped.push(s.dropped as f64);
            c.failed.push(s.failed as f64);
            c.ready.push(f64::from(s.ready));
            c.desired.push(f64::from(s.desired));
            c.mean_s.push(s.mean_s);
            c.p50_s.push(s.p50_s);
            c.p99_s.push(s.p99_s);
            c.utilization.push(s.utilization);
            c.in_flight.push(s.in_flight as f64);
        }
        c
    }
}

fn prefix(section: &str, mut e: Error) -> Error {
    e.field = if e.field.is_empty() {
        section.to_string()
    } else {
        format!("{section}.{}", e.field)
    };
    e
}

/// The value, or None with the error's message noted for the page.
fn keep<T>(result: Result<T, Error>, errors: &mut Vec<String>) -> Option<T> {
    result.map_err(|e| errors.push(e.to_string())).ok()
}

/// The closed forms the page shows beside its measurements, for L, N and C.
#[derive(Serialize)]
struct TheoryReadout {
    per_instance_load: Option<f64>,
    instances_needed: Option<u32>,
    rho: Option<f64>,
    /// Mean time in system if each instance were an independent M/M/1 queue at L/N.
    mm1_mean_s: Option<f64>,
    /// Mean time in system of the ideal shared queue (M/M/c, Erlang C).
    mmc_mean_s: Option<f64>,
    /// Probability an arrival waits in that shared queue (Erlang C).
    erlang_c: Option<f64>,
    errors: Vec<String>,
}

#[wasm_bindgen]
pub fn theory_readout(load_rps: f64, instances: f64, capacity_rps: f64) -> JsValue {
    let mut errors = Vec::new();
    // Bounded like the fleet itself: Erlang B costs one step per server.
    let n = if instances >= 1.0
        && instances <= f64::from(scenario::MAX_INSTANCES)
        && instances.fract() == 0.0
    {
        instances as u32
    } else {
        0
    };
    let per_instance_load = keep(theory::per_instance_load(load_rps, n), &mut errors);
    let instances_needed = keep(
        theory::instances_needed(load_rps, capacity_rps),
        &mut errors,
    );
    let rho = keep(theory::utilization(load_rps, capacity_rps, n), &mut errors);
    let mm1 = if n >= 1 {
        theory::mm1_mean_response_s(load_rps / f64::from(n), capacity_rps).ok()
    } else {
        None
    };
    let mmc = theory::mmc_mean_response_s(load_rps, capacity_rps, n).ok();
    let ec = if capacity_rps > 0.0 {
        theory::erlang_c(n, load_rps / capacity_rps).ok()
    } else {
        None
    };
    to_js(&TheoryReadout {
        per_instance_load,
        instances_needed,
        rho,
        mm1_mean_s: mm1,
        mmc_mean_s: mmc,
        erlang_c: ec,
        errors,
    })
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

/// The HPA settings (`autoscaler` with kind "hpa") as an autoscaling/v2 manifest.
#[wasm_bindgen]
pub fn hpa_yaml(autoscaler: JsValue, name: &str) -> Result<String, JsError> {
    let config: AutoscalerConfig =
        from_js(autoscaler).map_err(|e| js_error(prefix("autoscaler", e)))?;
    match config {
        AutoscalerConfig::Hpa(h) => Ok(crate::autoscale::manifest::hpa_yaml(&h, name)),
        _ => Err(js_error(Error::new(
            "autoscaler.kind",
            "the export is for kind \"hpa\"",
        ))),
    }
}
