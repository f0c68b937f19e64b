"""Mermaid diagrams of flows, drawn by transitions' own diagram support (no graphviz needed)."""

from __future__ import annotations

from transitions.extensions import GraphMachine

from flows.content import Content
from flows.engine import machine_config


def mermaid(content: Content, flow_id: str) -> str:
    config = machine_config(content.flows[flow_id], content)
    machine = GraphMachine(model=None, graph_engine="mermaid", title=content.flows[flow_id].title,
                           show_conditions=False, **config)
    machine.add_model(_Model(), initial=config["initial"])
    return str(machine.get_graph().draw(None)).rstrip()


class _Model:
    pass
