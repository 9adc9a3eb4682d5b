//! Pass and fail cases per control, per level, written from upstream's pod-security-admission
//! fixtures (kubernetes `staging/src/k8s.io/pod-security-admission/test/fixtures_*.go` and
//! `test/testdata/{baseline,restricted}/v1.*/`), at the newest policy version. Each case
//! names the fixture generator it comes from. Upstream builds every case on a minimal
//! valid pod of the level (restricted: runAsNonRoot and RuntimeDefault seccomp on the pod,
//! no privilege escalation and all capabilities dropped on each container); so does this
//! table. Deliberately stricter than upstream (and so left out here): Windows pods and
//! user-namespaced pods (`hostUsers: false`) get no exemption from runAsNonRoot, runAsUser,
//! seccomp or capabilities. procMount follows upstream's 1.35 baseline: unmasked only in a
//! user namespace.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    Baseline,
    Restricted,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// The pod's securityContext in upstream's minimal valid pod of the level.
    pub fn base_pod_security_context(self) -> Value {
        match self {
            Level::Baseline => json!({}),
            Level::Restricted => {
                json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
            }
        }
    }

    /// A container of upstream's minimal valid pod of the level.
    pub fn base_container(self, name: &str) -> Value {
        let mut c = json!({"name": name, "image": "registry.k8s.io/pause"});
        if self == Level::Restricted {
            c["securityContext"] =
                json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}});
        }
        c
    }

    /// The field a refusal must name at this level, or `None` when the case is accepted.
    pub fn verdict(self, case: &Case) -> Option<&'static str> {
        match self {
            Level::Baseline => case.baseline,
            Level::Restricted => case.restricted,
        }
    }
}

/// One case: patches (RFC 7386) over the level's minimal pod, and what each level says.
/// Fields are relative to the template; `{c}` is the patched container (`spec.containers[0]`,
/// `spec.initContainers[0]` or `spec.ephemeralContainers[0]`).
pub struct Case {
    pub from: &'static str,
    /// Merged into the template (`metadata`, `spec`).
    pub template: Value,
    /// Merged into one container (each list in turn), or into all of them.
    pub container: Value,
    pub all_containers: bool,
    pub baseline: Option<&'static str>,
    pub restricted: Option<&'static str>,
}

impl Case {
    /// Refused at both levels, naming `field`.
    fn refused(mut self, field: &'static str) -> Self {
        self.baseline = Some(field);
        self.restricted = Some(field);
        self
    }

    /// Accepted under baseline, refused under restricted naming `field`.
    fn refused_restricted(mut self, field: &'static str) -> Self {
        self.restricted = Some(field);
        self
    }
}

fn on_pod(from: &'static str, spec: Value) -> Case {
    on_template(from, json!({"spec": spec}))
}

fn on_template(from: &'static str, template: Value) -> Case {
    Case {
        from,
        template,
        container: Value::Null,
        all_containers: false,
        baseline: None,
        restricted: None,
    }
}

fn on_container(from: &'static str, container: Value) -> Case {
    Case {
        container,
        ..on_template(from, json!({}))
    }
}

fn on_every_container(from: &'static str, spec: Value, container: Value) -> Case {
    Case {
        container,
        all_containers: true,
        ..on_pod(from, spec)
    }
}

fn sc(value: Value) -> Value {
    json!({"securityContext": value})
}

pub fn cases() -> Vec<Case> {
    let mut cases = vec![
        // fixtures.go: the minimal valid pod of each level.
        on_template("fixtures.go minimal pod", json!({})),
    ];
    cases.extend(baseline_cases());
    cases.extend(restricted_cases());
    cases
}

fn baseline_cases() -> Vec<Case> {
    vec![
        // fixtures_hostNamespaces.go
        on_pod("hostNamespaces pass: all false", json!({"hostNetwork": false, "hostPID": false, "hostIPC": false})),
        on_pod("hostNamespaces fail: hostNetwork", json!({"hostNetwork": true})).refused("spec.hostNetwork"),
        on_pod("hostNamespaces fail: hostPID", json!({"hostPID": true})).refused("spec.hostPID"),
        on_pod("hostNamespaces fail: hostIPC", json!({"hostIPC": true})).refused("spec.hostIPC"),
        // fixtures_privileged.go
        on_container("privileged pass: false", sc(json!({"privileged": false}))),
        on_container("privileged fail: true", sc(json!({"privileged": true}))).refused("{c}.securityContext.privileged"),
        // fixtures_capabilities_baseline.go (at restricted only NET_BIND_SERVICE may be added)
        on_container(
            "capabilities_baseline pass: the default set",
            sc(json!({"capabilities": {"add": ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]}})),
        )
        .refused_restricted("{c}.securityContext.capabilities.add[0]"),
        on_container("capabilities_baseline fail: NET_RAW", sc(json!({"capabilities": {"add": ["NET_RAW"]}})))
            .refused("{c}.securityContext.capabilities.add[0]"),
        on_container("capabilities_baseline fail: SYS_ADMIN after an allowed one", sc(json!({"capabilities": {"add": ["CHOWN", "SYS_ADMIN"]}})))
            .refused("{c}.securityContext.capabilities.add[1]"),
        // check_capabilities_baseline.go compares names exactly: the CAP_ spelling is not in the set.
        on_container("capabilities_baseline fail: CAP_CHOWN", sc(json!({"capabilities": {"add": ["CAP_CHOWN"]}})))
            .refused("{c}.securityContext.capabilities.add[0]"),
        // fixtures_hostPathVolumes.go
        on_pod("hostPathVolumes pass: emptyDir", json!({"volumes": [{"name": "scratch", "emptyDir": {}}]})),
        on_pod("hostPathVolumes fail: hostPath", json!({"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}))
            .refused("spec.volumes[0].hostPath"),
        on_pod("hostPathVolumes fail: second volume", json!({"volumes": [{"name": "a", "emptyDir": {}}, {"name": "b", "hostPath": {"path": "/var/run"}}]}))
            .refused("spec.volumes[1].hostPath"),
        // fixtures_volumes_baseline.go
        on_pod("volumes_baseline fail: gitRepo", json!({"volumes": [{"name": "src", "gitRepo": {"repository": "https://example.com/r.git"}}]}))
            .refused("spec.volumes[0].gitRepo"),
        // fixtures_hostPorts.go
        on_container("hostPorts pass: containerPort only", json!({"ports": [{"containerPort": 12345}]})),
        on_container("hostPorts pass: hostPort 0", json!({"ports": [{"containerPort": 12345, "hostPort": 0}]})),
        on_container("hostPorts fail: hostPort", json!({"ports": [{"containerPort": 12345, "hostPort": 12345}]}))
            .refused("{c}.ports[0].hostPort"),
        // fixtures_appArmorProfile.go: annotations
        on_template("appArmorProfile pass: annotations runtime/default, localhost/*", json!({"metadata": {"annotations": {
            "container.apparmor.security.beta.kubernetes.io/c": "runtime/default",
            "container.apparmor.security.beta.kubernetes.io/i": "localhost/foo"}}})),
        on_template("appArmorProfile fail: annotation unconfined", json!({"metadata": {"annotations": {
            "container.apparmor.security.beta.kubernetes.io/c": "unconfined"}}}))
            .refused("metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]"),
        // fixtures_appArmorProfile.go: fields
        on_pod("appArmorProfile pass: pod RuntimeDefault", sc(json!({"appArmorProfile": {"type": "RuntimeDefault"}}))),
        on_container("appArmorProfile pass: container Localhost", sc(json!({"appArmorProfile": {"type": "Localhost", "localhostProfile": "foo"}}))),
        on_pod("appArmorProfile fail: pod Unconfined", sc(json!({"appArmorProfile": {"type": "Unconfined"}})))
            .refused("spec.securityContext.appArmorProfile.type"),
        on_container("appArmorProfile fail: container Unconfined", sc(json!({"appArmorProfile": {"type": "Unconfined"}})))
            .refused("{c}.securityContext.appArmorProfile.type"),
        // fixtures_seLinuxOptions.go
        on_pod("seLinuxOptions pass: pod empty", sc(json!({"seLinuxOptions": {}}))),
        on_pod("seLinuxOptions pass: pod container_t, any level", sc(json!({"seLinuxOptions": {"type": "container_t", "level": "somevalue"}}))),
        on_container("seLinuxOptions pass: container_init_t", sc(json!({"seLinuxOptions": {"type": "container_init_t"}}))),
        on_container("seLinuxOptions pass: container_kvm_t", sc(json!({"seLinuxOptions": {"type": "container_kvm_t"}}))),
        on_container("seLinuxOptions pass: container_engine_t (1.31)", sc(json!({"seLinuxOptions": {"type": "container_engine_t"}}))),
        on_pod("seLinuxOptions fail: pod type", sc(json!({"seLinuxOptions": {"type": "somevalue"}})))
            .refused("spec.securityContext.seLinuxOptions.type"),
        on_container("seLinuxOptions fail: container type", sc(json!({"seLinuxOptions": {"type": "somevalue"}})))
            .refused("{c}.securityContext.seLinuxOptions.type"),
        on_pod("seLinuxOptions fail: pod user", sc(json!({"seLinuxOptions": {"user": "somevalue"}})))
            .refused("spec.securityContext.seLinuxOptions.user"),
        on_pod("seLinuxOptions fail: pod role", sc(json!({"seLinuxOptions": {"role": "somevalue"}})))
            .refused("spec.securityContext.seLinuxOptions.role"),
        on_container("seLinuxOptions fail: container user", sc(json!({"seLinuxOptions": {"user": "somevalue"}})))
            .refused("{c}.securityContext.seLinuxOptions.user"),
        on_container("seLinuxOptions fail: container role", sc(json!({"seLinuxOptions": {"role": "somevalue"}})))
            .refused("{c}.securityContext.seLinuxOptions.role"),
        // fixtures_procMount.go
        on_container("procMount pass: Default", sc(json!({"procMount": "Default"}))),
        on_container("procMount fail: Unmasked", sc(json!({"procMount": "Unmasked"})))
            .refused("{c}.securityContext.procMount"),
        // fixtures_procMount.go, baseline and restricted at policy version 1.35 (user
        // namespaces): Default in a user namespace passes both; Unmasked in one passes
        // baseline (check_procMount_baseline.go) and not restricted
        // (check_procMount_restricted.go); Unmasked with hostUsers: true fails both.
        on_every_container("procMount 1.35 pass: Default with hostUsers false", json!({"hostUsers": false}), sc(json!({"procMount": "Default"}))),
        on_every_container("procMount 1.35 baseline pass: Unmasked with hostUsers false", json!({"hostUsers": false}), sc(json!({"procMount": "Unmasked"})))
            .refused_restricted("{c}.securityContext.procMount"),
        Case { container: sc(json!({"procMount": "Unmasked"})), ..on_pod("procMount 1.35 fail: Unmasked with hostUsers true", json!({"hostUsers": true})) }
            .refused("{c}.securityContext.procMount"),
        Case { container: sc(json!({"procMount": "Unmasked"})), ..on_pod("procMount 1.35 restricted fail: Unmasked with hostUsers false", json!({"hostUsers": false})) }
            .refused_restricted("{c}.securityContext.procMount"),
        // fixtures_seccompProfile_baseline.go
        on_pod("seccompProfile_baseline pass: pod RuntimeDefault", sc(json!({"seccompProfile": {"type": "RuntimeDefault"}}))),
        on_container("seccompProfile_baseline pass: container Localhost", sc(json!({"seccompProfile": {"type": "Localhost", "localhostProfile": "testing"}}))),
        on_pod("seccompProfile_baseline fail: pod Unconfined", sc(json!({"seccompProfile": {"type": "Unconfined"}})))
            .refused("spec.securityContext.seccompProfile.type"),
        on_container("seccompProfile_baseline fail: container Unconfined", sc(json!({"seccompProfile": {"type": "Unconfined"}})))
            .refused("{c}.securityContext.seccompProfile.type"),
        // fixtures_seccompProfile_baseline.go, policy v1.0 (annotations)
        on_template("seccomp annotations fail: pod unconfined", json!({"metadata": {"annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}}))
            .refused("metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]"),
        // fixtures_sysctls.go (v1.29 list) and testdata baseline/v1.34/pass/sysctls1.yaml (tcp_rmem, tcp_wmem)
        on_pod("sysctls pass: the safe set", sc(json!({"sysctls": [
            {"name": "kernel.shm_rmid_forced", "value": "0"},
            {"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"},
            {"name": "net.ipv4.tcp_syncookies", "value": "0"},
            {"name": "net.ipv4.ping_group_range", "value": "1 0"},
            {"name": "net.ipv4.ip_unprivileged_port_start", "value": "1024"},
            {"name": "net.ipv4.ip_local_reserved_ports", "value": "1024-4999"},
            {"name": "net.ipv4.tcp_keepalive_time", "value": "7200"},
            {"name": "net.ipv4.tcp_fin_timeout", "value": "60"},
            {"name": "net.ipv4.tcp_keepalive_intvl", "value": "75"},
            {"name": "net.ipv4.tcp_keepalive_probes", "value": "9"},
            {"name": "net.ipv4.tcp_rmem", "value": "4096 87380 16777216"},
            {"name": "net.ipv4.tcp_wmem", "value": "4096 65536 16777216"}]}))),
        on_pod("sysctls fail: othersysctl", sc(json!({"sysctls": [{"name": "othersysctl", "value": "other"}]})))
            .refused("spec.securityContext.sysctls[0].name"),
        on_pod("sysctls fail: unsafe after a safe one", sc(json!({"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "0"}, {"name": "kernel.msgmax", "value": "1"}]})))
            .refused("spec.securityContext.sysctls[1].name"),
        // fixtures_windowsHostProcess.go
        on_pod("windowsHostProcess pass: pod false", sc(json!({"windowsOptions": {"hostProcess": false}}))),
        on_container("windowsHostProcess pass: container false", sc(json!({"windowsOptions": {"hostProcess": false}}))),
        on_pod("windowsHostProcess fail: pod true", json!({"hostNetwork": false, "securityContext": {"windowsOptions": {"hostProcess": true}}}))
            .refused("spec.securityContext.windowsOptions.hostProcess"),
        on_container("windowsHostProcess fail: container true", sc(json!({"windowsOptions": {"hostProcess": true}})))
            .refused("{c}.securityContext.windowsOptions.hostProcess"),
        // fixtures_hostProbesAndHostLifecycle.go (v1.34)
        on_container("hostProbesAndHostLifecycle pass: httpGet port only", json!({"livenessProbe": {"httpGet": {"port": 8080}}})),
        on_container("hostProbesAndHostLifecycle pass: tcpSocket port only", json!({"readinessProbe": {"tcpSocket": {"port": 8080}}})),
        on_container("hostProbesAndHostLifecycle pass: empty host", json!({"startupProbe": {"httpGet": {"host": "", "port": 8080}}})),
        on_container("hostProbesAndHostLifecycle fail: liveness httpGet bad.host", json!({"livenessProbe": {"httpGet": {"host": "bad.host", "port": 8080}}}))
            .refused("{c}.livenessProbe.httpGet.host"),
        on_container("hostProbesAndHostLifecycle fail: readiness tcpSocket 8.8.8.8", json!({"readinessProbe": {"tcpSocket": {"host": "8.8.8.8", "port": 8080}}}))
            .refused("{c}.readinessProbe.tcpSocket.host"),
        on_container("hostProbesAndHostLifecycle fail: startup httpGet", json!({"startupProbe": {"httpGet": {"host": "bad.host", "port": 8080}}}))
            .refused("{c}.startupProbe.httpGet.host"),
        on_container("hostProbesAndHostLifecycle fail: postStart httpGet bad.host", json!({"lifecycle": {"postStart": {"httpGet": {"host": "bad.host", "port": 8080}}}}))
            .refused("{c}.lifecycle.postStart.httpGet.host"),
        on_container("hostProbesAndHostLifecycle fail: preStop tcpSocket", json!({"lifecycle": {"preStop": {"tcpSocket": {"host": "bad.host", "port": 8080}}}}))
            .refused("{c}.lifecycle.preStop.tcpSocket.host"),
        on_container("hostProbesAndHostLifecycle fail: liveness 127.0.0.1", json!({"livenessProbe": {"httpGet": {"host": "127.0.0.1", "port": 8080}}}))
            .refused("{c}.livenessProbe.httpGet.host"),
        on_container("hostProbesAndHostLifecycle fail: readiness ::1", json!({"readinessProbe": {"tcpSocket": {"host": "::1", "port": 8080}}}))
            .refused("{c}.readinessProbe.tcpSocket.host"),
        // fixtures_ulimits.go (policy version 1.37)
        on_container("ulimits fail: set", sc(json!({"ulimits": [{"name": "nofile", "soft": 1024, "hard": 1024}]})))
            .refused("{c}.securityContext.ulimits"),
    ]
}

fn restricted_cases() -> Vec<Case> {
    let mut cases = vec![
        // fixtures_restrictedVolumes.go: the allowed types (secret ones name the friend's own Secret)
        on_pod(
            "restrictedVolumes pass: the allowed types",
            json!({"volumes": [
            {"name": "a", "configMap": {"name": "settings"}},
            {"name": "b", "csi": {"driver": "inline.storage.kubernetes.io"}},
            {"name": "c", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
            {"name": "d", "emptyDir": {}},
            {"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}},
            {"name": "f", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "g", "projected": {"sources": [{"secret": {"name": "app-secret"}}, {"configMap": {"name": "settings"}}]}},
            {"name": "h", "secret": {"secretName": "app-secret"}}]}),
        ),
    ];
    // fixtures_restrictedVolumes.go: one fail case per type outside the allowed set.
    for (kind, source, field) in [
        (
            "gcePersistentDisk",
            json!({"pdName": "testing"}),
            "spec.volumes[0].gcePersistentDisk",
        ),
        (
            "awsElasticBlockStore",
            json!({"volumeID": "testing"}),
            "spec.volumes[0].awsElasticBlockStore",
        ),
        (
            "nfs",
            json!({"server": "testing", "path": "/"}),
            "spec.volumes[0].nfs",
        ),
        (
            "iscsi",
            json!({"targetPortal": "testing", "iqn": "testing", "lun": 0}),
            "spec.volumes[0].iscsi",
        ),
        (
            "glusterfs",
            json!({"endpoints": "testing", "path": "testing"}),
            "spec.volumes[0].glusterfs",
        ),
        (
            "rbd",
            json!({"monitors": ["testing"], "image": "testing"}),
            "spec.volumes[0].rbd",
        ),
        (
            "flexVolume",
            json!({"driver": "testing"}),
            "spec.volumes[0].flexVolume",
        ),
        (
            "cinder",
            json!({"volumeID": "testing"}),
            "spec.volumes[0].cinder",
        ),
        (
            "cephfs",
            json!({"monitors": ["testing"]}),
            "spec.volumes[0].cephfs",
        ),
        (
            "flocker",
            json!({"datasetName": "testing"}),
            "spec.volumes[0].flocker",
        ),
        ("fc", json!({"wwids": ["testing"]}), "spec.volumes[0].fc"),
        (
            "azureFile",
            json!({"shareName": "testing"}),
            "spec.volumes[0].azureFile",
        ),
        (
            "vsphereVolume",
            json!({"volumePath": "testing"}),
            "spec.volumes[0].vsphereVolume",
        ),
        (
            "quobyte",
            json!({"registry": "testing", "volume": "testing"}),
            "spec.volumes[0].quobyte",
        ),
        (
            "azureDisk",
            json!({"diskName": "testing", "diskURI": "testing"}),
            "spec.volumes[0].azureDisk",
        ),
        (
            "portworxVolume",
            json!({"volumeID": "testing"}),
            "spec.volumes[0].portworxVolume",
        ),
        (
            "photonPersistentDisk",
            json!({"pdID": "testing"}),
            "spec.volumes[0].photonPersistentDisk",
        ),
        (
            "scaleIO",
            json!({"gateway": "testing", "system": "testing"}),
            "spec.volumes[0].scaleIO",
        ),
        (
            "storageos",
            json!({"volumeName": "testing"}),
            "spec.volumes[0].storageos",
        ),
    ] {
        cases.push(
            on_pod(
                "restrictedVolumes fail: a non-core type",
                json!({"volumes": [{"name": "v", kind: source}]}),
            )
            .refused_restricted(field),
        );
    }
    cases.extend([
        // fixtures_allowPrivilegeEscalation.go
        on_container(
            "allowPrivilegeEscalation fail: unset",
            sc(json!({"allowPrivilegeEscalation": null})),
        )
        .refused_restricted("{c}.securityContext.allowPrivilegeEscalation"),
        on_container(
            "allowPrivilegeEscalation fail: true",
            sc(json!({"allowPrivilegeEscalation": true})),
        )
        .refused_restricted("{c}.securityContext.allowPrivilegeEscalation"),
        // fixtures_runAsNonRoot.go
        on_every_container(
            "runAsNonRoot pass: every container, not the pod",
            sc(json!({"runAsNonRoot": null})),
            sc(json!({"runAsNonRoot": true})),
        ),
        on_pod(
            "runAsNonRoot fail: neither pod nor containers",
            sc(json!({"runAsNonRoot": null})),
        )
        .refused_restricted("spec.containers[0].securityContext.runAsNonRoot"),
        on_pod(
            "runAsNonRoot fail: pod false",
            sc(json!({"runAsNonRoot": false})),
        )
        .refused_restricted("spec.securityContext.runAsNonRoot"),
        on_container(
            "runAsNonRoot fail: container false",
            sc(json!({"runAsNonRoot": false})),
        )
        .refused_restricted("{c}.securityContext.runAsNonRoot"),
        // fixtures_runAsUser.go
        on_every_container(
            "runAsUser pass: non-zero",
            sc(json!({"runAsUser": 1000})),
            sc(json!({"runAsUser": 1000})),
        ),
        on_pod("runAsUser fail: pod 0", sc(json!({"runAsUser": 0})))
            .refused_restricted("spec.securityContext.runAsUser"),
        on_container("runAsUser fail: container 0", sc(json!({"runAsUser": 0})))
            .refused_restricted("{c}.securityContext.runAsUser"),
        // fixtures_seccompProfile_restricted.go
        on_every_container(
            "seccompProfile_restricted pass: every container, not the pod",
            sc(json!({"seccompProfile": null})),
            sc(json!({"seccompProfile": {"type": "RuntimeDefault"}})),
        ),
        on_every_container(
            "seccompProfile_restricted pass: Localhost",
            sc(json!({"seccompProfile": null})),
            sc(json!({"seccompProfile": {"type": "Localhost", "localhostProfile": "testing"}})),
        ),
        on_pod(
            "seccompProfile_restricted fail: neither pod nor containers",
            sc(json!({"seccompProfile": null})),
        )
        .refused_restricted("spec.containers[0].securityContext.seccompProfile.type"),
        // fixtures_capabilities_restricted.go
        on_container(
            "capabilities_restricted pass: add NET_BIND_SERVICE",
            sc(json!({"capabilities": {"add": ["NET_BIND_SERVICE"]}})),
        ),
        on_container(
            "capabilities_restricted fail: drop unset",
            sc(json!({"capabilities": {"drop": null}})),
        )
        .refused_restricted("{c}.securityContext.capabilities.drop"),
        on_container(
            "capabilities_restricted fail: drop without ALL",
            sc(json!({"capabilities": {"drop": ["NET_RAW"]}})),
        )
        .refused_restricted("{c}.securityContext.capabilities.drop"),
        on_container(
            "capabilities_restricted fail: add CHOWN",
            sc(json!({"capabilities": {"add": ["CHOWN"]}})),
        )
        .refused_restricted("{c}.securityContext.capabilities.add[0]"),
        // fixtures_cgroupOptions.go
        on_container(
            "cgroupOptions pass: ReadOnly",
            sc(json!({"cgroupOptions": {"mountMode": "ReadOnly"}})),
        ),
        on_container(
            "cgroupOptions fail: ReadWrite",
            sc(json!({"cgroupOptions": {"mountMode": "ReadWrite"}})),
        )
        .refused_restricted("{c}.securityContext.cgroupOptions.mountMode"),
    ]);
    cases
}
