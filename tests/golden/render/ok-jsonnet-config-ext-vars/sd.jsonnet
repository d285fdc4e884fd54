{ desiredCount: std.extVar('MINUTES') - 1, launchType: 'FARGATE' }
