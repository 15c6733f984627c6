// Kept for www/faults.js (owned by the fleet drawing's rewrite) until it reads log.js's faultOf:
// the fault each log kind records, for its chart markers.
export const FAULT_OF = { crashed: 'crash', slowed: 'slow', partitioned: 'partition', restarting: 'recover', recovered: 'recover' };
