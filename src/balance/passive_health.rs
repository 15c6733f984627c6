//! nginx's passive health checks, `server … max_fails=1 fail_timeout=10s` (nginx/nginx
//! `src/http/ngx_http_upstream_round_robin.c` at 3f6f7824: `ngx_http_upstream_get_peer`,
//! `ngx_http_upstream_free_round_robin_peer_locked`; defaults in `ngx_http_upstream_server`).
//!
//! Each server keeps `fails`, `accessed` (its last failure) and `checked`, in whole seconds of
//! nginx's clock (`ngx_time()`):
//! - a failure sets `fails += 1` and `accessed = checked = now`;
//! - a success resets `fails` only if `accessed < checked`, i.e. only a request selected after
//!   the window reopened clears the count — it is **not** a sliding window: successes inside
//!   the window do not reset it, and failures far apart with no success between still add up;
//! - a server is unavailable while `fails ≥ max_fails` and `now − checked ≤ fail_timeout`,
//!   so for `fail_timeout + 1` whole-second ticks after its last failure (`max_fails = 0`:
//!   never);
//! - selecting a server more than `fail_timeout` after `checked` sets `checked = now`, which
//!   makes a still-failed server unavailable again for everyone else: exactly one probe
//!   request per window goes through, and its success (`fails = 0`) or failure (a new window)
//!   decides;
//! - an upstream with a single server never marks it down (`peers->single`);
//! - with every server down nginx answers 502 at once ("no live upstreams"); since 1.11.5 it no
//!   longer resets all the counts when that happens.
//!
//! What counts as a failure is the caller's business (`Failure::counts_for_nginx`): errors and
//! timeouts always do, a 503 only when `proxy_next_upstream` lists it and it was not the last
//! try. Not modelled: `effective_weight` lowering after a failure (it only matters to weighted
//! round robin, and recovers within a few picks).

/// What nginx keeps per server (`ngx_http_upstream_rr_peer_t`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peer {
    pub fails: u32,
    pub accessed_s: u64,
    pub checked_s: u64,
}

#[derive(Debug, Clone)]
pub struct PassiveHealth {
    max_fails: u32,
    fail_timeout_s: u64,
    peers: Vec<Peer>,
}

impl PassiveHealth {
    pub fn new(max_fails: u32, fail_timeout_s: u32) -> Self {
        PassiveHealth {
            max_fails,
            fail_timeout_s: u64::from(fail_timeout_s),
            peers: Vec::new(),
        }
    }

    /// New settings; the counts are kept (as after `nginx -s reload` they would not be, but a
    /// live edit here changes only the rule).
    pub fn set(&mut self, max_fails: u32, fail_timeout_s: u32) {
        self.max_fails = max_fails;
        self.fail_timeout_s = u64::from(fail_timeout_s);
    }

    pub fn peer(&self, id: u32) -> Peer {
        self.peers.get(id as usize).copied().unwrap_or_default()
    }

    fn entry(&mut self, id: u32) -> &mut Peer {
        let i = id as usize;
        if self.peers.len() <= i {
            self.peers.resize(i + 1, Peer::default());
        }
        &mut self.peers[i]
    }

    /// Whether `get_peer` may choose this server at second `now_s`, in an upstream of `servers`.
    pub fn available(&self, id: u32, now_s: u64, servers: usize) -> bool {
        if servers <= 1 {
            return true;
        }
        let p = self.peer(id);
        !(self.max_fails > 0
            && p.fails >= self.max_fails
            && now_s.saturating_sub(p.checked_s) <= self.fail_timeout_s)
    }

    /// The server was chosen for a request at `now_s`: past the window, this opens a new one
    /// (and so lets this one request through as the probe). Returns true when that made the
    /// server unavailable to the others.
    pub fn on_selected(&mut self, id: u32, now_s: u64, servers: usize) -> bool {
        let timeout = self.fail_timeout_s;
        let was = self.available(id, now_s, servers);
        let p = self.entry(id);
        if now_s.saturating_sub(p.checked_s) > timeout {
            p.checked_s = now_s;
        }
        was && !self.available(id, now_s, servers)
    }

    /// The attempt at this server ended at `now_s`; `failed` as nginx counts it. Returns whether
    /// availability changed.
    pub fn on_free(&mut self, id: u32, now_s: u64, failed: bool, servers: usize) -> bool {
        let was = self.available(id, now_s, servers);
        let single = servers <= 1;
        let p = self.entry(id);
        if single {
            // `peers->single`: nginx never counts failures of a lone server.
            p.fails = 0;
        } else if failed {
            p.fails = p.fails.saturating_add(1);
            p.accessed_s = now_s;
            p.checked_s = now_s;
        } else if p.accessed_s < p.checked_s {
            p.fails = 0;
        }
        was != self.available(id, now_s, servers)
    }

    /// The second at which an unavailable server becomes selectable again (None if available).
    pub fn reopens_at_s(&self, id: u32, now_s: u64, servers: usize) -> Option<u64> {
        (!self.available(id, now_s, servers))
            .then(|| self.peer(id).checked_s + self.fail_timeout_s + 1)
    }

    /// The server left the upstream: forget it.
    pub fn remove(&mut self, id: u32) {
        if let Some(p) = self.peers.get_mut(id as usize) {
            *p = Peer::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// nginx's `ngx_http_upstream_get_peer` over equal weights: smooth weighted round robin
    /// among servers that are neither tried nor unavailable.
    struct Upstream {
        current: Vec<i64>,
        health: PassiveHealth,
    }

    impl Upstream {
        fn get_peer(&mut self, tried: &[bool], now_s: u64) -> Option<usize> {
            let n = self.current.len();
            let (mut best, mut total) = (None::<usize>, 0i64);
            for (i, &was_tried) in tried.iter().enumerate() {
                if was_tried || !self.health.available(i as u32, now_s, n) {
                    continue;
                }
                self.current[i] += 1;
                total += 1;
                if best.is_none_or(|b| self.current[i] > self.current[b]) {
                    best = Some(i);
                }
            }
            let b = best?;
            self.current[b] -= total;
            self.health.on_selected(b as u32, now_s, n);
            Some(b)
        }
    }

    #[test]
    fn upstream_t_close_every_third_connection() {
        // nginx-tests upstream.t: `server p1 max_fails=3 fail_timeout=10s; server p2 …`, p1
        // closes every 3rd connection (an upstream error: counted, and the request goes to the
        // next server). 30 requests: p1 answers 6, p2 24 — the successes between p1's failures
        // do not reset its count, so its 9th connection takes it down.
        let mut up = Upstream {
            current: vec![0, 0],
            health: PassiveHealth::new(3, 10),
        };
        let (mut answered, mut p1_connections) = ([0u32; 2], 0);
        for _ in 0..30 {
            let mut tried = [false; 2];
            loop {
                let peer = up.get_peer(&tried, 100).expect("a live server");
                tried[peer] = true;
                let fails = peer == 0 && {
                    p1_connections += 1;
                    p1_connections % 3 == 0
                };
                up.health.on_free(peer as u32, 100, fails, 2);
                if !fails {
                    answered[peer] += 1;
                    break;
                }
            }
        }
        assert_eq!(answered, [6, 24]);
    }

    #[test]
    fn one_probe_per_window_then_recovery() {
        let mut h = PassiveHealth::new(1, 10);
        h.on_free(0, 3, true, 2);
        // Unavailable for fail_timeout + 1 whole seconds: 3 ..= 13.
        assert!(!h.available(0, 13, 2));
        assert_eq!(h.reopens_at_s(0, 5, 2), Some(14));
        assert!(h.available(0, 14, 2));
        // The probe's selection reopens the window for the others.
        assert!(h.on_selected(0, 14, 2));
        assert!(!h.available(0, 14, 2));
        // It succeeds: accessed (3) < checked (14), so fails = 0.
        assert!(h.on_free(0, 15, false, 2));
        assert!(h.available(0, 15, 2));
    }

    #[test]
    fn a_success_inside_the_window_does_not_reset() {
        let mut h = PassiveHealth::new(2, 10);
        h.on_free(0, 5, true, 3);
        h.on_selected(0, 6, 3);
        h.on_free(0, 6, false, 3); // accessed 5 == checked 5: kept
        assert_eq!(h.peer(0).fails, 1);
        h.on_free(0, 30, true, 3); // 25 s later, still no reset: 2 fails, down
        assert!(!h.available(0, 30, 3));
    }

    #[test]
    fn a_single_server_never_goes_down_and_zero_disables() {
        let mut h = PassiveHealth::new(1, 10);
        h.on_free(0, 1, true, 1);
        assert!(h.available(0, 1, 1));
        let mut off = PassiveHealth::new(0, 10);
        for _ in 0..100 {
            off.on_free(0, 1, true, 5);
        }
        assert!(off.available(0, 1, 5));
    }
}
