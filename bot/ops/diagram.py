"""Mermaid diagrams of flows, drawn by transitions' own diagram support (no graphviz needed).

Step ids are not safe as Mermaid state ids: `style`, `note`, `state`, `class`, `direction`… are keywords of
`stateDiagram-v2`, and Mermaid rejects a diagram that uses one as an id. So every state is drawn under the id
`step_<step id>` with the step id as its label (`state "style" as step_style`): the picture shows the step ids,
and transitions keep their trigger labels. tests/ops/test_diagram.py parses every flow's diagram with Mermaid itself.
"""

from __future__ import annotations

import json
from typing import Any

from transitions import State
from transitions.extensions import GraphMachine

from flows.content import Content
from flows.engine import machine_config

PREFIX = "step_"


def state_id(step: str) -> str:
    """The Mermaid id of a step (or of an `exit_…` pseudo state) in a flow's diagram."""
    return PREFIX + step


def mermaid(content: Content, flow_id: str) -> str:
    flow = content.flows[flow_id]
    config = _renamed(machine_config(flow, content))
    machine = _Graph(model=None, graph_engine="mermaid", title=flow.title, show_conditions=False, **config)
    model = _Model()
    machine.add_model(model, initial=config["initial"])
    text = str(model.get_graph().draw(None)).rstrip()  # the model's graph: the machine's would log at INFO
    return _titled(text, flow.title)


def _renamed(config: dict[str, Any]) -> dict[str, Any]:
    """The machine with every state under a safe id and labelled with its step id."""
    ids = {name: state_id(name) for name in config["states"]}
    return {
        **config,
        "states": [{"name": ids[name], "label": name} for name in config["states"]],
        "transitions": [{**t, "source": ids[t["source"]], "dest": ids.get(t["dest"])}
                        for t in config["transitions"]],
        "initial": ids[config["initial"]],
    }


def _titled(text: str, title: str) -> str:
    """transitions writes the title as a bare line of front matter, which Mermaid ignores (it wants a YAML
    mapping, and a title with `:` or `#` would be read as one); write it as `title: "…"` so it is shown."""
    head = f"---\n{title}\n---\n"
    if text.startswith(head):
        return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n" + text[len(head):]
    return text


class _Step(State):
    """A state with a label (transitions' diagrams draw `label` when a state has one)."""

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.label = label


class _Graph(GraphMachine):
    state_cls = _Step


class _Model:
    pass
