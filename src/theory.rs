//! Closed forms the simulation is checked against and the page shows beside its measurements:
//! the seed's two rules (per-instance load L/N and instances needed ceil(L/C)) and the queueing
//! results for Poisson arrivals: M/M/1, M/D/1 (Pollaczek–Khinchine), M/M/1/K and M/M/c
//! (Erlang C), and E_k/M/1 (what round robin makes of each instance's arrivals). Erlang C is computed through the Erlang B recursion, which never forms a
//! factorial or a power, so it stays exact to rounding for tens of thousands of servers.

use crate::error::Error;

fn positive(field: &str, value: f64) -> Result<f64, Error> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::new(
            field,
            format!("must be a positive finite number, got {value}"),
        ))
    }
}

fn servers_at_least_one(field: &str, n: u32) -> Result<u32, Error> {
    if n >= 1 {
        Ok(n)
    } else {
        Err(Error::new(field, "must be at least 1, got 0"))
    }
}

/// The seed's first rule: each of N instances gets L/N requests per second.
pub fn per_instance_load(total_rps: f64, instances: u32) -> Result<f64, Error> {
    let l = positive("total_rps", total_rps)?;
    let n = servers_at_least_one("instances", instances)?;
    Ok(l / f64::from(n))
}

/// The seed's second rule: N = ceil(L/C) instances carry L at full utilization.
///
/// The quotient is snapped to the nearest integer when it is within rounding error of it, so
/// that 1.1 / 0.1 (= 11.000000000000002 in binary floating point) needs 11 instances, not 12.
pub fn instances_needed(total_rps: f64, capacity_rps: f64) -> Result<u32, Error> {
    let l = positive("total_rps", total_rps)?;
    let c = positive("capacity_rps", capacity_rps)?;
    let q = l / c;
    let nearest = libm::round(q);
    let n = if (q - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        libm::ceil(q)
    };
    if n > f64::from(u32::MAX) {
        return Err(Error::new(
            "total_rps",
            format!("L/C = {q:e} instances is more than can be counted"),
        ));
    }
    Ok(n as u32)
}

/// Utilization ρ = λ / (c·μ).
pub fn utilization(lambda: f64, mu: f64, servers: u32) -> Result<f64, Error> {
    let lambda = non_negative("lambda", lambda)?;
    let mu = positive("mu", mu)?;
    let c = servers_at_least_one("servers", servers)?;
    Ok(lambda / (f64::from(c) * mu))
}

fn non_negative(field: &str, value: f64) -> Result<f64, Error> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::new(
            field,
            format!("must be a finite number >= 0, got {value}"),
        ))
    }
}

/// Erlang B blocking probability for `servers` servers offered `a` erlangs, by the recursion
/// B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
pub fn erlang_b(servers: u32, offered_erlangs: f64) -> Result<f64, Error> {
    let a = non_negative("offered_erlangs", offered_erlangs)?;
    let c = servers_at_least_one("servers", servers)?;
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    Ok(b)
}

/// Erlang C: the probability that an arrival to an M/M/c queue has to wait,
/// C = c·B / (c − a·(1 − B)). Requires a < c (a stable queue).
pub fn erlang_c(servers: u32, offered_erlangs: f64) -> Result<f64, Error> {
    let b = erlang_b(servers, offered_erlangs)?;
    let c = f64::from(servers);
    let a = offered_erlangs;
    if a >= c {
        return Err(Error::new(
            "offered_erlangs",
            format!(
                "must be less than the number of servers ({servers}) for a stable queue, got {a}"
            ),
        ));
    }
    if a == 0.0 {
        return Ok(0.0);
    }
    Ok((c * b / (c - a * (1.0 - b))).clamp(0.0, 1.0))
}

fn stable(lambda: f64, mu: f64, servers: u32) -> Result<(f64, f64, f64), Error> {
    let lambda = non_negative("lambda", lambda)?;
    let mu = positive("mu", mu)?;
    let c = f64::from(servers_at_least_one("servers", servers)?);
    if lambda >= c * mu {
        return Err(Error::new(
            "lambda",
            format!(
                "must be less than servers × mu = {} for a stable queue (ρ < 1), got {lambda}",
                c * mu
            ),
        ));
    }
    Ok((lambda, mu, c))
}

/// Mean time in system of M/M/c: W = C(c, λ/μ) / (c·μ − λ) + 1/μ.
pub fn mmc_mean_response_s(lambda: f64, mu: f64, servers: u32) -> Result<f64, Error> {
    let (lambda, mu, c) = stable(lambda, mu, servers)?;
    let wait_probability = erlang_c(servers, lambda / mu)?;
    Ok(wait_probability / (c * mu - lambda) + 1.0 / mu)
}

/// Mean time in system of M/M/1: 1 / (μ − λ).
pub fn mm1_mean_response_s(lambda: f64, mu: f64) -> Result<f64, Error> {
    let (lambda, mu, _) = stable(lambda, mu, 1)?;
    Ok(1.0 / (mu - lambda))
}

/// Quantile p of the M/M/1 (FIFO) time in system, which is exponential with rate μ − λ.
pub fn mm1_response_quantile_s(lambda: f64, mu: f64, p: f64) -> Result<f64, Error> {
    let (lambda, mu, _) = stable(lambda, mu, 1)?;
    if !(0.0..1.0).contains(&p) {
        return Err(Error::new("p", format!("must be in [0, 1), got {p}")));
    }
    Ok(-libm::log(1.0 - p) / (mu - lambda))
}

/// Mean time in system of E_k/M/1: one FIFO server fed every k-th arrival of a Poisson stream
/// of rate kλ (round robin over k instances: Erlang-k gaps of mean 1/λ). G/M/1 theory
/// (Kleinrock, Queueing Systems vol. 1, §6.4): W = 1 / (μ(1 − σ)), with σ the root in (0, 1)
/// of σ = A*(μ(1 − σ)) and A*(s) = (kλ / (kλ + s))^k the gaps' Laplace transform. k = 1 is
/// M/M/1 (σ = ρ).
pub fn ekm1_mean_response_s(k: u32, lambda: f64, mu: f64) -> Result<f64, Error> {
    let k = servers_at_least_one("k", k)?;
    let (lambda, mu, _) = stable(lambda, mu, 1)?;
    let rate = f64::from(k) * lambda;
    // The fixed-point iteration from 0 increases monotonically to the root below 1.
    let mut sigma = 0.0f64;
    for _ in 0..100_000 {
        let next = libm::pow(rate / (rate + mu * (1.0 - sigma)), f64::from(k));
        if (next - sigma).abs() < 1e-15 {
            sigma = next;
            break;
        }
        sigma = next;
    }
    Ok(1.0 / (mu * (1.0 - sigma)))
}

/// Mean time in system of M/D/1 (Pollaczek–Khinchine with zero service variance):
/// W = 1/μ + ρ / (2μ(1 − ρ)).
pub fn md1_mean_response_s(lambda: f64, mu: f64) -> Result<f64, Error> {
    let (lambda, mu, _) = stable(lambda, mu, 1)?;
    let rho = lambda / mu;
    Ok(1.0 / mu + rho / (2.0 * mu * (1.0 - rho)))
}

/// Probability that an arrival finds an M/M/1/K system full (K = places in the system, the
/// one in service included): P_K = (1 − ρ)ρ^K / (1 − ρ^(K+1)), or 1/(K+1) at ρ = 1.
pub fn mm1k_block_probability(lambda: f64, mu: f64, system_capacity: u32) -> Result<f64, Error> {
    let lambda = non_negative("lambda", lambda)?;
    let mu = positive("mu", mu)?;
    let k = f64::from(system_capacity);
    let rho = lambda / mu;
    if (rho - 1.0).abs() < 1e-12 {
        return Ok(1.0 / (k + 1.0));
    }
    Ok((1.0 - rho) * libm::pow(rho, k) / (1.0 - libm::pow(rho, k + 1.0)))
}

/// Fraction of keys whose owner changes when `hash mod N` goes from `a` to `b` buckets, for
/// uniformly distributed hashes. A key stays exactly when h mod a = h mod b = t, which needs
/// t < min(a, b) and, by the Chinese remainder theorem, leaves one residue modulo lcm(a, b) for
/// each such t: min(a, b) of every lcm(a, b) hashes stay. Growing 10 → 11 keeps 1/11.
pub fn mod_n_moved_fraction(a: u32, b: u32) -> f64 {
    if a == 0 || b == 0 {
        return 1.0;
    }
    let (a, b) = (u64::from(a), u64::from(b));
    let lcm = a / gcd(a, b) * b;
    1.0 - a.min(b) as f64 / lcm as f64
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The fewest keys that must move when a consistent hash goes from `a` to `b` equal buckets:
/// only the added bucket's share, or the removed bucket's keys, |a − b| / max(a, b).
pub fn consistent_moved_fraction(a: u32, b: u32) -> f64 {
    if a == 0 || b == 0 {
        return 1.0;
    }
    f64::from(a.abs_diff(b)) / f64::from(a.max(b))
}

/// Mean time from a crash until clients stop sending to the instance, when only the registry
/// finds out: the last renewal is uniformly 0 to `heartbeat_s` before the crash, so the lease
/// lapses `ttl_s − heartbeat_s / 2` after it on average, and a client's discovery cache learns
/// of it uniformly 0 to `refresh_s` later (`refresh_s / 2` on average).
pub fn mean_time_to_forget_s(ttl_s: f64, heartbeat_s: f64, refresh_s: f64) -> f64 {
    (ttl_s - heartbeat_s / 2.0).max(0.0) + refresh_s / 2.0
}

/// Requests that fail while a dead instance is still picked: its share 1/`in_view` of the load
/// L for `seconds` (balancers that spread evenly).
pub fn failures_while_listed(load_rps: f64, in_view: u32, seconds: f64) -> f64 {
    if in_view == 0 || seconds.is_nan() || seconds <= 0.0 || load_rps.is_nan() || load_rps <= 0.0 {
        0.0
    } else {
        load_rps / f64::from(in_view) * seconds
    }
}

/// The closed forms the page shows beside its measurements, for a load, a fleet of `servers`
/// equal instances and their capacity. Each is `None` where it does not exist (ρ ≥ 1 for the
/// queueing means, no instance for the ratios).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Readout {
    pub per_instance_load: Option<f64>,
    pub instances_needed: Option<u32>,
    pub rho: Option<f64>,
    /// Mean time in system if each instance were an independent M/M/1 queue at L/N.
    pub mm1_mean_s: Option<f64>,
    /// Mean time in system of the ideal shared queue (M/M/c, Erlang C).
    pub mmc_mean_s: Option<f64>,
    /// Probability an arrival waits in that shared queue (Erlang C).
    pub erlang_c: Option<f64>,
}

/// `Readout` for load `load_rps` on `servers` instances of capacity `capacity_rps` each.
pub fn readout(load_rps: f64, servers: u32, capacity_rps: f64) -> Readout {
    let n = servers;
    let mm1 = if n >= 1 {
        mm1_mean_response_s(load_rps / f64::from(n), capacity_rps).ok()
    } else {
        None
    };
    Readout {
        per_instance_load: per_instance_load(load_rps, n).ok(),
        instances_needed: instances_needed(load_rps, capacity_rps).ok(),
        rho: utilization(load_rps, capacity_rps, n).ok(),
        mm1_mean_s: mm1,
        mmc_mean_s: mmc_mean_response_s(load_rps, capacity_rps, n).ok(),
        erlang_c: if capacity_rps > 0.0 {
            erlang_c(n, load_rps / capacity_rps).ok()
        } else {
            None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_is_e5_m_1_well_below_m_m_1() {
        // The reference fleet: 450 req/s over 5 instances of 100 req/s. Each instance sees every
        // 5th arrival: E5/M/1 at λ = 90, μ = 100, σ = 0.83719 (the fidelity review's value),
        // W = 61.4 ms against M/M/1's 100 ms: 39 % below.
        let w = ekm1_mean_response_s(5, 90.0, 100.0).unwrap();
        let sigma = 1.0 - 1.0 / (100.0 * w);
        assert!((sigma - 0.83719).abs() < 5e-6, "σ = {sigma}");
        assert!((w - 0.06142).abs() < 5e-6, "W = {w}");
        let below = 1.0 - w / mm1_mean_response_s(90.0, 100.0).unwrap();
        assert_eq!((below * 100.0).round(), 39.0, "{below}");
        // k = 1 is M/M/1.
        let one = ekm1_mean_response_s(1, 90.0, 100.0).unwrap();
        assert!((one - 0.1).abs() < 1e-9);
    }

    #[test]
    fn mod_n_moves_all_but_min_over_lcm() {
        // 10 → 11 keeps 1/11 (h mod 110 < 10); 4 → 5 keeps 4/20; doubling 5 → 10 keeps half.
        assert!((mod_n_moved_fraction(10, 11) - 10.0 / 11.0).abs() < 1e-12);
        assert!((mod_n_moved_fraction(5, 4) - 0.8).abs() < 1e-12);
        assert!((mod_n_moved_fraction(5, 10) - 0.5).abs() < 1e-12);
        assert_eq!(mod_n_moved_fraction(7, 7), 0.0);
        // Brute force over one full period of residues.
        for (a, b) in [(3u32, 7u32), (6, 9), (12, 8)] {
            let lcm = (1..).map(|k| k * a).find(|m| m % b == 0).unwrap();
            let stay = (0..lcm).filter(|r| r % a == r % b).count() as f64;
            assert!((mod_n_moved_fraction(a, b) - (1.0 - stay / f64::from(lcm))).abs() < 1e-12);
        }
        assert!((consistent_moved_fraction(5, 6) - 1.0 / 6.0).abs() < 1e-12);
        assert!((consistent_moved_fraction(5, 4) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn crash_arithmetic() {
        // TTL 15 s, heartbeat 5 s, no cache: forgotten 12.5 s after the crash on average; with a
        // 30 s cache refresh, 15 s more.
        assert_eq!(mean_time_to_forget_s(15.0, 5.0, 0.0), 12.5);
        assert_eq!(mean_time_to_forget_s(15.0, 5.0, 30.0), 27.5);
        // One of 5 instances at L = 400 for 10 s: 800 requests.
        assert_eq!(failures_while_listed(400.0, 5, 10.0), 800.0);
        assert_eq!(failures_while_listed(400.0, 0, 10.0), 0.0);
    }

    #[test]
    fn readout_of_the_articles_example() {
        // L = 500, N = 5, C = 100: L/N = 100, ceil(L/C) = 5, ρ = 1, no steady state.
        let r = readout(500.0, 5, 100.0);
        assert_eq!(r.per_instance_load, Some(100.0));
        assert_eq!(r.instances_needed, Some(5));
        assert_eq!(r.rho, Some(1.0));
        assert_eq!(r.mm1_mean_s, None);
        // L = 450: M/M/1 at 90 of 100 → 100 ms; M/M/5 → 25.25 ms (Erlang C 0.7625).
        let r = readout(450.0, 5, 100.0);
        assert!((r.mm1_mean_s.unwrap() - 0.1).abs() < 1e-12);
        assert!((r.mmc_mean_s.unwrap() - 0.02525).abs() < 5e-5);
        assert!((r.erlang_c.unwrap() - 0.7625).abs() < 5e-4);
    }

    #[test]
    fn seed_worked_example() {
        assert_eq!(per_instance_load(500.0, 5).unwrap(), 100.0);
        assert_eq!(instances_needed(500.0, 100.0).unwrap(), 5);
        assert!((per_instance_load(501.0, 5).unwrap() - 100.2).abs() < 1e-12);
        assert_eq!(instances_needed(501.0, 100.0).unwrap(), 6);
    }

    #[test]
    fn instances_needed_is_not_fooled_by_binary_rounding() {
        assert_eq!(instances_needed(1.1, 0.1).unwrap(), 11);
        assert_eq!(instances_needed(0.3, 0.1).unwrap(), 3);
        assert_eq!(instances_needed(100.0, 3.0).unwrap(), 34);
    }

    #[test]
    fn seed_rules_reject_bad_input_naming_the_argument() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(per_instance_load(bad, 5).unwrap_err().field, "total_rps");
            assert_eq!(instances_needed(bad, 100.0).unwrap_err().field, "total_rps");
            assert_eq!(
                instances_needed(100.0, bad).unwrap_err().field,
                "capacity_rps"
            );
        }
        assert_eq!(per_instance_load(1.0, 0).unwrap_err().field, "instances");
        assert!(instances_needed(1e300, 1e-300).is_err());
    }

    #[test]
    fn erlang_c_matches_textbook_values() {
        // Single server: the probability of waiting is ρ.
        assert!((erlang_c(1, 0.7).unwrap() - 0.7).abs() < 1e-12);
        // Two servers: C = 2ρ²/(1+ρ) with ρ = a/2; a = 1 → 1/3.
        assert!((erlang_c(2, 1.0).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        // Call-centre example (Wikipedia/Erlang C tables): 10 agents, 8 erlangs → 0.409.
        assert!((erlang_c(10, 8.0).unwrap() - 0.40918).abs() < 5e-5);
    }

    #[test]
    fn erlang_c_is_stable_for_thousands_of_servers() {
        let c = erlang_c(10_000, 9_900.0).unwrap();
        assert!(c.is_finite() && c > 0.0 && c < 1.0, "{c}");
        // Square-root staffing (Halfin–Whitt): with β = (c − a)/√a = 1.005 the waiting
        // probability approaches [1 + β·Φ(β)/φ(β)]^−1 ≈ 0.221.
        assert!((c - 0.221).abs() < 0.01, "{c}");
        assert!(erlang_c(5, 5.0).is_err());
    }

    #[test]
    fn mmc_reduces_to_mm1() {
        let w = mmc_mean_response_s(90.0, 100.0, 1).unwrap();
        assert!((w - mm1_mean_response_s(90.0, 100.0).unwrap()).abs() < 1e-12);
        assert!((w - 0.1).abs() < 1e-12);
        // M/M/2, λ=1, μ=1: W = 4/3.
        assert!((mmc_mean_response_s(1.0, 1.0, 2).unwrap() - 4.0 / 3.0).abs() < 1e-12);
        assert!(mmc_mean_response_s(200.0, 100.0, 2).is_err());
    }

    #[test]
    fn md1_halves_the_mm1_wait() {
        let (l, m) = (90.0, 100.0);
        let wq_md1 = md1_mean_response_s(l, m).unwrap() - 1.0 / m;
        let wq_mm1 = mm1_mean_response_s(l, m).unwrap() - 1.0 / m;
        assert!((wq_md1 * 2.0 - wq_mm1).abs() < 1e-12);
    }

    #[test]
    fn mm1k_block_probability_limits() {
        assert!((mm1k_block_probability(1.0, 1.0, 3).unwrap() - 0.25).abs() < 1e-12);
        // ρ = 0.5, K = 1: P = 0.5·0.5/(1 − 0.25) = 1/3.
        assert!((mm1k_block_probability(0.5, 1.0, 1).unwrap() - 1.0 / 3.0).abs() < 1e-12);
    }
}
