//! SIGINT (Ctrl-C) and SIGTERM (a CI job being cancelled) while a command talks to AWS.
//!
//! Commands stop where they are and say what goes on without them. The one thing ristretto
//! does before exiting is answer a deployment paused at its own hook while gates were deciding:
//! with nobody left to decide, it rolls back at once (what the hook's ROLLBACK timeout would do
//! later) instead of leaving production waiting.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// A signal that asks ristretto to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C on a terminal.
    Interrupt,
    /// SIGTERM: a process manager or CI runner stopping the job.
    Terminate,
}

impl Signal {
    /// `SIGINT` or `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
        }
    }

    /// The shell's exit status for a process ended by this signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Interrupt => 130,
            Self::Terminate => 143,
        }
    }
}

/// The signal this process has received, as recorded by [`received`] and [`watch`]: 0 for
/// none, else the signal's number. Plugin calls read it to give up at once (a blocked thread
/// cannot wait for the command's own `select!` to notice).
static RECEIVED: AtomicU8 = AtomicU8::new(0);

fn record(signal: Signal) {
    let number = match signal {
        Signal::Interrupt => 2,
        Signal::Terminate => 15,
    };
    RECEIVED.store(number, Ordering::SeqCst);
}

/// The SIGINT or SIGTERM this process has received, if any.
pub fn requested() -> Option<Signal> {
    match RECEIVED.load(Ordering::SeqCst) {
        2 => Some(Signal::Interrupt),
        15 => Some(Signal::Terminate),
        _ => None,
    }
}

/// Records the first SIGINT or SIGTERM in the background (on a worker of the current Tokio
/// runtime), so that work which blocks the thread polling the command (a plugin call) can see
/// it within milliseconds through [`requested`]. Call it where the command also listens with
/// [`received`]: listening replaces the signals' default action.
pub fn watch() {
    tokio::spawn(async {
        received().await;
    });
}

/// The next SIGINT or SIGTERM. Listening replaces the default action (ending the process) for
/// as long as the process lives, so callers must act on it. Never resolves when the handlers
/// cannot be installed, leaving the default action in place.
pub async fn received() -> Signal {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    let signal = tokio::select! {
        _ = interrupt.recv() => Signal::Interrupt,
        _ = terminate.recv() => Signal::Terminate,
    };
    record(signal);
    signal
}

/// What goes on after ristretto stops following AWS (Ctrl-C, SIGTERM or `--timeout`), and what
/// a user can do about it.
pub const GOES_ON_IN_AWS: &str = "what ristretto had already asked of AWS goes on without it: `ristretto status` shows the service, `ristretto wait` follows a deployment, `ristretto rollback` undoes one";

/// The command was stopped by a signal; the exit status follows the signal.
#[derive(Debug, thiserror::Error)]
#[error("stopped by {}: {what}", signal.name())]
pub struct Interrupted {
    /// Which signal.
    pub signal: Signal,
    /// What was going on and what goes on without ristretto.
    pub what: String,
}

/// A decision ristretto owes AWS while it runs: if it is stopped, it answers with a rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingDecision {
    /// An ECS service deployment paused at ristretto's PAUSE hook while gates run.
    EcsHook {
        /// The service deployment.
        deployment_arn: String,
        /// The hook awaiting action.
        hook_id: String,
    },
    /// A CodeDeploy deployment waiting at Ready while gates run.
    CodeDeployReady {
        /// The deployment id.
        deployment_id: String,
    },
}

/// What a stopped ristretto must still take care of: the decision owed right now, if any (set
/// while gates decide a paused deployment), and whether a deploy is in flight (its notify
/// plugins hear that it was interrupted).
#[derive(Debug, Default)]
pub struct Pending {
    decision: Mutex<Option<PendingDecision>>,
    deploying: AtomicBool,
}

impl Pending {
    /// Records the decision owed until the returned guard is dropped.
    pub fn owe(&self, decision: PendingDecision) -> PendingGuard<'_> {
        if let Ok(mut slot) = self.decision.lock() {
            *slot = Some(decision);
        }
        PendingGuard(self)
    }

    /// The decision owed now.
    pub fn current(&self) -> Option<PendingDecision> {
        self.decision.lock().ok().and_then(|slot| slot.clone())
    }

    /// Marks a deploy in flight until the returned guard is dropped.
    pub fn deploy_in_flight(&self) -> DeployGuard<'_> {
        self.deploying.store(true, Ordering::SeqCst);
        DeployGuard(self)
    }

    /// Whether a deploy is in flight.
    pub fn deploying(&self) -> bool {
        self.deploying.load(Ordering::SeqCst)
    }
}

/// Clears the in-flight deploy mark when dropped.
#[derive(Debug)]
pub struct DeployGuard<'a>(&'a Pending);

impl Drop for DeployGuard<'_> {
    fn drop(&mut self) {
        self.0.deploying.store(false, Ordering::SeqCst);
    }
}

/// Clears the owed decision when dropped (the gates answered, or the command ended).
#[derive(Debug)]
pub struct PendingGuard<'a>(&'a Pending);

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.0.decision.lock() {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_is_owed_only_while_its_guard_lives() {
        let pending = Pending::default();
        assert_eq!(pending.current(), None);
        let decision = PendingDecision::CodeDeployReady {
            deployment_id: "d-1".to_owned(),
        };
        {
            let _guard = pending.owe(decision.clone());
            assert_eq!(pending.current(), Some(decision));
        }
        assert_eq!(pending.current(), None);
        {
            let _deploy = pending.deploy_in_flight();
            assert!(pending.deploying());
        }
        assert!(!pending.deploying());
    }

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
    }
}
