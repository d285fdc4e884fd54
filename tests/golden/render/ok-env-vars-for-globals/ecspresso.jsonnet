{ service: std.extVar('S'), task_definition: 'td.json' }
