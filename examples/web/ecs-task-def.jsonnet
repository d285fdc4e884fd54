// Task definition for the demo "web" service: an app, an nginx front and a log router.
local env = std.native('env');
local mustEnv = std.native('must_env');
local image_tag = std.extVar('IMAGE_TAG');
local common = import 'common.libsonnet';

{
  family: 'web',
  cpu: '512',
  memory: '1024',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  executionRoleArn: 'arn:aws:iam::%s:role/ecsTaskExecutionRole' % env('AWS_ACCOUNT_ID', '123456789012'),
  taskRoleArn: 'arn:aws:iam::%s:role/web-task' % env('AWS_ACCOUNT_ID', '123456789012'),
  containerDefinitions: [
    {
      name: 'app',
      image: 'ghcr.io/example/web-app:%s' % image_tag,
      essential: true,
      memory: 512,
      environment: [
        { name: 'APP_ENV', value: mustEnv('APP_ENV') },
        { name: 'RELEASE', value: image_tag },
      ],
      secrets: [
        { name: 'DATABASE_URL', valueFrom: 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/web/database-url' },
      ],
      portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
      logConfiguration: common.awslogs('app'),
    },
    {
      name: 'nginx',
      image: 'public.ecr.aws/nginx/nginx:1.27',
      essential: true,
      memory: 256,
      portMappings: [{ containerPort: 80, protocol: 'tcp', name: 'http' }],
      dependsOn: [{ containerName: 'app', condition: 'START' }],
      logConfiguration: common.awslogs('nginx'),
      dockerLabels: { 'com.example.team': 'web', 'Owner': '{{ env `OWNER` `platform` }}' },
    },
    {
      name: 'log-router',
      image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
      essential: false,
      memory: 128,
      firelensConfiguration: { type: 'fluentbit' },
      logConfiguration: common.awslogs('log-router'),
    },
  ],
  tags: [
    { key: 'service', value: 'web' },
    { key: 'replicas', value: std.toString(std.extVar('REPLICAS')) },
  ],
}
