{
  family: 'web-' + std.extVar('STAGE'),
  containerDefinitions: [{ name: 'app', image: 'nginx:' + std.native('env')('TAG', 'stable'), memory: 128 }],
}
