{ service: 'x' + std.extVar('N') }
