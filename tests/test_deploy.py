"""deploy/: the Dockerfile, compose.yaml and the Kubernetes manifests, linted and checked.

No Docker engine or cluster runs here, so nothing is started: hadolint lints the Dockerfile,
yamllint every YAML file, and the structure is checked against what the bot needs (two serve
instances behind the proxy, one scheduler, probes, limits, a non-root user, the PDB over the bot
pods), the install steps against the Makefile CI runs, and every variable named against the
settings in bot/config.py, so none of them drift.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SETTINGS = {name.upper() for name in Settings.model_fields}
IMAGE = "ccobot"  # the image name in compose and the kustomize base (kustomization images: rewrites it)


# ---------------------------------------------------------------- helpers

def tool(name: str) -> str:
    """A linter installed by the dev extra (beside this Python, else on PATH)."""
    found = Path(sys.executable).with_name(name)
    path = str(found) if found.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `make test` installs it with the dev extra (pyproject.toml)")
    return path


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def ccobot_services(doc: dict) -> dict[str, dict]:
    """The services that run the ccobot image."""
    return {name: s for name, s in doc["services"].items()
            if str(s.get("image", "")).split(":")[0] == IMAGE or "build" in s}


def k8s_docs() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    docs = []
    for name in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")) if d]
    return docs


def of_kind(kind: str) -> list[dict]:
    return [d for d in k8s_docs() if d["kind"] == kind]


def deployment(component: str) -> dict:
    found = [d for d in of_kind("Deployment")
             if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == component]
    assert len(found) == 1, f"one Deployment of component {component}, found {len(found)}"
    return found[0]


def pod_specs() -> list[tuple[str, dict]]:
    kinds = ("Deployment", "StatefulSet", "Job")
    return [(f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
            for d in k8s_docs() if d["kind"] in kinds]


def ccobot_containers() -> list[tuple[str, dict]]:
    return [(f"{where}/{c['name']}", c) for where, spec in pod_specs()
            for c in spec.get("initContainers", []) + spec["containers"] if c["image"].split(":")[0] == IMAGE]


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def pip_installs(commands: list[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each `python -m pip install` as (its flags that change what is installed, its targets).
    Flags about output and caching (--quiet, --no-cache-dir) say nothing of the result."""
    noise = {"--quiet", "-q", "--no-cache-dir"}
    found = []
    for command in commands:
        words = shlex.split(command)
        for i in range(len(words) - 1):
            if words[i] == "pip" and words[i + 1] == "install" and i >= 2 and words[i - 1] == "-m":
                args = words[i + 2:]
                flags = tuple(sorted(a for a in args if a.startswith("-") and a not in noise))
                targets = tuple(a for a in args if not a.startswith("-"))
                found.append((flags, targets))
    return found


def makefile_recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().replace("$(BIN)/python", "python").replace("$(PYTHON)", "python"))
    return recipe


def dockerfile_runs() -> list[str]:
    """The shell commands of the Dockerfile's RUN instructions, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        if line.startswith("RUN "):
            commands += [c.strip() for c in line[4:].split("&&")]
    return commands


def dockerfile(instruction: str) -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line[len(instruction) + 1:].strip() for line in text.splitlines() if line.startswith(instruction + " ")]


# ---------------------------------------------------------------- linters

def test_hadolint_passes_the_dockerfile() -> None:
    run = subprocess.run([tool("hadolint"), "--no-color", str(DEPLOY / "Dockerfile")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_yamllint_passes_every_yaml_file_in_deploy() -> None:
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    config = YamlLintConfig(file=str(DEPLOY / ".yamllint.yaml"))
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert DEPLOY / "compose.yaml" in files and K8S / "kustomization.yaml" in files
    problems = [f"{p.relative_to(ROOT)}:{e.line}:{e.column} {e.message} ({e.rule})"
                for p in files for e in linter.run(p.read_text(encoding="utf-8"), config, str(p))]
    assert not problems, "\n".join(problems)


def test_kustomize_builds_the_base() -> None:
    kubectl = shutil.which("kubectl") or shutil.which("kustomize")
    if kubectl is None:
        pytest.skip("neither kubectl nor kustomize is installed")
    args = [kubectl, "kustomize", str(K8S)] if kubectl.endswith("kubectl") else [kubectl, "build", str(K8S)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    built = [d for d in yaml.safe_load_all(run.stdout) if d]
    kinds = sorted(d["kind"] for d in built)
    assert kinds == sorted(["ConfigMap", "Deployment", "Deployment", "Job", "NetworkPolicy", "PodDisruptionBudget",
                            "Service", "Service", "StatefulSet"])
    images = {c["image"] for d in built if d["kind"] in ("Deployment", "Job")
              for c in d["spec"]["template"]["spec"]["containers"]}
    assert all(not i.startswith(IMAGE + ":") and i != IMAGE for i in images), images  # images: rewrote them


def test_manifests_match_the_kubernetes_schemas() -> None:
    validate = pytest.importorskip("kubernetes_validate")
    for doc in k8s_docs() + [yaml.safe_load((K8S / "secret.example.yaml").read_text(encoding="utf-8"))]:
        validate.validate(doc, "1.32", strict=True)


# ---------------------------------------------------------------- the image

def test_the_image_installs_what_ci_installs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M), ".ci/run no longer runs `make test`: compare with what it runs"
    make = makefile_recipe("$(BASE)")
    docker = dockerfile_runs()
    assert any("-m venv" in c for c in make) and any("-m venv" in c for c in docker)
    made, built = pip_installs(make), pip_installs(docker)
    assert len(made) == len(built) == 2, (made, built)
    # The same steps in the same order: pip upgraded, then the project (editable) from the checkout,
    # the image with the postgres extra, which is the only difference.
    assert made[0] == built[0] == (("--upgrade",), ("pip",))
    (make_flags, (make_target,)), (docker_flags, (docker_target,)) = made[1], built[1]
    assert make_flags == docker_flags == ("-e",)
    match = re.fullmatch(r"(.+?)\[(.+)\]", docker_target)
    assert match, f"the image installs {docker_target}: the project with its postgres extra"
    assert match.group(1) == make_target == "."
    assert match.group(2).split(",") == ["postgres"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^postgres = \[", pyproject, re.M), "pyproject.toml has no postgres extra any more"


def test_the_image_is_slim_non_root_healthchecked_and_carries_no_secret() -> None:
    assert dockerfile("FROM") == ["python:3.11-slim"]
    users = dockerfile("USER")
    assert users and users[-1].split(":")[0] not in ("0", "root"), users
    health = " ".join(dockerfile("HEALTHCHECK"))
    assert "/healthz" in health and "PORT" in health
    assert dockerfile("ENTRYPOINT") == ['["ccobot"]'] and dockerfile("CMD") == ['["serve"]']
    declared = [w.split("=")[0] for line in dockerfile("ENV") + dockerfile("ARG") for w in shlex.split(line)]
    secret = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|DATABASE_URL|CLIENT_ID|APP_ID")
    assert not [name for name in declared if secret.search(name)], declared
    ccobot_env = [n for n in declared if n.startswith("CCOBOT_") or n == "PORT"]
    assert set(ccobot_env) <= SETTINGS, set(ccobot_env) - SETTINGS
    ignore = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    assert "*" in ignore and not any(line.startswith("!.env") or line.startswith("!.ccobot") for line in ignore)


# ---------------------------------------------------------------- compose

def test_compose_runs_two_serve_instances_behind_the_proxy_and_one_scheduler() -> None:
    doc = compose()
    ours = ccobot_services(doc)
    serving = sorted(name for name, s in ours.items() if s.get("command") == ["serve"])
    assert len(serving) == 2, serving
    schedulers = [name for name, s in ours.items() if s.get("command") == ["scheduler"]]
    assert schedulers == ["scheduler"]
    for name in serving:
        service = ours[name]
        assert service["environment"]["CCOBOT_SCHEDULER_IN_SERVE"] == "false", name
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
        assert service["depends_on"]["index"]["condition"] == "service_completed_successfully", name
        assert "ports" not in service, f"{name} is published: only the proxy is"
    for name, service in ours.items():
        assert service["env_file"] == "../.env", name
        env = service.get("environment", {})
        assert env.get("CHROMA_URL", "").startswith("http://chroma:"), f"{name}: Chroma must be the server"
        assert env.get("DATABASE_URL", "").startswith("postgresql+psycopg://"), name
        assert int(str(service.get("stop_grace_period", "0s")).rstrip("s")) >= 45, name
    assert ours["index"]["command"] and "ccobot index" in ours["index"]["command"][0]
    assert "test" in doc["services"]["db"]["healthcheck"]
    # The proxy: the only published service; round-robin over exactly the serve instances, with
    # active health checks on /readyz, and /metrics not passed through.
    proxy = doc["services"]["proxy"]
    assert proxy["ports"] and set(proxy["depends_on"]) == set(serving)
    caddyfile = (DEPLOY / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    assert any(v.startswith("./caddy/Caddyfile:/etc/caddy/Caddyfile") for v in proxy["volumes"])
    upstreams = re.search(r"^\s*reverse_proxy\s+(.+?)\s*\{", caddyfile, re.M).group(1).split()
    port = ours[serving[0]]["environment"]["PORT"]
    assert sorted(upstreams) == [f"{name}:{port}" for name in serving]
    assert re.search(r"^\s*lb_policy round_robin$", caddyfile, re.M)
    assert re.search(r"^\s*health_uri /readyz$", caddyfile, re.M)
    assert re.search(r"@metrics path /metrics", caddyfile) and "respond @metrics 404" in caddyfile


def test_compose_names_only_real_settings() -> None:
    for name, service in ccobot_services(compose()).items():
        unknown = set(service.get("environment", {})) - SETTINGS
        assert not unknown, f"{name}: {sorted(unknown)} are not settings of bot/config.py"


# ---------------------------------------------------------------- Kubernetes

def test_every_deployment_has_probes_resources_and_runs_as_non_root() -> None:
    deployments = of_kind("Deployment") + of_kind("StatefulSet")
    assert len(deployments) == 3
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, d["metadata"]["name"]
        for c in spec["containers"]:
            where = f"{d['metadata']['name']}/{c['name']}"
            assert "readinessProbe" in c and "livenessProbe" in c, where
            assert set(c["resources"]["requests"]) == set(c["resources"]["limits"]) == {"cpu", "memory"}, where
            assert c["securityContext"]["allowPrivilegeEscalation"] is False, where
    for where, spec in pod_specs():
        for c in spec.get("initContainers", []) + spec["containers"]:
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]), f"{where}/{c['name']}"


def test_the_bot_and_the_scheduler() -> None:
    bot, scheduler = deployment("bot"), deployment("scheduler")
    assert bot["spec"]["replicas"] == 2
    (serve,) = bot["spec"]["template"]["spec"]["containers"]
    assert serve["args"] == ["serve"]
    assert {"name": "CCOBOT_SCHEDULER_IN_SERVE", "value": "false"} in serve["env"]
    assert serve["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert serve["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["ports"][0]["containerPort"] == int(env_file(K8S / "config.env")["PORT"])
    assert scheduler["spec"]["replicas"] == 1 and scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert [c["args"] for c in scheduler["spec"]["template"]["spec"]["containers"]] == [["scheduler"]]
    for d in (bot, scheduler):  # SIGTERM: 10 s for requests, 20 s for answers being posted, the preStop
        assert d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 45
    assert env_file(K8S / "config.env")["CHROMA_URL"].startswith("http://")


def test_the_pdb_and_the_service_select_the_bot_pods_only() -> None:
    bot_labels = deployment("bot")["spec"]["template"]["metadata"]["labels"]
    other = [d["spec"]["template"]["metadata"]["labels"] for d in k8s_docs()
             if d["kind"] in ("Deployment", "StatefulSet", "Job") and d is not None
             and d["spec"]["template"]["metadata"]["labels"] != bot_labels]
    (pdb,) = of_kind("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    services = [s for s in of_kind("Service") if s["metadata"]["name"] == "ccobot"]
    for selector in (pdb["spec"]["selector"]["matchLabels"], services[0]["spec"]["selector"]):
        assert selector.items() <= bot_labels.items()
        assert not any(selector.items() <= labels.items() for labels in other)


def test_read_only_containers_have_writable_home_and_tmp() -> None:
    home = env_file(K8S / "config.env")["CCOBOT_HOME"]
    for where, c in ccobot_containers():
        assert c["securityContext"]["readOnlyRootFilesystem"] is True, where
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        assert {home, "/tmp"} <= mounts, where


def test_the_secret_example_is_not_applied() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert "secret.example.yaml" not in kustomization["resources"]
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text(encoding="utf-8"))
    assert secret["kind"] == "Secret" and "DATABASE_URL" in secret["stringData"]
    for where, c in ccobot_containers():
        refs = {r.get("secretRef", {}).get("name") for r in c["envFrom"]}
        assert secret["metadata"]["name"] in refs, where


def test_kubernetes_names_only_real_settings() -> None:
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text(encoding="utf-8"))
    named = {"config.env": set(env_file(K8S / "config.env")), "secret.example.yaml": set(secret["stringData"])}
    for where, c in ccobot_containers():
        named[where] = {e["name"] for e in c.get("env", [])}
    for where, names in named.items():
        assert not names - SETTINGS, f"{where}: {sorted(names - SETTINGS)} are not settings of bot/config.py"
    assert not set(env_file(K8S / "config.env")) & set(secret["stringData"]), "a setting in both"
