//! "Why this replica?": the numbers behind one pick, as plain data the page words and draws
//! (as kube-scheduler-simulator shows each node's filter and score results). A balancer that
//! scores endpoints fills in its own columns; the simulation adds the request's number and
//! time, and for balancers that keep no scores, the loads they could see.

use serde::Serialize;

/// The rule that decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// endpoint_picker: the highest total wins; `tied` endpoints shared it and one was drawn
    /// at random.
    HighestScore { best: f64, tied: u32 },
    /// cache_aware: the loads are imbalanced, (max − min) > abs AND max > rel × min, so the
    /// least loaded endpoint wins (the first one in index order on a tie).
    Imbalanced {
        max_load: u32,
        min_load: u32,
        abs_threshold: u32,
        rel_threshold: f64,
    },
    /// cache_aware: the prompt's best prefix match is above the cache threshold; an endpoint
    /// holding that prefix wins (drawn at random when several do).
    CacheHit {
        match_rate: f64,
        cache_threshold: f64,
        holders: u32,
    },
    /// cache_aware: no match above the threshold; the endpoint with the smallest tree wins
    /// (drawn at random among equal ones).
    SmallestTree {
        match_rate: f64,
        cache_threshold: f64,
    },
    /// Any other balancer: its own rule (round robin's turn, the fewest connections, …).
    Other,
}

/// One endpoint's numbers at the pick.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EndpointScore {
    pub instance: u32,
    /// Requests waiting (not yet admitted) and in flight, as the balancer saw them.
    pub waiting: u32,
    pub active: u32,
    /// KV-cache use, fraction.
    pub kv_use: f64,
    /// endpoint_picker: each scorer's value (0..1) and the weighted total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kv_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_score: Option<f64>,
    /// endpoint_picker: prompt blocks found in its record of this endpoint, of the prompt's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_blocks_matched: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_blocks_total: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// cache_aware: characters its tree holds for this endpoint, and whether it holds the
    /// prompt's prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_chars: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds_prefix: Option<bool>,
}

impl EndpointScore {
    /// An endpoint with only its loads.
    pub fn loads(instance: u32, waiting: u32, active: u32, kv_use: f64) -> EndpointScore {
        EndpointScore {
            instance,
            waiting,
            active,
            kv_use,
            queue_score: None,
            kv_score: None,
            prefix_score: None,
            prefix_blocks_matched: None,
            prefix_blocks_total: None,
            total: None,
            tree_chars: None,
            holds_prefix: None,
        }
    }
}

/// The numbers behind one pick.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickScores {
    pub balancer: &'static str,
    /// The request's number (1 for the first arrival) and when it was routed.
    pub request: u64,
    pub t_s: f64,
    pub prompt_tokens: u32,
    pub prefix_group: u32,
    pub prefix_tokens: u32,
    /// The instance chosen (None: no endpoint).
    pub winner: Option<u32>,
    #[serde(flatten)]
    pub rule: Rule,
    pub endpoints: Vec<EndpointScore>,
}
