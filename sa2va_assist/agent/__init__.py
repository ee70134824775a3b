"""Conversational agent: intents, state, answers."""
