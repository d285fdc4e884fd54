//! One-off tasks, not deploying: `run` (RunTask with the service's network settings, tags and
//! overrides, then watching the tasks and their logs until they run or stop), and the tasks of
//! a service and its family (`tasks`), their container logs (`task::logs`), and ECS Exec sessions
//! into them (`task::exec`: a command or port forwarding through `session-manager-plugin`), and
//! `exec cp` (`task::copy` reads the copy and starts the agent, `task::transfer` moves the bytes).

pub mod copy;
pub mod exec;
pub mod list;
pub mod logs;
pub(crate) mod run;
pub mod transfer;
pub(crate) mod watch;

pub use run::{PropagateTags, RunOptions, run};
pub use watch::RunWait;
