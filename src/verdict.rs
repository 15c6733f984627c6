//! Which of two runs of the same request stream served it better: the rule behind the page's
//! comparison verdict, kept here so the page only words it.
//!
//! A run that drops or fails requests can show a *lower* latency than one that serves them all
//! (lost requests never enter its latency figures), and a low mean can hide a long tail, so the
//! mean alone can crown the wrong run (the UX review saw round robin called the winner while it
//! dropped more and had the worse tail). Three measures are compared: the share of arrivals
//! lost (dropped + failed), the p99 and the mean latency. A run is better on a measure only
//! beyond a margin — 5 % of the larger value, and at least 1 ms of latency or 0.1 percentage
//! point of loss — below which the two are called even (a difference one seed's noise can make).
//! A run wins when it is better on at least one measure and worse on none; when each is better
//! on something, it is a trade-off and no winner is named.
//!
//! [`ranking`] is the same rule for two to four runs (the page compares up to four balancers):
//! on each measure the runs within the margin of the best are its *leaders*; a run that leads
//! on every measure wins, several such runs tie, and when none does it is a trade-off. For two
//! web-fleet runs with finite figures this names exactly the winner [`verdict`] names (which
//! does not weigh TTFT, so on model servers the two can differ). Model servers add two measures, the mean and p99 time to first token (what a user waits for before the first
//! word appears), with the latency margins.

use serde::Serialize;

use crate::error::{Error, ErrorKind};

/// Relative margin below which two values are even.
const RELATIVE: f64 = 0.05;
/// Absolute floors of that margin: latency in seconds, loss as a fraction of arrivals.
const FLOOR_LATENCY_S: f64 = 0.001;
const FLOOR_LOSS: f64 = 0.001;

/// What the verdict reads from one run (the summary's requests and latency).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunMeasures {
    pub arrived: u64,
    /// Dropped + failed.
    pub lost: u64,
    pub mean_s: f64,
    pub p99_s: f64,
    /// Model servers only: mean and p99 time to first token.
    pub ttft: Option<Ttft>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ttft {
    pub mean_s: f64,
    pub p99_s: f64,
}

/// A latency figure, or NaN when it is missing or its recorder measured nothing (an empty
/// recorder reports 0, which would otherwise look like the best latency of all). A summary
/// without the count (older JSON) keeps the figure.
fn measured(count: Option<f64>, value: Option<f64>) -> f64 {
    match (count, value) {
        (Some(c), _) if c <= 0.0 => f64::NAN,
        (_, Some(v)) => v,
        _ => f64::NAN,
    }
}

impl RunMeasures {
    /// From a summary as JSON (what the page's `Simulation.summary()` returns); a summary
    /// without request counts is refused, named `field`. Missing latencies, and those of a run
    /// that measured none (its recorder reports zeros), are NaN: they never lead.
    pub fn from_summary_json(doc: &serde_json::Value, field: &str) -> Result<RunMeasures, Error> {
        let n = |p: &str| doc.pointer(p).and_then(|x| x.as_f64());
        let count = |p: &str| n(p).filter(|x| *x >= 0.0).map(|x| x as u64);
        match (
            count("/requests/arrived"),
            count("/requests/dropped"),
            count("/requests/failed"),
        ) {
            (Some(arrived), Some(dropped), Some(failed)) => Ok(RunMeasures {
                arrived,
                lost: dropped.saturating_add(failed),
                mean_s: measured(n("/latency_measured"), n("/latency_s/mean")),
                p99_s: measured(n("/latency_measured"), n("/latency_s/p99")),
                ttft: doc.get("ttft_s").filter(|t| t.is_object()).map(|_| Ttft {
                    mean_s: measured(n("/ttft_measured"), n("/ttft_s/mean")),
                    p99_s: measured(n("/ttft_measured"), n("/ttft_s/p99")),
                }),
            }),
            _ => Err(Error::of(
                field,
                ErrorKind::WrongType {
                    expected: "a run summary".into(),
                },
                None,
            )),
        }
    }

    pub fn from_summary(s: &crate::sim::Summary) -> RunMeasures {
        let count = |c: u64| Some(c as f64);
        let ttft_count = s.ttft_measured.map(|c| c as f64);
        RunMeasures {
            arrived: s.requests.arrived,
            lost: s.requests.dropped.saturating_add(s.requests.failed),
            mean_s: measured(count(s.latency_measured), Some(s.latency_s.mean)),
            p99_s: measured(count(s.latency_measured), Some(s.latency_s.p99)),
            ttft: s.ttft_s.map(|t| Ttft {
                mean_s: measured(ttft_count, Some(t.mean)),
                p99_s: measured(ttft_count, Some(t.p99)),
            }),
        }
    }

    fn loss(&self) -> f64 {
        if self.arrived == 0 {
            0.0
        } else {
            self.lost as f64 / self.arrived as f64
        }
    }
}

/// The better run on one measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    A,
    B,
    Even,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub lost: Better,
    pub p99: Better,
    pub mean: Better,
    /// `A` or `B` when one run is better on something and worse on nothing; `Even` otherwise.
    pub winner: Better,
    /// Each run is better on some measure.
    pub trade_off: bool,
}

/// Lower is better; `floor` is the smallest difference that counts.
fn lower(a: f64, b: f64, floor: f64) -> Better {
    if !(a.is_finite() && b.is_finite()) {
        return Better::Even;
    }
    let margin = (RELATIVE * a.abs().max(b.abs())).max(floor);
    if a + margin < b {
        Better::A
    } else if b + margin < a {
        Better::B
    } else {
        Better::Even
    }
}

pub fn verdict(a: &RunMeasures, b: &RunMeasures) -> Verdict {
    let lost = lower(a.loss(), b.loss(), FLOOR_LOSS);
    let p99 = lower(a.p99_s, b.p99_s, FLOOR_LATENCY_S);
    let mean = lower(a.mean_s, b.mean_s, FLOOR_LATENCY_S);
    let all = [lost, p99, mean];
    let a_better = all.contains(&Better::A);
    let b_better = all.contains(&Better::B);
    let winner = match (a_better, b_better) {
        (true, false) => Better::A,
        (false, true) => Better::B,
        _ => Better::Even,
    };
    Verdict {
        lost,
        p99,
        mean,
        winner,
        trade_off: a_better && b_better,
    }
}

/// A measure the ranking weighs (lower is better on each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Dropped + failed, as a share of arrivals.
    Lost,
    P99,
    Mean,
    TtftMean,
    TtftP99,
}

impl Measure {
    fn name(self) -> &'static str {
        match self {
            Measure::Lost => "lost requests",
            Measure::P99 => "p99 latency",
            Measure::Mean => "mean latency",
            Measure::TtftMean => "mean TTFT",
            Measure::TtftP99 => "p99 TTFT",
        }
    }

    fn of(self, r: &RunMeasures) -> f64 {
        match self {
            Measure::Lost => r.loss(),
            Measure::P99 => r.p99_s,
            Measure::Mean => r.mean_s,
            Measure::TtftMean => r.ttft.map_or(f64::NAN, |t| t.mean_s),
            Measure::TtftP99 => r.ttft.map_or(f64::NAN, |t| t.p99_s),
        }
    }

    fn floor(self) -> f64 {
        match self {
            Measure::Lost => FLOOR_LOSS,
            _ => FLOOR_LATENCY_S,
        }
    }
}

/// The runs that lead on one measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureLeaders {
    pub measure: Measure,
    /// The run with the lowest value (the first listed on equal values).
    pub best: usize,
    /// The runs within the margin of the best, in order.
    pub leaders: Vec<usize>,
    /// Every run leads: the measure separates nobody.
    pub even: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// One run leads on every measure.
    Winner,
    /// Several runs (not all) lead on every measure.
    Tie,
    /// Every run leads on every measure.
    Even,
    /// No run leads on every measure.
    TradeOff,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    pub measures: Vec<MeasureLeaders>,
    /// The runs that lead on every measure, in order.
    pub winners: Vec<usize>,
    pub outcome: Outcome,
}

/// Ranks two to four runs of the same requests (see the module's documentation); TTFT counts
/// only when every run has it. Fewer than two runs are even.
pub fn ranking(runs: &[RunMeasures]) -> Ranking {
    let mut measures = vec![Measure::Lost, Measure::P99, Measure::Mean];
    if !runs.is_empty() && runs.iter().all(|r| r.ttft.is_some()) {
        measures.extend([Measure::TtftMean, Measure::TtftP99]);
    }
    let measures: Vec<MeasureLeaders> = measures
        .into_iter()
        .map(|m| {
            let values: Vec<f64> = runs.iter().map(|r| m.of(r)).collect();
            let best = values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i);
            let leaders: Vec<usize> = match best {
                // Nothing measured: nobody is separated.
                None => (0..runs.len()).collect(),
                Some(b) => (0..runs.len())
                    .filter(|&i| {
                        values[i].is_finite() && lower(values[b], values[i], m.floor()) != Better::A
                    })
                    .collect(),
            };
            MeasureLeaders {
                measure: m,
                best: best.unwrap_or(0),
                even: leaders.len() == runs.len(),
                leaders,
            }
        })
        .collect();
    let winners: Vec<usize> = (0..runs.len())
        .filter(|i| measures.iter().all(|m| m.leaders.contains(i)))
        .collect();
    let outcome = match winners.len() {
        0 if runs.len() >= 2 => Outcome::TradeOff,
        n if n == runs.len() || runs.len() < 2 => Outcome::Even,
        1 => Outcome::Winner,
        _ => Outcome::Tie,
    };
    Ranking {
        measures,
        winners,
        outcome,
    }
}

impl Ranking {
    /// The ranking in English, with `names` for the runs (for the CLI).
    pub fn describe(&self, names: &[&str]) -> String {
        let name = |i: &usize| names.get(*i).copied().unwrap_or("?");
        let list = |ix: &[usize]| ix.iter().map(name).collect::<Vec<_>>().join(", ");
        let all: Vec<&str> = self.measures.iter().map(|m| m.measure.name()).collect();
        match self.outcome {
            Outcome::Even => format!(
                "even: every difference in {} is within the margins",
                all.join(", ")
            ),
            Outcome::Winner | Outcome::Tie => {
                let others: Vec<usize> = (0..names.len())
                    .filter(|i| !self.winners.contains(i))
                    .collect();
                format!(
                    "{} {} among the best on every measure ({}); {} fell behind on at least one",
                    list(&self.winners),
                    if self.winners.len() == 1 {
                        "was"
                    } else {
                        "tie:"
                    },
                    all.join(", "),
                    list(&others)
                )
            }
            Outcome::TradeOff => {
                let parts: Vec<String> = self
                    .measures
                    .iter()
                    .filter(|m| !m.even)
                    .map(|m| format!("{}: {}", m.measure.name(), list(&m.leaders)))
                    .collect();
                format!(
                    "a trade-off, no run leads on everything ({})",
                    parts.join("; ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(arrived: u64, lost: u64, mean_s: f64, p99_s: f64) -> RunMeasures {
        RunMeasures {
            arrived,
            lost,
            mean_s,
            p99_s,
            ttft: None,
        }
    }

    fn llm(mean_s: f64, p99_s: f64, ttft_mean_s: f64, ttft_p99_s: f64) -> RunMeasures {
        RunMeasures {
            ttft: Some(Ttft {
                mean_s: ttft_mean_s,
                p99_s: ttft_p99_s,
            }),
            ..run(10_000, 0, mean_s, p99_s)
        }
    }

    fn leaders(r: &Ranking) -> Vec<(Measure, Vec<usize>)> {
        r.measures
            .iter()
            .map(|m| (m.measure, m.leaders.clone()))
            .collect()
    }

    #[test]
    fn two_runs_rank_as_the_pairwise_verdict_names() {
        // The cases above: a trade-off, B better on the mean only, and even.
        let pairs = [
            (
                run(150_000, 14_095, 2.879, 20.8),
                run(150_000, 11_865, 8.075, 19.3),
            ),
            (run(1000, 0, 0.040, 0.200), run(1000, 0, 0.025, 0.195)),
            (run(10_000, 5, 0.0050, 0.100), run(10_000, 0, 0.0055, 0.104)),
        ];
        let want = [
            (Outcome::TradeOff, vec![]),
            (Outcome::Winner, vec![1]),
            (Outcome::Even, vec![0, 1]),
        ];
        for ((a, b), (outcome, winners)) in pairs.iter().zip(want) {
            let r = ranking(&[*a, *b]);
            assert_eq!((r.outcome, r.winners.clone()), (outcome, winners));
            let v = verdict(a, b);
            let named = match v.winner {
                Better::A => vec![0],
                Better::B => vec![1],
                Better::Even => vec![],
            };
            if r.outcome == Outcome::Winner {
                assert_eq!(r.winners, named);
            }
            assert_eq!(r.outcome == Outcome::TradeOff, v.trade_off);
        }
    }

    #[test]
    fn four_model_server_runs_weigh_time_to_first_token() {
        // No loss anywhere. p99 latency: best 17.0 s, margin 5 % of the larger; 17.8 s is
        // within 0.89 s of it, 28 s and 29 s are not. Mean latency: 6.0 s best, 6.2 s within,
        // 9 s not. TTFT mean: 185 ms best; 200 ms is not within (margin 10 ms, 15 ms apart). TTFT p99: 700 ms best, 910 ms and 1 s not.
        let runs = [
            llm(9.0, 29.0, 0.287, 0.998),
            llm(9.1, 28.0, 0.334, 1.156),
            llm(6.0, 17.8, 0.185, 0.700),
            llm(6.2, 17.0, 0.200, 0.910),
        ];
        let r = ranking(&runs);
        assert_eq!(
            leaders(&r),
            [
                (Measure::Lost, vec![0, 1, 2, 3]),
                (Measure::P99, vec![2, 3]),
                (Measure::Mean, vec![2, 3]),
                (Measure::TtftMean, vec![2]),
                (Measure::TtftP99, vec![2]),
            ]
        );
        assert!(r.measures[0].even && !r.measures[1].even);
        assert_eq!(r.measures[1].best, 3);
        assert_eq!((r.outcome, r.winners.clone()), (Outcome::Winner, vec![2]));
        let names = ["rr", "lc", "ep", "ca"];
        assert_eq!(
            r.describe(&names),
            "ep was among the best on every measure (lost requests, p99 latency, mean latency, mean TTFT, p99 TTFT); rr, lc, ca fell behind on at least one"
        );
        // Without TTFT (a web fleet) the 3rd and 4th lead on all three measures: a tie.
        let web: Vec<RunMeasures> = runs
            .iter()
            .map(|r| RunMeasures { ttft: None, ..*r })
            .collect();
        let r = ranking(&web);
        assert_eq!(r.measures.len(), 3);
        assert_eq!((r.outcome, r.winners), (Outcome::Tie, vec![2, 3]));
    }

    #[test]
    fn a_trade_off_among_three_and_unmeasured_runs() {
        // A loses 2 % (beyond 0.1 point of B's and C's 0 %) but has the lowest p99; C has the
        // lowest mean, 30 ms vs B's 50 ms; B leads on loss only, with C.
        let runs = [
            run(1000, 20, 0.040, 0.100),
            run(1000, 0, 0.050, 0.300),
            run(1000, 0, 0.030, 0.310),
        ];
        let r = ranking(&runs);
        assert_eq!(r.outcome, Outcome::TradeOff);
        assert!(r.winners.is_empty());
        assert_eq!(
            leaders(&r),
            [
                (Measure::Lost, vec![1, 2]),
                (Measure::P99, vec![0]),
                (Measure::Mean, vec![2]),
            ]
        );
        // A run that served nothing has no latency: it never leads on one, while the others
        // are compared among themselves.
        let r = ranking(&[run(100, 100, f64::NAN, f64::NAN), run(100, 0, 0.02, 0.05)]);
        assert_eq!((r.outcome, r.winners), (Outcome::Winner, vec![1]));
        // TTFT counts only when every run has it.
        let r = ranking(&[llm(1.0, 2.0, 0.1, 0.2), run(10_000, 0, 1.0, 2.0)]);
        assert_eq!(r.measures.len(), 3);
        assert_eq!(r.outcome, Outcome::Even);
        assert_eq!(ranking(&[]).outcome, Outcome::Even);
    }

    #[test]
    fn a_lower_mean_does_not_win_against_more_loss_and_a_worse_tail() {
        // The UX review's comparison (round robin vs least connections, 300 s at L = 500):
        // mean 2,879 ms vs 8,075 ms, p99 20.8 s vs 19.3 s, 14,095 vs 11,865 requests dropped
        // of about 150,000 arrivals. Round robin is better on the mean only.
        let rr = run(150_000, 14_095, 2.879, 20.8);
        let lc = run(150_000, 11_865, 8.075, 19.3);
        let v = verdict(&rr, &lc);
        assert_eq!(v.mean, Better::A);
        assert_eq!(
            v.p99,
            Better::B,
            "20.8 s is 7.8 % above 19.3 s: beyond the 5 % margin"
        );
        assert_eq!(v.lost, Better::B, "9.4 % vs 7.9 % of arrivals lost");
        assert_eq!(v.winner, Better::Even);
        assert!(v.trade_off);
    }

    #[test]
    fn better_on_one_and_even_on_the_rest_wins() {
        // Same loss (none), p99 within 5 %, mean 40 ms vs 25 ms.
        let v = verdict(&run(1000, 0, 0.040, 0.200), &run(1000, 0, 0.025, 0.195));
        assert_eq!(
            (v.lost, v.p99, v.mean),
            (Better::Even, Better::Even, Better::B)
        );
        assert_eq!(v.winner, Better::B);
        assert!(!v.trade_off);
    }

    #[test]
    fn differences_inside_the_margins_are_even() {
        // 4 % apart, and 0.5 ms apart on a 5 ms mean (10 % but under the 1 ms floor); 0.05 %
        // vs 0 % lost is under the 0.1 point floor.
        let v = verdict(
            &run(10_000, 5, 0.0050, 0.100),
            &run(10_000, 0, 0.0055, 0.104),
        );
        assert_eq!(
            (v.lost, v.p99, v.mean, v.winner),
            (Better::Even, Better::Even, Better::Even, Better::Even)
        );
        assert!(!v.trade_off);
    }

    #[test]
    fn no_arrivals_and_missing_latency_are_even() {
        let v = verdict(&run(0, 0, f64::NAN, f64::NAN), &run(0, 0, 0.01, 0.02));
        assert_eq!(v.winner, Better::Even);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod measured_nothing {
    use super::*;
    use crate::scenario::Scenario;
    use crate::sim::Simulation;

    fn summary(json: &str) -> crate::sim::Summary {
        let mut sim = Simulation::new(Scenario::from_json(json).unwrap()).unwrap();
        sim.run_to_end();
        sim.summary()
    }

    /// A run whose every request times out completes none: its latency recorder is empty and
    /// reports zeros. Those zeros must not lead: the run that served everything wins outright
    /// (before, the empty run "led" on p99 and mean with 0 ms and the verdict was a trade-off).
    #[test]
    fn a_run_that_measured_no_latency_never_leads_on_latency() {
        // One instance at C = 1 req/s (mean service 1 s) and a 1 ms timeout: P(service < 1 ms)
        // = 1 − e^−0.001 ≈ 0.1 %, so of ~30 requests none is expected to complete in time.
        let failing = summary(
            r#"{"seed": 3, "duration_s": 30, "instances": {"count": 1, "capacity_rps": 1},
                "traffic": {"rate_rps": 1}, "balancer": {"timeout_s": 0.001}}"#,
        );
        let serving = summary(
            r#"{"seed": 3, "duration_s": 30, "instances": {"count": 4, "capacity_rps": 1},
                "traffic": {"rate_rps": 1}}"#,
        );
        assert_eq!(failing.latency_measured, 0, "{failing:?}");
        assert_eq!(
            failing.latency_s.mean, 0.0,
            "an empty recorder reports zeros"
        );
        assert!(serving.latency_measured > 0);
        let runs = [
            RunMeasures::from_summary(&failing),
            RunMeasures::from_summary(&serving),
        ];
        assert!(runs[0].mean_s.is_nan() && runs[0].p99_s.is_nan());
        let r = ranking(&runs);
        assert_eq!(r.outcome, Outcome::Winner, "{r:?}");
        assert_eq!(r.winners, vec![1]);
        // the same through the JSON the page hands over
        let json: Vec<RunMeasures> = [&failing, &serving]
            .iter()
            .map(|s| {
                RunMeasures::from_summary_json(&serde_json::to_value(s).unwrap(), "s").unwrap()
            })
            .collect();
        assert_eq!(ranking(&json), r);
    }
}
