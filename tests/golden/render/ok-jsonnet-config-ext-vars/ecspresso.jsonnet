local stage = std.extVar('STAGE');
{
  cluster: 'cluster-' + stage,
  service: 'web-' + stage,
  task_definition: 'td.jsonnet',
  service_definition: 'sd.jsonnet',
  timeout: '%dm' % std.extVar('MINUTES'),
}
