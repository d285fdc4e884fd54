local tg = 'arn:aws:elasticloadbalancing:us-east-1:1111111111:targetgroup/test/12345678';
{
  desiredCount: 1 + 1,
  launchType: 'EC2',
  schedulingStrategy: 'REPLICA',
  propagateTags: 'SERVICE',
  loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: 80 }],
  deploymentConfiguration: {
    maximumPercent: 200,
    minimumHealthyPercent: 50,
    alarms: { alarmNames: ['HighResponseLatencyAlarm'], enable: true, rollback: true },
  },
  tags: [{ key: 'cluster', value: 'default2' }],
}
