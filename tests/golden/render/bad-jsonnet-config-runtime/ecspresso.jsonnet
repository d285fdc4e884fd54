local x = import 'lib.libsonnet';
{ service: x.name }
