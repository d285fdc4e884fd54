//! The ECS deployment controller (rolling, and the native blue/green, linear and canary
//! strategies): following a service deployment through its lifecycle stages, answering the
//! PAUSE hooks ristretto's gates decide, and stopping a deployment with rollback.

pub(crate) mod follow;
mod looks;
