"""The content book: every flow, the crisis rules and the help directory as one self-contained HTML page.

Written for counsellors reviewing the content: each step's text, its blocks and when they show (in plain
words), its options and where each leads (links to the step or flow), branches and hand-overs, the crisis
phrases per category with examples and traps, and the help directory with sources and verification dates.
Every variant is shown, so tailored texts can be reviewed: blocks and options for a relationship ("shown when
relationship is work"), for a person who said they are afraid (the safety signal), options that carry a caveat
or are hidden then (with the caveat text beside them), and replies to what someone just wrote (cue words). A
"Variants at a glance" list links every step that carries one.
No scripts, no fonts, nothing fetched: inline CSS only, with a print layout. Every text is escaped.
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from pathlib import Path
from typing import Any

from flows.content import Condition, Content, Flow, Next, StepSpec, load_languages
from flows.resources import text_in

KIND_WORDS = {
    "message": "Message",
    "choice": "Choice (one option)",
    "checklist": "Checklist (tick any, then Done)",
    "scale": "Scale (1 to 5)",
    "reflection": "Reflection (they write; saved privately)",
    "input": "Input (they type an answer)",
    "summary": "Summary",
}
ACTION_WORDS = {
    "erase": "erases everything about the person",
    "exit": "clears the chat from the screen",
    "export": "sends the person their data",
    "agree": "records that the person agreed to the notice",
    "plan_show": "shows the whole safety plan as one message that leaves the chat after about 10 minutes",
}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
SIGNAL_KEY = "safety_signal"
AFRAID = "the person said they are afraid or unsafe (the safety signal is set)"
NOT_AFRAID = "the person has not said they are afraid (no safety signal)"


def _values(values: str) -> str:
    """"partner|work|family" → "partner, work or family"."""
    parts = [v.strip() for v in values.split("|") if v.strip()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def profile_words(spec: str, *, negated: bool = False) -> str:
    """A profile test in plain words: "relationship is work", "the person said they are afraid …"."""
    key, sep, values = spec.partition("=")
    key = key.strip()
    if key == SIGNAL_KEY and not sep:
        return NOT_AFRAID if negated else AFRAID
    if not sep:
        return f"the person has not set their {key}" if negated else f"the person has set their {key}"
    return f"{key} is {'not ' if negated else ''}{_values(values)}"


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _link(url: str) -> str:
    """A clickable link for https pages; an http address (a few stored sources) is shown as text to copy."""
    if url.startswith("https://"):
        return f'<a href="{_e(url)}" rel="noreferrer">{_e(url)}</a>'
    return f"<code>{_e(url)}</code>"


def flow_anchor(flow_id: str) -> str:
    return f"flow-{flow_id}"


def step_anchor(flow_id: str, step_id: str) -> str:
    return f"step-{flow_id}-{step_id}"


class Book:
    def __init__(self, content: Content, safety: Any = None, directory: Any = None, *, generated: dt.date | None = None,
                 languages: dict[str, Content] | None = None):
        self.c = content
        self.languages = languages or {content.lang: content}
        self.safety = safety
        self.directory = directory
        self.generated = generated or dt.date.today()
        self.flows = [*content.menu_flows(), *content.system_flows()]
        self.reached_from: dict[str, set[str]] = {f.id: set() for f in self.flows}
        from flows.content import step_targets

        for flow in self.flows:
            for step in flow.steps.values():
                for target in step_targets(step)[1]:
                    if target in self.reached_from and target != flow.id:
                        self.reached_from[target].add(flow.id)

    # ---- small pieces ---------------------------------------------------------------------------

    def flow_link(self, flow_id: str) -> str:
        flow = self.c.flows.get(flow_id)
        title = flow.title if flow else flow_id
        return f'<a href="#{flow_anchor(flow_id)}">{_e(title)}</a>'

    def step_link(self, flow: Flow, step_id: str) -> str:
        if step_id not in flow.steps:
            return f"<span class=missing>{_e(step_id)} (missing)</span>"
        return f'<a href="#{step_anchor(flow.id, step_id)}">{_e(step_id)}</a>'

    def text(self, value: str) -> str:
        """Escaped text with placeholders marked, line breaks kept."""
        out = _e(value)
        out = _PLACEHOLDER.sub(lambda m: f'<span class=ph title="filled in when shown">{{{m.group(1)}}}</span>', out)
        return out.replace("\n", "<br>")

    def answer_label(self, flow: Flow, ref: str, value: Any) -> str:
        fid, sid = ref.split(".", 1) if "." in ref else (flow.id, ref)
        target = self.c.flows.get(fid)
        st = target.text.steps.get(sid) if target else None
        if st is not None and isinstance(value, str) and value in st.options:
            return f"“{_e(st.options[value])}”"
        return f"“{_e(value)}”"

    def step_ref(self, flow: Flow, ref: str) -> str:
        fid, sid = ref.split(".", 1) if "." in ref else (flow.id, ref)
        target = self.c.flows.get(fid)
        if target is None or sid not in target.steps:
            return _e(ref)
        where = "" if fid == flow.id else f" in {_e(target.title)}"
        return f'the answer at <a href="#{step_anchor(fid, sid)}">{_e(sid)}</a>{where}'

    def condition(self, flow: Flow, cond: Condition | list[Condition] | None) -> str:
        if cond is None:
            return "always"
        conds = cond if isinstance(cond, list) else [cond]
        return " and ".join(self._one(flow, c) for c in conds)

    def _one(self, flow: Flow, c: Condition) -> str:
        parts: list[str] = []
        ref = self.step_ref(flow, c.step) if c.step else ""
        if c.is_ is not None:
            parts.append(f"{ref} is {self.answer_label(flow, c.step or '', c.is_)}")
        if c.has is not None:
            parts.append(f"{ref} includes {self.answer_label(flow, c.step or '', c.has)}")
        if c.count_at_least is not None:
            parts.append(f"at least {c.count_at_least} ticked at {ref}" if c.count_at_least else f"{ref} has any ticks")
        if c.count_at_most is not None:
            parts.append("nothing ticked at " + ref if c.count_at_most == 0 else f"at most {c.count_at_most} ticked at {ref}")
        if c.at_least is not None:
            parts.append(f"{ref} is {c.at_least} or more")
        if c.at_most is not None:
            parts.append(f"{ref} is {c.at_most} or less")
        if c.answered is not None:
            parts.append(f"{ref} was answered" if c.answered else f"{ref} was skipped or not reached")
        if c.value is not None:
            parts.append(f"the practice setting <span class=ph>{_e(c.value)}</span> is filled in")
        if c.profile is not None:
            parts.append(_e(profile_words(c.profile)))
        if c.not_profile is not None:
            parts.append(_e(profile_words(c.not_profile, negated=True)))
        if c.cue is not None or c.not_cue is not None:
            name = c.cue or c.not_cue or ""
            cue = flow.text.cues.get(name)
            words = f' <span class=when>(cue words: {_e(", ".join(cue.match))}; not when it also has: ' \
                    f'{_e(", ".join(cue.unless) or "—")})</span>' if cue else ""
            said = "matches" if c.cue is not None else "does not match"
            parts.append(f"what they just wrote at {ref} {said} “{_e(name.replace('_', ' '))}”{words}")
        if c.returning is not None:
            parts.append("the person has a place to go back to" if c.returning else "the person has no place to go back to")
        if c.arg is not None:
            parts.append(f"this was started for {self.crisis_link(c.arg)}")
        if c.not_arg is not None:
            parts.append(f"this was not started for {self.crisis_link(c.not_arg)}")
        if c.any:
            parts.append("any of: " + "; or ".join(self._one(flow, a) for a in c.any))
        if not parts and c.step and c.cue is None and c.not_cue is None:
            parts.append(f"{ref} is set")
        return " and ".join(parts) or "always"

    def crisis_link(self, category: str) -> str:
        label = category
        if self.safety is not None and category in self.safety.categories:
            label = self.safety.categories[category].label
            return f'<a href="#crisis-{_e(category)}">{_e(label)}</a>'
        return f"“{_e(label)}”"

    def destination(self, flow: Flow, nxt: Next, *, fallback: str = "") -> str:
        if isinstance(nxt, str):
            return "→ step " + self.step_link(flow, nxt)
        if isinstance(nxt, list):
            items = []
            for rule in nxt:
                where = self._rule_target(flow, rule)
                items.append(f"<li>{'if ' + self.condition(flow, rule.when) if rule.when else 'otherwise'}: {where}</li>")
            return f"<ul class=branches>{''.join(items)}</ul>"
        return fallback

    def _rule_target(self, flow: Flow, rule: Any) -> str:
        if rule.to:
            return "→ step " + self.step_link(flow, rule.to)
        if rule.flow:
            return "→ hands over to " + self.flow_link(rule.flow)
        if rule.resume:
            return "→ back to where they were"
        if rule.menu:
            return "→ the main menu"
        return "stays"

    def option_target(self, flow: Flow, step: StepSpec, opt: Any) -> str:
        bits = []
        if opt.action:
            bits.append(_e(ACTION_WORDS.get(opt.action, f"does “{opt.action}”")))
        if opt.set:
            bits.append(self.set_words(opt.set))
        if getattr(opt, "no_followup", False):
            bits.append("no “ask me how it went” offer after it")
        if opt.next is not None:
            bits.append(self.destination(flow, opt.next))
        elif opt.flow:
            bits.append("→ hands over to " + self.flow_link(opt.flow))
        elif opt.resume:
            bits.append("→ back to where they were")
        elif opt.menu:
            bits.append("→ the main menu")
        elif step.kind == "checklist":
            bits.append("ticks or unticks it")
        elif step.next is not None:
            bits.append(self.destination(flow, step.next) if isinstance(step.next, str) else "→ see “Then” below")
        return " · ".join(bits) or "stays on this step"

    @staticmethod
    def set_words(values: dict[str, Any]) -> str:
        out = []
        for key, value in values.items():
            if key == SIGNAL_KEY:
                out.append("sets the safety signal (carried into every topic)" if value
                           else "clears the safety signal")
            else:
                out.append(f"sets {_e(key)} to {_e(value)}")
        return ", ".join(out)

    def option_cell(self, flow: Flow, step: StepSpec, opt: Any, st: Any) -> str:
        """An option's label with its variants: when it is shown, and what happens to it while the person has
        said they are afraid (hidden, or shown with its caveat, whose text is given)."""
        label = st.options.get(opt.id, opt.id) if st else opt.id
        out = _e(label)
        if opt.when is not None:
            out += f" <p class=when>Shown when: {self.condition(flow, opt.when)}</p>"
        caveat = st.caveats.get(opt.id, "") if st else ""
        if opt.unsafe_when_afraid == "hide":
            out += (" <p class=afraid><span class=tag>hidden when afraid</span> Not offered once the person said "
                    f"they are afraid or unsafe. Why: <span class=text>{self.text(caveat)}</span></p>")
        elif opt.unsafe_when_afraid:
            out += (" <p class=afraid><span class=tag>caveat when afraid</span> Once the person said they are afraid "
                    f"or unsafe, shown with this caveat under the message: <span class=text>{self.text(caveat)}</span></p>")
        return out

    def variants(self, flow: Flow, step: StepSpec) -> list[str]:
        """What in this step is tailored: "relationship", "safety signal", "caveat", "cue" (for the index)."""
        from flows.content import condition_cues

        conds = [b.when for b in step.blocks] + [o.when for o in step.option_specs()]
        conds += [r.when for r in step.next] if isinstance(step.next, list) else []
        flat: list[Any] = []

        def walk(c: Any) -> None:
            for one in c if isinstance(c, list) else [c] if c is not None else []:
                flat.append(one)
                walk(one.any)

        for c in conds:
            walk(c)
        tests = [x for c in flat for x in (c.profile, c.not_profile) if x]
        kinds = []
        if any(t.split("=")[0].strip() == "relationship" for t in tests):
            kinds.append("relationship")
        sets_signal = bool(step.set and SIGNAL_KEY in step.set) or any(
            o.set and SIGNAL_KEY in o.set for o in step.option_specs())
        if any(t.split("=")[0].strip() == SIGNAL_KEY for t in tests) or sets_signal:
            kinds.append("safety signal")
        if any(o.unsafe_when_afraid for o in step.option_specs()):
            kinds.append("caveat")
        if any(condition_cues(c) for c in conds):
            kinds.append("cue")
        return kinds

    # ---- sections ---------------------------------------------------------------------------------

    def render_step(self, flow: Flow, step: StepSpec) -> str:
        st = flow.text.steps.get(step.id)
        out = [f'<section class=step id="{step_anchor(flow.id, step.id)}">']
        start = " <span class=tag>start</span>" if step.id == flow.spec.start else ""
        out.append(f"<h3>{_e(step.id)} <small>{_e(KIND_WORDS.get(step.kind, step.kind))}</small>{start}</h3>")
        if st is not None:
            out.append(f"<p class=text>{self.text(st.text)}</p>")
        if step.blocks:
            out.append("<h4>Blocks added below the text</h4><ol class=blocks>")
            for block in step.blocks:
                body = st.blocks.get(block.key, "") if st else ""
                when = "Always shown" if block.when is None else "Shown when " + self.condition(flow, block.when)
                out.append(f"<li><p class=when>{when}</p><p class=text>{self.text(body)}</p></li>")
            out.append("</ol>")
        if step.kind == "scale" and st is not None and (st.low or st.high):
            out.append(f"<p>1 = {_e(st.low or '')}; 5 = {_e(st.high or '')}</p>")
        rows = []
        for opt in step.option_specs():
            rows.append(f"<tr><td>{self.option_cell(flow, step, opt, st)}</td>"
                        f"<td>{self.option_target(flow, step, opt)}</td></tr>")
        if step.options_from == "menu":
            for f in self.c.menu_flows():
                rows.append(f"<tr><td>{_e(f.title)}</td><td>→ {self.flow_link(f.id)}</td></tr>")
        elif step.options_from == "countries":
            rows.append('<tr><td><em>one option per country in the <a href="#help-directory">help directory</a>'
                        "</em></td><td>saves it as the person’s country</td></tr>")
        for fid in step.offers:
            label = (st.options.get(fid) if st else None) or (self.c.flows[fid].title if fid in self.c.flows else fid)
            rows.append(f"<tr><td>{_e(label)}</td><td>→ offers {self.flow_link(fid)}</td></tr>")
        if step.kind == "checklist":
            rows.append(f"<tr><td>{_e(self.c.common.options.get('done', 'Done'))}</td><td>"
                        f"{self.destination(flow, step.next, fallback='ends here') if isinstance(step.next, str) else '→ see “Then” below'}</td></tr>")
        if rows:
            out.append("<table class=options><thead><tr><th>Option</th><th>Leads to</th></tr></thead><tbody>")
            out.extend(rows)
            out.append("</tbody></table>")
        if step.next is not None and (isinstance(step.next, list) or not step.option_specs()):
            out.append(f"<p class=then><strong>Then</strong> {self.destination(flow, step.next)}</p>")
        if step.kind in ("reflection", "input"):
            extra = []
            if step.kind == "reflection" and step.journal:
                extra.append("also saved to their private journal")
            if step.profile_key:
                extra.append(f"kept as their {_e(step.profile_key)}")
            if step.validate_as:
                extra.append(f"checked as {_e(step.validate_as)}")
            if extra:
                out.append(f"<p class=note>What they write is {', '.join(extra)}.</p>")
        if step.action:
            out.append(f"<p class=note>On arrival: {_e(ACTION_WORDS.get(step.action, step.action))}.</p>")
        if step.set:
            out.append(f"<p class=note>On arrival: {self.set_words(step.set)}.</p>")
        wayouts = step.wayouts if step.wayouts is not None else flow.spec.default_wayouts()
        if wayouts:
            labels = ", ".join(_e(self.c.common.options.get(w, w)) for w in wayouts)
            out.append(f"<p class=wayouts>Way-outs: {labels}</p>")
        out.append("</section>")
        return "\n".join(out)

    def render_flow(self, flow: Flow) -> str:
        out = [f'<article class=flow id="{flow_anchor(flow.id)}">']
        kind = f"menu topic {flow.spec.menu}" if flow.is_menu else "system flow"
        out.append(f"<h2>{_e(flow.title)} <small>{_e(flow.id)} · {kind} · {len(flow.steps)} steps</small></h2>")
        if flow.text.description:
            out.append(f"<p class=desc>{_e(flow.text.description)}</p>")
        sources = sorted(self.reached_from.get(flow.id, ()))
        if sources:
            out.append("<p class=note>Handed over to from: " + ", ".join(self.flow_link(s) for s in sources) + "</p>")
        for rule in flow.spec.before:
            asked = self.flow_link(rule.flow) if rule.flow else ""
            when = f" when {self.condition(flow, rule.when)}" if rule.when else ""
            out.append(f"<p class=note>Before it starts (picked from the menu or a summary): {asked} first{when}.</p>")
        out.append("<p class=note>Starts at " + self.step_link(flow, flow.spec.start) + ". Steps: "
                   + ", ".join(self.step_link(flow, s) for s in flow.steps) + "</p>")
        for step in flow.steps.values():
            out.append(self.render_step(flow, step))
        out.append("</article>")
        return "\n".join(out)

    def render_variants(self) -> str:
        """Every step that carries a variant, linked, so a counsellor can read each tailored text in turn."""
        rows = []
        for flow in self.flows:
            for step in flow.steps.values():
                kinds = self.variants(flow, step)
                if kinds:
                    rows.append(f'<tr><td>{self.flow_link(flow.id)}</td><td><a href="#{step_anchor(flow.id, step.id)}">'
                                f"{_e(step.id)}</a></td><td>{_e(', '.join(kinds))}</td></tr>")
        if not rows:
            return ""
        return ("<section id=variants><h2>Variants at a glance</h2><p class=desc>Steps whose words or options change "
                "with who the person said it is about (<em>relationship</em>), with whether they said they are "
                "afraid or unsafe (<em>safety signal</em>: set by fear answers, “unsafe” choices and the crisis "
                "screen, cleared by the person in /about), options that carry a <em>caveat</em> or are hidden then, "
                "and replies to what they just wrote (<em>cue</em> words). Each step below says when each variant "
                "shows.</p><table><tr><th>Flow</th><th>Step</th><th>Varies by</th></tr>"
                + "".join(rows) + "</table></section>")

    def render_languages(self) -> str:
        """Which languages content has (a folder each) and whether each has been read by a counsellor fluent in
        it (`reviewed:` in its common.yaml; `pending` until then), and how to add one."""
        rows = []
        for lang, each in self.languages.items():
            state = "reference (the texts below)" if lang == "en" else (each.common.reviewed or "pending")
            rows.append(f"<tr><td>{_e(lang)}</td><td>{_e(each.common.language or lang)}</td><td>{_e(state)}</td></tr>")
        shown = self.c.common.language or self.c.lang
        return ('<section id=languages><h2>Languages</h2>'
                f"<p class=desc>The flows below are in {_e(shown)}; <code>fulcrum content book --lang CODE OUT</code> "
                "makes this book in another language.</p><table><tr><th>folder</th><th>name</th>"
                "<th>reviewed</th></tr>" + "".join(rows) + "</table>"
                "<p class=desc><strong>Adding a language</strong>: copy <code>content/en/</code> to "
                "<code>content/CODE/</code> (a two-letter code) and write every text anew in that language, warmly and "
                "plainly, keeping each <code>{placeholder}</code>; set <code>language:</code> (its name in itself) and "
                "<code>reviewed: pending</code> in its common.yaml until a counsellor fluent in it has read it; "
                "<code>fulcrum content check</code> names every text missing, extra or with other placeholders. "
                "Crisis phrases go in <code>content/safety/</code>, the help directory's texts take an entry for the "
                "new code, and README's Languages section lists the rest.</p></section>")

    def render_safety(self) -> str:
        if self.safety is None:
            return ""
        from flows.safety import PRECEDENCE

        out = ['<article class=flow id="crisis-rules"><h2>Crisis phrases</h2>',
               "<p class=desc>A message matching any rule interrupts the conversation with the "
               + self.flow_link("crisis") + " flow, from any step. Categories are checked in this order; the "
               "first that matches wins. Each rule’s examples must match it and its traps (everyday sentences "
               "that must not be flagged) must not match anything: <code>fulcrum content check</code> tests both.</p>"]
        if self.safety.exclude:
            out.append("<h3>Everyday idioms that are ignored</h3><ul>")
            out.extend(f"<li>{_e(x.why)}</li>" for x in self.safety.exclude)
            out.append("</ul>")
        for cat in PRECEDENCE:
            category = self.safety.categories[cat]
            out.append(f'<section class=step id="crisis-{_e(cat)}"><h3>{_e(category.label)} <small>{_e(cat)}</small></h3>')
            for rule in category.rules:
                out.append(f"<div class=rule><h4>{_e(rule.why)} <small>{_e(rule.id)}</small></h4>")
                out.append("<div class=cols><div><p class=when>Caught, e.g.</p><ul>"
                           + "".join(f"<li>{_e(x)}</li>" for x in rule.examples) + "</ul></div>")
                traps = "".join(f"<li>{_e(x)}</li>" for x in rule.traps) or "<li><em>none listed</em></li>"
                out.append(f"<div><p class=when>Not caught (traps)</p><ul>{traps}</ul></div></div>")
                out.append(f"<details><summary>Pattern</summary><code>{_e(rule.pattern)}</code></details></div>")
            out.append("</section>")
        out.append("</article>")
        return "\n".join(out)

    def render_directory(self) -> str:
        """Every line with where its facts were read and whether the practice has rung it, for re-checking on paper."""
        if self.directory is None:
            return ""
        out = ['<article class=flow id="help-directory"><h2>Help directory</h2>',
               "<p class=desc>Shown in " + self.flow_link("seek_help") + " and on the crisis screen, for the "
               "person’s country (or the practice’s default country, or the international entry). Each line names "
               "the page its number was read on, when, and the phrase there that confirms it. "
               "<strong>Not yet rung</strong> marks every line the practice has not checked by phone.</p>"]
        entries = [("international", self.directory.international),
                   *sorted(self.directory.entries.items(), key=lambda kv: text_in(kv[1].name) or kv[0])]
        out.append("<table class=options><thead><tr><th>Where</th><th>Line</th><th>Source, seen, confirming phrase</th>"
                   "<th>Rung by the practice</th></tr></thead><tbody>")
        for code, entry in entries:
            rows: list[tuple[str, Any]] = []
            if entry.emergency is not None:
                rows.append((f"Emergency: {_e(entry.emergency.number)}"
                             + (f"<br><small>{_e(text_in(entry.emergency.note))}</small>" if entry.emergency.note else ""),
                             entry.emergency))
            for way in entry.ways_without_speaking:
                rows.append((f"Without speaking: {_e(way.name)}<br><small>{_e(text_in(way.how))}</small>", way))
            for line in entry.lines:
                bits = [f"<strong>{_e(text_in(line.name))}</strong> <span class=tag>{_e(line.kind)}</span>"]
                for label, value in (("phone", line.phone), ("text", text_in(line.text)), ("hours", text_in(line.hours)),
                                     ("cost", text_in(line.cost)), ("serves", text_in(line.serves)),
                                     ("web", line.url), ("chat", line.chat)):
                    if value:
                        bits.append(f"{label}: {_e(value)}")
                if line.note:
                    bits.append(f"<small>{_e(text_in(line.note))}</small>")
                rows.append(("<br>".join(bits), line))
            for n, (what, checked) in enumerate(rows):
                where = (f'<td rowspan={len(rows)}><strong>{_e(text_in(entry.name))}</strong><br><small>{_e(code)}</small></td>'
                         if n == 0 else "")
                source = (f"{_link(checked.source)}<br>"
                          f"seen {_e(checked.source_seen)} ({_e(checked.seen_as.replace('_', ' '))})<br>"
                          f"<q>{_e(checked.confirms)}</q>")
                rung = _e(checked.verified_on) if checked.verified_on else "<span class=tag>not yet rung</span>"
                out.append(f"<tr{f' id=help-{_e(code)}' if n == 0 else ''}>{where}<td>{what}</td><td>{source}</td>"
                           f"<td>{rung}</td></tr>")
        out.append("</tbody></table></article>")
        return "\n".join(out)

    def render(self) -> str:
        toc = ["<nav id=contents><h2>Contents</h2><ol>", "<li>Topics (in menu order)<ol>"]
        toc += [f"<li>{self.flow_link(f.id)}</li>" for f in self.c.menu_flows()]
        toc.append("</ol></li><li>System flows<ol>")
        toc += [f"<li>{self.flow_link(f.id)} <small>{_e(f.id)}</small></li>" for f in self.c.system_flows()]
        toc.append("</ol></li>")
        toc.append('<li><a href="#variants">Variants at a glance</a></li>')
        if self.safety is not None:
            toc.append('<li><a href="#crisis-rules">Crisis phrases</a></li>')
        if self.directory is not None:
            toc.append('<li><a href="#help-directory">Help directory</a></li>')
        toc.append("</ol></nav>")
        body = [self.render_languages(), *toc, self.render_variants(), *(self.render_flow(f) for f in self.flows), self.render_safety(),
                self.render_directory()]
        title = "Fulcrum content book"
        return (
            "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{title}</title><style>{CSS}</style></head><body>\n"
            f"<header><h1>{title}</h1><p>Content version {_e(self.c.version)} · generated {_e(self.generated)} · "
            f"{len(self.flows)} flows. Words in <span class=ph>{{braces}}</span> are filled in when shown "
            "(answers, the practice’s details, the help directory).</p></header>\n<main>\n"
            + "\n".join(b for b in body if b)
            + "\n</main></body></html>\n"
        )


CSS = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dde5;--accent:#2f5d8a;--bg:#fff;--soft:#f4f6f9}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);
background:var(--bg);margin:0 auto;max-width:60rem;padding:1.5rem}
h1{font-size:1.8rem;margin:.2rem 0}h2{font-size:1.4rem;border-bottom:2px solid var(--accent);padding-bottom:.2rem}
h3{font-size:1.1rem;margin:.2rem 0 .4rem}h4{font-size:.95rem;margin:.6rem 0 .2rem}
small{color:var(--muted);font-weight:normal;font-size:.8em}
a{color:var(--accent)}
nav ol{margin:.2rem 0}
.flow{margin-top:2.5rem}
.step{border:1px solid var(--line);border-radius:6px;padding:.7rem 1rem;margin:.8rem 0;background:var(--bg)}
.step:target{outline:3px solid var(--accent)}
.text{background:var(--soft);border-left:3px solid var(--accent);padding:.5rem .7rem;margin:.4rem 0;white-space:normal}
.ph{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;background:#fff3c4;padding:0 .2em;border-radius:3px}
.when{color:var(--muted);font-size:.9em;margin:.3rem 0 0}
.note,.wayouts,.desc{color:var(--muted);font-size:.9em}
.tag{background:var(--accent);color:#fff;border-radius:3px;padding:0 .35em;font-size:.75em;vertical-align:middle}
.missing{color:#a00}
.afraid{font-size:.9em;margin:.3rem 0 0}.afraid .text{display:block}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:var(--soft)}
.branches{margin:.2rem 0;padding-left:1.2rem}
.cols{display:flex;gap:1.5rem;flex-wrap:wrap}.cols>div{flex:1 1 18rem}
.rule{border-top:1px dashed var(--line);padding-top:.3rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}
@media print{
 body{max-width:none;padding:0;font-size:11pt}
 nav{page-break-after:always}
 .flow{page-break-before:always;margin-top:0}
 .step{page-break-inside:avoid;border-color:#999}
 a{color:inherit;text-decoration:none}
 details{display:none}
 .text{background:none}
 .ph{background:none;border:1px solid #999}
}
"""


def build_book(content_root: str | Path, *, today: dt.date | None = None, lang: str = "en") -> str:
    """The book for a content directory, as HTML text, with the flows in `lang` (raises the loaders' errors on
    broken content, and KeyError naming the language when content has no such folder)."""
    from flows.resources import load_resources
    from flows.safety import Triage

    languages = load_languages(content_root)
    if lang not in languages:
        raise KeyError(f"no content/{lang}/ (languages: {', '.join(sorted(languages))})")
    content = languages[lang]
    root = Path(content.root)
    safety = Triage.load(root / "safety.yaml").spec if (root / "safety.yaml").is_file() else None
    directory = load_resources(root / "directory", today=today) if (root / "directory").is_dir() else None
    return Book(content, safety, directory, generated=today, languages=languages).render()


def write_book(content_root: str | Path, out: str | Path, *, today: dt.date | None = None, lang: str = "en") -> Path:
    html = build_book(content_root, today=today, lang=lang)
    path = Path(out)
    path.write_text(html, encoding="utf-8")
    return path
