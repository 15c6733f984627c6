//! SGLang's router, policy `cache_aware` (sgl-router `src/policies/cache_aware.rs`
//! `select_worker` and `src/policies/tree.rs`), read in lightseekorg/smg at
//! a7cede98bcf9159b8d046a034620b4c026d2b401 (= sglang PR #14667, 2025-12-08: the last version
//! that sends a cache miss to the smallest tree; from PR #14650 on it goes to the least loaded
//! worker instead). For each request:
//!
//! 1. Loads are the router's own in-flight counts per worker (incremented at selection,
//!    decremented when the response ends): here, each endpoint's requests in flight. The load
//!    is *imbalanced* when (max − min) > `balance_abs_threshold` AND max > `balance_rel_threshold`
//!    × min (both strict; the product in f32 as upstream). Then the least loaded worker wins
//!    (the first in index order), and the request's text is still inserted into its tree.
//! 2. Otherwise the text is matched against an approximate radix tree of every worker's past
//!    requests: match rate = matched characters / text characters. Above `cache_threshold`
//!    (strictly) a worker holding the matched prefix wins (upstream takes the first tenant in
//!    hash-map order at the deepest node: here one drawn from the balancer's seeded stream);
//!    otherwise the worker whose tree holds the fewest characters wins (ties drawn the same
//!    way). The text is inserted for the winner.
//! 3. Every `eviction_interval_s`, each worker whose tree holds more than `max_tree_size`
//!    characters loses its least recently used leaves until it fits (upstream's eviction
//!    thread; here done at the first pick after the interval).
//!
//! Defaults are the router's command line and Python launcher defaults since sglang PR #9198
//! (2025-08-15): cache_threshold 0.3, balance_abs_threshold 64, balance_rel_threshold 1.5,
//! eviction_interval 120 s, max_tree_size 2^26 characters (`router_args.py` `RouterArgs`,
//! `main.rs`). The Rust library's `CacheAwareConfig::default()` (0.5 / 32 / 1.1 / 30 s /
//! 10,000) applies only when a policy is created by name without a configuration.
//!
//! Prompts are token counts with a shared-prefix group, not text. A prompt is 4 characters
//! per token (the average the Gateway API Inference Extension assumes); a request of group g
//! starts with the group's prefix, which its tree keeps as one node under the root, and the
//! rest of every prompt is a leaf of its own (no two requests' own text share a character).
//! So a request matches the prefix's characters when some worker holds the group's node, and
//! nothing else. Simplifications: the prefix is its own node from the group's first request
//! (upstream splits it out when a second request shares it; the character counts are the
//! same); workers that leave the endpoint set are removed from the tree (upstream keeps an
//! unhealthy worker's entries); a worker's tree keeps at most 16,384 prompts of its own
//! (its oldest go first beyond that, as eviction would take them) so that memory stays
//! bounded when prompts are tiny.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::scores::{EndpointScore, PickScores, Rule};
use super::{Balancer, Endpoint, LoadView, RequestInfo};
use crate::rng::SimRng;
use crate::scenario::BalancerConfig;

/// Characters per token of the prompt text.
pub const CHARS_PER_TOKEN: u64 = 4;
/// Most own-prompt leaves one worker's tree keeps.
pub const MAX_LEAVES_PER_WORKER: usize = 16_384;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheAwareConfig {
    pub cache_threshold: f64,
    pub balance_abs_threshold: u32,
    pub balance_rel_threshold: f64,
    pub eviction_interval_s: f64,
    pub max_tree_size: u64,
}

impl Default for CacheAwareConfig {
    /// The command line's defaults (see the module docs).
    fn default() -> Self {
        CacheAwareConfig {
            cache_threshold: 0.3,
            balance_abs_threshold: 64,
            balance_rel_threshold: 1.5,
            eviction_interval_s: 120.0,
            max_tree_size: 1 << 26,
        }
    }
}

impl From<&BalancerConfig> for CacheAwareConfig {
    fn from(c: &BalancerConfig) -> Self {
        CacheAwareConfig {
            cache_threshold: c.cache_threshold,
            balance_abs_threshold: c.balance_abs_threshold,
            balance_rel_threshold: c.balance_rel_threshold,
            eviction_interval_s: c.eviction_interval_s,
            max_tree_size: c.max_tree_size,
        }
    }
}

/// The imbalance test: (max − min) > abs AND max > rel × min, as upstream (usize loads,
/// saturating subtraction, the product in f32).
pub fn imbalanced(max_load: u32, min_load: u32, abs_threshold: u32, rel_threshold: f64) -> bool {
    max_load.saturating_sub(min_load) > abs_threshold
        && (max_load as f32) > (min_load as f32) * (rel_threshold as f32)
}

#[derive(Debug, Clone, Copy)]
struct Leaf {
    ms: u64,
    chars: u64,
    group: u32,
}

#[derive(Debug, Clone, Copy)]
struct PrefixNode {
    ms: u64,
    /// Characters counted for this worker when it joined the node.
    chars: u64,
    /// This worker's own-prompt leaves under it.
    children: u32,
}

/// One worker's part of the tree.
#[derive(Debug, Clone, Default)]
struct Tenant {
    chars: u64,
    leaves: VecDeque<Leaf>,
    prefixes: BTreeMap<u32, PrefixNode>,
    /// Prefix nodes with no leaf of this worker under them (leaves themselves), by age.
    childless: BTreeSet<(u64, u32)>,
}

impl Tenant {
    /// Refreshes the access time of the worker's node for `group` (a match walked it).
    fn touch_prefix(&mut self, group: u32, ms: u64) {
        if let Some(node) = self.prefixes.get_mut(&group) {
            if node.children == 0 {
                self.childless.remove(&(node.ms, group));
                self.childless.insert((ms, group));
            }
            node.ms = ms;
        }
    }

    /// Drops the oldest own-prompt leaf.
    fn drop_leaf(&mut self) {
        let Some(leaf) = self.leaves.pop_front() else {
            return;
        };
        self.chars -= leaf.chars;
        if let Some(node) = self.prefixes.get_mut(&leaf.group) {
            node.children -= 1;
            if node.children == 0 {
                self.childless.insert((node.ms, leaf.group));
            }
        }
    }

    /// Removes the least recently used leaf of this worker's tree (an own prompt, or a prefix
    /// node left without children). Returns None when nothing is left, Some(Some(group)) when
    /// a prefix node went.
    fn evict_one(&mut self) -> Option<Option<u32>> {
        let leaf_ms = self.leaves.front().map(|l| l.ms);
        let node_ms = self.childless.first().map(|&(ms, _)| ms);
        match (leaf_ms, node_ms) {
            (None, None) => None,
            (Some(l), Some(n)) if n < l => self.drop_node(),
            (None, Some(_)) => self.drop_node(),
            _ => {
                self.drop_leaf();
                Some(None)
            }
        }
    }

    fn drop_node(&mut self) -> Option<Option<u32>> {
        let (_, group) = self.childless.pop_first()?;
        let node = self
            .prefixes
            .remove(&group)
            .expect("a childless node exists");
        self.chars -= node.chars;
        Some(Some(group))
    }
}

#[derive(Debug, Clone)]
pub struct CacheAware {
    config: CacheAwareConfig,
    ids: Vec<u32>,
    tenants: BTreeMap<u32, Tenant>,
    /// Group → workers whose tree holds its prefix node.
    holders: BTreeMap<u32, BTreeSet<u32>>,
    next_eviction_ns: u64,
    last: Option<LastPick>,
}

/// The last pick, for `last_scores`.
#[derive(Debug, Clone)]
struct LastPick {
    request: RequestInfo,
    loads: Vec<u32>,
    waiting: Vec<u32>,
    kv: Vec<f64>,
    chars: Vec<u64>,
    holds: Vec<bool>,
    winner: usize,
    rule: Rule,
}

impl CacheAware {
    pub fn new(config: CacheAwareConfig) -> Self {
        CacheAware {
            config,
            ids: Vec::new(),
            tenants: BTreeMap::new(),
            holders: BTreeMap::new(),
            next_eviction_ns: seconds_ns(config.eviction_interval_s),
            last: None,
        }
    }

    /// Characters of the prompt and of its shared prefix.
    fn text(request: &RequestInfo) -> (u64, u64) {
        let text = u64::from(request.prompt_tokens) * CHARS_PER_TOKEN;
        let prefix = if request.prefix_group == 0 {
            0
        } else {
            (u64::from(request.prefix_tokens) * CHARS_PER_TOKEN).min(text.saturating_sub(1))
        };
        (text, prefix)
    }

    /// Characters the worker's tree holds (0 for an unknown worker).
    pub fn tree_chars(&self, id: u32) -> u64 {
        self.tenants.get(&id).map_or(0, |t| t.chars)
    }

    /// `tree.insert(text, worker)`.
    fn insert(&mut self, id: u32, request: &RequestInfo, ms: u64) {
        let (text, prefix) = Self::text(request);
        if text == 0 {
            return;
        }
        let group = if prefix > 0 { request.prefix_group } else { 0 };
        let tenant = self.tenants.entry(id).or_default();
        if group != 0 {
            match tenant.prefixes.get_mut(&group) {
                Some(node) => {
                    if node.children == 0 {
                        tenant.childless.remove(&(node.ms, group));
                    }
                    node.ms = ms;
                    node.children += 1;
                }
                None => {
                    tenant.prefixes.insert(
                        group,
                        PrefixNode {
                            ms,
                            chars: prefix,
                            children: 1,
                        },
                    );
                    tenant.chars += prefix;
                    self.holders.entry(group).or_default().insert(id);
                }
            }
        }
        tenant.leaves.push_back(Leaf {
            ms,
            chars: text - prefix,
            group,
        });
        tenant.chars += text - prefix;
        if tenant.leaves.len() > MAX_LEAVES_PER_WORKER {
            tenant.drop_leaf();
        }
    }

    /// `evict_tenant_by_size(max_tree_size)`.
    fn evict(&mut self) {
        let max = self.config.max_tree_size;
        for (&id, tenant) in self.tenants.iter_mut() {
            while tenant.chars > max {
                match tenant.evict_one() {
                    None => break,
                    Some(Some(group)) => {
                        if let Some(set) = self.holders.get_mut(&group) {
                            set.remove(&id);
                            if set.is_empty() {
                                self.holders.remove(&group);
                            }
                        }
                    }
                    Some(None) => {}
                }
            }
        }
    }

    /// `remove_tenant`.
    fn remove_tenant(&mut self, id: u32) {
        if let Some(t) = self.tenants.remove(&id) {
            for group in t.prefixes.keys() {
                if let Some(set) = self.holders.get_mut(group) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.holders.remove(group);
                    }
                }
            }
        }
    }

    /// A uniformly drawn index among `candidates` (one draw only when there is a choice).
    fn draw(candidates: &[usize], rng: &mut SimRng) -> usize {
        if candidates.len() == 1 {
            candidates[0]
        } else {
            candidates[rng.below(candidates.len() as u32) as usize]
        }
    }
}

impl Balancer for CacheAware {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        self.ids = endpoints.iter().map(|e| e.id).collect();
        let gone: Vec<u32> = self
            .tenants
            .keys()
            .copied()
            .filter(|id| !self.ids.contains(id))
            .collect();
        for id in gone {
            self.remove_tenant(id);
        }
        // Registration inserts "" for the worker: it is a tenant with an empty tree.
        for &id in &self.ids {
            self.tenants.entry(id).or_default();
        }
    }

    fn pick(
        &mut self,
        key: u64,
        load: &dyn LoadView,
        rng: &mut SimRng,
        now_ns: u64,
    ) -> Option<usize> {
        self.pick_request(&RequestInfo::key(key), load, rng, now_ns)
    }

    fn pick_request(
        &mut self,
        request: &RequestInfo,
        load: &dyn LoadView,
        rng: &mut SimRng,
        now_ns: u64,
    ) -> Option<usize> {
        let n = self.ids.len();
        if n == 0 {
            self.last = None;
            return None;
        }
        if self.config.eviction_interval_s > 0.0 && now_ns >= self.next_eviction_ns {
            self.evict();
            let period = seconds_ns(self.config.eviction_interval_s).max(1);
            // The thread ticks every period; the next tick after now.
            self.next_eviction_ns = (now_ns / period + 1) * period;
        }
        let ms = now_ns / 1_000_000;
        let loads: Vec<u32> = (0..n).map(|i| load.active(i)).collect();
        let max_load = loads.iter().copied().max().unwrap_or(0);
        let min_load = loads.iter().copied().min().unwrap_or(0);
        let c = self.config;
        let (text, prefix) = Self::text(request);
        let group = request.prefix_group;
        let holders: Vec<usize> = match self.holders.get(&group) {
            Some(set) if prefix > 0 => (0..n).filter(|&i| set.contains(&self.ids[i])).collect(),
            _ => Vec::new(),
        };
        let (winner, rule) = if imbalanced(
            max_load,
            min_load,
            c.balance_abs_threshold,
            c.balance_rel_threshold,
        ) {
            let winner = (0..n).min_by_key(|&i| loads[i]).expect("n > 0");
            (
                winner,
                Rule::Imbalanced {
                    max_load,
                    min_load,
                    abs_threshold: c.balance_abs_threshold,
                    rel_threshold: c.balance_rel_threshold,
                },
            )
        } else {
            let matched = if holders.is_empty() { 0 } else { prefix };
            let match_rate = if text == 0 {
                0.0f32
            } else {
                matched as f32 / text as f32
            };
            if match_rate > c.cache_threshold as f32 {
                let winner = Self::draw(&holders, rng);
                let id = self.ids[winner];
                if let Some(t) = self.tenants.get_mut(&id) {
                    t.touch_prefix(group, ms);
                }
                (
                    winner,
                    Rule::CacheHit {
                        match_rate: f64::from(match_rate),
                        cache_threshold: c.cache_threshold,
                        holders: holders.len() as u32,
                    },
                )
            } else {
                let chars: Vec<u64> = self.ids.iter().map(|&id| self.tree_chars(id)).collect();
                let smallest = chars.iter().copied().min().unwrap_or(0);
                let tied: Vec<usize> = (0..n).filter(|&i| chars[i] == smallest).collect();
                (
                    Self::draw(&tied, rng),
                    Rule::SmallestTree {
                        match_rate: f64::from(match_rate),
                        cache_threshold: c.cache_threshold,
                    },
                )
            }
        };
        // Scores as they stood when deciding, before the insert.
        let last = LastPick {
            request: *request,
            waiting: (0..n).map(|i| load.waiting(i)).collect(),
            kv: (0..n).map(|i| load.kv_use(i)).collect(),
            chars: self.ids.iter().map(|&id| self.tree_chars(id)).collect(),
            holds: (0..n).map(|i| holders.contains(&i)).collect(),
            loads,
            winner,
            rule,
        };
        self.last = Some(last);
        self.insert(self.ids[winner], request, ms);
        Some(winner)
    }

    fn last_scores(&self) -> Option<PickScores> {
        let last = self.last.as_ref()?;
        if last.loads.len() != self.ids.len() {
            return None;
        }
        let endpoints = (0..self.ids.len())
            .map(|i| {
                let mut e =
                    EndpointScore::loads(self.ids[i], last.waiting[i], last.loads[i], last.kv[i]);
                e.tree_chars = Some(last.chars[i]);
                e.holds_prefix = Some(last.holds[i]);
                e
            })
            .collect();
        Some(PickScores {
            balancer: "cache_aware",
            request: 0,
            t_s: 0.0,
            prompt_tokens: last.request.prompt_tokens,
            prefix_group: last.request.prefix_group,
            prefix_tokens: last.request.prefix_tokens,
            winner: Some(self.ids[last.winner]),
            rule: last.rule,
            endpoints,
        })
    }
}

fn seconds_ns(s: f64) -> u64 {
    if s > 0.0 {
        (s.min(crate::scenario::MAX_DURATION_S) * 1e9) as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::Loads;
    use super::*;

    fn eps(n: u32) -> Vec<Endpoint> {
        (0..n).map(|id| Endpoint { id, weight: 1 }).collect()
    }

    fn request(prompt: u32, group: u32, prefix: u32) -> RequestInfo {
        RequestInfo {
            key: 0,
            prompt_tokens: prompt,
            prefix_group: group,
            prefix_tokens: prefix,
        }
    }

    fn lib_defaults() -> CacheAwareConfig {
        CacheAwareConfig {
            cache_threshold: 0.5,
            balance_abs_threshold: 32,
            balance_rel_threshold: 1.1,
            eviction_interval_s: 30.0,
            max_tree_size: 10_000,
        }
    }

    #[test]
    fn imbalance_is_abs_and_rel() {
        // notes/llm-serving.md §2.5, from the strict inequalities of select_worker.
        for (max, min, abs, rel, expected) in [
            (32, 0, 32, 1.1, false),
            (33, 0, 32, 1.1, true),
            (400, 364, 32, 1.1, false),
            (400, 363, 32, 1.1, true),
            (64, 0, 64, 1.5, false),
            (65, 0, 64, 1.5, true),
            (100, 40, 64, 1.5, false),
            (200, 134, 64, 1.5, false),
            (200, 130, 64, 1.5, true),
        ] {
            assert_eq!(
                imbalanced(max, min, abs, rel),
                expected,
                "max {max} min {min} abs {abs} rel {rel}"
            );
        }
    }

    #[test]
    fn a_shared_prefix_sticks_to_its_worker() {
        // cache_aware.rs test_cache_aware_with_balanced_load: "hello world" twice goes to the
        // same worker, then "hello" too. Here: one group, prompts mostly prefix.
        let mut b = CacheAware::new(lib_defaults());
        b.set_endpoints(&eps(2));
        let mut rng = SimRng::seed(4);
        let idle = Loads(vec![0, 0]);
        let r = request(100, 3, 90);
        let first = b.pick_request(&r, &idle, &mut rng, 0).unwrap();
        assert!(matches!(
            b.last_scores().unwrap().rule,
            Rule::SmallestTree { .. }
        ));
        for _ in 0..5 {
            assert_eq!(b.pick_request(&r, &idle, &mut rng, 0), Some(first));
        }
        let s = b.last_scores().unwrap();
        assert_eq!(
            s.rule,
            Rule::CacheHit {
                match_rate: f64::from(360f32 / 400f32),
                cache_threshold: 0.5,
                holders: 1
            }
        );
        // A request without a shared prefix matches nothing: smallest tree, the other worker.
        assert_eq!(
            b.pick_request(&request(100, 0, 0), &idle, &mut rng, 0),
            Some(1 - first)
        );
    }

    #[test]
    fn imbalanced_load_goes_to_the_least_loaded() {
        // test_cache_aware_with_imbalanced_load: abs 5, rel 2.0, loads 20 and 0 → w2, five
        // times, whatever the cache says.
        let mut b = CacheAware::new(CacheAwareConfig {
            balance_abs_threshold: 5,
            balance_rel_threshold: 2.0,
            ..lib_defaults()
        });
        b.set_endpoints(&eps(2));
        let mut rng = SimRng::seed(1);
        let r = request(100, 3, 90);
        b.insert(0, &r, 0);
        for _ in 0..5 {
            assert_eq!(
                b.pick_request(&r, &Loads(vec![20, 0]), &mut rng, 0),
                Some(1)
            );
            assert!(matches!(
                b.last_scores().unwrap().rule,
                Rule::Imbalanced { .. }
            ));
        }
        // The request was inserted for w2 all the same: both hold the prefix now.
        assert_eq!(b.holders[&3].len(), 2);
    }

    #[test]
    fn tree_sizes_count_shared_nodes_once_per_worker() {
        // tree.rs: a tenant's size grows by the characters of each node it newly joins.
        let mut b = CacheAware::new(lib_defaults());
        b.set_endpoints(&eps(2));
        b.insert(0, &request(10, 1, 6), 0); // prefix 24 chars + own 16
        b.insert(0, &request(12, 1, 6), 1); // own 24 only
        b.insert(1, &request(10, 1, 6), 2); // worker 1 joins the prefix node: 24 + 16
        assert_eq!(b.tree_chars(0), 24 + 16 + 24);
        assert_eq!(b.tree_chars(1), 40);
        // The smallest tree wins a miss.
        let mut rng = SimRng::seed(1);
        assert_eq!(
            b.pick_request(&request(50, 0, 0), &Loads(vec![0, 0]), &mut rng, 3),
            Some(1)
        );
        // remove_tenant leaves the other worker's size alone.
        b.set_endpoints(&eps(1));
        assert_eq!(b.tree_chars(0), 64);
        assert_eq!(b.holders[&1].len(), 1);
    }

    #[test]
    fn eviction_takes_least_recently_used_leaves_and_then_their_prefix() {
        // tree.rs test_cold_start_and_eviction, in this model: max 100 characters.
        let mut b = CacheAware::new(CacheAwareConfig {
            max_tree_size: 100,
            eviction_interval_s: 30.0,
            ..lib_defaults()
        });
        b.set_endpoints(&eps(1));
        b.insert(0, &request(20, 1, 10), 0); // 40 + 40
        b.insert(0, &request(15, 2, 10), 1_000); // 40 + 20
        b.insert(0, &request(20, 1, 10), 2_000); // 40: group 1 used again, last
        assert_eq!(b.tree_chars(0), 180);
        b.evict();
        // Oldest first: group 1's first leaf (40), group 2's leaf (20), then group 2's node
        // (now a leaf, 40): 180 → 80, and group 1 is still matched.
        assert_eq!(b.tree_chars(0), 80);
        assert!(!b.holders.contains_key(&2));
        assert_eq!(b.holders[&1].len(), 1);
    }
}
