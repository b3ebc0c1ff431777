//! CloudWatch dashboards: ListDashboards by name prefix, GetDashboard, PutDashboard,
//! DeleteDashboards. Bodies cross this line as text (parsed by the observer); SDK errors
//! become `DashboardsError`.

use aws_sdk_cloudwatch::Client;

#[derive(Debug, thiserror::Error)]
pub enum DashboardsError {
    #[error("listing CloudWatch dashboards with name prefix `{prefix}` failed")]
    List {
        prefix: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
    #[error("reading CloudWatch dashboard {name} failed")]
    Get {
        name: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
    #[error("putting CloudWatch dashboard {name} failed")]
    Put {
        name: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
    #[error("deleting CloudWatch dashboard {name} failed")]
    Delete {
        name: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
}

/// Every dashboard whose name starts with `prefix` (`""`: all), as (name, ARN). Stops on
/// a repeated page token, in case an emulator loops.
pub async fn list(client: &Client, prefix: &str) -> Result<Vec<(String, String)>, DashboardsError> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = client.list_dashboards().set_next_token(token.clone());
        if !prefix.is_empty() {
            request = request.dashboard_name_prefix(prefix);
        }
        let page = request.send().await.map_err(|e| DashboardsError::List {
            prefix: prefix.to_owned(),
            source: e.into(),
        })?;
        for entry in page.dashboard_entries() {
            if let Some(name) = entry.dashboard_name() {
                let arn = entry.dashboard_arn().unwrap_or_default();
                found.push((name.to_owned(), arn.to_owned()));
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned());
            }
            _ => return Ok(found),
        }
    }
}

/// The dashboard's body text.
pub async fn get_body(client: &Client, name: &str) -> Result<String, DashboardsError> {
    let output = client
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .map_err(|e| DashboardsError::Get {
            name: name.to_owned(),
            source: e.into(),
        })?;
    Ok(output.dashboard_body().unwrap_or_default().to_owned())
}

/// Creates or replaces the dashboard. CloudWatch's validation messages (warnings that did
/// not stop the put) are logged.
pub async fn put(client: &Client, name: &str, body: &str) -> Result<(), DashboardsError> {
    let output = client
        .put_dashboard()
        .dashboard_name(name)
        .dashboard_body(body)
        .send()
        .await
        .map_err(|e| DashboardsError::Put {
            name: name.to_owned(),
            source: e.into(),
        })?;
    for message in output.dashboard_validation_messages() {
        tracing::warn!(
            dashboard = name,
            at = message.data_path().unwrap_or_default(),
            message = message.message().unwrap_or_default(),
            "CloudWatch accepted the dashboard with a validation message"
        );
    }
    Ok(())
}

pub async fn delete(client: &Client, name: &str) -> Result<(), DashboardsError> {
    client
        .delete_dashboards()
        .dashboard_names(name)
        .send()
        .await
        .map_err(|e| DashboardsError::Delete {
            name: name.to_owned(),
            source: e.into(),
        })?;
    Ok(())
}
