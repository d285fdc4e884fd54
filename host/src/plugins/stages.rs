//! Which stages a gate watches (its config's `stages`), read when the plugin set loads and
//! whenever a stage's gates are asked.

use super::bindings::Stage;

/// The stages a gate watches: its config's `stages` list (the key the first-party gates take),
/// or every stage when the config has none. A `stages` that is not a list of stage names is an
/// error naming the bad entry.
pub fn watched_stages(config: &serde_json::Value) -> Result<Vec<Stage>, String> {
    let Some(stages) = config.get("stages") else {
        return Ok(Stage::ALL.to_vec());
    };
    let names = || {
        Stage::ALL
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let list = stages.as_array().ok_or_else(|| {
        format!(
            "config.stages must be a list of stages ({}), not {stages}",
            names()
        )
    })?;
    list.iter()
        .map(|entry| {
            entry
                .as_str()
                .and_then(|text| Stage::ALL.into_iter().find(|s| s.name() == text))
                .ok_or_else(|| format!("config.stages: {entry} is not one of {}", names()))
        })
        .collect()
}
