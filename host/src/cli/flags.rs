//! Flags several commands share in ecspresso's negatable form: the `--no-X` that changes the
//! default is listed in help, and the positive `--X` (kong accepts both) is accepted hidden;
//! the last one given wins.

use clap::Args;

/// `--no-wait` (and `--wait`, the default).
#[derive(Debug, Clone, Args)]
pub struct WaitFlag {
    /// Do not wait for the result
    #[arg(long = "no-wait", action = clap::ArgAction::SetFalse, overrides_with = "wait_flag")]
    pub wait: bool,
    /// `--wait`: the default
    #[arg(long = "wait", hide = true, overrides_with = "wait")]
    pub wait_flag: bool,
}

/// `--no-update-service` (and `--update-service`, the default).
#[derive(Debug, Clone, Args)]
pub struct UpdateServiceFlag {
    /// Do not apply the service definition (its attributes and tags)
    #[arg(long = "no-update-service", action = clap::ArgAction::SetFalse, overrides_with = "update_service_flag")]
    pub update_service: bool,
    /// `--update-service`: the default
    #[arg(
        long = "update-service",
        hide = true,
        overrides_with = "update_service"
    )]
    pub update_service_flag: bool,
}
