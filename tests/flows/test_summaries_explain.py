"""Summaries that explain (issue 17, item 3), walked at engine level for every topic this covers, as a partner, a work
and a family relationship, afraid (the safety signal set) and not: every free-text answer is a junk line, and the
summary must name the pattern behind a given choice (a block's own text, read from content), never print the junk
back bare, fit the content limit, offer a next step, and while afraid show no block meant only for the calm path."""

from __future__ import annotations

import pytest

from flows.content import SAFETY_SIGNAL
from flows.model import Input, Person
from tests.support.engine import turn

JUNK = "??? he wont do any of this"
RELATIONSHIPS = ("partner", "work", "family")
# Where their own words are kept on purpose (a line they prepared to use), and the words that introduce them as theirs.
KEPT_WORDS = {"communication": "Your opening line, yours to keep or change:\n", "boundaries": "In your own words:\n"}

# Per topic: the answers to give (a choice or scale: an option id; a checklist: the ids to tick; by relationship
# when it differs), and the summary blocks that must show (calm, afraid), by relationship or for all.
WALKS = {
    "causes": ({"forms": ["money", "schooling"], "socio": "4", "style": "they_lead"},
               {"partner": ["money_partner", "they_lead"], "work": ["money_work", "they_lead"],
                "family": ["money_family", "they_lead"]},
               {"all": ["next_afraid"]}),
    "contexts": ({"setting": {"partner": "partner", "work": "work", "family": "family"},
                  "partner_list": ["choices"], "work_list": ["workload"], "family_list": ["decisions"],
                  "work_stake": "5"},
                 {"partner": ["partner_control", "next_partner"], "work": ["work_unfair", "work_stake", "next_work"],
                  "family": ["family_say", "next_family"]},
                 {"partner": ["partner_control", "next_afraid"], "work": ["work_unfair", "next_afraid"],
                  "family": ["family_say", "next_afraid"]}),
    "communication": ({"carried": "just_for_me", "feel": "ready", "how": ["one_point", "in_writing"],
                       "hope": "one_change"},
                      {"partner": ["control", "one_change", "next_boundary"],
                       "work": ["control", "writing", "one_change", "next_work"],
                       "family": ["control", "one_change", "next_boundary"]},
                      {"all": ["control", "worried"]}),
    "boundaries": ({"crossed": "step_away", "reaction": "fine", "when": "calm_moment"},
                   {"partner": ["step_away", "planned", "next_talk"], "work": ["step_away", "planned", "next_work"],
                    "family": ["step_away", "planned", "next_talk"]},
                   {"all": ["step_away", "signal", "next_afraid"]}),
    "equity": ({"respect": ["listen"], "decide": "them", "voice": "2"},
               {"partner": ["them_partner", "respect_some", "next_boundary"], "work": ["them_work", "next_boundary"],
                "family": ["them_family", "next_boundary"]},
               {"partner": ["them_partner", "signal"], "work": ["them_work", "signal"],
                "family": ["them_family", "signal"]}),
    "long_term": ({"role": "them", "areas": ["money"], "willing": "not_willing", "review": "monthly"},
                  {"partner": ["less_say", "money", "not_willing", "review", "next_walk"],
                   "work": ["less_say", "not_willing", "review", "next_walk"],
                   "family": ["less_say", "not_willing", "review", "next_walk"]},
                  {"all": ["less_say", "not_willing", "signal"]}),
    "support": ({"kinds": {"partner": ["specialist"], "work": ["records"], "family": ["family_service"]},
                 "alone": "4", "someone": "has_someone", "easier": ["what_to_say"]},
                {"partner": ["specialist", "who", "what_to_say", "hard_alone"],
                 "work": ["records", "who", "what_to_say", "hard_alone"],
                 "family": ["family_service", "who", "what_to_say", "hard_alone"]},
                {"partner": ["specialist", "signal"], "work": ["records", "signal"],
                 "family": ["family_service", "signal"]}),
    "someone_else": ({"danger_now": "not_now", "who": {"partner": "close", "work": "report", "family": "close"},
                      "signs": ["jealous"], "ways": ["in_touch"], "work_signs": ["calls"], "specialist": "go_on",
                      "weight": "2"},
                     {"partner": ["control", "ways", "close_part", "next_help"],
                      "work": ["work_calls", "manager_part", "next_help"],
                      "family": ["control", "ways", "close_part", "next_help"]},
                     {"partner": ["control", "close_part"], "work": ["work_calls", "manager_part"],
                      "family": ["control", "close_part"]}),
}
WAYOUTS = {"back", "menu", "resume", "keep_answer", "skip"}


def _pick(answer, relationship: str):
    return answer.get(relationship) if isinstance(answer, dict) else answer


def walk(engine, fid: str, relationship: str, afraid: bool):
    """From the topic's start to its summary: the answers in WALKS, else the first option, 3 on a scale, nothing
    ticked, and the junk line at every text step."""
    answers = WALKS[fid][0]
    profile = {"relationship": relationship, **({SAFETY_SIGNAL: "fear"} if afraid else {})}
    person = Person(agreed=True, profile=profile)
    reply = turn(engine, person, Input.command("flow", fid)).replies[-1]
    for _ in range(60):
        assert reply.flow == fid, f"{fid} left for {reply.flow}.{reply.step}"
        if reply.kind == "summary":
            return person, reply
        shown = [o.id for o in reply.options]
        want = _pick(answers.get(reply.step), relationship)
        if reply.kind == "message":
            inp = Input.option("continue")
        elif reply.kind in ("reflection", "input"):
            inp = Input.text(JUNK)
        elif reply.kind == "checklist":
            for oid in want or []:
                assert oid in shown, f"{fid}.{reply.step}: {oid} not shown"
                turn(engine, person, Input.option(oid))
            inp = Input.option("done")
        elif reply.kind == "scale":
            inp = Input.option(want or "3")
        else:
            assert want is None or want in shown, f"{fid}.{reply.step}: {want} not among {shown}"
            inp = Input.option(want or next(o for o in shown if o not in WAYOUTS))
        reply = turn(engine, person, inp).replies[-1]
    raise AssertionError(f"{fid}: no summary reached")


CASES = [(fid, rel, afraid) for fid in WALKS for rel in RELATIONSHIPS for afraid in (False, True)]


@pytest.mark.parametrize("fid, relationship, afraid", CASES,
                         ids=[f"{f}-{r}-{'afraid' if a else 'calm'}" for f, r, a in CASES])
def test_the_summary_explains_and_offers_a_next_step(engine, content, fid, relationship, afraid):
    person, reply = walk(engine, fid, relationship, afraid)
    flow = content.flows[fid]
    step, texts = flow.steps["summary"], flow.text.steps["summary"]

    # A pattern line for the choices made: the blocks named for this walk show, as written in content.
    expected = WALKS[fid][2 if afraid else 1]
    for key in expected.get("all", expected.get(relationship, [])):
        assert texts.blocks[key] in reply.text, f"{fid} ({relationship}): the '{key}' line is missing:\n{reply.text}"

    # Free text is never echoed bare: not at all, or (a line they prepared) introduced as theirs.
    if fid in KEPT_WORDS:
        assert f"{KEPT_WORDS[fid]}\"{JUNK}\"" in reply.text or JUNK not in reply.text
        assert reply.text.count(JUNK) <= 1
    else:
        assert JUNK not in reply.text, f"{fid} prints the person's words back:\n{reply.text}"
    for line in reply.text.split("\n\n"):
        assert line.strip().strip('"') != JUNK, f"{fid}: a block that is only their words"

    # One phone screen, and somewhere to go next besides the way-outs.
    assert len(reply.text) <= content.max_chars, f"{fid}: {len(reply.text)} characters"
    nexts = [o.id for o in reply.options if o.id not in WAYOUTS]
    assert any(oid in content.flows for oid in nexts), f"{fid}: no next step in {nexts}"

    # Afraid: nothing meant only for the calm path (a talk, a time to raise it, making room for them).
    def calm(block) -> bool:
        conds = block.when if isinstance(block.when, list) else [block.when]
        return any(c is not None and c.not_profile == SAFETY_SIGNAL for c in conds)

    calm_only = {b.key for b in step.blocks if calm(b)} - {b.key for b in step.blocks if not calm(b)}
    if afraid:
        for key in calm_only:
            assert texts.blocks[key] not in reply.text, f"{fid}: calm-only '{key}' shown while afraid"
        if fid != "someone_else":  # their own safety is not what someone_else is about
            assert "safety_plan" in nexts, f"{fid}: no safety plan offered while afraid: {nexts}"
        if fid in ("causes", "contexts", "boundaries", "support"):  # no talk offered as the next step
            assert "communication" not in nexts, f"{fid}: 'Preparing a talk' offered while afraid"
    else:
        assert "safety_plan" not in nexts


def test_a_fear_answer_inside_the_topic_changes_its_own_summary(engine, content):
    """Boundaries: 'I'm afraid of how they'd react' sets the signal there and then; the summary that follows names
    no time to raise it, offers the safety plan and not a talk."""
    person = Person(agreed=True, profile={"relationship": "partner"})

    def step(inp):
        res = turn(engine, person, inp)
        person.profile.update(res.profile)  # kept with the profile, as the service does
        return res.replies[-1]

    step(Input.command("flow", "boundaries"))
    for inp in (Input.option("continue"), Input.text(JUNK), Input.text(JUNK), Input.option("say_again"),
                Input.option("afraid")):
        reply = step(inp)
    assert reply.step == "unsafe" and person.profile.get(SAFETY_SIGNAL)
    reply = step(Input.option("keep_private"))
    texts = content.flows["boundaries"].text.steps["summary"]
    assert reply.step == "summary"
    assert texts.blocks["afraid"] in reply.text and texts.blocks["next_afraid"] in reply.text
    for key in ("say_again", "planned", "next_talk"):
        assert texts.blocks[key] not in reply.text
    ids = [o.id for o in reply.options]
    assert "safety_plan" in ids and "communication" not in ids
