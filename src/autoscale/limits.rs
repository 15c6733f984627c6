//! The HPA's allowed values, in one place: the scenario validator and `hpa::Hpa::new` both
//! check these. Kubernetes' API validation sets the period and window bounds
//! (`periodSeconds` 1–1800, `stabilizationWindowSeconds` 0–3600, pkg/apis/autoscaling/validation);
//! the others bound the simulation (a fleet of at most `MAX_INSTANCES`).

use crate::error::Range;

pub const MAX_TARGET_UTILIZATION_PCT: u32 = 1000;
pub const MAX_POLICY_VALUE: u32 = 1_000_000;
pub const MAX_POLICY_PERIOD_S: u32 = 1800;
pub const MAX_STABILIZATION_WINDOW_S: u32 = 3600;
pub const TOLERANCE_SCALE_DOWN: Range = Range::float(0.0, 1.0);
pub const TOLERANCE_SCALE_UP: Range = Range::float(0.0, 10.0);
