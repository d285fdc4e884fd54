{
  family: 'katsubushi',
  cpu: '256',
  memory: '512',
  networkMode: 'awsvpc',
  ephemeralStorage: { sizeInGiB: std.extVar('EphemeralStorage') },
  containerDefinitions: [{
    name: 'katsubushi',
    image: 'katsubushi/katsubushi:v1.6.0',
    command: ['-worker-id=' + std.extVar('WorkerID')],
    dockerLabels: { name: 'katsubushi' },
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': 'fargate', 'awslogs-region': 'ap-northeast-1', 'awslogs-stream-prefix': 'katsubushi' },
    },
  }],
}
