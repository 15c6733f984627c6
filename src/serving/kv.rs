//! A replica's KV cache: `kv_blocks` blocks of 16 tokens (vLLM's `DEFAULT_BLOCK_SIZE`,
//! `vllm/config/cache.py` @002f10e0) with automatic prefix caching, as vLLM's V1 block pool
//! does it (`vllm/v1/core/block_pool.py`, `kv_cache_manager.py`,
//! `single_type_kv_cache_manager.py` @00024d31):
//!
//! - Blocks held by a running sequence are *used*; every other block is in the free queue,
//!   least recently freed first. KV use is used / total (`BlockPool.get_usage`, exported as
//!   `vllm:kv_cache_usage_perc`, a fraction).
//! - A full block computed for a shared prefix keeps its hash after its sequences finish: it
//!   waits in the free queue and is reused by the next sequence with that prefix (a cache hit
//!   takes it out of the queue), unless an allocation reached it first (eviction).
//! - A finished sequence frees its blocks tail first (`free` walks them reversed), so the
//!   blocks of its own prompt are evicted before the shared prefix, and a prefix loses its
//!   last blocks first: a partly evicted prefix still gives a shorter hit.
//!
//! Simplifications: the prefix blocks of one group count as one unit for "in use" (upstream
//! counts references per block; every sequence of a group uses the same leading blocks, so
//! this differs only while a prefix is half computed), and a sequence that computed a prefix
//! another one published meanwhile keeps its copy privately, as upstream keeps duplicates.
//! Blocks of prompts nobody shares are cached upstream too, but no later request can hit
//! them, so they are plain free blocks here.

use std::collections::BTreeMap;

use super::runs::RunLru;

/// Tokens per KV block (vLLM's default block size).
pub const BLOCK_TOKENS: u32 = 16;

/// Blocks needed for `tokens` tokens.
pub fn blocks_for(tokens: u32) -> u32 {
    tokens.div_ceil(BLOCK_TOKENS)
}

#[derive(Debug, Clone, Copy, Default)]
struct Cached {
    /// Leading blocks of the group's prefix that are computed and cached.
    blocks: u32,
    /// Running sequences that use them.
    users: u32,
}

#[derive(Debug, Clone)]
pub struct BlockPool {
    total: u32,
    caching: bool,
    /// Free blocks; a group's run holds its cached prefix blocks while nobody uses them.
    free: RunLru,
    groups: BTreeMap<u32, Cached>,
}

impl BlockPool {
    pub fn new(total: u32, caching: bool) -> Self {
        let mut free = RunLru::new();
        free.push(0, total);
        BlockPool {
            total,
            caching,
            free,
            groups: BTreeMap::new(),
        }
    }

    pub fn total(&self) -> u32 {
        self.total
    }

    /// Blocks held by running sequences.
    pub fn used(&self) -> u32 {
        self.total - self.free.total() as u32
    }

    /// Blocks an allocation can take (free, including cached prefixes nobody uses).
    pub fn free(&self) -> u32 {
        self.free.total() as u32
    }

    /// Used / total, a fraction (vLLM's `kv_cache_usage_perc`).
    pub fn usage(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            f64::from(self.used()) / f64::from(self.total)
        }
    }

    /// Leading blocks of `group`'s prefix a new sequence would find cached (0 without prefix
    /// caching or for group 0).
    pub fn cached(&self, group: u32) -> u32 {
        if !self.caching || group == 0 {
            return 0;
        }
        self.groups.get(&group).map_or(0, |c| c.blocks)
    }

    /// Blocks an allocation could take if a sequence of `group` first reused its cached
    /// blocks (a hit on blocks nobody uses takes them out of the free queue:
    /// `num_evictable_computed_blocks` in `allocate_slots`).
    pub fn free_after_hit(&self, group: u32) -> u32 {
        let idle_hit = match self.groups.get(&group) {
            Some(c) if self.caching && group != 0 && c.users == 0 => c.blocks,
            _ => 0,
        };
        self.free() - idle_hit
    }

    /// A sequence of `group` starts: it uses the cached blocks (returned: the hit) and may
    /// publish the rest of the prefix once computed.
    pub fn attach(&mut self, group: u32) -> u32 {
        if !self.caching || group == 0 {
            return 0;
        }
        let c = self.groups.entry(group).or_default();
        if c.users == 0 {
            self.free.remove(group);
        }
        c.users += 1;
        c.blocks
    }

    /// Takes `n` blocks from the free queue, oldest first (evicting cached prefixes' tail
    /// blocks on the way); false, with nothing taken, when fewer are free.
    pub fn allocate(&mut self, n: u32) -> bool {
        if n > self.free() {
            return false;
        }
        let groups = &mut self.groups;
        self.free.take_oldest(u64::from(n), |group, _, left| {
            if left == 0 {
                groups.remove(&group);
            } else if let Some(c) = groups.get_mut(&group) {
                c.blocks = left;
            }
        });
        true
    }

    /// A sequence of `group` that reused `hit` blocks has now computed the whole prefix of
    /// `prefix_blocks` blocks: if nobody published it meanwhile, its own blocks beyond the hit
    /// become the cached prefix. Returns the blocks handed over (they stop being private).
    pub fn publish(&mut self, group: u32, hit: u32, prefix_blocks: u32) -> u32 {
        if !self.caching || group == 0 {
            return 0;
        }
        match self.groups.get_mut(&group) {
            Some(c) if c.blocks == hit && prefix_blocks > hit => {
                c.blocks = prefix_blocks;
                prefix_blocks - hit
            }
            _ => 0,
        }
    }

    /// A sequence leaves (finished or preempted): its private blocks are freed first, then,
    /// if it was the prefix's last user, the prefix's blocks (tail first, as upstream frees a
    /// request's blocks in reverse).
    pub fn release(&mut self, private: u32, group: u32, attached: bool) {
        self.free.push(0, private);
        if !attached {
            return;
        }
        if let Some(c) = self.groups.get_mut(&group) {
            c.users -= 1;
            if c.users == 0 {
                if c.blocks == 0 {
                    self.groups.remove(&group);
                } else {
                    let blocks = c.blocks;
                    self.free.push(group, blocks);
                }
            }
        }
    }

    /// Entries kept (for memory estimates).
    pub fn entries(&self) -> usize {
        self.free.len() + self.groups.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_prefix_is_reused_until_evicted_tail_first() {
        let mut kv = BlockPool::new(10, true);
        // Sequence A of group 5: no hit, 4 blocks (3 of them the prefix).
        assert_eq!(kv.attach(5), 0);
        assert!(kv.allocate(4));
        assert_eq!(kv.usage(), 0.4);
        assert_eq!(kv.publish(5, 0, 3), 3);
        kv.release(1, 5, true);
        // The prefix waits in the free queue: free again, still cached.
        assert_eq!(kv.used(), 0);
        assert_eq!(kv.cached(5), 3);
        // B (no prefix) takes 7: the 6 never-used blocks and A's private block go first.
        assert!(kv.allocate(7));
        assert_eq!(kv.cached(5), 3);
        // One more block evicts the prefix's last block: a shorter hit remains.
        assert!(kv.allocate(1));
        assert_eq!(kv.cached(5), 2);
        assert_eq!(kv.free_after_hit(5), 0);
        assert!(!kv.allocate(3), "only 2 free");
        assert_eq!(kv.attach(5), 2);
        assert_eq!(kv.used(), 10);
    }

    #[test]
    fn without_prefix_caching_nothing_is_reused() {
        let mut kv = BlockPool::new(4, false);
        assert_eq!(kv.attach(1), 0);
        assert!(kv.allocate(3));
        assert_eq!(kv.publish(1, 0, 2), 0);
        kv.release(3, 1, false);
        assert_eq!(kv.cached(1), 0);
        assert_eq!(kv.free(), 4);
    }
}
