//! The JSON Schema of the format, generated from the raw serde types and their doc comments,
//! for yaml-language-server and other editors.

use schemars::generate::SchemaSettings;

use crate::raw::RawStack;

/// JSON Schema (draft 07, which yaml-language-server understands) of one desired-state file.
pub fn json_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawStack>();
    schema.to_value()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_descriptions_and_rejects_unknown_fields() {
        let schema = json_schema();
        let text = schema.to_string();
        assert!(text.contains("evaluationPeriods"));
        assert!(text.contains("Number of periods evaluated"));
        assert_eq!(
            schema["additionalProperties"],
            serde_json::Value::Bool(false)
        );
        assert_eq!(schema["properties"]["apiVersion"]["const"], "mooring/v1");
    }
}
