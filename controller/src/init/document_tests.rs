//! init's decisions, one at a time, on small hand-made accounts.

use super::*;
