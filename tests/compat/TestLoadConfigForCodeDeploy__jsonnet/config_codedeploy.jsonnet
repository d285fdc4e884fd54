{ region: 'ap-northeast-1', service: 'test', codedeploy: { application_name: 'my' + 'app', deployment_group_name: 'mydeployment' } }
