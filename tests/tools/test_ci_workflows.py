"""The GitHub Actions workflows (.github/workflows/) parse, call only Makefile targets that exist,
reach AWS through OpenID Connect alone, state each job's permissions, and deploy the workload
stacks the app builds, prod only behind an environment and after dev."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.common.paths import REPO_ROOT
from stacks.lambda_python import LAMBDA_PYTHON_VERSION

WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
CI_WORKFLOW = WORKFLOWS_DIR / "ci.yml"
LOCK_GLOBS = ("requirements/*.txt", "functions/*/requirements-*.txt", "package-lock.json")
CONFIGURE_AWS = "aws-actions/configure-aws-credentials"
# Owners whose actions may be referenced by a version tag; every other action needs a full SHA.
TAG_ALLOWED_OWNERS = {"actions", "aws-actions"}
SHELL_OPERATORS = {";", "&&", "||", "|", ")", "&"}


# --- helpers ---------------------------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path.name}: not a mapping"
    return document


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    value = workflow.get("on", workflow.get(True))
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return dict.fromkeys(value)
    assert isinstance(value, dict), "a workflow needs `on:`"
    return value


def jobs_of(path: Path) -> dict[str, dict[str, Any]]:
    jobs = load(path)["jobs"]
    assert isinstance(jobs, dict) and jobs, f"{path.name}: no jobs"
    return jobs


def steps_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps") or []


def run_scripts(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in steps_of(job) if "run" in step]


def uses_steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in steps_of(job) if str(step.get("uses", "")).split("@")[0] == action]


def makefile_targets(text: str) -> set[str]:
    """Names of the explicit rules a Makefile defines (not variables, not recipe lines, not
    special targets such as .PHONY, whose prerequisites are no rules)."""
    targets: set[str] = set()
    logical_lines = re.sub(r"\\\n", " ", text).splitlines()
    for line in logical_lines:
        if not line or line.startswith("\t") or line.lstrip().startswith("#"):
            continue
        if re.match(r"^\s*(?:export\s+|override\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*(?::{1,3}=|[?+!]?=)", line):
            continue  # a variable: VAR = / := / ::= / :::= / ?= / += / !=
        match = re.match(r"^([^:=#]+?)\s*::?(?!=)(.*)$", line)
        if not match:
            continue
        for name in match.group(1).split():
            if not name.startswith("."):
                targets.add(name)
    return targets


def make_invocations(script: str) -> list[list[str]]:
    """The targets of every `make` command in a shell script (one list per command; an empty
    list is a bare `make`, the default goal). Variable assignments and options are skipped."""
    invocations: list[list[str]] = []
    script = re.sub(r"\\\n", " ", script)
    for line in script.splitlines():
        line = line.split(" #", 1)[0]
        tokens = line.replace(";", " ; ").replace("&&", " && ").replace("||", " || ").split()
        for index, token in enumerate(tokens):
            if token != "make" or (
                index and tokens[index - 1] not in SHELL_OPERATORS | {"then", "do", "else", "time", "exec"}
            ):
                continue
            targets: list[str] = []
            for argument in tokens[index + 1 :]:
                if argument in SHELL_OPERATORS:
                    break
                if argument.startswith("-") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*[:+?]?=", argument):
                    continue
                if re.match(r"^\$\{\w+:\+[A-Za-z_]\w*=.*\}$", argument):  # ${X:+VAR=...}: an optional assignment
                    continue
                assert not argument.startswith("$"), f"cannot check a target given as {argument!r}: name it literally"
                targets.append(argument)
            invocations.append(targets)
    return invocations


def workload_stack_names(environment: str) -> set[str]:
    """The workload stacks stacks/app_builder.py builds, one per entry of the registry
    (stacks/workloads.py; not the opt-in Account stack, which CDK deploys with the stack that
    depends on it), named as settings name them."""
    from stacks.settings import settings_for
    from stacks.workloads import WORKLOADS

    workloads = {workload.stack_id for workload in WORKLOADS}
    assert workloads == {"MaskPredictor", "Sentiment", "Checkbox", "BatchPredict"}
    settings = settings_for(environment)
    return {settings.stack_name(workload) for workload in workloads}


def deploy_jobs(path: Path) -> dict[str, dict[str, Any]]:
    return {name: job for name, job in jobs_of(path).items() if uses_steps(job, CONFIGURE_AWS)}


def role_variable(job: dict[str, Any]) -> str:
    (step,) = uses_steps(job, CONFIGURE_AWS)
    role = str(step.get("with", {}).get("role-to-assume", ""))
    match = re.fullmatch(r"\$\{\{\s*vars\.(\w+)\s*\}\}", role)
    assert match, f"role-to-assume must come from a repository variable, got {role!r}"
    return match.group(1)


# --- the parsers themselves --------------------------------------------------------------------


def test_the_makefile_parser_finds_rules_and_nothing_else() -> None:
    text = (
        ".PHONY: ghost setup\nVAR := a:b\nOTHER ?= x\nX::=y\nexport Y := z\n"
        "setup: $(VENV)/.installed\n\t@echo setup: done\n"
        "one two: \\\n  three\n# commented: no\ncdk.out/.synth-$(ENV): app.py\n"
    )
    assert makefile_targets(text) == {"setup", "one", "two", "cdk.out/.synth-$(ENV)"}
    real = makefile_targets((REPO_ROOT / "Makefile").read_text(encoding="utf-8"))
    assert {"setup", "test", "synth", "deploy", "diff", "lock"} <= real
    assert not {"VENV", "LAMBDA_PYTHON_VERSION", "SHELL", ".PHONY"} & real


def test_the_make_command_parser_reads_targets_and_skips_assignments() -> None:
    script = (
        "make test\nmake synth ENV=prod\ncd x && make -j2 setup lock V=1 | tee log\n"
        'make synth-diff BASE="origin/${BASE_REF}" ENV=all ${FAIL:+FAIL_ON="${FAIL}"}\n'
        "echo remake it; npx cdk deploy\n"
    )
    assert make_invocations(script) == [["test"], ["synth"], ["setup", "lock"], ["synth-diff"]]
    with pytest.raises(AssertionError, match="name it literally"):
        make_invocations("make $TARGET")


# --- every workflow --------------------------------------------------------------------------


def test_there_is_a_ci_workflow() -> None:
    assert CI_WORKFLOW in WORKFLOW_FILES


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_the_workflow_parses_as_yaml_with_triggers_and_jobs(path: Path) -> None:
    workflow = load(path)
    assert triggers(workflow)
    for name, job in jobs_of(path).items():
        assert isinstance(job, dict) and ("steps" in job or "uses" in job), name
        assert all(isinstance(step, dict) and ("run" in step or "uses" in step) for step in steps_of(job)), name


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_make_target_the_workflow_runs_exists_in_the_makefile(path: Path) -> None:
    targets = makefile_targets((REPO_ROOT / "Makefile").read_text(encoding="utf-8"))
    called = {
        target
        for job in jobs_of(path).values()
        for script in run_scripts(job)
        for invocation in make_invocations(script)
        for target in (invocation or ["<default goal>"])
    }
    assert called, "no make target called"
    missing = sorted(called - targets)
    assert not missing, f"{path.name} runs make targets the Makefile does not define: {missing}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_aws_is_reached_through_oidc_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    for key in (
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws-access-key-id",
        "aws-secret-access-key",
    ):
        assert key not in text, f"{path.name} mentions {key}: use an OIDC role (role-to-assume), not keys"
    for job in jobs_of(path).values():
        for step in uses_steps(job, CONFIGURE_AWS):
            assert set(step.get("with", {})) <= {
                "role-to-assume",
                "role-session-name",
                "aws-region",
                "role-duration-seconds",
                "audience",
            }
            assert job["permissions"].get("id-token") == "write"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_job_states_its_permissions_and_the_default_is_none(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("permissions") == {}, "workflow-level permissions: {} (each job asks for its own)"
    for name, job in jobs_of(path).items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"job {name}: explicit `permissions:` mapping"
        assert set(permissions.values()) <= {"read", "write", "none"}, name
        if permissions.get("id-token") == "write":
            assert uses_steps(job, CONFIGURE_AWS), f"job {name}: id-token: write but no AWS role"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_actions_are_pinned_to_a_sha_or_a_first_party_tag(path: Path) -> None:
    for job in jobs_of(path).values():
        references = [str(step["uses"]) for step in steps_of(job) if "uses" in step]
        references += [str(job["uses"])] if "uses" in job else []
        for reference in references:
            if reference.startswith(("./", "docker://")):
                continue
            action, _, ref = reference.partition("@")
            assert ref, f"{reference}: give a ref"
            if re.fullmatch(r"[0-9a-f]{40}", ref):
                continue
            assert action.split("/")[0] in TAG_ALLOWED_OWNERS, f"{reference}: pin to a full commit SHA"
            assert re.fullmatch(r"v\d+(\.\d+){0,2}", ref), f"{reference}: a version tag or a SHA, not a branch"


# --- the CI workflow: what runs on a pull request -------------------------------------------------


def test_pull_requests_test_synthesize_both_environments_and_diff_against_the_base() -> None:
    assert set(triggers(load(CI_WORKFLOW))) == {"pull_request", "push"}
    assert triggers(load(CI_WORKFLOW))["push"] == {"branches": ["main"]}
    scripts = "\n".join(script for job in jobs_of(CI_WORKFLOW).values() for script in run_scripts(job))
    for command in ("make test", "make synth ENV=dev", "make synth ENV=prod"):
        assert re.search(rf"^{command}$", scripts, re.MULTILINE), command
    (diff_job,) = [
        job for job in jobs_of(CI_WORKFLOW).values() if any("make synth-diff" in s for s in run_scripts(job))
    ]
    assert "pull_request" in diff_job["if"]
    (step,) = [step for step in steps_of(diff_job) if "make synth-diff" in step.get("run", "")]
    assert 'BASE="origin/${BASE_REF}"' in step["run"] and "ENV=all" in step["run"]
    assert step["env"]["BASE_REF"] == "${{ github.base_ref }}"
    (checkout,) = uses_steps(diff_job, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0
    assert diff_job["permissions"] == {"contents": "read", "pull-requests": "write"}
    (comment,) = uses_steps(diff_job, "actions/github-script")
    assert "cdk.out.diff/synth-diff.md" in comment["with"]["script"]


def test_make_test_runs_under_both_pythons_with_lambda_python_pointing_at_lambdas_version() -> None:
    for name, job in jobs_of(CI_WORKFLOW).items():
        test_steps = [step for step in steps_of(job) if re.search(r"\bmake (test|synth-diff)\b", step.get("run", ""))]
        if not test_steps:
            continue
        setups = uses_steps(job, "actions/setup-python")
        versions = [str(step["with"]["python-version"]) for step in setups]
        # Lambda's Python first; the tools' 3.11 last, so it is the `python3` the Makefile uses.
        assert versions == [LAMBDA_PYTHON_VERSION, "3.11"], f"job {name}: {versions}"
        for step in test_steps:
            lambda_python = step.get("env", {}).get("LAMBDA_PYTHON") or job.get("env", {}).get("LAMBDA_PYTHON")
            assert lambda_python == f"${{{{ steps.{setups[0]['id']}.outputs.python-path }}}}", f"job {name}"
        assert uses_steps(job, "actions/setup-node"), f"job {name}: Node for the CDK CLI"


def test_every_job_that_installs_caches_downloads_keyed_on_every_lock() -> None:
    for glob in LOCK_GLOBS:
        assert list(REPO_ROOT.glob(glob)), f"{glob} matches no lock: the cache key would ignore it"
    key_hash = "hashFiles(" + ", ".join(f"'{glob}'" for glob in LOCK_GLOBS) + ")"
    for name, job in jobs_of(CI_WORKFLOW).items():
        if not any(make_invocations(script) for script in run_scripts(job)):
            continue
        (cache,) = uses_steps(job, "actions/cache")
        assert key_hash in cache["with"]["key"], f"job {name}"
        assert {"~/.cache/pip", "~/.cache/uv", "~/.npm"} <= set(cache["with"]["path"].split()), f"job {name}"


# --- the CI workflow: deploys ----------------------------------------------------------------------


def test_dev_deploys_from_main_only_when_its_role_is_set_and_after_the_tests() -> None:
    jobs = deploy_jobs(CI_WORKFLOW)
    (dev_name,) = [name for name, job in jobs.items() if role_variable(job) == "AWS_DEPLOY_ROLE_ARN_DEV"]
    dev = jobs[dev_name]
    assert "vars.AWS_DEPLOY_ROLE_ARN_DEV != ''" in dev["if"]
    assert "github.event_name == 'push'" in dev["if"] and "github.ref == 'refs/heads/main'" in dev["if"]
    assert dev["needs"] == "test" or "test" in dev["needs"]
    assert "environment" not in dev


def test_prod_deploys_behind_the_production_environment_after_dev() -> None:
    jobs = deploy_jobs(CI_WORKFLOW)
    names = {role_variable(job): name for name, job in jobs.items()}
    assert set(names) == {"AWS_DEPLOY_ROLE_ARN_DEV", "AWS_DEPLOY_ROLE_ARN_PROD"}
    prod = jobs[names["AWS_DEPLOY_ROLE_ARN_PROD"]]
    environment = prod.get("environment")
    assert (environment.get("name") if isinstance(environment, dict) else environment) == "production"
    needs = [prod["needs"]] if isinstance(prod["needs"], str) else prod["needs"]
    assert names["AWS_DEPLOY_ROLE_ARN_DEV"] in needs
    assert "vars.AWS_DEPLOY_ROLE_ARN_PROD != ''" in prod["if"]
    assert "always()" not in prod["if"] and "failure()" not in prod["if"]  # dev must have succeeded


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_a_deploy_job_deploys_every_workload_stack_of_its_environment_one_at_a_time(environment: str) -> None:
    jobs = deploy_jobs(CI_WORKFLOW)
    (job,) = [job for job in jobs.values() if role_variable(job) == f"AWS_DEPLOY_ROLE_ARN_{environment.upper()}"]
    assert job["permissions"] == {"id-token": "write", "contents": "read"}
    assert job["concurrency"]["cancel-in-progress"] is False
    groups = {other["concurrency"]["group"] for other in jobs.values()}
    assert len(groups) == len(jobs), "each environment deploys in its own concurrency group"
    (deploy,) = [script for script in run_scripts(job) if "cdk deploy" in script]
    words = deploy.split()
    assert words[:4] == ["npx", "--no-install", "cdk", "deploy"]
    stacks = {word for word in words[4:] if re.fullmatch(r"[A-Za-z]+-\w+", word)}
    assert stacks == workload_stack_names(environment)
    assert f"env={environment}" in words and "--all" not in words
    assert words[words.index("--require-approval") + 1] == "never"
    (configure,) = uses_steps(job, CONFIGURE_AWS)
    assert configure["with"]["aws-region"] == "${{ steps.target.outputs.region }}"
    (target,) = [step for step in steps_of(job) if step.get("id") == "target"]
    assert f"settings_for('{environment}')" in target["run"]
