//! One host's active health-check session, as Envoy's `ActiveHealthCheckSession`
//! (envoyproxy/envoy `source/extensions/health_checkers/common/health_checker_base_impl.cc`:
//! `handleSuccess`, `setUnhealthy`; the initial state from
//! `source/common/upstream/upstream_impl.cc` `BaseDynamicClusterImpl::updateDynamicHostList`:
//! "If we are depending on a health checker, we initialize to unhealthy").
//!
//! A host that joins a cluster with a health checker starts FAILED_ACTIVE_HC and its session
//! sends the first probe at once (`initial_jitter` 0). If that very first result passes, the
//! host is healthy immediately whatever `healthy_threshold` says (`first_check_`); after that a
//! failed host needs `healthy_threshold` passes in a row and a healthy host
//! `unhealthy_threshold` network failures in a row (`++count == threshold`). A non-network
//! failure (an HTTP status that is not expected) marks it unhealthy at once. Each result resets
//! the opposite count. fleetlab's probes are network probes with no latency, like its requests:
//! a probe passes when the instance accepts connections.

/// How a result changed the host (Envoy's `HealthTransition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Unchanged,
    Changed,
    /// A contrary result, not yet enough of them in a row.
    ChangePending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HcSession {
    /// Not FAILED_ACTIVE_HC.
    pub healthy: bool,
    first_check: bool,
    num_healthy: u32,
    num_unhealthy: u32,
}

impl Default for HcSession {
    /// A host just added to a health-checked cluster.
    fn default() -> Self {
        HcSession {
            healthy: false,
            first_check: true,
            num_healthy: 0,
            num_unhealthy: 0,
        }
    }
}

impl HcSession {
    /// No result yet.
    pub fn is_first_check(&self) -> bool {
        self.first_check
    }

    /// `handleSuccess`.
    pub fn on_success(&mut self, healthy_threshold: u32) -> Transition {
        self.num_unhealthy = 0;
        let mut t = Transition::Unchanged;
        if !self.healthy {
            // `first_check_ || ++num_healthy_ == healthy_threshold_`: short-circuit as there.
            if self.first_check || {
                self.num_healthy = self.num_healthy.saturating_add(1);
                self.num_healthy == healthy_threshold.max(1)
            } {
                self.healthy = true;
                t = Transition::Changed;
            } else {
                t = Transition::ChangePending;
            }
        }
        self.first_check = false;
        t
    }

    /// `setUnhealthy`; `network`: a connect failure or timeout (which honours the threshold).
    pub fn on_failure(&mut self, unhealthy_threshold: u32, network: bool) -> Transition {
        self.num_healthy = 0;
        let mut t = Transition::Unchanged;
        if self.healthy {
            if !network || {
                self.num_unhealthy = self.num_unhealthy.saturating_add(1);
                self.num_unhealthy == unhealthy_threshold.max(1)
            } {
                self.healthy = false;
                t = Transition::Changed;
            } else {
                t = Transition::ChangePending;
            }
        }
        self.first_check = false;
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_pass_makes_a_new_host_healthy_at_once() {
        let mut s = HcSession::default();
        assert!(!s.healthy, "starts FAILED_ACTIVE_HC");
        assert_eq!(s.on_success(2), Transition::Changed);
        assert!(s.healthy);
    }

    #[test]
    fn success_start_failed_fail_first() {
        // health_checker_impl_test.cc expectSuccessStartFailedFailFirst (healthy_threshold 2):
        // a failed first check loses the shortcut; then 200 is pending and a second 200 heals.
        let mut s = HcSession::default();
        assert_eq!(s.on_failure(2, false), Transition::Unchanged);
        assert_eq!(s.on_success(2), Transition::ChangePending);
        assert!(!s.healthy);
        assert_eq!(s.on_success(2), Transition::Changed);
        assert!(s.healthy);
    }

    #[test]
    fn network_failures_honour_the_threshold_others_do_not() {
        let mut s = HcSession::default();
        s.on_success(2);
        assert_eq!(s.on_failure(2, true), Transition::ChangePending);
        assert_eq!(
            s.on_success(2),
            Transition::Unchanged,
            "a pass resets the count"
        );
        assert_eq!(s.on_failure(2, true), Transition::ChangePending);
        assert_eq!(s.on_failure(2, true), Transition::Changed);
        let mut t = HcSession::default();
        t.on_success(2);
        assert_eq!(
            t.on_failure(3, false),
            Transition::Changed,
            "a bad status: at once"
        );
    }
}
