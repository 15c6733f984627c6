//! Fuzzing that stays: a few thousand scenarios generated from a fixed seed (the simulation's
//! own `SimRng`), walked from the validator's field table so every field is reached — valid
//! values at and inside their ranges (extremes included: rates of 1e-300 and 1e7, 100,000
//! instances, 1 ms runs), and one deliberate fault per invalid scenario (just out of range,
//! fractional integers, wrong JSON types, unknown names, lists over their limit, unordered
//! and simultaneous changes, faults on instances that do not exist, broken JSON text). Each
//! valid one runs for a short time under an event budget, with live edits, faults, rewinds
//! and breakpoints thrown at it, valid or not.
//!
//! Asserted for every one: no panic; an invalid scenario is an `Err` naming the field that
//! was broken (the document itself for broken text); a valid one builds, and after every step
//! arrived = completed + dropped + failed + in_flight, the requests counted one by one inside
//! the fleet equal in_flight, the work done stays within the event budget, and the instance
//! records in memory stay within the fleet's size plus a fixed amount.
#![cfg(not(target_arch = "wasm32"))]

use fleetlab::rng::SimRng;
use fleetlab::scenario::schema::{self, Field, Ty};
use fleetlab::scenario::{FaultKind, Scenario};
use fleetlab::sim::{clock, Breakpoints, LogEvent, Replay, Simulation, LISTED_STOPPED};
use serde_json::{json, Map, Value};

/// Scenarios generated (fewer in a debug build, which is some 30 times slower).
/// `PROPERTY_SCENARIOS=n` runs the first n instead (to replay a failure in a debug build).
fn count() -> usize {
    if let Some(n) = std::env::var("PROPERTY_SCENARIOS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        return n;
    }
    if cfg!(debug_assertions) {
        400
    } else {
        3000
    }
}
/// Events each step of a run may process.
const STEP_EVENTS: u64 = 5_000;
const STEPS: usize = 4;

struct Gen(SimRng);

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.0.unit() < p
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u32) as usize
    }
    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.0.unit()
    }

    /// A valid value for a scalar field, favouring the ends of its range.
    fn valid(&mut self, f: &Field) -> Value {
        match &f.ty {
            Ty::Int { range } | Ty::Float { range } => {
                let (lo, hi) = (range.min, range.max);
                let mut x = match self.below(6) {
                    0 => lo,
                    1 => hi,
                    2 => lo + (hi - lo) * self.0.unit().powi(6),
                    _ => self.uniform(lo, hi.min(lo + 100.0)),
                };
                // Expensive ends (100,000 instances, a million seconds) stay rare.
                if matches!(f.path.as_str(), "instances.count" | "duration_s")
                    && x > 1000.0
                    && !self.chance(0.05)
                {
                    x = self.uniform(lo, 20.0);
                }
                if range.integer {
                    x = x.floor().clamp(lo, hi);
                    // Whole numbers may be written as floats.
                    if self.chance(0.2) {
                        return json!(x);
                    }
                    return json!(x as u64);
                }
                json!(x)
            }
            Ty::Name { names } | Ty::Tagged { names } => json!(self.pick(names)),
            Ty::Bool => json!(self.chance(0.5)),
            Ty::Optional | Ty::Object => json!({}),
            Ty::List { .. } => json!([]),
            Ty::Any => json!(1),
        }
    }

    /// A value the field must refuse.
    fn invalid(&mut self, f: &Field) -> Value {
        let wrong_types = [
            json!("abc"),
            json!(true),
            json!({}),
            json!([1, 2]),
            json!("NaN"),
        ];
        match &f.ty {
            Ty::Int { range } | Ty::Float { range } => match self.below(4) {
                0 => json!(range.min - 1.0 - range.min.abs() * 0.5),
                1 => json!(range.max * 2.0 + 1.0),
                2 if range.integer && range.max > range.min => json!(range.min + 0.5),
                _ => self.pick(&wrong_types),
            },
            Ty::Name { .. } | Ty::Tagged { .. } => {
                self.pick(&[json!("bogus"), json!(5), json!(["x"])])
            }
            Ty::Bool => self.pick(&[json!("yes"), json!(1)]),
            Ty::Optional | Ty::Object => self.pick(&[json!(7), json!("x"), json!([])]),
            Ty::List { .. } => self.pick(&[json!({}), json!(3), json!("x")]),
            Ty::Any => json!(null),
        }
    }
}

fn set(root: &mut Value, path: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let map = node.as_object_mut().expect("objects on the way");
        if i + 1 == parts.len() {
            map.insert(part.to_string(), value);
            return;
        }
        let child = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        node = child;
    }
}

fn scalar(f: &Field) -> bool {
    matches!(
        f.ty,
        Ty::Int { .. } | Ty::Float { .. } | Ty::Name { .. } | Ty::Bool
    )
}

/// Fields that may be set in a scenario whose autoscaler is `kind` (no list entries).
fn settable(kind: &str) -> Vec<&'static Field> {
    schema::fields()
        .iter()
        .filter(|f| !f.path.contains("[]") && f.path != "autoscaler.kind")
        .filter(|f| f.kinds.is_empty() || f.kinds.contains(&kind))
        // Bound by duration_s: drawn below.
        .filter(|f| !matches!(f.path.as_str(), "warmup_s" | "duration_s"))
        // The behavior section is generated as a whole below.
        .filter(|f| !f.path.starts_with("autoscaler.behavior"))
        .collect()
}

/// A scenario as JSON, and the path of the field deliberately broken in it, if any.
fn scenario(g: &mut Gen) -> (Value, Option<String>) {
    let mut doc = json!({});
    let kind = g.pick(&["none", "formula", "hpa"]);
    let duration = g.pick(&[0.001, 0.01, 0.5, 1.0, 2.0, 3.0, 5.0, 1e6]);
    set(&mut doc, "duration_s", json!(duration));
    if kind != "none" || g.chance(0.3) {
        set(&mut doc, "autoscaler.kind", json!(kind));
    }
    for f in settable(kind) {
        if scalar(f) && g.chance(0.12) {
            let v = g.valid(f);
            set(&mut doc, &f.path, v);
        } else if matches!(f.ty, Ty::Optional) && g.chance(0.2) {
            let v = if g.chance(0.8) {
                json!({})
            } else {
                json!(null)
            };
            set(&mut doc, &f.path, v);
        }
    }
    let count = doc["instances"]["count"].as_f64().unwrap_or(5.0) as u64;
    if g.chance(0.3) {
        set(&mut doc, "warmup_s", json!(duration * g.0.unit()));
    }
    if kind == "hpa" && g.chance(0.3) {
        let p = json!([{"kind": g.pick(&["pods", "percent"]), "value": 1 + g.below(100), "period_s": 1 + g.below(60)}]);
        set(
            &mut doc,
            "autoscaler.behavior",
            json!({"scale_down": {"policies": p, "stabilization_window_s": null}}),
        );
    }
    // Lists: rate changes (some simultaneous), faults (some on missing instances), overrides
    // and live edits.
    let at = |g: &mut Gen| (duration * g.0.unit() * 1000.0).round() / 1000.0;
    if g.chance(0.4) {
        let mut times: Vec<f64> = (0..1 + g.below(4)).map(|_| at(g)).collect();
        times.sort_by(f64::total_cmp);
        if g.chance(0.3) {
            times = vec![times[0]; times.len()];
        }
        let changes: Vec<Value> = times
            .iter()
            .map(|&t| json!({"at_s": t, "rate_rps": g.pick(&[0.0, 1e-300, 1e-12, 3.0, 500.0, 2e4, 1e7])}))
            .collect();
        set(&mut doc, "traffic.changes", json!(changes));
    }
    if g.chance(0.4) {
        let faults: Vec<Value> = (0..1 + g.below(4))
            .map(|_| {
                let instance = if g.chance(0.7) {
                    g.below(count as usize + 3)
                } else {
                    99_999
                };
                json!({"at_s": at(g), "kind": g.pick(&["crash", "slow", "partition", "recover"]),
                       "instance": instance, "factor": g.pick(&[0.01, 0.5, 1.0])})
            })
            .collect();
        set(&mut doc, "faults", json!(faults));
    }
    if g.chance(0.2) {
        let o: Vec<Value> = (0..1 + g.below(3))
            .map(|_| json!({"instance": g.below(count as usize + 2), "weight": 1 + g.below(1000), "speed": g.pick(&[0.01, 1.0, 100.0])}))
            .collect();
        set(&mut doc, "instances.overrides", json!(o));
    }
    if g.chance(0.25) {
        let mut t = 0.0;
        let edits: Vec<Value> = (0..1 + g.below(3))
            .map(|_| {
                t += duration * g.0.unit() / 3.0;
                let (path, value) = live_edit(g, kind, true);
                json!({"at_s": (t * 1000.0f64).round() / 1000.0, "path": path, "value": value})
            })
            .collect();
        set(&mut doc, "edits", json!(edits));
    }
    // One deliberate fault in a third of them.
    if !g.chance(0.35) {
        return (doc, None);
    }
    let broken = match g.below(6) {
        0 => {
            let many: Vec<Value> = (0..10_001)
                .map(|_| json!({"at_s": 0, "rate_rps": 1}))
                .collect();
            let list = g.pick(&["traffic.changes", "faults"]);
            let entries = if list == "faults" {
                (0..10_001)
                    .map(|_| json!({"at_s": 0, "kind": "crash", "instance": 0}))
                    .collect()
            } else {
                many
            };
            set(&mut doc, list, json!(entries));
            list.to_string()
        }
        1 => {
            set(
                &mut doc,
                "traffic.changes",
                json!([{"at_s": 0.5, "rate_rps": 1}, {"at_s": 0.25, "rate_rps": 2}]),
            );
            "traffic.changes[1].at_s".to_string()
        }
        2 => {
            set(&mut doc, "surprise", json!(1));
            "surprise".to_string()
        }
        _ => {
            let fields: Vec<&Field> = settable(kind).into_iter().filter(|f| !f.nullable).collect();
            let f = g.pick(&fields);
            let v = g.invalid(f);
            // Anything below a field that is not an object now is gone.
            set(&mut doc, &f.path, v);
            f.path.clone()
        }
    };
    (doc, Some(broken))
}

/// A live edit: a path and a value (valid when asked, otherwise anything).
fn live_edit(g: &mut Gen, kind: &str, valid: bool) -> (String, Value) {
    let candidates: Vec<&Field> = schema::fields()
        .iter()
        .filter(|f| scalar(f) && schema::is_live(&f.path) && f.path != "autoscaler.kind")
        .filter(|f| f.kinds.is_empty() || f.kinds.contains(&kind))
        .filter(|f| !f.path.contains("[]") && !f.path.starts_with("autoscaler.behavior"))
        // Keys off would leave a hash balancer without keys; a different algorithm may need
        // them: both are refused, which the invalid edits cover.
        .filter(|f| !valid || !matches!(f.path.as_str(), "traffic.keys" | "balancer.algorithm"))
        .collect();
    if !valid && g.chance(0.2) {
        return (
            g.pick(&["nowhere", "seed", "instances", "faults[0].at_s", ""])
                .to_string(),
            json!(1),
        );
    }
    let f = g.pick(&candidates);
    let mut value = if valid { g.valid(f) } else { g.invalid(f) };
    if !valid && g.chance(0.3) {
        value = json!(g.pick(&["12", " 3.5", "1e3", "", "NaN", "-0"]));
    }
    (f.path.clone(), value)
}

fn check_error(e: &fleetlab::Error, context: &str) {
    let line = e.to_string();
    assert!(
        !line.contains('\n') && !line.is_empty(),
        "{context}: {line:?}"
    );
    assert!(!e.problem.is_empty(), "{context}: {e:?}");
}

fn check_run(sim: &Simulation, context: &str) {
    let s = sim.summary();
    let r = s.requests;
    assert_eq!(
        r.arrived,
        r.completed + r.dropped + r.failed + r.in_flight,
        "{context}"
    );
    assert_eq!(sim.count_in_system(), r.in_flight, "{context}");
    // Alive, listed stopped, and those the (possibly stale) view and cache name.
    let bound = s.per_instance.len() + 2 * s.instances.max.max(1) as usize + 1;
    assert!(sim.instances_in_memory() <= bound, "{context}");
    assert!(
        s.per_instance.len() <= 2 * 100_000 + LISTED_STOPPED,
        "{context}"
    );
    assert!(sim.now_ns() <= clock::END_OF_TIME_NS);
}

#[test]
fn generated_scenarios_never_panic_and_always_conserve_requests() {
    let mut g = Gen(SimRng::seed(0x5eed_f1ee_71ab));
    let names = LogEvent::NAMES;
    let (mut ran, mut refused, mut edits_refused) = (0, 0, 0);
    for n in 0..count() {
        let (doc, broken) = scenario(&mut g);
        let mut text = doc.to_string();
        // Broken text now and then: cut short, a key twice, a byte changed, a BOM.
        let text_broken = broken.is_none() && g.chance(0.05);
        if text_broken {
            match g.below(4) {
                0 => text.truncate(g.below(text.len())),
                1 => text = text.replacen('{', "{\"seed\": 1, \"seed\": 2, ", 1),
                2 => {
                    let i = g.below(text.len());
                    text.replace_range(i..i + 1, "\u{7f}");
                }
                _ => text.insert(0, '\u{feff}'),
            }
        }
        let context = format!(
            "scenario {n}: {}",
            text.chars().take(600).collect::<String>()
        );
        let scenario = match Scenario::from_json(&text) {
            Ok(s) => {
                assert!(
                    broken.is_none(),
                    "{context}: accepted, {broken:?} was broken"
                );
                s
            }
            Err(e) => {
                check_error(&e, &context);
                refused += 1;
                if let Some(path) = broken {
                    assert_eq!(e.field, path, "{context}: {e}");
                } else if !text_broken {
                    // A valid draw can still break a relation between fields.
                    assert!(!e.field.is_empty(), "{context}: {e}");
                }
                continue;
            }
        };
        let kind = scenario.autoscaler.kind();
        let duration_ns = clock::to_ns(scenario.duration_s);
        let mut sim = Simulation::new(scenario).unwrap_or_else(|e| panic!("{context}: {e}"));
        let breakpoints = if g.chance(0.3) {
            Breakpoints::from_names(&[g.pick(&names), g.pick(&names)]).unwrap()
        } else {
            Breakpoints::NONE
        };
        let mut changes = 0;
        // What was done to it, for the failure message.
        let mut done: Vec<String> = Vec::new();
        for _ in 0..STEPS {
            let context = format!("{context}\nafter {done:?}");
            let target = sim.now_ns() + (duration_ns as f64 * g.0.unit() * 0.6) as u64;
            let before = sim.events_processed();
            sim.advance_until(target, STEP_EVENTS, breakpoints);
            done.push(format!(
                "advance_until({target}, {STEP_EVENTS}, {breakpoints:?}) -> t = {}",
                sim.now_ns()
            ));
            let context = format!("{context}\nafter {done:?}");
            assert!(sim.events_processed() - before <= STEP_EVENTS, "{context}");
            check_run(&sim, &context);
            // Live changes, valid or not, as the page makes them.
            let result = match g.below(5) {
                0 | 1 => {
                    let valid = g.chance(0.5);
                    let (path, value) = live_edit(&mut g, kind, valid);
                    done.push(format!("edit({path:?}, {value})"));
                    sim.edit(&path, value)
                }
                2 => {
                    let id = g.pick(&[0.0, 1.0, 3.0, 99_999.0, -1.0, f64::NAN, 4294967296.0, 0.5]);
                    let kind = g.pick(&[
                        FaultKind::Crash,
                        FaultKind::Slow,
                        FaultKind::Partition,
                        FaultKind::Recover,
                    ]);
                    let factor = g.pick(&[0.5, 0.0, 2.0, f64::NAN]);
                    done.push(format!("fault({id}, {kind:?}, {factor})"));
                    sim.fault(id, kind, factor)
                }
                3 => {
                    let id = g.pick(&[0.0, 2.0, 99_999.0, f64::NAN, -3.0]);
                    let weight = g.pick(&[1.0, 1000.0, 0.0, 7.5]);
                    let speed = g.pick(&[1.0, 0.01, 1e9]);
                    done.push(format!("set_instance({id}, {weight}, {speed})"));
                    sim.set_instance(id, weight, speed)
                }
                _ => Ok(()),
            };
            let context = format!("{context}\nafter {done:?}");
            match result {
                Ok(()) => changes += 1,
                Err(e) => {
                    check_error(&e, &context);
                    assert!(!e.field.is_empty(), "{context}: {e}");
                    edits_refused += 1;
                }
            }
            check_run(&sim, &context);
        }
        // A change first finishes the instant the budget interrupted (`begin_click`): at most
        // the events due at one instant, a few per instance.
        let per_change = 1 + 4 * u64::from(sim.summary().instances.max) + 100;
        assert!(
            sim.events_processed() <= STEPS as u64 * (STEP_EVENTS + 1) + changes * per_change,
            "{context}: {} events, {changes} changes",
            sim.events_processed()
        );
        // Now and then rewind through a Replay: back to the start, then forwards again.
        if g.chance(0.05) {
            let mut replay = Replay::new(sim);
            replay.advance_until(duration_ns, STEP_EVENTS, Breakpoints::NONE);
            let back = replay.sim().now_ns() / 2;
            while !replay.seek(back, STEP_EVENTS) {}
            check_run(replay.sim(), &context);
        }
        ran += 1;
    }
    eprintln!("{ran} ran, {refused} refused, {edits_refused} live changes refused");
    // Both sides well represented, or the test proves little.
    assert!(ran * 4 > count(), "{ran} of {}", count());
    assert!(refused * 5 > count(), "{refused} of {}", count());
    assert!(edits_refused > 0);
}
