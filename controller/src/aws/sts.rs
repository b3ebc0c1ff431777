//! STS: which account the credentials reach (GetCallerIdentity). The account guard
//! (`account_guard`) asks before anything else of a stack that names `spec.account`.
//! GetCallerIdentity needs no IAM permission: it works for any valid credentials.

use aws_sdk_sts::error::DisplayErrorContext;

#[derive(Debug, thiserror::Error)]
pub enum StsError {
    #[error("STS GetCallerIdentity failed in {region}: {detail}")]
    Call { region: String, detail: String },
    #[error("STS GetCallerIdentity in {region} answered without an account id")]
    NoAccount { region: String },
}

/// The 12-digit account id the client's credentials belong to.
pub async fn caller_account(
    client: &aws_sdk_sts::Client,
    region: &str,
) -> Result<String, StsError> {
    let identity = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| StsError::Call {
            region: region.to_owned(),
            // The SDK's own Display is "dispatch failure" or "service error"; the
            // context says which (connection refused, InvalidClientTokenId, ...).
            detail: DisplayErrorContext(&e).to_string(),
        })?;
    identity
        .account()
        .filter(|account| !account.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| StsError::NoAccount {
            region: region.to_owned(),
        })
}
