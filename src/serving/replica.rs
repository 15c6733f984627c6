//! One model-server replica: iteration-level continuous batching (Orca, OSDI '22) as vLLM's V1
//! scheduler does it (`Scheduler.schedule`, `vllm/v1/core/sched/scheduler.py` @00024d31, FCFS
//! policy, chunked prefill on as by default):
//!
//! - A step has a token budget (`max_num_batched_tokens`). Running sequences are served first,
//!   in order: each gets the tokens it still needs (1 when decoding, the rest of its prompt in
//!   chunks when prefilling), and the KV blocks those tokens need. When the blocks are not
//!   there, the last running sequence is preempted (its blocks freed, its progress discarded;
//!   it goes back to the front of the waiting queue and will recompute) until they are, or
//!   until the sequence itself was the one preempted.
//! - Then, if nothing was preempted, waiting sequences are admitted in arrival order while the
//!   batch has room (`max_num_seqs`), the budget lasts and their blocks can be allocated; the
//!   first one that cannot get its blocks stops admission (head-of-line, as upstream). A new
//!   sequence first reuses the cached blocks of its shared prefix (prefix caching) and only
//!   computes the rest.
//! - A step takes a + b·(prefill tokens) + c·(decoding sequences) µs (BLIS's former
//!   "blackbox" latency model, `sim/latency/latency.go` `StepTime`, inference-sim @b563c440;
//!   at least 1 µs as there). When a sequence's known tokens are all computed, the step
//!   samples its next token: its first token ends its time to first token; the last ends it.
//!
//! "Waiting" means exactly vLLM's `num_requests_waiting`: sequences not admitted to the batch
//! (including preempted ones); "running" is the batch. In-flight is their sum.
//!
//! Left out: speculative decoding, LoRA, priorities, the maximum model length (the scenario
//! refuses sequences longer than the cache), CPU overheads outside the step (BLIS's alphas).

use std::collections::VecDeque;

use super::kv::{blocks_for, BlockPool, BLOCK_TOKENS};
use crate::scenario::LlmConfig;

/// The client's attempt a sequence serves, as the balancer sent it. The replica only keeps it:
/// the simulation reads it back when the attempt times out (to fail or retry that attempt).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Attempt {
    /// When the attempt was sent (its timeout runs from here).
    pub sent_ns: u64,
    pub key: u32,
    /// Attempts that failed before this one, and the instance of the last (a retry avoids it).
    pub attempt: u32,
    pub previous: u32,
    /// The request's shared-prefix group and prefix tokens as drawn (a retry sends them again).
    pub group: u32,
    pub prefix_tokens: u32,
}

/// One request inside a replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seq {
    pub arrived_ns: u64,
    /// The client's attempt (its timeout's start; what a retry resends).
    pub origin: Attempt,
    /// Its client gave up (a timeout): aborted, removed with its blocks before the next step.
    pub aborted: bool,
    /// Prompt tokens (the shared prefix included).
    pub prompt: u32,
    /// Output tokens it will generate.
    pub output: u32,
    /// Shared-prefix group (0: none) and the prefix's full blocks.
    pub group: u32,
    pub prefix_blocks: u32,
    /// Tokens whose KV is computed.
    pub computed: u32,
    /// Output tokens sampled so far.
    pub generated: u32,
    /// Blocks reused from the group's cache (counted by the pool) and blocks of its own.
    pub shared: u32,
    pub private: u32,
    /// Tokens scheduled in the step under way (0: not in it).
    pub scheduled: u32,
    pub first_token_ns: u64,
    /// Attached to its group's cache entry.
    attached: bool,
    /// Prompt tokens found in the prefix cache at its first admission.
    pub cached_tokens: u32,
    /// Has waited at the head of the queue for KV blocks.
    pub kv_delayed: bool,
    admitted_once: bool,
}

impl Seq {
    pub fn new(arrived_ns: u64, prompt: u32, output: u32, group: u32, prefix_tokens: u32) -> Seq {
        let prompt = prompt.max(1);
        // The block holding the end of the prefix also holds the request's own tokens: only
        // the prefix's full blocks are shared, and never the whole prompt (at least one token
        // is always computed, as upstream caps hits at prompt − 1).
        let prefix_blocks = if group == 0 {
            0
        } else {
            (prefix_tokens / BLOCK_TOKENS).min((prompt - 1) / BLOCK_TOKENS)
        };
        Seq {
            arrived_ns,
            origin: Attempt {
                sent_ns: arrived_ns,
                group,
                prefix_tokens,
                ..Attempt::default()
            },
            aborted: false,
            prompt,
            output: output.max(1),
            group: if prefix_blocks == 0 { 0 } else { group },
            prefix_blocks,
            computed: 0,
            generated: 0,
            shared: 0,
            private: 0,
            scheduled: 0,
            first_token_ns: 0,
            attached: false,
            cached_tokens: 0,
            kv_delayed: false,
            admitted_once: false,
        }
    }

    /// Tokens known: the prompt and the outputs sampled so far.
    fn known(&self) -> u32 {
        self.prompt + self.generated
    }

    fn blocks(&self) -> u32 {
        self.shared + self.private
    }
}

/// What a finished step produced for one sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    FirstToken { arrived_ns: u64 },
    Done(Seq),
}

/// One replica at one of the simulation's one-second samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistorySample {
    /// The sample's time, whole seconds.
    pub t_s: u32,
    pub kv_use: f32,
    pub batch: u32,
    pub waiting: u32,
}

/// The step being run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Step {
    pub prefill_tokens: u32,
    pub decode_seqs: u32,
    /// Duration in ns at the replica's speed.
    pub ns: u64,
}

#[derive(Debug, Clone)]
pub struct Replica {
    cfg: LlmConfig,
    pub waiting: VecDeque<Seq>,
    pub running: Vec<Seq>,
    pub kv: BlockPool,
    /// The step under way, if any.
    pub step: Option<Step>,
    /// At the last scheduling, a sequence could not get KV blocks (admission stopped or a
    /// preemption happened).
    pub kv_blocked: bool,
    pub output_tokens: u64,
    pub prefill_tokens: u64,
    pub cached_tokens: u64,
    pub preemptions: u64,
    /// Sequences admitted after waiting for KV blocks.
    pub kv_waits: u64,
    /// ∫ used blocks dt (block·seconds) and ∫ batch dt (sequence·seconds) since `since_ns`.
    kv_area: f64,
    batch_area: f64,
    last_ns: u64,
    since_ns: u64,
    /// The last one-second samples of KV use, batch and waiting, oldest first.
    pub history: VecDeque<HistorySample>,
    /// Sequences aborted while a step was under way, still held until it ends.
    pub aborting: u32,
}

impl Replica {
    pub fn new(cfg: &LlmConfig, now_ns: u64) -> Replica {
        Replica {
            cfg: cfg.clone(),
            waiting: VecDeque::new(),
            running: Vec::new(),
            kv: BlockPool::new(cfg.kv_blocks, cfg.prefix_caching),
            step: None,
            kv_blocked: false,
            output_tokens: 0,
            prefill_tokens: 0,
            cached_tokens: 0,
            preemptions: 0,
            kv_waits: 0,
            kv_area: 0.0,
            batch_area: 0.0,
            last_ns: now_ns,
            since_ns: now_ns,
            history: VecDeque::new(),
            aborting: 0,
        }
    }

    /// Records the state at a one-second sample, keeping at most `keep` samples.
    pub fn sample(&mut self, t_s: u32, keep: usize) {
        while self.history.len() >= keep.max(1) {
            self.history.pop_front();
        }
        self.history.push_back(HistorySample {
            t_s,
            kv_use: self.kv_use() as f32,
            batch: self.running(),
            waiting: self.waiting(),
        });
    }

    pub fn waiting(&self) -> u32 {
        self.waiting.len() as u32
    }

    pub fn running(&self) -> u32 {
        self.running.len() as u32
    }

    pub fn kv_use(&self) -> f64 {
        self.kv.usage()
    }

    pub fn max_batch(&self) -> u32 {
        self.cfg.max_batch
    }

    /// Integrates KV use and batch size up to `now_ns` (call before they change).
    fn accumulate(&mut self, now_ns: u64) {
        let dt = now_ns.saturating_sub(self.last_ns) as f64 / 1e9;
        self.kv_area += f64::from(self.kv.used()) * dt;
        self.batch_area += f64::from(self.running()) * dt;
        self.last_ns = now_ns;
    }

    /// Time-average KV use and batch size from creation to `now_ns`.
    pub fn means(&self, now_ns: u64) -> (f64, f64) {
        let dt = now_ns.saturating_sub(self.last_ns) as f64 / 1e9;
        let span = now_ns.saturating_sub(self.since_ns) as f64 / 1e9;
        if span <= 0.0 {
            return (self.kv_use(), f64::from(self.running()));
        }
        let kv = (self.kv_area + f64::from(self.kv.used()) * dt) / span;
        let batch = (self.batch_area + f64::from(self.running()) * dt) / span;
        (kv / f64::from(self.kv.total().max(1)), batch)
    }

    /// A request arrives: it waits for the next step's scheduling.
    pub fn enqueue(&mut self, seq: Seq) {
        self.waiting.push_back(seq);
    }

    /// When the oldest sequence whose client still waits was sent (None: none held).
    pub fn oldest_sent(&self) -> Option<u64> {
        self.waiting
            .iter()
            .chain(self.running.iter())
            .filter(|s| !s.aborted)
            .map(|s| s.origin.sent_ns)
            .min()
    }

    /// Aborts every sequence whose attempt was sent at or before `sent_by` (their clients gave
    /// up), reporting each to `out`. As vLLM's engine core takes aborts between steps, they
    /// leave (their KV blocks freed) at once when no step is under way, else when it ends,
    /// the tokens of that step thrown away with them. Returns how many were aborted.
    pub fn abort_sent_by(&mut self, now_ns: u64, sent_by: u64, mut out: impl FnMut(&Seq)) -> u32 {
        let mut n = 0;
        for s in self.waiting.iter_mut().chain(self.running.iter_mut()) {
            if !s.aborted && s.origin.sent_ns <= sent_by {
                s.aborted = true;
                n += 1;
                out(s);
            }
        }
        self.aborting += n;
        if self.step.is_none() {
            self.remove_aborted(now_ns);
        }
        n
    }

    /// Removes the aborted sequences, freeing their blocks (vLLM's `Scheduler.finish_requests`
    /// with `FINISHED_ABORTED`, then `_free_request`).
    fn remove_aborted(&mut self, now_ns: u64) {
        if self.aborting == 0 {
            return;
        }
        self.accumulate(now_ns);
        let kv = &mut self.kv;
        let mut free = |s: &Seq| {
            if s.aborted {
                kv.release(s.private, s.group, s.attached);
            }
            !s.aborted
        };
        self.waiting.retain(|s| free(s));
        self.running.retain(|s| free(s));
        self.aborting = 0;
    }

    /// Forms the next step (the batch and its tokens) at `now_ns`; `speed` scales the step
    /// time (a faster GPU, or a slow fault). None: nothing can run.
    pub fn schedule(&mut self, now_ns: u64, speed: f64) -> Option<Step> {
        self.accumulate(now_ns);
        let mut budget = self.cfg.max_batched_tokens;
        let mut preempted = false;
        self.kv_blocked = false;
        // Running sequences first, in order.
        let mut i = 0;
        'running: while i < self.running.len() && budget > 0 {
            let s = self.running[i];
            let new = (s.known() - s.computed).min(budget);
            if new == 0 {
                i += 1;
                continue;
            }
            let need = blocks_for(s.computed + new).saturating_sub(s.blocks());
            while need > self.kv.free() {
                let victim_index = self.running.len() - 1;
                let victim = self.running.pop().expect("i < len");
                self.preempt(victim);
                preempted = true;
                self.kv_blocked = true;
                if victim_index == i {
                    break 'running;
                }
            }
            self.kv.allocate(need);
            let s = &mut self.running[i];
            s.private += need;
            s.scheduled = new;
            budget -= new;
            i += 1;
        }
        // Then waiting sequences, unless a preemption happened in this step.
        if !preempted {
            while budget > 0 && (self.running.len() as u32) < self.cfg.max_batch {
                let Some(head) = self.waiting.front() else {
                    break;
                };
                let hit = self.kv.cached(head.group).min(head.prefix_blocks);
                let computed = hit * BLOCK_TOKENS;
                let new = (head.known() - computed).min(budget);
                let need = blocks_for(computed + new) - hit;
                if need > self.kv.free_after_hit(head.group) {
                    self.kv_blocked = true;
                    self.waiting.front_mut().expect("present").kv_delayed = true;
                    break;
                }
                let mut s = self.waiting.pop_front().expect("present");
                let attached_hit = self.kv.attach(s.group);
                s.attached = self.cfg.prefix_caching && s.group != 0;
                debug_assert!(attached_hit >= hit);
                self.kv.allocate(need);
                s.shared = hit;
                s.private = need;
                s.computed = computed;
                s.scheduled = new;
                if !s.admitted_once {
                    s.admitted_once = true;
                    s.cached_tokens = computed;
                    self.cached_tokens += u64::from(computed);
                    if s.kv_delayed {
                        self.kv_waits += 1;
                    }
                }
                budget -= new;
                self.running.push(s);
            }
        }
        let mut step = Step::default();
        for s in &self.running {
            if s.scheduled == 0 {
                continue;
            }
            if s.computed >= s.prompt && s.generated >= 1 && s.scheduled == 1 {
                step.decode_seqs += 1;
            } else {
                step.prefill_tokens += s.scheduled;
            }
        }
        if step.decode_seqs == 0 && step.prefill_tokens == 0 {
            self.step = None;
            return None;
        }
        let us = (self.cfg.step_base_us
            + self.cfg.step_prefill_token_us * f64::from(step.prefill_tokens)
            + self.cfg.step_decode_seq_us * f64::from(step.decode_seqs))
        .max(1.0);
        step.ns = ((us * 1e3 / speed) as u64).max(1);
        self.step = Some(step);
        Some(step)
    }

    fn preempt(&mut self, mut s: Seq) {
        self.kv.release(s.private, s.group, s.attached);
        s.attached = false;
        s.computed = 0;
        s.shared = 0;
        s.private = 0;
        s.scheduled = 0;
        self.preemptions += 1;
        self.waiting.push_front(s);
    }

    /// Ends the step under way at `now_ns`: computed tokens advance, tokens are sampled and
    /// finished sequences leave (their blocks freed). Reports each first token and each
    /// finished sequence to `out`.
    pub fn finish_step(&mut self, now_ns: u64, mut out: impl FnMut(Outcome)) {
        self.accumulate(now_ns);
        let Some(step) = self.step.take() else {
            return;
        };
        self.prefill_tokens += u64::from(step.prefill_tokens);
        self.remove_aborted(now_ns);
        let mut i = 0;
        while i < self.running.len() {
            let s = &mut self.running[i];
            if s.scheduled == 0 {
                i += 1;
                continue;
            }
            s.computed += s.scheduled;
            s.scheduled = 0;
            if s.attached
                && s.shared < s.prefix_blocks
                && s.computed >= s.prefix_blocks * BLOCK_TOKENS
            {
                let handed = self.kv.publish(s.group, s.shared, s.prefix_blocks);
                if handed > 0 {
                    s.private -= handed;
                    s.shared += handed;
                }
            }
            if s.computed < s.known() {
                i += 1;
                continue;
            }
            s.generated += 1;
            self.output_tokens += 1;
            if s.generated == 1 {
                s.first_token_ns = now_ns;
                out(Outcome::FirstToken {
                    arrived_ns: s.arrived_ns,
                });
            }
            if s.generated >= s.output {
                let done = self.running.remove(i);
                self.kv.release(done.private, done.group, done.attached);
                out(Outcome::Done(done));
            } else {
                i += 1;
            }
        }
    }

    /// Drops every sequence and the cache's contents at `now_ns` (the replica crashed or
    /// stopped: GPU memory is gone); the counters and averages stay. Returns the sequences
    /// dropped whose clients still waited (aborted ones are not counted again).
    pub fn shut_down(&mut self, now_ns: u64) -> u32 {
        self.accumulate(now_ns);
        let lost = self.len() as u32 - self.aborting;
        self.aborting = 0;
        self.waiting = VecDeque::new();
        self.running = Vec::new();
        self.kv = BlockPool::new(self.cfg.kv_blocks, self.cfg.prefix_caching);
        self.step = None;
        self.kv_blocked = false;
        lost
    }

    /// Sequences held (waiting and running).
    pub fn len(&self) -> usize {
        self.waiting.len() + self.running.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.running.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max_batch: u32, kv_blocks: u32) -> LlmConfig {
        LlmConfig {
            max_batch,
            kv_blocks,
            step_base_us: 1000.0,
            step_prefill_token_us: 10.0,
            step_decode_seq_us: 100.0,
            ..LlmConfig::default()
        }
    }

    /// Runs steps back to back until idle; returns (first-token times, done times) in ms.
    fn drain(r: &mut Replica) -> (Vec<u64>, Vec<u64>) {
        let (mut first, mut done) = (Vec::new(), Vec::new());
        let mut now = 0u64;
        while let Some(step) = r.schedule(now, 1.0) {
            now += step.ns;
            r.finish_step(now, |o| match o {
                Outcome::FirstToken { .. } => first.push(now / 1_000_000),
                Outcome::Done(_) => done.push(now / 1_000_000),
            });
        }
        (first, done)
    }

    #[test]
    fn one_sequence_prefills_then_decodes_one_token_per_step() {
        // Prompt 100, output 3: prefill step 1000 + 10·100 = 2000 µs gives the first token,
        // then two decode steps of 1000 + 100 = 1100 µs: done at 4.2 ms.
        let mut r = Replica::new(&cfg(4, 100), 0);
        r.enqueue(Seq::new(0, 100, 3, 0, 0));
        let (first, done) = drain(&mut r);
        assert_eq!(first, [2]);
        assert_eq!(done, [4]);
        assert_eq!(r.output_tokens, 3);
        assert_eq!(r.kv.used(), 0);
    }

    #[test]
    fn a_long_prompt_is_prefilled_in_chunks_of_the_token_budget() {
        let mut c = cfg(4, 1000);
        c.max_batched_tokens = 2048;
        let mut r = Replica::new(&c, 0);
        r.enqueue(Seq::new(0, 5000, 1, 0, 0));
        let steps: Vec<u32> = std::iter::from_fn(|| {
            let s = r.schedule(0, 1.0)?;
            r.finish_step(0, |_| {});
            Some(s.prefill_tokens)
        })
        .collect();
        assert_eq!(steps, [2048, 2048, 904]);
    }

    #[test]
    fn without_blocks_new_sequences_wait_and_none_is_lost() {
        // 10 blocks; each sequence needs ceil((32 + 4 − 1)/16) = 3 blocks at its end: three
        // fit, the fourth waits at the head of the queue until one finishes.
        let mut r = Replica::new(&cfg(8, 10), 0);
        for _ in 0..5 {
            r.enqueue(Seq::new(0, 32, 4, 0, 0));
        }
        let step = r.schedule(0, 1.0).unwrap();
        // 2 blocks each for the prompts: 5 × 2 = 10 blocks, all admitted.
        assert_eq!((r.running(), r.waiting()), (5, 0));
        r.finish_step(step.ns, |_| {});
        // The first decode needs a third block each: only the first running ones get it,
        // the last ones are preempted (back to the waiting queue, progress discarded).
        r.schedule(step.ns, 1.0).unwrap();
        assert!(r.kv_blocked);
        assert!(r.preemptions >= 1);
        assert_eq!(r.running() + r.waiting(), 5);
        let (_, done) = drain(&mut r);
        assert_eq!(done.len(), 5, "every sequence finishes");
        assert_eq!(r.kv.used(), 0);
    }

    #[test]
    fn an_aborted_sequence_leaves_at_the_step_end_and_frees_its_blocks() {
        // Two sequences of prompt 100 tokens (7 blocks of 16 each).
        // Aborted during their prefill step, they stay until it ends (vLLM takes aborts between
        // steps), produce no first token, and every block comes back; a waiting one aborted
        // while no step runs leaves at once.
        let mut r = Replica::new(&cfg(4, 100), 0);
        let mut a = Seq::new(0, 100, 3, 0, 0);
        a.origin.sent_ns = 10;
        let mut b = Seq::new(0, 100, 3, 0, 0);
        b.origin.sent_ns = 20;
        r.enqueue(a);
        r.enqueue(b);
        let step = r.schedule(0, 1.0).unwrap();
        assert_eq!(r.kv.used(), 14);
        assert_eq!(r.oldest_sent(), Some(10));
        let mut seen = Vec::new();
        assert_eq!(r.abort_sent_by(1, 15, |s| seen.push(s.origin.sent_ns)), 1);
        assert_eq!(seen, [10]);
        assert_eq!(
            (r.running(), r.aborting),
            (2, 1),
            "held until the step ends"
        );
        assert_eq!(r.oldest_sent(), Some(20));
        let mut firsts = 0;
        r.finish_step(step.ns, |o| {
            firsts += u32::from(matches!(o, Outcome::FirstToken { .. }))
        });
        assert_eq!(firsts, 1, "only the sequence whose client waits");
        assert_eq!((r.running(), r.aborting, r.kv.used()), (1, 0, 7));
        // Idle now: an abort removes at once.
        r.enqueue(Seq::new(0, 50, 2, 0, 0));
        assert_eq!(r.abort_sent_by(step.ns, u64::MAX, |_| {}), 2);
        assert_eq!((r.len(), r.aborting, r.kv.used()), (0, 0, 0));
        assert_eq!(r.oldest_sent(), None);
    }

    #[test]
    fn a_shared_prefix_is_computed_once() {
        // Prefix 64 tokens (4 blocks) + 16 own tokens; the second sequence of the group finds
        // the 4 blocks cached and prefills only its 16 tokens.
        let mut r = Replica::new(&cfg(4, 100), 0);
        r.enqueue(Seq::new(0, 80, 2, 7, 64));
        let _ = drain(&mut r);
        assert_eq!(r.prefill_tokens, 80);
        r.enqueue(Seq::new(0, 80, 2, 7, 64));
        let step = r.schedule(0, 1.0).unwrap();
        assert_eq!(step.prefill_tokens, 16);
        assert_eq!(r.cached_tokens, 64);
    }
}
