"""Finding, among several inputs, the file that holds a value the transform cannot convert
(run_failures.input_holding_the_value), with the engine's runs replaced by a record of which
files hold such a value: the engines' own runs are in test_landing_faults.py."""

import math

from sluice_spark.run_failures import input_holding_the_value


def finder(bad: set[str], other_failure: set[str] = frozenset(), needs_two: bool = False):
    runs: list[tuple[str, ...]] = []

    def fails_over(inputs: tuple[str, ...]) -> bool | None:
        runs.append(inputs)
        if other_failure & set(inputs):
            return None
        held = bad & set(inputs)
        return len(held) >= 2 if needs_two else bool(held)

    return fails_over, runs


def test_the_first_bad_file_is_found_in_about_log2_runs() -> None:
    for count in [2, 3, 5, 8, 13, 100]:
        inputs = tuple(f"f{index}" for index in range(count))
        for bad_index in range(count):
            fails_over, runs = finder({inputs[bad_index]})
            assert input_holding_the_value(inputs, fails_over) == inputs[bad_index]
            assert len(runs) <= math.ceil(math.log2(count)) + 1
            # Each run reads at most half of what the one before it read.
            assert sum(len(run) for run in runs) <= count + 1
        fails_over, _ = finder({inputs[-1], inputs[count // 3]})
        assert input_holding_the_value(inputs, fails_over) == inputs[count // 3]


def test_no_file_is_named_when_a_run_fails_otherwise_or_the_value_needs_several_files() -> None:
    inputs = ("a", "b", "c", "d")
    fails_over, _ = finder({"c"}, other_failure={"a"})
    assert input_holding_the_value(inputs, fails_over) is None
    fails_over, _ = finder({"b", "d"}, needs_two=True)
    assert input_holding_the_value(inputs, fails_over) is None


def test_no_run_starts_once_the_time_given_has_passed() -> None:
    # The engines give the search as long as the failed run took: a long run must not be
    # killed by its stage timeout while looking (it would fail `timeout`, not `data`).
    inputs = ("a", "b", "c", "d")
    fails_over, runs = finder({"c"})
    assert input_holding_the_value(inputs, fails_over, seconds=0.0) is None
    assert runs == []
    assert input_holding_the_value((), fails_over) is None
