"""Operator tools and the command line: the top layer, which may import everything below it.

    cli.py      `fulcrum …` (click): each command opens what it needs and calls one thing
    stats.py    status, health, weekly figures, backup (counts only, never what a person wrote)
    checks.py   `fulcrum content check`: every content file, and that content names only what exists
    book.py     `fulcrum content book`: every screen as one printable HTML page for counsellors
    diagram.py  `fulcrum flows diagram`: a flow as a Mermaid state diagram
"""
