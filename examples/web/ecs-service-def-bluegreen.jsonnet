// The demo service as an ECS-native blue/green deployment. In AWS, add
// loadBalancers[].advancedConfiguration (alternate target group, production and test listener
// rules, role); the local emulator shifts traffic without a load balancer.
local base = import 'ecs-service-def.jsonnet';
base {
  deploymentConfiguration: {
    strategy: 'BLUE_GREEN',
    bakeTimeInMinutes: 0,
    maximumPercent: 200,
    minimumHealthyPercent: 100,
  },
  tags: [{ key: 'service', value: 'web-bg' }],
}
