//! mooring's reconcile engine: observe the account, plan against the desired state,
//! apply the difference. The `mooring` binary is a thin shell over `cli`.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod observe;
pub mod observed;
pub mod pass;
pub mod plan;
pub mod render;
