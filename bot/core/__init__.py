"""The core every feature and adapter builds on: the kinds of input, the feature type and its contexts.

May import flows/ and the standard library only: never the store's internals, a feature, an adapter or the
command line. The service (`Fulcrum`) takes features as objects; `bot.compose` is the one place that knows
them all.
"""
