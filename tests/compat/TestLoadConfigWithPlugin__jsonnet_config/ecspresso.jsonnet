{
  region: 'ap-northeast-1',
  cluster: 'default',
  service: 'test',
  service_definition: 'sv.json',
  task_definition: 'td.json',
  timeout: '%dm' % (5 * 2),
  plugins: [{ name: 'tfstate', config: { path: 'terraform.tfstate' } }],
}
