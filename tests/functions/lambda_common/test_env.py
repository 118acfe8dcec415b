"""Environment parsing shared by the functions, and the threads a Lambda memory size buys."""

from __future__ import annotations

import pytest

from lambda_common.env import (
    ConfigError,
    EnvReader,
    configured_threads,
    function_identity,
    lambda_vcpus,
    session_threads,
)


@pytest.mark.parametrize(
    ("memory_mb", "vcpus"),
    [
        (128, 1),
        (512, 1),
        (1769, 1),
        (1770, 2),
        (2048, 2),
        (3008, 2),
        (3538, 2),
        (3539, 3),
        (5307, 3),
        (5308, 4),
        (7076, 4),
        (7077, 5),
        (8845, 5),
        (8846, 6),
        (10240, 6),
    ],
)
def test_vcpus_follow_lambdas_memory_to_cpu_ratio(memory_mb: int, vcpus: int) -> None:
    assert lambda_vcpus(memory_mb) == vcpus


@pytest.mark.parametrize(
    ("memory_mb", "cpu_count", "override", "threads"),
    [
        (2048, 2, None, 2),  # the default sentiment function: 2 vCPUs
        (3008, 2, None, 2),  # the default checkbox function
        (10240, 8, None, 6),  # Lambda's maximum
        (10240, 2, None, 2),  # never more than the CPUs this process sees
        (1024, 8, None, 1),
        (None, 4, None, 4),  # not in Lambda: every CPU
        (None, None, None, 1),  # os.cpu_count() unknown
        (2048, 2, 5, 5),  # INTRA_OP_THREADS wins
        (3008, 2, 3, 3),
    ],
)
def test_session_threads(memory_mb: int | None, cpu_count: int | None, override: int | None, threads: int) -> None:
    assert session_threads(memory_mb=memory_mb, cpu_count=cpu_count, override=override) == threads


def test_unset_or_blank_variables_give_the_default() -> None:
    env = EnvReader({"BLANK": "  "})
    assert env.integer("UNSET", 7, low=1, high=10) == 7
    assert env.integer("BLANK", None, low=1, high=10) is None
    assert env.text("UNSET", "default") == "default"
    assert env.text("BLANK", "default") == "default"
    assert env.problems == []
    env.raise_problems("never raised")


def test_values_are_stripped() -> None:
    env = EnvReader({"COUNT": " 5 ", "NAME": " svc "})
    assert env.integer("COUNT", 1, low=1, high=10) == 5
    assert env.text("NAME", "default") == "svc"


def test_every_problem_is_collected_into_one_config_error() -> None:
    env = EnvReader({"WORDS": "many", "LOW": "0", "HIGH": "11"})
    assert env.integer("WORDS", 3, low=1, high=10) == 3  # the default stands in for an unreadable value
    assert env.integer("LOW", 3, low=1, high=10) == 0
    assert env.integer("HIGH", 3, low=1, high=10) == 11
    with pytest.raises(ConfigError) as raised:
        env.raise_problems("invalid test configuration")
    assert str(raised.value) == (
        "invalid test configuration: WORDS must be an integer within 1..10, got 'many';"
        " LOW must be within 1..10, got 0; HIGH must be within 1..10, got 11"
    )
    assert isinstance(raised.value, ValueError)


def test_configured_threads_read_memory_size_and_override() -> None:
    assert configured_threads(EnvReader({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3538"}), cpu_count=8) == 2
    assert (
        configured_threads(EnvReader({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3538", "INTRA_OP_THREADS": "1"}), cpu_count=8)
        == 1
    )
    env = EnvReader({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"})
    assert configured_threads(env, cpu_count=4) == 4  # unreadable memory size: every CPU, and a problem recorded
    assert len(env.problems) == 1 and "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" in env.problems[0]


def test_function_identity_from_powertools_and_lambda_variables() -> None:
    environ = {
        "POWERTOOLS_SERVICE_NAME": "svc",
        "AWS_LAMBDA_FUNCTION_NAME": "fn-dev",
        "AWS_LAMBDA_FUNCTION_VERSION": "7",
    }
    assert function_identity(EnvReader(environ), service_name="default", metrics_namespace="Ns") == {
        "service_name": "svc",
        "metrics_namespace": "Ns",
        "function_name": "fn-dev",
        "function_version": "7",
    }
    assert function_identity(EnvReader({}), service_name="default", metrics_namespace="Ns")["function_name"] is None
