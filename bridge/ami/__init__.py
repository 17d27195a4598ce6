"""Asterisk Manager Interface: the wire format, and a simulated PBX that speaks it for tests.

- ``protocol``: :class:`~bridge.ami.protocol.Message`, ``encode`` and the incremental parser.
- ``simulator``: :class:`~bridge.ami.simulator.SimulatedPbx`, an AMI server that answers like
  Asterisk 22 (the captures in ``shared/ami-captures``) and can be scripted by tests. Its parts:
  ``sim_server`` (listener, sessions), ``sim_dispatch`` (order of checks), ``sim_login``,
  ``sim_actions`` / ``sim_astdb`` / ``sim_originate`` (actions), ``sim_calls`` and
  ``sim_channels`` (call events), ``sim_state`` (AstDB, device and hint states, queues),
  ``sim_events`` (security events), ``sim_session`` (one connection, replies), ``sim_script``
  (action record, stall/fail rules, waits), ``sim_config`` and ``sim_lab`` (the PBX's setup).
"""
