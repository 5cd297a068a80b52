"""Warroom: crisis-response playbooks and a live war room for social-media storms."""

__version__ = "0.1.0"
