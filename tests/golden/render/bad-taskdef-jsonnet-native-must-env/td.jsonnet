{
  family: 'web',
  containerDefinitions: [{ name: 'a', image: std.native('must_env')('IMAGE'), memory: 64 }],
}
