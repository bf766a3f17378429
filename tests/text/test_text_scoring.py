from reelquant.strategy.scoring import score_many, score_spec
from reelquant.strategy.spec import StrategySpec

RSI = {"indicator": "rsi", "params": {"window": 14}}


def _spec(entry_level: float, exit_level: float | None = 70, stop: float | None = None, **kw) -> StrategySpec:
    exits = [] if exit_level is None else [{"left": RSI, "op": ">", "right": exit_level}]
    return StrategySpec.from_dict(
        {
            "testable": True,
            "entry": {"all": [{"left": RSI, "op": "<", "right": entry_level}]},
            "exit": {"any": exits},
            "stop_loss_pct": stop,
            **kw,
        }
    )


def test_identical_specs_score_exact() -> None:
    s = score_spec(_spec(30, stop=2.0), _spec(30, stop=2.0))
    assert s == {"exact": True, "tp": 3, "fp": 0, "fn": 0, "wrong_testable": False, "missed_testable": False}


def test_params_given_as_int_or_float_are_the_same_condition() -> None:
    label = StrategySpec.from_dict(
        {
            "testable": True,
            "entry": {
                "all": [{"left": {"indicator": "rsi", "params": {"window": 14.0}}, "op": "<", "right": 30.0}]
            },
        }
    )
    assert score_spec(_spec(30, exit_level=None), label)["exact"]


def test_wrong_level_and_missing_stop_are_counted() -> None:
    s = score_spec(_spec(25), _spec(30, stop=2.0))
    assert (s["exact"], s["tp"], s["fp"], s["fn"]) == (False, 1, 1, 2)


def test_direction_is_part_of_exact() -> None:
    s = score_spec(_spec(30, direction="short"), _spec(30))
    assert not s["exact"] and s["fp"] == 0 and s["fn"] == 0


def test_a_rule_for_an_untestable_lesson_is_wrong_testable() -> None:
    untestable = StrategySpec.untestable(["psychology only"])
    s = score_spec(_spec(30), untestable)
    assert s["wrong_testable"] and not s["missed_testable"] and not s["exact"] and s["fp"] == 2
    assert score_spec(untestable, StrategySpec.untestable(["other words"]))["exact"]


def test_no_rule_for_a_testable_lesson_is_missed_not_wrong() -> None:
    s = score_spec(StrategySpec.untestable(["could not read it"]), _spec(30))
    assert s["missed_testable"] and not s["wrong_testable"] and not s["exact"] and s["fn"] == 2


def test_score_many_totals() -> None:
    pairs = [
        (_spec(30), _spec(30)),
        (_spec(25), _spec(30)),
        (StrategySpec.untestable(["x"]), _spec(30)),
        (_spec(30), StrategySpec.untestable(["y"])),
    ]
    t = score_many(pairs)
    assert (t["n"], t["exact"], t["tp"], t["fp"], t["fn"]) == (4, 1, 3, 3, 3)
    assert (t["wrong_testable"], t["missed_testable"]) == (1, 1)
    assert t["precision"] == 0.5 and t["recall"] == 0.5
