"""The engine on the real content: steps, options, branching, way-outs, return points, stale input."""

from __future__ import annotations

from datetime import datetime, timezone

from flows.model import Context, Conversation, Input, Person
from tests.support.engine import turn

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def walk_signs(engine, ticks):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    turn(engine, p, Input.option("continue"))
    for t in ticks:
        turn(engine, p, Input.option(t))
    turn(engine, p, Input.option("done"))
    turn(engine, p, Input.option("3"))
    turn(engine, p, Input.option("clear"))
    return p, turn(engine, p, Input.text("It happened on Sunday."))


def test_one_machine_per_flow_shared_by_everyone(engine, content):
    assert set(engine.machines) == set(content.flows)
    assert all(not m.models for m in engine.machines.values())


def test_new_person_sees_onboarding_first_then_the_flow_they_asked_for(engine):
    p = Person()
    res = turn(engine, p, Input.command("flow", "signs"))
    assert res.replies[-1].flow == "onboarding"
    res = turn(engine, p, Input.option("agree"))
    assert res.agreed is True
    assert (res.replies[-1].flow, res.replies[-1].step) == ("signs", "intro")


def test_checklist_ticks_show_a_mark_and_done_saves_them(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    turn(engine, p, Input.option("continue"))
    res = turn(engine, p, Input.option("condescension"))
    labels = {o.id: o.label for o in res.replies[-1].options}
    assert labels["condescension"].startswith("✓ ")
    res = turn(engine, p, Input.option("done"))
    assert res.answers[("signs", "pick")] == ["condescension"]


def test_reflection_is_saved_to_the_journal(engine):
    _, res = walk_signs(engine, ["decisions"])
    assert [(j.flow, j.step, j.text) for j in res.journal] == [("signs", "moment", "It happened on Sunday.")]


def test_fear_leads_to_help_first(engine):
    _, res = walk_signs(engine, ["fear"])
    assert res.replies[-1].step == "safety"
    assert "help_first" in [o.id for o in res.replies[-1].options]


def test_without_fear_the_summary_names_the_pattern_not_the_list(engine, content):
    p, res = walk_signs(engine, ["decisions", "condescension"])
    reply = res.replies[-1]
    assert reply.kind == "summary"
    texts = content.flows["signs"].text.steps["summary"].blocks
    assert texts["say"] in reply.text and texts["fear"] not in reply.text
    labels = content.flows["signs"].text.steps["pick"].options
    assert labels["decisions"] not in reply.text  # explained, not echoed
    assert "seek_help" in [o.id for o in reply.options]
    assert any(e.name == "flow_completed" and e.flow == "signs" for e in res.events)


def test_back_returns_to_the_previous_step_with_its_answer(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    turn(engine, p, Input.option("continue"))
    turn(engine, p, Input.option("fear"))
    turn(engine, p, Input.option("done"))
    res = turn(engine, p, Input.option("back"))
    reply = res.replies[-1]
    assert reply.step == "pick"
    assert [o.id for o in reply.options if o.ticked] == ["fear"]


def test_wrong_text_at_a_choice_asks_again_and_loses_nothing(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    before = p.conversation.step
    res = turn(engine, p, Input.text("banana"))
    assert p.conversation.step == before
    assert res.replies[-1].step == before and len(res.replies) == 2


def test_label_text_counts_as_the_option(engine, content):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    label = content.flows["signs"].text.steps["intro"].continue_
    turn(engine, p, Input.text(label.upper()))
    assert p.conversation.step == "pick"


def test_stale_turn_never_moves_the_person(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    old = p.conversation.turn
    turn(engine, p, Input.option("continue", turn=old))
    res = turn(engine, p, Input.option("continue", turn=old))
    assert p.conversation.step == "pick"
    assert "earlier message" in res.replies[0].text


def test_interruption_returns_to_exactly_where_they_were(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    turn(engine, p, Input.option("continue"))
    turn(engine, p, Input.option("fear"))
    res = turn(engine, p, Input.command("help"))
    assert res.replies[-1].flow == "help"
    res = turn(engine, p, Input.option("resume"))
    assert (p.conversation.flow, p.conversation.step) == ("signs", "pick")
    assert [o.id for o in res.replies[-1].options if o.ticked] == ["fear"]


def test_crisis_interrupt_keeps_a_way_back(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    res = engine.interrupt(p, "crisis", "violence", Context(now=NOW))
    assert res.replies[-1].flow == "crisis"
    assert "resume" in [o.id for o in res.replies[-1].options]
    assert res.conversation.return_to["step"] == "intro"


def test_restart_starts_the_flow_again_keeping_answers(engine):
    p, _ = walk_signs(engine, ["fear"])
    turn(engine, p, Input.command("restart"))
    assert p.conversation.step == "intro"
    assert p.answers["signs"]["pick"] == ["fear"]


def test_unknown_command_lists_commands(engine):
    p = Person(agreed=True)
    res = turn(engine, p, Input.command("frobnicate"))
    assert "/menu" in res.replies[0].text and "/help" in res.replies[0].text


def test_saved_step_removed_by_a_content_change_restarts_the_flow(engine):
    p = Person(agreed=True, conversation=Conversation(flow="signs", step="gone_step", turn=4))
    res = turn(engine, p, Input.open())
    assert p.conversation.step == "intro"
    assert "changed" in res.replies[0].text


def test_saved_flow_removed_by_a_content_change_goes_to_the_menu(engine):
    p = Person(agreed=True, conversation=Conversation(flow="retired_flow", step="x", turn=4))
    res = turn(engine, p, Input.open())
    assert p.conversation.flow == "menu"
    assert res.replies[-1].flow == "menu"


def test_a_press_from_another_turn_is_flagged_stale_on_every_path(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "signs"))
    current = p.conversation.turn
    assert not turn(engine, p, Input.option("continue", turn=current)).stale
    assert turn(engine, p, Input.option("continue", turn=current)).stale
    stranger = Person()  # e.g. erased a moment ago: sent to onboarding, and the press still counts as stale
    assert turn(engine, stranger, Input.option("delete_all", turn=7)).stale


def _to_i_statement(engine):
    p = Person(agreed=True)
    turn(engine, p, Input.command("flow", "boundaries"))
    turn(engine, p, Input.option("continue"))
    turn(engine, p, Input.text("I decide about my money"))
    return p


def test_back_to_a_text_step_shows_what_was_written_and_keeps_it(engine):
    p = _to_i_statement(engine)
    res = turn(engine, p, Input.option("back"))
    reply = res.replies[-1]
    assert reply.step == "limit" and 'You wrote: "I decide about my money"' in reply.text
    assert [o.id for o in reply.options][0] == "keep_answer"
    res = turn(engine, p, Input.option("keep_answer"))
    assert res.replies[-1].step == "i_statement" and not res.answers and not res.journal
    assert p.answers["boundaries"]["limit"] == "I decide about my money"
    assert "You wrote" not in res.replies[-1].text  # arrived forwards: nothing to show


def test_back_then_typing_replaces_the_answer(engine):
    p = _to_i_statement(engine)
    turn(engine, p, Input.option("back"))
    res = turn(engine, p, Input.text("I'm not shouted at"))
    assert res.answers[("boundaries", "limit")] == "I'm not shouted at"
    assert res.replies[-1].step == "i_statement"


def test_a_lone_number_at_a_text_step_is_asked_about_before_it_is_an_answer(engine):
    p = _to_i_statement(engine)
    res = turn(engine, p, Input.text("6"))
    reply = res.replies[-1]
    assert reply.step == "i_statement" and not res.answers
    assert 'Did you mean to write "6" here?' in reply.text
    assert [o.id for o in reply.options][:2] == ["keep_answer", "write_again"]
    res = turn(engine, p, Input.option("write_again"))
    assert res.replies[-1].step == "i_statement" and "Did you mean" not in res.replies[-1].text and not res.answers
    turn(engine, p, Input.text("6"))
    res = turn(engine, p, Input.option("keep_answer"))
    assert res.answers[("boundaries", "i_statement")] == "6" and res.replies[-1].step == "crossed"


def test_words_typed_after_the_number_question_are_the_answer(engine):
    p = _to_i_statement(engine)
    turn(engine, p, Input.text("2."))
    res = turn(engine, p, Input.text("I need to choose for myself."))
    assert res.answers[("boundaries", "i_statement")] == "I need to choose for myself."
