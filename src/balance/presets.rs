//! Named balancer settings: each proxy's defaults, as plain data the page offers as one click
//! and the CLI prints (`fleetlab presets`).
//!
//! - `nginx`: an `upstream` block with default `server` parameters and `proxy_pass` defaults
//!   (nginx/nginx at 3f6f7824): weighted round robin (`ngx_http_upstream_get_peer`'s smooth
//!   weighted round robin), `max_fails=1 fail_timeout=10s` (`ngx_http_upstream_server`),
//!   `proxy_next_upstream error timeout` and `proxy_read_timeout 60s`
//!   (`ngx_http_proxy_merge_loc_conf`), retries at once. nginx tries every server of the
//!   upstream once (`proxy_next_upstream_tries 0`); fleetlab's retry avoids only the server of
//!   the attempt before, so the preset gives 4 retries: every other server of a fleet of five.
//! - `envoy`: a cluster with no `outlier_detection` and no `health_checks` (both off unless
//!   configured) behind a route with no `retry_policy` (no retries): `ROUND_ROBIN` (fleetlab's
//!   `round_robin`, the same for equal weights) and the route timeout of 15 s
//!   (`DEFAULT_ROUTE_TIMEOUT_MS`); the 25 ms retry back-off base is set for when retries are
//!   switched on (`upstream.base_retry_backoff_ms`).

use crate::scenario::{Algorithm, BalancerConfig, PassiveHealthConfig, RetryOn};

/// The named balancer settings, in the order the page shows them.
pub fn presets() -> Vec<(&'static str, BalancerConfig)> {
    vec![
        (
            "nginx",
            BalancerConfig {
                algorithm: Algorithm::WeightedRoundRobin,
                timeout_s: 60.0,
                retries: 4,
                retry_on: RetryOn::ErrorTimeout,
                retry_backoff_s: 0.0,
                passive_health: Some(PassiveHealthConfig::default()),
                ..BalancerConfig::default()
            },
        ),
        (
            "envoy",
            BalancerConfig {
                algorithm: Algorithm::RoundRobin,
                timeout_s: 15.0,
                retries: 0,
                retry_on: RetryOn::ConnectFailure,
                retry_backoff_s: 0.025,
                ..BalancerConfig::default()
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn each_preset_is_a_valid_balancer_with_its_proxys_defaults() {
        let p = presets();
        assert_eq!(
            p.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            ["nginx", "envoy"]
        );
        for (name, balancer) in &p {
            let s = Scenario {
                balancer: balancer.clone(),
                ..Scenario::default()
            };
            s.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let nginx = &p[0].1;
        let ph = nginx.passive_health.as_ref().unwrap();
        assert_eq!((ph.max_fails, ph.fail_timeout_s), (1, 10));
        assert_eq!(nginx.retry_on, RetryOn::ErrorTimeout);
        assert_eq!(nginx.timeout_s, 60.0);
        let envoy = &p[1].1;
        assert_eq!(envoy.retries, 0, "no retry_policy, no retries");
        assert_eq!(envoy.timeout_s, 15.0);
        assert!(envoy.outlier_detection.is_none() && envoy.health_check.is_none());
    }
}
