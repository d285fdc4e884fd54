// Service definition for the demo "web" service.
{
  launchType: 'FARGATE',
  desiredCount: std.extVar('REPLICAS'),
  deploymentConfiguration: {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    maximumPercent: 200,
    minimumHealthyPercent: 100,
  },
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: std.split(std.native('env')('SUBNET_IDS', 'subnet-00000000000000001'), ','),
      securityGroups: [std.native('env')('SECURITY_GROUP_ID', 'sg-00000000000000001')],
      assignPublicIp: 'DISABLED',
    },
  },
  enableExecuteCommand: true,
  propagateTags: 'SERVICE',
  tags: [{ key: 'service', value: 'web' }],
}
