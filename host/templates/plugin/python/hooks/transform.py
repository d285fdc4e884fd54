class Transform(exports.Transform):
    """Tags every definition with `managed-by: {{name}}` unless it sets that tag itself."""

    def transform(self, ctx, kind, definition):
        value = json.loads(definition)
        if not isinstance(value, dict):
            raise Err("the definition is not a JSON object")
        tags = value.setdefault("tags", [])
        if not any(tag.get("key") == "managed-by" for tag in tags):
            tags.append({"key": "managed-by", "value": "{{name}}"})
        return json.dumps(value)
