// What each balancer is, in words, and which of its options matter. Shared by the Balancer tab,
// the key view and the comparison. `kind` drives the comparison's explanation:
//   oblivious: ignores how busy instances are; load: reads per-instance load;
//   hash: routes by request key; ideal: not a real balancer (the M/M/c reference).

export const ALGOS = {
  round_robin: {
    label: 'round robin', kind: 'oblivious',
    note: 'Each instance in turn, whatever its queue — the default of nginx and Envoy (ROUND_ROBIN). Fair in count, blind to load: a slow instance gets as many requests as a fast one.',
  },
  weighted_round_robin: {
    label: 'weighted round robin', kind: 'oblivious',
    note: 'nginx’s smooth weighted round robin: over every Σweight picks, each instance gets exactly its weight, interleaved (weights 5, 1, 1 → a a b a c a a). Set weights by clicking an instance.',
  },
  random: {
    label: 'random', kind: 'oblivious',
    note: 'Weighted random (Envoy RANDOM): each request picks instance i with probability weight_i / Σweight. Every instance becomes its own M/M/1 queue — the baseline the load-aware policies beat.',
  },
  least_connections: {
    label: 'least connections', kind: 'load',
    note: 'nginx least_conn: the instance with the fewest active requests (queued + in service) per unit of weight, ties broken by smooth round robin. Needs every instance’s count on every pick.',
  },
  power_of_two: {
    label: 'power of two choices', kind: 'load',
    note: 'Envoy least_request: sample two instances at random, send to the one with fewer active requests (Mitzenmacher’s “power of two choices”). Nearly as good as a full scan at O(1) cost, and far less prone to herding on stale data.',
  },
  peak_ewma: {
    label: 'peak EWMA', kind: 'load',
    note: 'Finagle / linkerd (tower PeakEwma): cost = latency EWMA (jumps up to any peak, decays with decay_s) × (pending + 1); the cheaper of two random instances wins. Reacts to slow instances, not just long queues.',
  },
  ring_hash: {
    label: 'ring hash', kind: 'hash',
    note: 'Consistent hashing on a ring, ketama style (Karger et al.; Envoy RING_HASH): a key goes to the first instance point clockwise from its hash. Adding or removing one instance moves only about 1/N of the keys.',
  },
  maglev: {
    label: 'Maglev', kind: 'hash',
    note: 'Google’s Maglev (NSDI 2016; Envoy MAGLEV): a prime-sized lookup table filled from per-instance permutations. Near-perfect balance, and close to the minimal 1/N of keys move on a change.',
  },
  jump_hash: {
    label: 'jump hash', kind: 'hash',
    note: 'Lamping & Veach jump consistent hash: no table at all; going from N to N+1 buckets moves exactly the expected 1/(N+1) of keys. Only the last bucket can leave cheaply: remove a middle instance and most keys move.',
  },
  shared_queue: {
    label: 'shared queue', kind: 'ideal',
    note: 'Not a real balancer: one central queue, any idle instance takes the next request — the M/M/c lower bound that real balancers are measured against.',
  },
};

export const HASH_ALGOS = new Set(Object.keys(ALGOS).filter((k) => ALGOS[k].kind === 'hash'));
export const LOAD_ALGOS = new Set(Object.keys(ALGOS).filter((k) => ALGOS[k].kind === 'load'));
export const label = (algo) => ALGOS[algo]?.label ?? algo.replace(/_/g, ' ');

/** Stable colour of an instance id (golden-angle hues), as [r, g, b]. */
export function instanceRgb(id) {
  if (id < 0) return [60, 70, 84];
  const h = ((id * 137.508) % 360) / 360;
  const s = 0.62, l = id % 2 ? 0.6 : 0.5;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
  const f = (t) => {
    t = (t + 1) % 1;
    const v = t < 1 / 6 ? p + (q - p) * 6 * t : t < 1 / 2 ? q : t < 2 / 3 ? p + (q - p) * (2 / 3 - t) * 6 : p;
    return Math.round(v * 255);
  };
  return [f(h + 1 / 3), f(h), f(h - 1 / 3)];
}
export const instanceColor = (id) => `rgb(${instanceRgb(id).join(',')})`;

/** Fraction of uniformly hashed keys whose owner changes under `hash mod N` going a → b. */
export function modNMoved(a, b) {
  if (!(a > 0 && b > 0) || a === b) return 0;
  // hash mod a and hash mod b agree on r mod lcm(a, b): count the agreeing residues
  const g = gcd(a, b), l = (a / g) * b;
  if (l > 5e6) return 1 - 1 / Math.max(a, b); // huge lcm: about one agreement per max(a, b)
  let same = 0;
  for (let r = 0; r < l; r++) if (r % a === r % b) same++;
  return 1 - same / l;
}
function gcd(a, b) { while (b) [a, b] = [b, a % b]; return a; }
