// Shared pieces of the demo definitions.
{
  awslogs(container):: {
    logDriver: 'awslogs',
    options: {
      'awslogs-group': '/ecs/web',
      'awslogs-region': 'ap-northeast-1',
      'awslogs-stream-prefix': container,
    },
  },
}
