//! Digests of the specs mooring applied, recorded in AWS (a tag, or the marker in an
//! alarm's description) so that a later pass can tell drift (the account changed, the
//! spec did not) from a change of the desired state. Both hash the canonical JSON of our
//! own types (BTreeMaps, fixed field order): stable across processes and releases, unlike
//! std's hasher. Serialising plain structs of strings, numbers and maps cannot fail; an
//! empty string would only make the next pass write the digest again.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// All 64 hex digits: the autoscaling spec's tag on the service (room enough in a tag).
pub(super) fn full_digest<T: Serialize>(spec: &T) -> String {
    hex(spec, usize::MAX)
}

/// 16 hex digits: enough to tell specs apart, short enough for an alarm's description
/// and a topic's tag.
pub(super) fn short_digest<T: Serialize>(spec: &T) -> String {
    hex(spec, 8)
}

fn hex<T: Serialize>(spec: &T, bytes: usize) -> String {
    let canonical = serde_json::to_string(spec).unwrap_or_default();
    Sha256::digest(canonical.as_bytes())
        .iter()
        .take(bytes)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
