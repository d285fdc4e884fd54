//! End-to-end tests: the real `ristretto` binary, run from fixtures, against a local AWS
//! emulator (moto, extended in tests/emulator) started once per test binary on a free loopback
//! port. Each test gets its own AWS account (by access key id) for isolation, and checks AWS
//! state with an independent SDK client. See tests/README.md.

mod autoscaling;
mod aws_corpus;
mod bad_input;
mod bluegreen;
mod choose;
mod codedeploy;
mod compat;
mod compat_table;
mod deadlines;
mod deploy;
mod emulator;
mod envfile;
mod event_stream;
mod exec_cp;
mod express;
mod faults;
mod first_party;
mod fleet;
mod golden;
mod guide;
mod interrupt;
mod languages;
mod lifecycle;
mod lookups;
mod lookups_tf;
mod oci;
mod output;
mod overreach;
mod plans;
mod plugin_loading;
mod plugin_test;
mod plugin_versions;
mod plugins;
mod poller;
mod progress;
mod register_roundtrip;
mod run;
mod skills;
mod support;
mod tfstate_backends;
mod verify;
mod wall_clock;
