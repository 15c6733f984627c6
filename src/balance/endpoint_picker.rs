//! The Kubernetes Gateway API Inference Extension's endpoint picker (EPP) with its default
//! scheduling profile, read at kubernetes-sigs/gateway-api-inference-extension
//! 7d8f75061ccb8cfdfdacd872330a9abda78026be (2026-05-01, the last commit before its README
//! announced the move to llm-d/llm-d-router, where the weights and formulas are unchanged):
//!
//! - `pkg/epp/config/loader/defaults.go` `loadDefaultConfig`: queue-scorer weight 2,
//!   kv-cache-utilization-scorer weight 2, prefix-cache-scorer weight 3, max-score-picker; no
//!   filters.
//! - `pkg/epp/scheduling/scheduler_profile.go` `runScorerPlugins`: total = Σ weight ×
//!   clamp(score, 0, 1), no normalization (a total is at most 7).
//! - `…/scorer/queuedepth/queue.go`: (max − q) / (max − min) over the endpoints' *waiting*
//!   requests, 1 for everyone when all are equal.
//! - `…/scorer/kvcacheutilization/kvcache_utilization.go`: 1 − KV use (a fraction).
//! - `…/scorer/prefix/plugin.go` with the approximate prefix index
//!   (`…/dataproducer/approximateprefix/{types,hashing,plugin,indexer}.go`): the prompt is cut
//!   into blocks of 16 tokens (at most 256), each block hashed with the chain of the ones
//!   before it, so a block matches only with everything before it. For each block in order,
//!   every server the index lists for its hash gets a point, until a block nobody holds ends
//!   the walk; score = points / blocks. The index learns only from the picker's own choices
//!   (PreRequest adds every block of the routed prompt to the chosen server) and keeps, per
//!   server, an LRU of block hashes as large as the server's KV cache (`num_gpu_blocks`,
//!   AutoTune on) or 31,250 when unknown.
//! - `…/picker/maxscore/picker.go`: shuffle, stable sort by score, take the first: the
//!   highest total wins and ties go to a uniformly random one (here from the balancer's seeded
//!   stream; upstream's is seeded from the clock).
//! - `…/flowcontrol/saturationdetector/utilization/{config,detector}.go`: an endpoint's
//!   saturation is max(waiting / 5, KV use / 0.8); the pool's is the mean, saturated at ≥ 1.
//!   It does not affect routing in the default configuration (no filter uses it, and only
//!   requests of negative priority are ever shed), so here it is a readout.
//!
//! Prompts are token counts with a shared-prefix group, not text: a request of group g with a
//! prefix of P tokens starts with the same ⌊P/16⌋ blocks as every other request of g, and its
//! other blocks are its own. The index therefore stores, per server, one LRU run per group
//! (which loses its *first* blocks first, as a head-first hash chain ages) and anonymous runs
//! for the rest (`serving::runs`). Left out: metric staleness (set `balancer.load_delay_s`
//! to 0.05 for the 50 ms scrape), the prefill profile, LoRA; servers that leave the endpoint
//! set lose their index at once (upstream drops them within two minutes).

use std::collections::BTreeMap;

use super::scores::{EndpointScore, PickScores, Rule};
use super::{Balancer, Endpoint, LoadView, RequestInfo};
use crate::rng::SimRng;
use crate::serving::runs::RunLru;

/// Scorer weights of the default profile: queue, KV cache, prefix.
pub const QUEUE_WEIGHT: f64 = 2.0;
pub const KV_WEIGHT: f64 = 2.0;
pub const PREFIX_WEIGHT: f64 = 3.0;
/// Tokens per hashed block (`BlockSizeTokens`, 16) and most blocks hashed
/// (`MaxPrefixBlocksToMatch`, 256).
pub const BLOCK_TOKENS: u32 = 16;
pub const MAX_PREFIX_BLOCKS: u32 = 256;
/// Index entries per server when the server does not report its KV blocks.
pub const LRU_CAPACITY_PER_SERVER: u32 = 31_250;
/// The utilization saturation detector's defaults.
pub const QUEUE_DEPTH_THRESHOLD: f64 = 5.0;
pub const KV_CACHE_UTIL_THRESHOLD: f64 = 0.8;

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// The queue scorer: (max − q)/(max − min), 1 for every endpoint when all are equal.
pub fn queue_scores(waiting: &[u32]) -> Vec<f64> {
    let (Some(&min), Some(&max)) = (waiting.iter().min(), waiting.iter().max()) else {
        return Vec::new();
    };
    waiting
        .iter()
        .map(|&q| {
            if max == min {
                1.0
            } else {
                f64::from(max - q) / f64::from(max - min)
            }
        })
        .collect()
}

/// The KV-cache utilization scorer: 1 − use.
pub fn kv_scores(kv_use: &[f64]) -> Vec<f64> {
    kv_use.iter().map(|&u| 1.0 - u).collect()
}

/// The prefix-cache scorer: matched blocks / prompt blocks (0 when the prompt has no block).
pub fn prefix_score(matched: u32, total: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(matched) / f64::from(total)
    }
}

/// Each endpoint's total under the default profile: 2·queue + 2·kv + 3·prefix, every score
/// clamped to [0, 1] first; `prefix_match` is each endpoint's prefix score. The slices are
/// read up to the shortest.
pub fn scores(waiting: &[u32], kv_use: &[f64], prefix_match: &[f64]) -> Vec<f64> {
    let n = waiting.len().min(kv_use.len()).min(prefix_match.len());
    let queue = queue_scores(&waiting[..n]);
    let kv = kv_scores(&kv_use[..n]);
    (0..n)
        .map(|i| {
            let mut total = 0.0;
            total += clamp01(queue[i]) * QUEUE_WEIGHT;
            total += clamp01(kv[i]) * KV_WEIGHT;
            total += clamp01(prefix_match[i]) * PREFIX_WEIGHT;
            total
        })
        .collect()
}

/// The max-score picker: the index of the highest total and how many shared it; ties are
/// broken uniformly at random. None for no endpoint.
pub fn pick_max(totals: &[f64], rng: &mut SimRng) -> Option<(usize, u32)> {
    let best = totals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tied = totals.iter().filter(|&&t| t == best).count() as u32;
    if tied == 0 {
        return None;
    }
    let k = if tied > 1 { rng.below(tied) } else { 0 };
    let index = totals
        .iter()
        .enumerate()
        .filter(|(_, &t)| t == best)
        .nth(k as usize)
        .map(|(i, _)| i)?;
    Some((index, tied))
}

/// One endpoint's saturation: max(waiting / queue threshold, KV use / KV threshold).
pub fn endpoint_saturation(waiting: u32, kv_use: f64) -> f64 {
    (f64::from(waiting) / QUEUE_DEPTH_THRESHOLD).max(kv_use / KV_CACHE_UTIL_THRESHOLD)
}

/// The pool's saturation (the detector's `Saturation`): the mean of the endpoints' values,
/// 1 for an empty pool; saturated at ≥ 1.
pub fn saturation(waiting: &[u32], kv_use: &[f64], queue_threshold: f64, kv_threshold: f64) -> f64 {
    let n = waiting.len().min(kv_use.len());
    if n == 0 {
        return 1.0;
    }
    let sum: f64 = (0..n)
        .map(|i| (f64::from(waiting[i]) / queue_threshold).max(kv_use[i] / kv_threshold))
        .sum();
    sum / n as f64
}

/// A prompt as the index sees it: its blocks, and how many of the first ones its group shares.
fn blocks(request: &RequestInfo) -> (u32, u32) {
    let p = request.prompt_tokens;
    if p < BLOCK_TOKENS {
        return (0, 0);
    }
    let total = p.div_ceil(BLOCK_TOKENS).min(MAX_PREFIX_BLOCKS);
    let shared = if request.prefix_group == 0 {
        0
    } else {
        (request.prefix_tokens / BLOCK_TOKENS)
            .min((p - 1) / BLOCK_TOKENS)
            .min(total)
    };
    (total, shared)
}

/// One server's LRU of block hashes.
#[derive(Debug, Clone)]
struct ServerIndex {
    capacity: u32,
    lru: RunLru,
}

#[derive(Debug, Clone, Default)]
pub struct EndpointPicker {
    ids: Vec<u32>,
    index: BTreeMap<u32, ServerIndex>,
    // The last pick, for `last_scores`.
    last_request: RequestInfo,
    last_waiting: Vec<u32>,
    last_active: Vec<u32>,
    last_kv: Vec<f64>,
    last_matched: Vec<u32>,
    last_total_blocks: u32,
    last_totals: Vec<f64>,
    last_winner: Option<(usize, u32)>,
}

impl EndpointPicker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Prompt blocks the index holds for endpoint `id`, by the walk described above.
    fn matched(&self, request: &RequestInfo, shared: u32) -> Vec<u32> {
        let held: Vec<u32> = self
            .ids
            .iter()
            .map(|id| {
                if shared == 0 {
                    return 0;
                }
                self.index
                    .get(id)
                    .map_or(0, |s| s.lru.blocks_of(request.prefix_group).min(shared))
            })
            .collect();
        // A server's run holds the last `held` of the `shared` blocks (the first ones age out
        // first). The walk reaches block i only if some server holds every block before it: if
        // nobody holds the first block, nobody scores; otherwise each scores what it holds.
        if held.contains(&shared) {
            held
        } else {
            vec![0; held.len()]
        }
    }

    /// PreRequest: every block of the prompt goes to the chosen server's LRU.
    fn record(&mut self, id: u32, capacity: u32, request: &RequestInfo) {
        let (total, shared) = blocks(request);
        if total == 0 {
            return;
        }
        let server = self.index.entry(id).or_insert_with(|| ServerIndex {
            capacity,
            lru: RunLru::new(),
        });
        if shared > 0 {
            server.lru.push(request.prefix_group, shared);
        }
        server.lru.push(0, total - shared);
        let over = server
            .lru
            .total()
            .saturating_sub(u64::from(server.capacity));
        server.lru.take_oldest(over, |_, _, _| {});
    }
}

impl Balancer for EndpointPicker {
    fn set_endpoints(&mut self, endpoints: &[Endpoint]) {
        self.ids = endpoints.iter().map(|e| e.id).collect();
        let ids = &self.ids;
        self.index.retain(|id, _| ids.contains(id));
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
        _now_ns: u64,
    ) -> Option<usize> {
        let n = self.ids.len();
        self.last_request = *request;
        self.last_winner = None;
        self.last_waiting.clear();
        self.last_active.clear();
        self.last_kv.clear();
        for i in 0..n {
            self.last_waiting.push(load.waiting(i));
            self.last_active.push(load.active(i));
            self.last_kv.push(load.kv_use(i));
        }
        let (total, shared) = blocks(request);
        self.last_total_blocks = total;
        self.last_matched = self.matched(request, shared);
        let prefix: Vec<f64> = self
            .last_matched
            .iter()
            .map(|&m| prefix_score(m, total))
            .collect();
        self.last_totals = scores(&self.last_waiting, &self.last_kv, &prefix);
        let (index, tied) = pick_max(&self.last_totals, rng)?;
        self.last_winner = Some((index, tied));
        let capacity = match load.kv_blocks(index) {
            0 => LRU_CAPACITY_PER_SERVER,
            blocks => blocks,
        };
        self.record(self.ids[index], capacity, request);
        Some(index)
    }

    fn last_scores(&self) -> Option<PickScores> {
        if self.last_totals.len() != self.ids.len() {
            return None;
        }
        let queue = queue_scores(&self.last_waiting);
        let endpoints = (0..self.ids.len())
            .map(|i| {
                let mut e = EndpointScore::loads(
                    self.ids[i],
                    self.last_waiting[i],
                    self.last_active[i],
                    self.last_kv[i],
                );
                e.queue_score = Some(clamp01(queue[i]));
                e.kv_score = Some(clamp01(1.0 - self.last_kv[i]));
                e.prefix_score = Some(prefix_score(self.last_matched[i], self.last_total_blocks));
                e.prefix_blocks_matched = Some(self.last_matched[i]);
                e.prefix_blocks_total = Some(self.last_total_blocks);
                e.total = Some(self.last_totals[i]);
                e
            })
            .collect();
        let (winner, tied) = self.last_winner.unzip();
        Some(PickScores {
            balancer: "endpoint_picker",
            request: 0,
            t_s: 0.0,
            prompt_tokens: self.last_request.prompt_tokens,
            prefix_group: self.last_request.prefix_group,
            prefix_tokens: self.last_request.prefix_tokens,
            winner: winner.map(|i| self.ids[i]),
            rule: Rule::HighestScore {
                best: winner.map_or(0.0, |i| self.last_totals[i]),
                tied: tied.unwrap_or(0),
            },
            endpoints,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::Loads;
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
    }

    #[test]
    fn queue_scorer_vectors() {
        // queue_test.go: {10, 5, 0} → {0, 0.5, 1}; equal queues all score 1.
        assert!(close(&queue_scores(&[10, 5, 0]), &[0.0, 0.5, 1.0]));
        assert!(close(&queue_scores(&[5, 5]), &[1.0, 1.0]));
        assert!(close(&queue_scores(&[0, 0]), &[1.0, 1.0]));
        assert!(close(&queue_scores(&[7]), &[1.0]));
    }

    #[test]
    fn kv_scorer_vectors() {
        // kvcache_utilization_test.go, compared with tolerance 1e-4 as upstream.
        assert!(close(&kv_scores(&[0.8, 0.5, 0.0]), &[0.2, 0.5, 1.0]));
        assert!(close(&kv_scores(&[0.6, 0.6]), &[0.4, 0.4]));
        assert!(close(&kv_scores(&[1.0, 0.5]), &[0.0, 0.5]));
    }

    #[test]
    fn prefix_scorer_vectors() {
        // prefix/plugin_test.go: MatchInfo(5, 10) → 0.5; (2, 10) → 0.2; nothing hashed → 0.
        assert_eq!(prefix_score(5, 10), 0.5);
        assert_eq!(prefix_score(2, 10), 0.2);
        assert_eq!(prefix_score(0, 0), 0.0);
    }

    #[test]
    fn worked_example_of_the_default_profile() {
        // notes/llm-serving.md §1.7: A (q 0, kv 0.2, prefix 0/10) = 3.6, B (4, 0.5, 10/10) =
        // 5.0, C (8, 0.9, 5/10) = 1.7; B wins.
        let totals = scores(&[0, 4, 8], &[0.2, 0.5, 0.9], &[0.0, 1.0, 0.5]);
        assert!(close(&totals, &[3.6, 5.0, 1.7]), "{totals:?}");
        assert_eq!(pick_max(&totals, &mut SimRng::seed(1)), Some((1, 1)));
    }

    #[test]
    fn max_score_picker_vectors() {
        // picker_test.go: {10, 25, 15} → pod2; {20, 25, 30} → pod3; {30, 25, 30} → pod1 or
        // pod3, each about half the time.
        let mut rng = SimRng::seed(2);
        assert_eq!(pick_max(&[10.0, 25.0, 15.0], &mut rng), Some((1, 1)));
        assert_eq!(pick_max(&[20.0, 25.0, 30.0], &mut rng), Some((2, 1)));
        let mut count = [0u64; 3];
        for _ in 0..10_000 {
            let (i, tied) = pick_max(&[30.0, 25.0, 30.0], &mut rng).unwrap();
            assert_eq!(tied, 2);
            count[i] += 1;
        }
        assert_eq!(count[1], 0);
        super::super::common::testing::assert_binomial(count[0], 10_000, 0.5, "tie");
        assert_eq!(pick_max(&[], &mut rng), None);
    }

    #[test]
    fn saturation_detector_vectors() {
        // detector_test.go (QueueDepthThreshold 5, KVCacheUtilThreshold 0.9), fresh metrics.
        let s = |w: &[u32], kv: &[f64]| saturation(w, kv, 5.0, 0.9);
        assert_eq!(s(&[], &[]), 1.0);
        assert!((s(&[2], &[0.5]) - 0.5 / 0.9).abs() < 1e-12);
        assert!((s(&[10], &[0.1]) - 2.0).abs() < 1e-12);
        assert!((s(&[1], &[0.95]) - 0.95 / 0.9).abs() < 1e-12);
        assert!((s(&[1, 0], &[0.1, 0.2]) - (0.2 + 0.2 / 0.9) / 2.0).abs() < 1e-12);
        assert!((s(&[1, 15], &[0.1, 0.2]) - 1.6).abs() < 1e-12);
        assert!((s(&[5], &[0.1]) - 1.0).abs() < 1e-12);
        // The defaults (5, 0.8): saturated at KV ≥ 0.8 or waiting ≥ 5.
        assert_eq!(endpoint_saturation(5, 0.0), 1.0);
        assert_eq!(endpoint_saturation(0, 0.8), 1.0);
        assert!(endpoint_saturation(4, 0.79) < 1.0);
    }

    fn request(prompt: u32, group: u32, prefix: u32) -> RequestInfo {
        RequestInfo {
            key: 0,
            prompt_tokens: prompt,
            prefix_group: group,
            prefix_tokens: prefix,
        }
    }

    fn eps(n: u32) -> Vec<Endpoint> {
        (0..n).map(|id| Endpoint { id, weight: 1 }).collect()
    }

    #[test]
    fn the_index_learns_from_its_own_choices() {
        // approximateprefix/plugin_test.go in tokens: an empty index matches nothing; after a
        // request is routed to a server, a request with the same first blocks matches them
        // there and nowhere else.
        let mut p = EndpointPicker::new();
        p.set_endpoints(&eps(3));
        let mut rng = SimRng::seed(1);
        // 8 prompt blocks, the first 6 shared by group 9. Equal loads: any server may win.
        let r = request(128, 9, 96);
        let idle = Loads(vec![0, 0, 0]);
        let first = p.pick_request(&r, &idle, &mut rng, 0).unwrap();
        let s = p.last_scores().unwrap();
        assert!(s
            .endpoints
            .iter()
            .all(|e| e.prefix_blocks_matched == Some(0)));
        assert_eq!(s.endpoints[0].prefix_blocks_total, Some(8));
        assert_eq!(s.rule, Rule::HighestScore { best: 4.0, tied: 3 });
        // The next request of the group: 6 of 8 blocks match on that server: 2 + 2 + 3·0.75.
        assert_eq!(p.pick_request(&r, &idle, &mut rng, 0), Some(first));
        let s = p.last_scores().unwrap();
        assert_eq!(s.endpoints[first].prefix_blocks_matched, Some(6));
        assert_eq!(s.endpoints[first].total, Some(6.25));
        assert_eq!(s.winner, Some(first as u32));
        // Prefix affinity outweighs a busier queue (2 points) but not a busier queue and a
        // fuller cache together.
        let mut busy = vec![0u32; 3];
        busy[first] = 3;
        assert_eq!(p.pick_request(&r, &Loads(busy), &mut rng, 0), Some(first));
        struct Full(usize);
        impl LoadView for Full {
            fn active(&self, i: usize) -> u32 {
                if i == self.0 {
                    3
                } else {
                    0
                }
            }
            fn kv_use(&self, i: usize) -> f64 {
                if i == self.0 {
                    0.9
                } else {
                    0.0
                }
            }
        }
        assert_ne!(p.pick_request(&r, &Full(first), &mut rng, 0), Some(first));
        // A prompt of fewer than 16 tokens has no block: no prefix score anywhere.
        p.pick_request(&request(15, 9, 96), &idle, &mut rng, 0);
        let s = p.last_scores().unwrap();
        assert!(s.endpoints.iter().all(|e| e.prefix_blocks_total == Some(0)));
    }

    #[test]
    fn the_first_block_must_be_held_somewhere_and_the_lru_forgets() {
        // Capacity 10 blocks (reported by the server): a group of 6 shared blocks plus 2 own,
        // then 3 unrelated prompts of 4 blocks push the group's first blocks out; with its
        // first block gone nobody matches, although later blocks are still held.
        let mut p = EndpointPicker::new();
        p.set_endpoints(&eps(1));
        struct Kv10;
        impl LoadView for Kv10 {
            fn active(&self, _: usize) -> u32 {
                0
            }
            fn kv_blocks(&self, _: usize) -> u32 {
                10
            }
        }
        let mut rng = SimRng::seed(1);
        let g = request(128, 9, 96);
        p.pick_request(&g, &Kv10, &mut rng, 0);
        p.pick_request(&g, &Kv10, &mut rng, 0);
        assert_eq!(
            p.last_scores().unwrap().endpoints[0].prefix_blocks_matched,
            Some(6)
        );
        p.pick_request(&request(64, 0, 0), &Kv10, &mut rng, 0);
        assert_eq!(
            p.index[&0].lru.blocks_of(9),
            4,
            "its first 2 blocks aged out"
        );
        p.pick_request(&g, &Kv10, &mut rng, 0);
        assert_eq!(
            p.last_scores().unwrap().endpoints[0].prefix_blocks_matched,
            Some(0)
        );
    }
}
