// What the current page's panels (registry-panel.js, balancer-panel.js) read of the fleet: a
// read-only Map-like `items` of id → {id, life, reg, queue, inService, util, routed, completed,
// dropped, failed, weight, speed, lease, inView, flags}, codes as numbers. The objects are kept
// and refreshed from the view only when read, so reading all of them at 100,000 instances makes
// no garbage. New code uses FleetView.describe(id) and FleetView.order instead.

export function legacyItem(v, id) {
  const objs = v.legacyObjs ?? (v.legacyObjs = []);
  let it = objs[id];
  if (!it) objs[id] = it = new LegacyItem(id);
  if (it.gen !== v.gen) {
    it.gen = v.gen;
    const s = v.snap, o = v.rowOf[id] * v.nf, F = v.F;
    it.life = s[o + F.lifecycle]; it.reg = s[o + F.registry]; it.queue = s[o + F.queue]; it.inService = s[o + F.in_service];
    it.util = v.util[id]; it.routed = s[o + F.routed]; it.completed = s[o + F.completed]; it.dropped = s[o + F.dropped];
    it.failed = s[o + F.failed]; it.weight = s[o + F.weight]; it.speed = s[o + F.speed]; it.lease = s[o + F.lease_left_s];
    it.inView = s[o + F.in_view]; it.flags = s[o + F.flags];
  }
  return it;
}

/** Every legacy object in drawing order, refreshed once per update (an array kept). */
export function legacyAll(v) {
  const all = v.legacyArr ?? (v.legacyArr = []);
  if (v.legacyArrGen !== v.gen) {
    v.legacyArrGen = v.gen;
    all.length = v.n;
    for (let i = 0; i < v.n; i++) all[i] = legacyItem(v, v.orderBuf[i]);
  }
  return all;
}

class LegacyItem {
  constructor(id) {
    this.id = id; this.gen = -1;
    // doubles from the start, so that V8 keeps one field layout for all of them
    this.life = 0.5; this.reg = 0.5; this.queue = 0.5; this.inService = 0.5; this.util = 0.5; this.routed = 0.5;
    this.completed = 0.5; this.dropped = 0.5; this.failed = 0.5; this.weight = 0.5; this.speed = 0.5; this.lease = 0.5;
    this.inView = 0.5; this.flags = 0.5;
  }
}

/** What the old panels use of a Map: has, get, size, values/keys/entries, iteration. */
export class LegacyItems {
  constructor(view) { this.v = view; }
  get size() { return this.v.n; }
  has(id) { const v = this.v; return id >= 0 && id < v.cap && v.rowOf[id] >= 0 && v.rowOf[id] < v.n; }
  get(id) { return this.has(id) ? legacyItem(this.v, id) : undefined; }
  keys() { return this.v.order.values(); }
  values() { return legacyAll(this.v).values(); }
  * entries() { const v = this.v; for (let i = 0; i < v.n; i++) { const id = v.orderBuf[i]; yield [id, legacyItem(v, id)]; } }
  [Symbol.iterator]() { return this.entries(); }
  forEach(f) { for (const [id, it] of this.entries()) f(it, id, this); }
  clear() { this.v.reset(); }
}
