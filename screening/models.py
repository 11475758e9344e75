"""Sanctions and PEP lists, list versions, matches and their triage (DESIGN §6)."""
