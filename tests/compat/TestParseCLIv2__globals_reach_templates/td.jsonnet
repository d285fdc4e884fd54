{
  family: 'app-' + std.native('env')('ECSPRESSO_TEST', 'unset'),
  containerDefinitions: [{
    name: std.extVar('s1') + std.extVar('s2'),
    image: 'busybox',
    cpu: std.extVar('c1') + std.extVar('c2'),
  }],
}
