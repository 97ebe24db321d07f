#!/usr/bin/env python3
"""Renders infra/k8s/kustomization.yaml the way kustomize does for the fields it uses
(resources, namespace, labels, images; any other field is refused, so this check cannot
silently fall behind the file), cross-checks the result with `kubectl kustomize` when
kubectl is installed, validates every object with kubernetes-validate in strict mode
against Kubernetes K8S_VERSION, and checks what a schema cannot:

- no Secret with data anywhere under the folder (portico-secrets is created by hand);
- every Portico pod: no service links (Kubernetes would add PORTICO_*_SERVICE_HOST
  variables, which Portico refuses), no service-account token, non-root, RuntimeDefault
  seccomp; every container: requests and limits, no privilege escalation, read-only root,
  all capabilities dropped, a writable volume where Portico writes;
- every Deployment: startup and liveness probes on /healthz, readiness on /readyz, on a
  declared port; one behind an Ingress: a preStop sleep and a termination grace that
  covers the sleep plus Portico's drain, and rollouts that never go below its replicas;
- every variable: a Portico setting (config/), the ones its command needs present, the
  owner's URL only in the migration; every ConfigMap key reference defined, every Secret
  key reference documented in secrets.example.env (and every documented key used);
- Services, Ingresses, HorizontalPodAutoscalers, PodDisruptionBudgets and NetworkPolicies
  point at objects, ports and pods that exist.

usage: check_k8s.py [KUSTOMIZATION_DIR]
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import yaml

from common import REPO, Problems, check_portico_env, command_of, image_env, portico_default, portico_settings, rel

K8S_VERSION = "1.33"
SHUTDOWN_GRACE_SECS = portico_default("PORTICO_SHUTDOWN_GRACE_SECS")
SECRETS_DOC = "secrets.example.env"

KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "namespace", "labels", "resources", "images"}
LABEL_FIELDS = {"pairs", "includeSelectors", "includeTemplates"}
IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
    "StorageClass", "PriorityClass", "IngressClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService",
}
# Where kustomize's labels (includeTemplates) and images reach inside a workload.
POD_TEMPLATE = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


class Object:
    """One rendered object and the file it came from."""

    def __init__(self, path: Path, doc: dict):
        self.path = path
        self.doc = doc

    @property
    def kind(self) -> str:
        return self.doc.get("kind", "?")

    @property
    def name(self) -> str:
        return (self.doc.get("metadata") or {}).get("name", "?")

    @property
    def where(self) -> str:
        return f"{self.kind}/{self.name}"


def dig(node, *keys, default=None):
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def pod_template(doc: dict) -> dict | None:
    keys = POD_TEMPLATE.get(doc.get("kind", ""))
    return dig(doc, *keys) if keys else None


def containers(pod_spec: dict) -> list[dict]:
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])


def render(folder: Path, problems: Problems) -> tuple[list[Object], dict]:
    path = folder / "kustomization.yaml"
    if not path.is_file():
        problems.add(path, "missing")
        problems.exit()
    kustomization = yaml.safe_load(path.read_text()) or {}
    for field in sorted(set(kustomization) - KUSTOMIZATION_FIELDS):
        problems.add(path, f"field {field!r} is not understood by scripts/infra/check_k8s.py; teach the renderer first")
    if kustomization.get("apiVersion") != "kustomize.config.k8s.io/v1beta1" or kustomization.get("kind") != "Kustomization":
        problems.add(path, "must be apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization")

    objects: list[Object] = []
    resources = kustomization.get("resources") or []
    for resource in resources:
        file = folder / resource
        if resources.count(resource) > 1:
            problems.add(path, f"resource {resource} is listed twice")
        if not file.is_file():
            problems.add(path, f"resource {resource} is not a file in {rel(folder)} (folders and URLs are not rendered by this check)")
            continue
        try:
            docs = [d for d in yaml.safe_load_all(file.read_text()) if d is not None]
        except yaml.YAMLError as error:
            problems.add(file, f"not YAML: {' '.join(str(error).split())}")
            continue
        for doc in docs:
            if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                problems.add(file, "a document without apiVersion and kind")
                continue
            objects.append(Object(file, doc))
    listed = {(folder / r).resolve() for r in resources}
    for stray in sorted(folder.glob("*.yaml")):
        if stray.name != "kustomization.yaml" and stray.resolve() not in listed:
            problems.add(stray, "not listed in kustomization.yaml resources")

    namespace = kustomization.get("namespace")
    for obj in objects:
        metadata = obj.doc.setdefault("metadata", {})
        if namespace and obj.kind == "Namespace" and obj.name != namespace:
            problems.add(obj.path, f"{obj.where}: the kustomization's namespace is {namespace}")
        if namespace and obj.kind not in CLUSTER_SCOPED:
            metadata["namespace"] = namespace

    for entry in kustomization.get("labels") or []:
        for field in sorted(set(entry) - LABEL_FIELDS):
            problems.add(path, f"labels field {field!r} is not understood by the renderer")
        if entry.get("includeSelectors"):
            problems.add(path, "labels with includeSelectors: true would change selectors; the renderer does not do that")
        pairs = {str(k): str(v) for k, v in (entry.get("pairs") or {}).items()}
        for obj in objects:
            obj.doc["metadata"].setdefault("labels", {}).update(pairs)
            template = pod_template(obj.doc)
            if entry.get("includeTemplates") and template is not None:
                template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
            if obj.kind == "CronJob" and entry.get("includeTemplates"):
                dig(obj.doc, "spec", "jobTemplate").setdefault("metadata", {}).setdefault("labels", {}).update(pairs)

    for entry in kustomization.get("images") or []:
        for field in sorted(set(entry) - IMAGE_FIELDS):
            problems.add(path, f"images field {field!r} is not understood by the renderer")
        for obj in objects:
            template = pod_template(obj.doc)
            if template is None:
                continue
            for container in containers(template.get("spec") or {}):
                image = container.get("image", "")
                name = image.split("@")[0]
                if ":" in name.rsplit("/", 1)[-1]:
                    name = name.rsplit(":", 1)[0]
                if name != entry["name"]:
                    continue
                tag = image[len(name):]
                new = entry.get("newName", name)
                if entry.get("digest"):
                    tag = "@" + entry["digest"]
                elif entry.get("newTag"):
                    tag = ":" + str(entry["newTag"])
                container["image"] = new + tag
    return objects, kustomization


def cross_check(folder: Path, objects: list[Object], problems: Problems) -> str:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return "kubectl not found: rendering not cross-checked"
    run = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True)
    if run.returncode != 0:
        problems.add(folder / "kustomization.yaml", f"kubectl kustomize failed: {' '.join(run.stderr.split())[:300]}")
        return ""
    key = lambda d: (d.get("apiVersion"), d.get("kind"), dig(d, "metadata", "namespace"), dig(d, "metadata", "name"))  # noqa: E731
    theirs = {key(d): d for d in yaml.safe_load_all(run.stdout) if d}
    ours = {key(o.doc): o for o in objects}
    for k in sorted(set(theirs) | set(ours), key=str):
        if k not in ours:
            problems.add(folder / "kustomization.yaml", f"kubectl kustomize renders {k[1]}/{k[3]}, this check does not")
        elif k not in theirs:
            problems.add(ours[k].path, f"{ours[k].where}: this check renders it, kubectl kustomize does not")
        elif theirs[k] != ours[k].doc:
            problems.add(ours[k].path, f"{ours[k].where}: rendered differently by kubectl kustomize at {first_difference(ours[k].doc, theirs[k])}")
    version = subprocess.run([kubectl, "version", "--client", "-o", "yaml"], capture_output=True, text=True)
    kustomize = (yaml.safe_load(version.stdout) or {}).get("kustomizeVersion", "?") if version.returncode == 0 else "?"
    return f"rendering matches kubectl kustomize ({kustomize})"


def first_difference(a, b, path="") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path or '.'} ({a!r} here, {b!r} there)"


def validate(objects: list[Object], problems: Problems) -> None:
    for obj in objects:
        try:
            kubernetes_validate.validate(copy.deepcopy(obj.doc), K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            at = ".".join(str(p) for p in error.absolute_path) or "."
            problems.add(obj.path, f"{obj.where}: {at}: {error.message} (Kubernetes {K8S_VERSION}, strict)")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.add(obj.path, f"{obj.where}: {error.message}")


def documented_secret_keys(folder: Path, problems: Problems) -> dict[str, set[str]]:
    """The Secret's keys as secrets.example.env lists them: {secret name: keys}."""
    path = folder / SECRETS_DOC
    if not path.is_file():
        problems.add(folder, f"{SECRETS_DOC} (the keys of the Secret portico-secrets) is missing")
        return {}
    keys = set()
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            if not sep:
                problems.add(path, f"line {number} is not key=value")
            elif "change-me" not in value:
                problems.add(path, f"line {number}: {key} must hold a change-me placeholder, never a real value")
            keys.add(key)
    return {"portico-secrets": keys}


def selects(selector: dict | None, labels: dict) -> bool:
    match = (selector or {}).get("matchLabels") or {}
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def check(objects: list[Object], folder: Path, problems: Problems) -> None:
    settings = portico_settings()
    defaults = image_env()
    secrets = documented_secret_keys(folder, problems)
    used_secret_keys: set[tuple[str, str]] = set()
    by_kind: dict[str, list[Object]] = {}
    for obj in objects:
        by_kind.setdefault(obj.kind, []).append(obj)
    config_maps = {o.name: o.doc.get("data") or {} for o in by_kind.get("ConfigMap", [])}
    config_map_files = {o.name: o.path for o in by_kind.get("ConfigMap", [])}
    reported_keys: set[tuple[str, str]] = set()
    services = by_kind.get("Service", [])
    ingresses = by_kind.get("Ingress", [])

    # No secret values in the tree, rendered or not.
    for file in sorted(folder.rglob("*.y*ml")):
        try:
            docs = list(yaml.safe_load_all(file.read_text()))
        except yaml.YAMLError:
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                problems.add(file, f"Secret/{dig(doc, 'metadata', 'name')}: no Secret belongs in the repository (create it with kubectl; keys in {SECRETS_DOC})")

    workloads = [o for o in objects if pod_template(o.doc) is not None]
    routed = set()  # Services an Ingress sends traffic to
    for ingress in ingresses:
        for rule in dig(ingress.doc, "spec", "rules", default=[]) or []:
            for item in dig(rule, "http", "paths", default=[]) or []:
                routed.add(dig(item, "backend", "service", "name"))

    for obj in workloads:
        template = pod_template(obj.doc)
        spec = template.get("spec") or {}
        labels = dig(template, "metadata", "labels", default={}) or {}
        if obj.kind in ("Deployment", "StatefulSet", "ReplicaSet") and not selects(dig(obj.doc, "spec", "selector"), labels):
            problems.add(obj.path, f"{obj.where}: spec.selector does not match the pod template's labels")
        if spec.get("enableServiceLinks") is not False:
            problems.add(obj.path, f"{obj.where}: enableServiceLinks: false is missing (PORTICO_*_SERVICE_HOST variables would stop Portico)")
        if spec.get("automountServiceAccountToken") is not False:
            problems.add(obj.path, f"{obj.where}: automountServiceAccountToken: false is missing (Portico does not call the Kubernetes API)")
        pod_security = spec.get("securityContext") or {}
        mounts_writable = {}
        volumes = {v.get("name"): v for v in spec.get("volumes") or []}
        behind_ingress = any(
            s.name in routed and selects({"matchLabels": dig(s.doc, "spec", "selector")}, labels) for s in services
        )
        for container in containers(spec):
            where = f"{obj.where} container {container.get('name')}"
            security = container.get("securityContext") or {}
            if not (security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True):
                problems.add(obj.path, f"{where}: runAsNonRoot: true is missing")
            if security.get("allowPrivilegeEscalation") is not False:
                problems.add(obj.path, f"{where}: allowPrivilegeEscalation: false is missing")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.add(obj.path, f"{where}: readOnlyRootFilesystem: true is missing")
            if "ALL" not in (dig(security, "capabilities", "drop", default=[]) or []):
                problems.add(obj.path, f"{where}: capabilities.drop: [ALL] is missing")
            seccomp = dig(security, "seccompProfile", "type") or dig(pod_security, "seccompProfile", "type")
            if seccomp != "RuntimeDefault":
                problems.add(obj.path, f"{where}: seccompProfile RuntimeDefault is missing")
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if not dig(container, "resources", bound, resource):
                        problems.add(obj.path, f"{where}: resources.{bound}.{resource} is missing")
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") not in volumes:
                    problems.add(obj.path, f"{where}: volumeMount {mount.get('name')} names no volume")
                elif not mount.get("readOnly"):
                    mounts_writable[mount.get("mountPath", "").rstrip("/")] = mount.get("name")

            ports = {p.get("name") for p in container.get("ports") or []} | {p.get("containerPort") for p in container.get("ports") or []}
            if obj.kind == "Deployment":
                for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                    spec_probe = container.get(probe)
                    if not spec_probe:
                        problems.add(obj.path, f"{where}: {probe} is missing")
                        continue
                    if dig(spec_probe, "httpGet", "path") != path:
                        problems.add(obj.path, f"{where}: {probe} must GET {path}")
                    if dig(spec_probe, "httpGet", "port") not in ports:
                        problems.add(obj.path, f"{where}: {probe} port {dig(spec_probe, 'httpGet', 'port')!r} is not a port of the container")

            # Environment: names, references and what the command needs.
            names = set(defaults)
            values = dict(defaults)
            for source in container.get("envFrom") or []:
                if "configMapRef" in source:
                    name = source["configMapRef"].get("name")
                    if name not in config_maps:
                        problems.add(obj.path, f"{where}: envFrom ConfigMap {name!r} is not among the resources")
                    keys = set(config_maps.get(name, {}))
                    for key in sorted(k for k in keys if k.startswith("PORTICO_") and k not in settings):
                        keys.discard(key)
                        if (name, key) not in reported_keys:
                            reported_keys.add((name, key))
                            problems.add(config_map_files[name], f"ConfigMap/{name}: {key} is not a Portico setting (config/); Portico would refuse to start")
                    names |= keys
                    values.update(config_maps.get(name, {}))
                else:
                    problems.add(obj.path, f"{where}: envFrom {sorted(source)} cannot be checked; reference Secret keys one by one")
            for var in container.get("env") or []:
                names.add(var.get("name"))
                if "value" in var:
                    values[var["name"]] = var["value"]
                ref = var.get("valueFrom") or {}
                if "configMapKeyRef" in ref:
                    cm, key = ref["configMapKeyRef"].get("name"), ref["configMapKeyRef"].get("key")
                    if key not in config_maps.get(cm, {}):
                        problems.add(obj.path, f"{where}: {var['name']} refers to ConfigMap {cm!r} key {key!r}, which it does not define")
                if "secretKeyRef" in ref:
                    secret, key = ref["secretKeyRef"].get("name"), ref["secretKeyRef"].get("key")
                    used_secret_keys.add((secret, key))
                    if key not in secrets.get(secret, set()):
                        problems.add(obj.path, f"{where}: {var['name']} refers to Secret {secret!r} key {key!r}, which {SECRETS_DOC} does not document")
            image = str(container.get("image", ""))
            if "portico" not in image.rsplit("/", 1)[-1]:
                continue
            command = command_of((container.get("command") or []) + (container.get("args") or []))
            check_portico_env(problems, obj.path, where, command, names, settings)
            if command in ("serve", "worker"):
                writes = [values.get("PORTICO_OUTBOX_DIR", "outbox")]
                if not values.get("PORTICO_ATTACHMENTS_S3_BUCKET"):
                    writes.append(values.get("PORTICO_ATTACHMENTS_DIR", "attachments"))
                for folder_path in writes:
                    if not any(folder_path == m or folder_path.startswith(m + "/") for m in mounts_writable):
                        problems.add(obj.path, f"{where}: {folder_path} is written by Portico but no writable volume is mounted there (read-only root)")
                grace = spec.get("terminationGracePeriodSeconds", 30)
                drain = str(values.get("PORTICO_SHUTDOWN_GRACE_SECS", SHUTDOWN_GRACE_SECS))
                if not drain.isdigit():
                    problems.add(obj.path, f"{where}: PORTICO_SHUTDOWN_GRACE_SECS {drain!r} is not a number of seconds")
                    drain = str(SHUTDOWN_GRACE_SECS)
                drain = int(drain)
                if grace <= drain:
                    problems.add(obj.path, f"{where}: terminationGracePeriodSeconds {grace} does not cover Portico's {drain} s drain (PORTICO_SHUTDOWN_GRACE_SECS)")
                if behind_ingress:
                    command_line = dig(container, "lifecycle", "preStop", "exec", "command") or []
                    sleep = dig(container, "lifecycle", "preStop", "sleep", "seconds")
                    if command_line[:1] == ["sleep"] and len(command_line) == 2 and str(command_line[1]).isdigit():
                        sleep = int(command_line[1])
                    if not sleep:
                        problems.add(obj.path, f"{where}: behind an Ingress but no preStop sleep (endpoints must drop out before the drain)")
                    elif grace <= sleep + drain:
                        problems.add(obj.path, f"{where}: terminationGracePeriodSeconds {grace} does not cover preStop {sleep} s + drain {drain} s")
                    if str(dig(obj.doc, "spec", "strategy", "rollingUpdate", "maxUnavailable", default="25%")) not in ("0", "0%"):
                        problems.add(obj.path, f"{obj.where}: behind an Ingress, rollouts should use maxUnavailable: 0")
        if obj.kind == "Job":
            for field in ("backoffLimit", "ttlSecondsAfterFinished"):
                if dig(obj.doc, "spec", field) is None:
                    problems.add(obj.path, f"{obj.where}: spec.{field} is missing")

    for secret, keys in secrets.items():
        for key in sorted(keys - {k for s, k in used_secret_keys if s == secret}):
            problems.add(folder / SECRETS_DOC, f"{key} is documented but no manifest uses it")

    # Cross-references.
    def pods_selected(selector: dict | None) -> list[tuple[Object, dict]]:
        found = []
        for obj in workloads:
            template = pod_template(obj.doc)
            if selects(selector, dig(template, "metadata", "labels", default={}) or {}):
                found.append((obj, template))
        return found

    service_ports = {}
    for svc in services:
        selected = pods_selected({"matchLabels": dig(svc.doc, "spec", "selector")})
        if not selected:
            problems.add(svc.path, f"{svc.where}: its selector matches no pod template")
        service_ports[svc.name] = {p.get("name") for p in dig(svc.doc, "spec", "ports", default=[])} | {
            p.get("port") for p in dig(svc.doc, "spec", "ports", default=[])
        }
        for port in dig(svc.doc, "spec", "ports", default=[]):
            target = port.get("targetPort", port.get("port"))
            for obj, template in selected:
                declared = {p.get(k) for c in containers(template.get("spec") or {}) for p in c.get("ports") or [] for k in ("name", "containerPort")}
                if target not in declared:
                    problems.add(svc.path, f"{svc.where}: targetPort {target!r} is not a port of {obj.where}")
    for ingress in ingresses:
        if not dig(ingress.doc, "spec", "ingressClassName"):
            problems.add(ingress.path, f"{ingress.where}: spec.ingressClassName is missing")
        catch_all = False
        for rule in dig(ingress.doc, "spec", "rules", default=[]) or []:
            for item in dig(rule, "http", "paths", default=[]) or []:
                catch_all |= item.get("path") == "/"
                name = dig(item, "backend", "service", "name")
                port = dig(item, "backend", "service", "port", "name") or dig(item, "backend", "service", "port", "number")
                if name not in service_ports:
                    problems.add(ingress.path, f"{ingress.where}: backend Service {name!r} is not among the resources")
                elif port not in service_ports[name]:
                    problems.add(ingress.path, f"{ingress.where}: backend port {port!r} is not a port of Service {name}")
        annotations = dig(ingress.doc, "metadata", "annotations", default={}) or {}
        if catch_all:
            for annotation in ("proxy-read-timeout", "proxy-send-timeout"):
                value = annotations.get(f"nginx.ingress.kubernetes.io/{annotation}", "60")
                if not str(value).isdigit() or int(value) < 3600:
                    problems.add(ingress.path, f"{ingress.where}: nginx.ingress.kubernetes.io/{annotation} must be at least 3600 for graphql-ws")
    by_name = {(o.kind, o.name): o for o in objects}
    scaled: dict[str, int] = {}  # Deployment -> the HPA's minReplicas
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        target = dig(hpa.doc, "spec", "scaleTargetRef", default={})
        obj = by_name.get((target.get("kind"), target.get("name")))
        if obj is None:
            problems.add(hpa.path, f"{hpa.where}: scaleTargetRef {target.get('kind')}/{target.get('name')} is not among the resources")
            continue
        scaled[obj.name] = dig(hpa.doc, "spec", "minReplicas", default=1)
        if dig(obj.doc, "spec", "replicas") is not None:
            problems.add(obj.path, f"{obj.where}: spec.replicas is set but {hpa.where} scales it (every kubectl apply would reset it)")
        if any(not dig(c, "resources", "requests", "cpu") for c in containers(pod_template(obj.doc).get("spec") or {})):
            problems.add(hpa.path, f"{hpa.where}: CPU utilization needs a CPU request on every container of {obj.where}")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        selected = pods_selected(dig(pdb.doc, "spec", "selector"))
        if not selected:
            problems.add(pdb.path, f"{pdb.where}: its selector matches no pod template")
        for obj, _ in selected:
            replicas = scaled.get(obj.name) or dig(obj.doc, "spec", "replicas", default=1)
            minimum = dig(pdb.doc, "spec", "minAvailable")
            if isinstance(minimum, int) and minimum >= replicas:
                problems.add(pdb.path, f"{pdb.where}: minAvailable {minimum} with {replicas} replica(s) of {obj.where} blocks every node drain")
    egress_ports: set[int] = set()
    for policy in by_kind.get("NetworkPolicy", []):
        selector = dig(policy.doc, "spec", "podSelector", default={}) or {}
        if selector and not pods_selected(selector):
            problems.add(policy.path, f"{policy.where}: its podSelector matches no pod template")
        for rule in dig(policy.doc, "spec", "egress", default=[]) or []:
            egress_ports |= {p.get("port") for p in rule.get("ports") or []}
    if by_kind.get("NetworkPolicy"):
        for port, what in ((53, "DNS"), (5432, "PostgreSQL"), (6379, "Redis"), (443, "HTTPS (EHR, Stripe, S3)")):
            if port not in egress_ports:
                problems.add(folder / "kustomization.yaml", f"no NetworkPolicy lets Portico reach {what} (port {port})")
        if not egress_ports & {25, 465, 587}:
            problems.add(folder / "kustomization.yaml", "no NetworkPolicy lets Portico reach SMTP (25, 465 or 587)")


def main() -> None:
    folder = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO / "infra/k8s"
    problems = Problems("k8s")
    objects, _ = render(folder, problems)
    note = cross_check(folder, objects, problems)
    validate(objects, problems)
    check(objects, folder, problems)
    if not problems.lines:
        print(f"k8s: {len(objects)} objects valid for Kubernetes {K8S_VERSION} (strict); {note}")
    problems.exit()


if __name__ == "__main__":
    main()
