//! An LRU list of KV blocks kept as runs: the blocks of one shared prefix ("group") are always
//! used, freed and evicted together and in a fixed order, and the blocks of prompts nobody
//! shares are interchangeable, so a list of millions of blocks is a short ordered map of runs
//! (oldest first). Two structures in this crate are such lists: the free-block queue of a
//! replica (vLLM's `FreeKVCacheBlockQueue`, `vllm/v1/core/kv_cache_utils.py`) and the endpoint
//! picker's per-server LRU of block hashes (hashicorp/golang-lru, used by the Gateway API
//! Inference Extension's approximate prefix index). Taking blocks from the oldest end shrinks
//! a group's run; the owner knows which end of the prefix that evicts (vLLM frees a request's
//! blocks tail first, so its free queue loses a prefix's last blocks first; the picker adds
//! hashes head first, so its LRU loses a prefix's first blocks first).
//!
//! Memory: one entry per group present plus the anonymous runs between them, which are merged
//! whenever two become neighbours, so the map never holds more than about twice the groups.

use std::collections::BTreeMap;

/// A run of blocks: `group` 0 is anonymous (blocks nobody will look up again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub group: u32,
    pub blocks: u32,
}

#[derive(Debug, Clone, Default)]
pub struct RunLru {
    /// Insertion stamp → run; the smallest stamp is the least recently used.
    runs: BTreeMap<u64, Run>,
    /// Group → the stamp of its run.
    groups: BTreeMap<u32, u64>,
    next: u64,
    total: u64,
}

impl RunLru {
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks in the list.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Blocks of `group` in the list (0 when absent).
    pub fn blocks_of(&self, group: u32) -> u32 {
        self.groups
            .get(&group)
            .and_then(|s| self.runs.get(s))
            .map_or(0, |r| r.blocks)
    }

    /// Runs held (for memory estimates).
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Appends `blocks` blocks of `group` as the most recently used; a run of the same group
    /// already present is replaced (its blocks count once, at the new place).
    pub fn push(&mut self, group: u32, blocks: u32) {
        if blocks == 0 {
            return;
        }
        if group == 0 {
            if let Some((_, last)) = self.runs.iter_mut().next_back() {
                if last.group == 0 {
                    last.blocks += blocks;
                    self.total += u64::from(blocks);
                    return;
                }
            }
        } else {
            self.remove(group);
            self.groups.insert(group, self.next);
        }
        self.runs.insert(self.next, Run { group, blocks });
        self.next += 1;
        self.total += u64::from(blocks);
    }

    /// Takes `group`'s run out of the list; returns its blocks (0 when absent).
    pub fn remove(&mut self, group: u32) -> u32 {
        let Some(stamp) = self.groups.remove(&group) else {
            return 0;
        };
        let run = self
            .runs
            .remove(&stamp)
            .expect("a group's stamp names its run");
        self.total -= u64::from(run.blocks);
        self.merge_around(stamp);
        run.blocks
    }

    /// Two anonymous runs that became neighbours at `stamp` become one.
    fn merge_around(&mut self, stamp: u64) {
        let before = self.runs.range(..stamp).next_back().map(|(s, r)| (*s, *r));
        let after = self.runs.range(stamp..).next().map(|(s, r)| (*s, *r));
        if let (Some((s0, r0)), Some((s1, r1))) = (before, after) {
            if r0.group == 0 && r1.group == 0 {
                self.runs.remove(&s1);
                self.runs.get_mut(&s0).expect("present").blocks += r1.blocks;
            }
        }
    }

    /// Takes up to `blocks` blocks from the least recently used end and returns how many were
    /// taken; `taken(group, blocks_taken, blocks_left)` is called for every group run that
    /// lost blocks (anonymous runs are not reported).
    pub fn take_oldest(&mut self, blocks: u64, mut taken: impl FnMut(u32, u32, u32)) -> u64 {
        let mut left = blocks;
        while left > 0 {
            let Some(mut entry) = self.runs.first_entry() else {
                break;
            };
            let run = entry.get_mut();
            let k = u64::from(run.blocks).min(left) as u32;
            run.blocks -= k;
            left -= u64::from(k);
            self.total -= u64::from(k);
            let (group, rest) = (run.group, run.blocks);
            if rest == 0 {
                entry.remove();
                if group != 0 {
                    self.groups.remove(&group);
                }
            }
            if group != 0 {
                taken(group, k, rest);
            }
        }
        blocks - left
    }

    /// The runs, least recently used first (tests and readouts).
    pub fn runs(&self) -> impl Iterator<Item = Run> + '_ {
        self.runs.values().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_keep_lru_order_and_merge_anonymous_neighbours() {
        let mut l = RunLru::new();
        l.push(0, 10);
        l.push(7, 4);
        l.push(0, 1);
        l.push(8, 4);
        l.push(0, 1);
        assert_eq!(l.total(), 20);
        // Re-using group 7 moves it to the newest end; the anonymous blocks around its old
        // place become one run.
        l.push(7, 4);
        let runs: Vec<Run> = l.runs().collect();
        assert_eq!(
            runs,
            [
                Run {
                    group: 0,
                    blocks: 11
                },
                Run {
                    group: 8,
                    blocks: 4
                },
                Run {
                    group: 0,
                    blocks: 1
                },
                Run {
                    group: 7,
                    blocks: 4
                }
            ]
        );
        assert_eq!(l.total(), 20);
        let mut lost = Vec::new();
        assert_eq!(l.take_oldest(13, |g, k, rest| lost.push((g, k, rest))), 13);
        assert_eq!(lost, [(8, 2, 2)]);
        assert_eq!(l.blocks_of(8), 2);
        assert_eq!(l.remove(8), 2);
        assert_eq!(l.blocks_of(8), 0);
        assert_eq!(l.total(), 5);
        // Asking for more than there is takes everything.
        assert_eq!(l.take_oldest(100, |_, _, _| {}), 5);
        assert!(l.is_empty());
    }
}
