"""Webhooks."""


def event_matches(pattern, event_type):
    return pattern == "*" or pattern == event_type
