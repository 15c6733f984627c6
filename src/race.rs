//! A race on one trace: two to four scenarios that differ in how they scale or balance but
//! share the request stream — the same seed, traffic (rate, changes, keys), service-time
//! distribution, duration and warm-up, and the same traffic edits — run side by side. The
//! arrivals have their own random stream (see `sim::workload`), so every variant sees the
//! identical requests at the identical instants; each run's `arrival_digest` shows it.
//!
//! [`verdict`] weighs cost against latency and losses, as an operator would: first serve
//! (lose no more requests than the best variant, within 0.1 % of arrivals), then be fast (a
//! p99 within 25 % of the best among those), then be cheap (the fewest instance-seconds among
//! those). It is a pure function of each variant's numbers, so the page calls it too. The race
//! also carries the comparison's [`crate::verdict::ranking`] (lost requests, then latency and
//! time to first token, cost aside), the rule the page's comparison of balancers words.

use std::fmt;

use serde::Serialize;

use crate::error::{Error, ErrorKind};
use crate::metrics::LatencyStats;
use crate::scenario::Scenario;
use crate::sim::{ColdStart, Simulation, Summary};

/// Most variants in one race.
pub const MAX_VARIANTS: usize = 4;
/// Losses (dropped + failed, as a share of arrivals) within this of the best count as equal.
pub const LOSS_SLACK: f64 = 0.001;
/// A p99 within this factor of the best counts as equally fast.
pub const P99_SLACK: f64 = 1.25;
/// Instance-seconds within this share of the winner's are the same cost: a tie, which goes to
/// the first listed (a race of balancers on a fixed fleet costs the same in every lane).
pub const COST_TIE: f64 = 0.005;

/// One variant's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contender {
    pub name: String,
    pub arrived: u64,
    pub completed: u64,
    pub dropped: u64,
    pub failed: u64,
    pub p99_s: f64,
    pub instance_seconds: f64,
    pub cold_start: ColdStart,
}

impl Contender {
    pub fn from_summary(name: &str, s: &Summary) -> Contender {
        Contender {
            name: name.to_string(),
            arrived: s.requests.arrived,
            completed: s.requests.completed,
            dropped: s.requests.dropped,
            failed: s.requests.failed,
            p99_s: s.latency_s.p99,
            instance_seconds: s.instance_seconds,
            cold_start: s.cold_start,
        }
    }

    /// From a summary as JSON (what the page's `Simulation.summary()` returns); a missing or
    /// non-numeric field is refused, named under `field`.
    pub fn from_summary_json(
        name: &str,
        summary: &serde_json::Value,
        field: &str,
    ) -> Result<Contender, Error> {
        let num = |path: &str| -> Result<f64, Error> {
            let mut v = summary;
            for part in path.split('.') {
                v = v.get(part).unwrap_or(&serde_json::Value::Null);
            }
            v.as_f64().ok_or_else(|| {
                Error::of(
                    format!("{field}.{path}"),
                    ErrorKind::NotANumber { range: None },
                    None,
                )
            })
        };
        let count = |path: &str| num(path).map(|x| x.max(0.0) as u64);
        Ok(Contender {
            name: name.to_string(),
            arrived: count("requests.arrived")?,
            completed: count("requests.completed")?,
            dropped: count("requests.dropped")?,
            failed: count("requests.failed")?,
            p99_s: num("latency_s.p99")?,
            instance_seconds: num("instance_seconds")?,
            cold_start: ColdStart {
                waited: count("cold_start.waited")?,
                failed: count("cold_start.failed")?,
                max_wait_s: num("cold_start.max_wait_s")?,
            },
        })
    }

    /// Dropped and failed requests as a share of arrivals.
    pub fn loss(&self) -> f64 {
        if self.arrived == 0 {
            0.0
        } else {
            (self.dropped + self.failed) as f64 / self.arrived as f64
        }
    }
}

/// Where a variant stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "standing", rename_all = "snake_case")]
pub enum Standing {
    /// Served as well and as fast as the best, for the least instance-seconds.
    Best,
    /// Served as well and as fast, but used `extra` more instance-seconds (0.35 = 35 %).
    Costlier { extra: f64 },
    /// Served as well and as fast for the same instance-seconds (within `COST_TIE`, `extra`
    /// more): a tie with the best, which is named because it is listed first.
    Tied { extra: f64 },
    /// Lost no more, but its p99 was `ratio` × the best p99 among those.
    Slower { ratio: f64 },
    /// Lost `loss` of the requests where the best lost `best`.
    LostRequests { loss: f64, best: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Index of the winner (none when there are no variants).
    pub winner: Option<usize>,
    /// One per variant, in order.
    pub standings: Vec<Standing>,
    /// The variants' names (for the English text).
    pub names: Vec<String>,
}

/// Weighs cost against latency and losses (see the module's documentation).
pub fn verdict(contenders: &[Contender]) -> Verdict {
    let names = contenders.iter().map(|c| c.name.clone()).collect();
    let finite = |x: f64| if x.is_finite() { x } else { f64::MAX };
    let best_loss = contenders
        .iter()
        .map(Contender::loss)
        .fold(f64::INFINITY, f64::min);
    let serves: Vec<bool> = contenders
        .iter()
        .map(|c| c.loss() <= best_loss + LOSS_SLACK)
        .collect();
    let best_p99 = contenders
        .iter()
        .zip(&serves)
        .filter(|(_, &s)| s)
        .map(|(c, _)| finite(c.p99_s))
        .fold(f64::INFINITY, f64::min);
    let fast: Vec<bool> = contenders
        .iter()
        .zip(&serves)
        .map(|(c, &s)| s && finite(c.p99_s) <= best_p99 * P99_SLACK)
        .collect();
    let winner = contenders
        .iter()
        .enumerate()
        .filter(|&(i, _)| fast[i])
        .min_by(|(_, a), (_, b)| finite(a.instance_seconds).total_cmp(&finite(b.instance_seconds)))
        .map(|(i, _)| i);
    let standings = contenders
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if Some(i) == winner {
                Standing::Best
            } else if fast[i] {
                let w = winner.map_or(1.0, |w| contenders[w].instance_seconds);
                let extra = if w > 0.0 {
                    c.instance_seconds / w - 1.0
                } else {
                    0.0
                };
                if extra < COST_TIE {
                    Standing::Tied { extra }
                } else {
                    Standing::Costlier { extra }
                }
            } else if serves[i] {
                Standing::Slower {
                    ratio: if best_p99 > 0.0 {
                        c.p99_s / best_p99
                    } else {
                        f64::INFINITY
                    },
                }
            } else {
                Standing::LostRequests {
                    loss: c.loss(),
                    best: best_loss,
                }
            }
        })
        .collect();
    Verdict {
        winner,
        standings,
        names,
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(w) = self.winner else {
            return f.write_str("no variants");
        };
        write!(
            f,
            "{} wins: it lost the fewest requests, was as fast as the others that did (p99 within 25 %), and used the fewest instance-seconds of those",
            self.names[w]
        )?;
        for (name, s) in self.names.iter().zip(&self.standings) {
            match *s {
                Standing::Best => {}
                Standing::Tied { .. } => write!(
                    f,
                    "; {name} did as well for the same instance-seconds (a tie: the first listed is named)"
                )?,
                Standing::Costlier { extra } => write!(
                    f,
                    "; {name} served as well but used {:.0}% more instance-seconds",
                    extra * 100.0
                )?,
                Standing::Slower { ratio } => write!(f, "; {name}'s p99 was {ratio:.2}× the best")?,
                Standing::LostRequests { loss, best } => write!(
                    f,
                    "; {name} lost {:.2}% of the requests (best {:.2}%)",
                    loss * 100.0,
                    best * 100.0
                )?,
            }
        }
        Ok(())
    }
}

/// Checks that `b` sees the same requests as `a`: the same seed, duration, warm-up, traffic,
/// service-time distribution and traffic edits. The error names the first field that differs.
pub fn same_arrivals(a: &Scenario, b: &Scenario) -> Result<(), Error> {
    let differ = |field: &str| {
        Err(Error::of(
            field,
            ErrorKind::Other,
            Some(
                "differs between the variants: a race needs the same requests for each (same seed, duration, warm-up, traffic and service times)"
                    .into(),
            ),
        ))
    };
    if a.seed != b.seed {
        return differ("seed");
    }
    if a.duration_s != b.duration_s {
        return differ("duration_s");
    }
    if a.warmup_s != b.warmup_s {
        return differ("warmup_s");
    }
    if a.traffic != b.traffic {
        return differ("traffic");
    }
    if a.instances.service != b.instances.service {
        return differ("instances.service");
    }
    let traffic_edits = |s: &Scenario| {
        s.edits
            .iter()
            .filter(|e| e.path.starts_with("traffic"))
            .cloned()
            .collect::<Vec<_>>()
    };
    if traffic_edits(a) != traffic_edits(b) {
        return differ("edits");
    }
    Ok(())
}

/// Checks a race's variants: two to four, all with the first one's requests.
pub fn check(scenarios: &[Scenario]) -> Result<(), Error> {
    if scenarios.len() < 2 || scenarios.len() > MAX_VARIANTS {
        return Err(Error::of(
            "variants",
            ErrorKind::Other,
            Some(format!(
                "a race takes 2 to {MAX_VARIANTS} scenarios, got {}",
                scenarios.len()
            )),
        ));
    }
    for (i, s) in scenarios.iter().enumerate().skip(1) {
        same_arrivals(&scenarios[0], s).map_err(|e| e.within(&format!("variants[{i}]")))?;
    }
    Ok(())
}

/// Replicas at one sampled instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReplicaSample {
    pub t_s: f64,
    pub ready: u32,
    pub desired: u32,
}

/// A model-server variant's serving numbers (TTFT and TPOT of the requests that arrived after
/// the warm-up; tokens over the whole run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneServing {
    pub ttft_s: LatencyStats,
    pub tpot_s: LatencyStats,
    pub output_tokens_per_s: f64,
    /// Prompt tokens found in the replicas' prefix caches (not computed again).
    pub cached_prompt_tokens: u64,
    pub prefill_tokens: u64,
    /// Cached prompt tokens as a share of all prompt tokens admitted.
    pub cached_prompt_share: f64,
}

/// One finished variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lane {
    pub contender: Contender,
    pub autoscaler: &'static str,
    pub balancer: &'static str,
    /// Time in system of the requests that arrived after the warm-up.
    pub latency_s: LatencyStats,
    /// Model servers only (`instances.model: llm`).
    pub serving: Option<LaneServing>,
    pub arrival_digest: String,
    pub replicas: Vec<ReplicaSample>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Race {
    pub lanes: Vec<Lane>,
    pub verdict: Verdict,
    /// The comparison's ranking of the same lanes (see `verdict::ranking`).
    pub ranking: crate::verdict::Ranking,
}

/// Runs the variants to their end (named as given), sampling the replicas every `every_s`.
pub fn run(variants: &[(String, Scenario)], every_s: f64) -> Result<Race, Error> {
    let scenarios: Vec<Scenario> = variants.iter().map(|(_, s)| s.clone()).collect();
    check(&scenarios)?;
    let every = if every_s.is_finite() && every_s >= 1.0 {
        every_s
    } else {
        1.0
    };
    let mut lanes = Vec::new();
    let mut measures = Vec::new();
    for (name, scenario) in variants {
        let kind = scenario.autoscaler.kind();
        let mut sim = Simulation::new(scenario.clone())?;
        sim.run_to_end();
        let mut replicas = Vec::new();
        let mut next = 0.0;
        for s in sim.timeline().samples() {
            if s.t_s + 1e-9 >= next {
                replicas.push(ReplicaSample {
                    t_s: s.t_s,
                    ready: s.ready,
                    desired: s.desired,
                });
                next += every;
            }
        }
        let summary = sim.summary();
        let serving = match (&summary.ttft_s, &summary.tpot_s, &summary.serving) {
            (Some(ttft), Some(tpot), Some(s)) => Some(LaneServing {
                ttft_s: *ttft,
                tpot_s: *tpot,
                output_tokens_per_s: s.output_tokens_per_s,
                cached_prompt_tokens: s.cached_prompt_tokens,
                prefill_tokens: s.prefill_tokens,
                cached_prompt_share: s.cached_prompt_share,
            }),
            _ => None,
        };
        measures.push(crate::verdict::RunMeasures::from_summary(&summary));
        lanes.push(Lane {
            contender: Contender::from_summary(name, &summary),
            autoscaler: kind,
            balancer: scenario.balancer.algorithm.name(),
            latency_s: summary.latency_s,
            serving,
            arrival_digest: sim.details().arrival_digest,
            replicas,
        });
    }
    let contenders: Vec<Contender> = lanes.iter().map(|l| l.contender.clone()).collect();
    Ok(Race {
        verdict: verdict(&contenders),
        ranking: crate::verdict::ranking(&measures),
        lanes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, lost: u64, p99_s: f64, instance_seconds: f64) -> Contender {
        Contender {
            name: name.into(),
            arrived: 10_000,
            completed: 10_000 - lost,
            dropped: lost,
            failed: 0,
            p99_s,
            instance_seconds,
            cold_start: ColdStart::default(),
        }
    }

    #[test]
    fn serve_first_then_fast_then_cheap() {
        // B is cheapest but loses 5 % of requests; C is cheaper than A and as fast (p99 within
        // 25 %); D is as cheap as C but its p99 is 3× the best.
        let v = verdict(&[
            c("A", 0, 1.0, 1000.0),
            c("B", 500, 0.5, 100.0),
            c("C", 5, 1.2, 600.0),
            c("D", 0, 3.0, 600.0),
        ]);
        assert_eq!(v.winner, Some(2));
        assert_eq!(
            v.standings[0],
            Standing::Costlier {
                extra: 1000.0 / 600.0 - 1.0
            }
        );
        assert_eq!(
            v.standings[1],
            Standing::LostRequests {
                loss: 0.05,
                best: 0.0
            }
        );
        assert_eq!(v.standings[2], Standing::Best);
        assert_eq!(v.standings[3], Standing::Slower { ratio: 3.0 });
        let text = v.to_string();
        assert!(text.starts_with("C wins"), "{text}");
        assert!(
            text.contains("A served as well but used 67% more"),
            "{text}"
        );
        // Equal cost is a tie, not "0% more"; 0.4 % more is within the tie, 0.6 % is not.
        let v = verdict(&[
            c("A", 0, 1.0, 600.0),
            c("B", 0, 1.1, 600.0),
            c("C", 0, 1.0, 602.4),
            c("D", 0, 1.0, 603.6),
        ]);
        assert_eq!(v.standings[1], Standing::Tied { extra: 0.0 });
        assert!(
            matches!(v.standings[2], Standing::Tied { extra } if (extra - 0.004).abs() < 1e-12)
        );
        assert!(
            matches!(v.standings[3], Standing::Costlier { extra } if (extra - 0.006).abs() < 1e-12)
        );
        let tie = v.to_string();
        assert!(tie.starts_with("A wins"), "{tie}");
        assert!(
            tie.contains("B did as well for the same instance-seconds"),
            "{tie}"
        );
    }

    #[test]
    fn ties_go_to_the_first_and_nan_never_wins() {
        let v = verdict(&[c("A", 0, 1.0, 10.0), c("B", 0, 1.0, 10.0)]);
        assert_eq!(v.winner, Some(0));
        let v = verdict(&[c("A", 0, f64::NAN, 1.0), c("B", 0, 1.0, 10.0)]);
        assert_eq!(v.winner, Some(1));
        assert_eq!(verdict(&[]).winner, None);
    }

    #[test]
    fn from_a_summary_as_json() {
        let mut sim = Simulation::new(Scenario {
            duration_s: 5.0,
            ..Scenario::default()
        })
        .unwrap();
        sim.run_to_end();
        let summary = sim.summary();
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(
            Contender::from_summary_json("A", &json, "entries[0].summary").unwrap(),
            Contender::from_summary("A", &summary)
        );
        let e = Contender::from_summary_json("A", &serde_json::json!({}), "entries[0].summary");
        assert_eq!(e.unwrap_err().field, "entries[0].summary.requests.arrived");
    }

    #[test]
    fn same_arrivals_names_the_difference() {
        let a = Scenario::default();
        let mut b = a.clone();
        b.autoscaler = crate::scenario::AutoscalerConfig::Kpa(Default::default());
        assert!(same_arrivals(&a, &b).is_ok());
        b.traffic.rate_rps = 1.0;
        assert_eq!(same_arrivals(&a, &b).unwrap_err().field, "traffic");
        let mut b = a.clone();
        b.seed = 2;
        assert_eq!(same_arrivals(&a, &b).unwrap_err().field, "seed");
        let e = check(&[a.clone(), a.clone(), b]).unwrap_err();
        assert_eq!(e.field, "variants[2].seed");
        assert!(check(&[a]).is_err());
    }
}
