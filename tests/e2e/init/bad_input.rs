//! Bad input: clear errors, the exit code of their kind, nothing written.

use crate::fault_proxy::fault_proxy_answering;
use crate::fixtures::*;

/// Bad input gets a clear error and the exit code of its kind, and nothing is written:
/// a cluster that does not exist (64), a region that cannot be one (64), a region whose
/// endpoint does not answer (1), an output file that exists without --force (64, the
/// file untouched), credentials without permission (AccessDenied from the fault proxy: 1).
#[tokio::test(flavor = "multi_thread")]
async fn init_refuses_bad_input_and_writes_nothing() {
    let cluster = unique("initbad");
    seed_services("us-east-1", &cluster, &[("api", 1)]).await;
    let file = DesiredFile::write("unused.yaml", "");
    let out = file.dir.join("stack.yaml");
    let out_arg = out.to_string_lossy().into_owned();

    let missing = format!("{cluster}-nope");
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "--cluster",
        &missing,
        "-o",
        &out_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    assert!(
        run.stderr.contains(&missing) && run.stderr.contains("not found"),
        "{run:?}"
    );
    assert!(run.stderr.contains("nothing was written"), "{run:?}");
    assert!(!out.exists(), "{run:?}");

    let run = mooring(&[
        "init",
        "--region",
        "mars",
        "--cluster",
        &cluster,
        "-o",
        &out_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run.stderr.contains("invalid region `mars`"), "{run:?}");
    assert!(!out.exists(), "{run:?}");

    // A region without an endpoint (nothing listens where its calls go).
    let run = mooring_via(
        "http://127.0.0.1:9",
        &[
            "init",
            "--region",
            "eu-south-9",
            "--cluster",
            &cluster,
            "-o",
            &out_arg,
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("eu-south-9") && run.stderr.contains("nothing was written"),
        "{run:?}"
    );
    assert!(!out.exists(), "{run:?}");

    let proxy = fault_proxy_answering("access_denied").await;
    let run = mooring_via(
        &proxy.url,
        &[
            "init",
            "--region",
            "us-east-1",
            "--cluster",
            &cluster,
            "-o",
            &out_arg,
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("AccessDenied"), "{run:?}");
    assert!(run.stderr.contains("nothing was written"), "{run:?}");
    assert!(!out.exists(), "{run:?}");

    std::fs::write(&out, "# mine\n").unwrap_or_else(|e| panic!("{e}"));
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "-o",
        &out_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run.stderr.contains("--force"), "{run:?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap_or_default(),
        "# mine\n"
    );
    // The same through a folder: <stack>.yaml in it.
    let dir_arg = file.dir.to_string_lossy().into_owned();
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "--stack",
        "stack",
        "-o",
        &dir_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "--stack",
        "stack",
        "-o",
        &dir_arg,
        "--force",
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(written.contains("desiredCount: 1"), "{written}");
    let leftovers: Vec<_> = std::fs::read_dir(&file.dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.file_name())).collect())
        .unwrap_or_default();
    assert_eq!(
        leftovers.len(),
        2,
        "no temporary file is left: {leftovers:?}"
    );
}
