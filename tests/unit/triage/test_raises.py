"""How a priority raise is kept and explained to agents."""

from __future__ import annotations

from bot.triage.raises import explain, priority_raise


def test_explanations_name_the_raise_and_its_words() -> None:
    assert (
        explain("normal", "high", ["fed up", "written four times"])
        == "Priority raised: normal → high, because: 'fed up', 'written four times'"
    )
    assert explain("urgent", "urgent", ["fed up"]) == (
        "Upset customer (priority already urgent), because: 'fed up'"
    )


def test_a_raise_keeps_its_reason_levels_and_words() -> None:
    kept = priority_raise("tone", "high", "urgent", ("j'en ai marre",))
    assert kept == {
        "reason": "tone",
        "from": "high",
        "to": "urgent",
        "because": ["j'en ai marre"],
        "explanation": "Priority raised: high → urgent, because: 'j'en ai marre'",
    }
