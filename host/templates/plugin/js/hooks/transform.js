// Tags every definition with `managed-by: {{name}}` unless it sets that tag itself.
export const transform = {
  transform(ctx, kind, definition) {
    const value = JSON.parse(definition);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw 'the definition is not a JSON object';
    }
    value.tags = value.tags ?? [];
    if (!value.tags.some((tag) => tag.key === 'managed-by')) {
      value.tags.push({ key: 'managed-by', value: '{{name}}' });
    }
    return JSON.stringify(value);
  },
};
