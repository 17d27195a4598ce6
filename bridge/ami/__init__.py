"""Asterisk Manager Interface: the wire format, and a simulated PBX that speaks it for tests."""
