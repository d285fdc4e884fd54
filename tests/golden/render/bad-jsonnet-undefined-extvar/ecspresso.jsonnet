{
  service: std.extVar('SERVICE'),
}
