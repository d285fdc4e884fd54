{
  name: error 'name is not configured',
}
