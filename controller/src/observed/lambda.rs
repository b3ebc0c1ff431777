//! Lambda functions' resource policies as seen, reduced to what mooring compares: each
//! statement's id, principal and source ARN.

/// What GetPolicy told about one function (or alias).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionPolicy {
    /// The function exists; its statements (none when it has no policy yet).
    Found(Vec<PermissionStatement>),
    /// The function (or its alias) does not exist; `why` is what Lambda said.
    FunctionMissing { why: String },
}

/// One statement of a function's resource policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionStatement {
    pub sid: String,
    /// The service principal (`sns.amazonaws.com`) or account the statement allows;
    /// `None` when it is not a single one (a list, `*`).
    pub principal: Option<String>,
    /// The `AWS:SourceArn` condition, if any.
    pub source_arn: Option<String>,
}
