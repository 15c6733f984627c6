//! Named presets: a few field values with a name and their sources, applied to any scenario
//! through the same checked edits as a change in the page (`Scenario::apply_edit`): the
//! proxies' defaults (nginx, Envoy: `balance::presets`), the registries' (Consul, Eureka:
//! `registry::presets`), and model servers' start-up times. The model
//! replicas' start-up times are claims from serving projects' issue and pull-request threads
//! (collected in the project's research notes), not measurements of this simulator.

use serde::Serialize;
use serde_json::{json, Value};

use super::Scenario;
use crate::error::Error;

/// A text in each of the page's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Text {
    pub en: &'static str,
    #[serde(rename = "zh-CN")]
    pub zh_cn: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    pub id: &'static str,
    pub title: Text,
    pub note: Text,
    /// Where the numbers come from.
    pub sources: Vec<&'static str>,
    /// (field path, value), applied in order.
    pub fields: Vec<(&'static str, Value)>,
}

impl Preset {
    /// Applies the preset's fields to `scenario`, each checked as an edit is.
    pub fn apply(&self, scenario: &mut Scenario) -> Result<(), Error> {
        for (path, value) in &self.fields {
            scenario.apply_edit(path, value.clone())?;
        }
        Ok(())
    }
}

/// The proxies' and registries' defaults (`balance::presets`, `registry::presets`), each a
/// whole `balancer` or `registry` object.
fn defaults_presets() -> Vec<Preset> {
    let find = |list: Vec<(&'static str, Value)>, name: &str| {
        list.into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .expect("a named preset")
    };
    let balancers = || {
        crate::balance::presets()
            .into_iter()
            .map(|(n, c)| (n, serde_json::to_value(c).expect("serializes")))
            .collect::<Vec<_>>()
    };
    let registries = || {
        crate::registry::presets()
            .into_iter()
            .map(|(n, c)| (n, serde_json::to_value(c).expect("serializes")))
            .collect::<Vec<_>>()
    };
    vec![
        Preset {
            id: "nginx_defaults",
            title: Text {
                en: "nginx defaults",
                zh_cn: "nginx 默认设置",
            },
            note: Text {
                en: "weighted round robin, max_fails=1 fail_timeout=10s, proxy_next_upstream error timeout, 60 s read timeout",
                zh_cn: "加权轮询，max_fails=1 fail_timeout=10s，proxy_next_upstream error timeout，60 秒读超时",
            },
            sources: vec![
                "nginx/nginx src/http/ngx_http_upstream_round_robin.c (ngx_http_upstream_get_peer, free_round_robin_peer), ngx_http_upstream.c (ngx_http_upstream_server, ngx_http_upstream_next), modules/ngx_http_proxy_module.c (merge_loc_conf) at 3f6f7824",
            ],
            fields: vec![("balancer", find(balancers(), "nginx"))],
        },
        Preset {
            id: "envoy_defaults",
            title: Text {
                en: "Envoy defaults",
                zh_cn: "Envoy 默认设置",
            },
            note: Text {
                en: "round robin, 15 s route timeout; no retry policy, no outlier detection, no health checks",
                zh_cn: "轮询，15 秒路由超时；没有重试策略、离群检测和健康检查",
            },
            sources: vec![
                "envoyproxy/envoy source/common/router/config_impl.h (DEFAULT_ROUTE_TIMEOUT_MS), retry_state_impl.cc (RetryStateImpl::create: no policy, no retries), outlier_detection and health_checks off unless configured",
            ],
            fields: vec![("balancer", find(balancers(), "envoy"))],
        },
        Preset {
            id: "consul_registry",
            title: Text {
                en: "Consul TTL check",
                zh_cn: "Consul TTL 检查",
            },
            note: Text {
                en: "a 5 s heartbeat against a 15 s TTL: evicted the moment the TTL passes",
                zh_cn: "5 秒心跳，15 秒 TTL：TTL 一过立即剔除",
            },
            sources: vec![
                "hashicorp/consul agent/checks/check.go (CheckTTL.run, SetStatus) at 0303d8c3",
            ],
            fields: vec![("registry", find(registries(), "consul"))],
        },
        Preset {
            id: "eureka_registry",
            title: Text {
                en: "Eureka defaults",
                zh_cn: "Eureka 默认设置",
            },
            note: Text {
                en: "30 s renewals, 90 s lease (expires 180 s after the last renewal), 60 s eviction sweeps, self-preservation at 0.85, 30 s client fetch",
                zh_cn: "30 秒续约，90 秒租约（最后一次续约后 180 秒过期），每 60 秒清理一次，自我保护阈值 0.85，客户端每 30 秒拉取",
            },
            sources: vec![
                "Netflix/eureka Lease.java, AbstractInstanceRegistry.java (evict), PeerAwareInstanceRegistryImpl.java (isLeaseExpirationEnabled), LeaseInfo.java, DefaultEurekaClientConfig.java at 61acc83d",
            ],
            fields: vec![("registry", find(registries(), "eureka"))],
        },
    ]
}

/// Every preset, in the order the page lists them.
pub fn presets() -> Vec<Preset> {
    let mut all = defaults_presets();
    all.extend(model_presets());
    all
}

/// Start-up times of model servers.
fn model_presets() -> Vec<Preset> {
    vec![
        Preset {
            id: "large_model_replica",
            title: Text {
                en: "Large model replica",
                zh_cn: "大模型副本",
            },
            note: Text {
                en: "a new replica loads its weights for 120 s before it serves",
                zh_cn: "新副本先加载权重 120 秒才能提供服务",
            },
            sources: vec![
                "kserve/kserve PR #5063 (vLLM readiness and liveness probes wait initialDelaySeconds: 120 \"to give the model time to load\")",
            ],
            fields: vec![("instances.startup_s", json!(120))],
        },
        Preset {
            id: "large_model_data_parallel",
            title: Text {
                en: "Large model, data parallel",
                zh_cn: "大模型（数据并行）",
            },
            note: Text {
                en: "a data-parallel replica takes 300 s to load",
                zh_cn: "数据并行副本加载需要 300 秒",
            },
            sources: vec![
                "kserve/kserve PR #5063 (initialDelaySeconds: 300 for the data-parallel configuration)",
            ],
            fields: vec![("instances.startup_s", json!(300))],
        },
        Preset {
            id: "very_large_model",
            title: Text {
                en: "Very large model (tensor parallel, 8 GPUs)",
                zh_cn: "超大模型（8 卡张量并行）",
            },
            note: Text {
                en: "about 8 minutes to become ready",
                zh_cn: "约 8 分钟才能就绪",
            },
            sources: vec![
                "vllm-project/vllm issue #43189 (DeepSeek-V4-Flash, TP8 on H20: about 8 minutes to ready)",
                "llm-d/llm-d-benchmark issue #83 (Llama-4-Scout-17B-16E on 4 × H100: about 10 minutes to load)",
            ],
            fields: vec![("instances.startup_s", json!(480))],
        },
    ]
}

/// The preset named `id`.
pub fn preset(id: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_model_replica_starts_in_120_s() {
        let p = preset("large_model_replica").unwrap();
        let mut s = Scenario::default();
        p.apply(&mut s).unwrap();
        assert_eq!(s.instances.startup_s, 120.0);
        assert!(s.validate().is_ok());
        assert!(p.sources[0].contains("#5063"));
    }

    #[test]
    fn the_proxy_and_registry_defaults_apply_whole() {
        let mut s = Scenario::default();
        preset("nginx_defaults").unwrap().apply(&mut s).unwrap();
        let ph = s.balancer.passive_health.clone().unwrap();
        assert_eq!((ph.max_fails, ph.fail_timeout_s), (1, 10));
        preset("envoy_defaults").unwrap().apply(&mut s).unwrap();
        assert!(
            s.balancer.passive_health.is_none(),
            "the whole balancer is replaced"
        );
        assert_eq!(s.balancer.timeout_s, 15.0);
        preset("eureka_registry").unwrap().apply(&mut s).unwrap();
        assert_eq!(s.registry.flavor, crate::scenario::RegistryFlavor::Eureka);
        assert_eq!((s.registry.heartbeat_s, s.registry.ttl_s), (30.0, 90.0));
        preset("consul_registry").unwrap().apply(&mut s).unwrap();
        assert_eq!(s.registry, crate::scenario::RegistryConfig::default());
    }

    #[test]
    fn every_preset_applies_to_the_default_scenario_and_is_named() {
        let all = presets();
        let mut ids: Vec<&str> = all.iter().map(|p| p.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for p in &all {
            let mut s = Scenario::default();
            p.apply(&mut s).unwrap_or_else(|e| panic!("{}: {e}", p.id));
            s.validate().unwrap();
            assert!(!p.title.en.is_empty() && !p.title.zh_cn.is_empty());
            assert!(!p.sources.is_empty());
        }
    }
}
