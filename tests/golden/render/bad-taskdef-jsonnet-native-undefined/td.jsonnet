{
  family: 'web',
  containerDefinitions: [{
    name: 'app',
    image: 'nginx',
    environment: [{ name: 'CLUSTER', value: std.native('tfstate')('aws_ecs_cluster.main.name') }],
  }],
}
