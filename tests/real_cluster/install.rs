//! `deploy/` as an operator applies it: `tests/kube/install-check.sh` on this control plane.
//! It applies the CRDs, the namespace, RBAC, admission policy, policies and the portal's Deployment,
//! and checks the pod is admitted and Running under `restricted`, a root pod is refused in
//! that namespace, `deploy/policies.yaml` matches `policies/`, and the portal's own token
//! reads no Secret outside friends' namespaces and makes namespaces and RoleBindings only
//! under `friend-*`.

use std::process::Command;

use crate::control_plane::{control_plane, repo};

#[test]
fn deploy_installs_under_restricted() {
    let plane = control_plane();
    let script = repo().join("tests/kube/install-check.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&plane.state)
        .output()
        .expect("running install-check.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "install-check.sh failed:\n{stdout}\n{stderr}"
    );
    for check in [
        "admitted under restricted",
        "reads no Secrets outside friends' namespaces",
        "RoleBindings to friend-*",
        "keeps its state in the cluster",
        "3 pods were admitted",
        "one at a time, 3 available throughout",
        "elect their scheduler by a Lease",
    ] {
        assert!(
            stdout.contains(check),
            "install-check.sh did not report '{check}':\n{stdout}"
        );
    }
}
