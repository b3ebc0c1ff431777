//! The fault proxy (`tests/reliability/fault_proxy.py`) as a process of one test.

use std::time::Duration;

use crate::fixtures::{endpoint, repo_root, DesiredFile};

/// `tests/reliability/fault_proxy.py` in front of the emulator, answering every AWS call
/// with `kind` (e.g. `access_denied`); the process ends with the value. Returns its URL.
pub struct FaultProxyProcess {
    pub url: String,
    _child: tokio::process::Child,
    _dir: DesiredFile,
}

pub async fn fault_proxy_answering(kind: &str) -> FaultProxyProcess {
    let dir = DesiredFile::write("port", "");
    let port_file = dir.dir.join("proxy.port");
    let script = repo_root().join("tests/reliability/fault_proxy.py");
    let child = tokio::process::Command::new("python3")
        .arg(&script)
        .args(["--upstream", endpoint(), "--rate", &format!("{kind}=1")])
        .arg("--port-file")
        .arg(&port_file)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", script.display()));
    let started = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                if !port.trim().is_empty() {
                    return port.trim().to_owned();
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the fault proxy wrote no port within 20s"));
    FaultProxyProcess {
        url: format!("http://127.0.0.1:{started}"),
        _child: child,
        _dir: dir,
    }
}
