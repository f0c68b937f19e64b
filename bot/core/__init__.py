"""The core every feature and adapter builds on.

May import flows/ and the standard library only (the store is handed in at run time, typed under
TYPE_CHECKING): never a feature, an adapter or the command line.
    inputs.py    what a person typed or pressed → an `Input` (commands, option numbers), for every adapter
    feature.py   `Feature` and what its handlers receive (`TurnContext`, `CommandContext`, `Env`), `Job`, `merge`
    service.py   `Fulcrum`: one input → one committed turn → an `Outcome` for the adapter
    settings.py  the settings (pydantic-settings), each bad value reported in one line
    clock.py     time, one way: aware UTC instants, ISO text in the database, short dates in content's words
    logs.py      logging that never carries message text, answers or the token
    figures.py   the names weekly figures are kept under (tagged with a key)
"""
