//! How an attempt fails, what the proxies do about it, and Envoy's retry back-off.
//!
//! An attempt can fail four ways in fleetlab: the connection is refused (the instance is gone,
//! crashed or no longer accepting), it is reset (the instance crashed with the request inside),
//! it times out (`balancer.timeout_s`), or the instance answers 503 because its queue is full.
//!
//! - Envoy's outlier detection counts all four (with `split_external_local_origin_errors:
//!   false` a connect failure or reset is a 503 and a timeout a 504; router.cc
//!   `onUpstreamReset`, `onResponseTimeout`).
//! - Envoy retries only with a route `retry_policy` (none by default); `retry_on:
//!   connect-failure` covers a refused connection, `5xx` everything here
//!   (source/common/router/retry_state_impl.cc `RetryStateImpl::create`, `wouldRetryFromReset`,
//!   `wouldRetryFromHeaders`; read at 00d9abb7 and in a later indexed version). Each retry waits
//!   a jittered exponential back-off (`Backoff`).
//! - nginx's default `proxy_next_upstream error timeout` passes a refused connection, a reset
//!   or a timeout to the next server and hands a 503 back to the client
//!   (src/http/ngx_http_upstream.c `ngx_http_upstream_next`, `ngx_http_upstream_test_next`).
//!   Its passive health counts errors and timeouts always, and a 503 only when
//!   `proxy_next_upstream` lists `http_503` and this was not the last try
//!   (`Failure::counts_for_nginx`).

use crate::scenario::RetryOn;

/// How an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection was refused: nothing listens there any more.
    Refused,
    /// The instance died with the request inside (a connection reset).
    Reset,
    /// No response within `balancer.timeout_s`.
    Timeout,
    /// 503: the instance's queue was full.
    Overloaded,
}

impl Failure {
    /// Whether a retry policy `on` retries this failure.
    pub fn retried_by(self, on: RetryOn) -> bool {
        match on {
            RetryOn::ConnectFailure => self == Failure::Refused,
            RetryOn::ErrorTimeout => self != Failure::Overloaded,
            RetryOn::Status5xx => true,
        }
    }

    /// Whether nginx counts it against the server's `max_fails` (`last_try`: no retry left).
    pub fn counts_for_nginx(self, on: RetryOn, last_try: bool) -> bool {
        match self {
            Failure::Refused | Failure::Reset | Failure::Timeout => true,
            // ngx_http_upstream_test_next: a listed status goes to ngx_http_upstream_next
            // (which frees the peer as failed) only when another try remains; otherwise the
            // response is sent and the peer freed as a success.
            Failure::Overloaded => on == RetryOn::Status5xx && !last_try,
        }
    }
}

/// Envoy's `JitteredExponentialBackOffStrategy` (source/common/common/backoff_strategy.cc,
/// `nextBackOffMs`; its test test/common/common/backoff_strategy_test.cc at 040783c8): the n-th call returns a uniform draw in [0, b_n) ms, where b starts at the
/// base interval and doubles while below max / 2, then stays at max. The router uses base
/// 25 ms (`upstream.base_retry_backoff_ms`) and max 10 × base, so retries wait below 25, 50,
/// 100, 200, then 250 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    next_ms: u64,
}

impl Backoff {
    pub fn new(base_ms: u64, max_ms: u64) -> Self {
        Backoff {
            base_ms,
            max_ms,
            next_ms: base_ms,
        }
    }

    /// The router's strategy for a base interval: max = 10 × base.
    pub fn for_retries(base_ms: u64) -> Self {
        Backoff::new(base_ms, base_ms.saturating_mul(10))
    }

    /// The next wait in ms, given a uniform 64-bit `random`.
    pub fn next_ms(&mut self, random: u64) -> u64 {
        let b = self.next_ms;
        self.next_ms = if self.next_ms < self.max_ms / 2 {
            self.next_ms.saturating_mul(2)
        } else {
            self.max_ms
        };
        if b == 0 {
            0
        } else {
            random % b
        }
    }

    pub fn reset(&mut self) {
        self.next_ms = self.base_ms;
    }

    /// The bound b_n of the `n`-th wait (n ≥ 1), without drawing.
    pub fn bound_ms(base_ms: u64, n: u32) -> u64 {
        let mut b = Backoff::for_retries(base_ms);
        let mut bound = b.next_ms;
        for _ in 0..n.max(1) {
            bound = b.next_ms;
            b.next_ms(0);
        }
        bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envoy_backoff_strategy_test_vectors() {
        // test/common/common/backoff_strategy_test.cc, JitteredBackOffWithMaxInterval:
        // base 5, max 100, random() = 9999.
        let mut b = Backoff::new(5, 100);
        let seq: Vec<u64> = (0..7).map(|_| b.next_ms(9999)).collect();
        assert_eq!(seq, [4, 9, 19, 39, 79, 99, 99]);
        b.reset();
        assert_eq!(b.next_ms(9999), 4);
        // JitteredBackOffBasicFlow: base 25, max 30, random() = 27.
        let mut b = Backoff::new(25, 30);
        assert_eq!([b.next_ms(27), b.next_ms(27)], [2, 27]);
    }

    #[test]
    fn the_routers_default_bounds() {
        let bounds: Vec<u64> = (1..=6).map(|n| Backoff::bound_ms(25, n)).collect();
        assert_eq!(bounds, [25, 50, 100, 200, 250, 250]);
    }

    #[test]
    fn which_failures_each_policy_retries_and_nginx_counts() {
        use Failure::*;
        assert!(Refused.retried_by(RetryOn::ConnectFailure));
        assert!(!Timeout.retried_by(RetryOn::ConnectFailure));
        assert!(
            Reset.retried_by(RetryOn::ErrorTimeout) && Timeout.retried_by(RetryOn::ErrorTimeout)
        );
        assert!(!Overloaded.retried_by(RetryOn::ErrorTimeout));
        assert!(Overloaded.retried_by(RetryOn::Status5xx));
        // proxy_next_upstream.t: a listed 500 from p1 marks it down; an unlisted one does not.
        assert!(Overloaded.counts_for_nginx(RetryOn::Status5xx, false));
        assert!(!Overloaded.counts_for_nginx(RetryOn::Status5xx, true));
        assert!(!Overloaded.counts_for_nginx(RetryOn::ErrorTimeout, false));
        assert!(Timeout.counts_for_nginx(RetryOn::ConnectFailure, true));
    }
}
