//! Named presets: a few field values with a name and their sources, applied to any scenario
//! through the same checked edits as a change in the page (`Scenario::apply_edit`). The model
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

/// Every preset, in the order the page lists them.
pub fn presets() -> Vec<Preset> {
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
