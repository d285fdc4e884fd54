{
  family: 'test',
  containerDefinitions: [{ name: 'app', image: 'nginx', memory: 64, secrets: [{ name: 'S', valueFrom: std.native('secretsmanager_arnf')('my-%s', 'secret') }] }],
}
