"""Asterisk Manager Interface: the wire format, and a simulated PBX that speaks it for tests.

- ``protocol``: :class:`~bridge.ami.protocol.Message`, ``encode`` and the incremental parser.
- ``simulator``: :class:`~bridge.ami.simulator.SimulatedPbx`, an AMI server that answers like
  Asterisk 22 (the captures in ``shared/ami-captures``) and can be scripted by tests. Its parts:
  ``sim_server`` (listener, sessions), ``sim_dispatch`` (order of checks), ``sim_login``,
  ``sim_actions`` / ``sim_astdb`` / ``sim_originate`` (actions), ``sim_calls`` and
  ``sim_channels`` (call events), ``sim_state`` (AstDB, device and hint states, queues),
  ``sim_events`` (security events), ``sim_session`` (one connection, replies), ``sim_script``
  (action record, stall/fail rules, waits), ``sim_config`` and ``sim_lab`` (the PBX's setup).
  Call flows a test plays (``sim_scenarios``: the ``SimulatedPbx`` methods): ``sim_phone``
  (Dial between phones and the trunk), ``sim_queue_calls``, ``sim_features`` (hold, MixMonitor,
  DND code), ``sim_transfers``, ``sim_queue_members``, over ``sim_legs`` (channel steps),
  ``sim_bridges`` and ``sim_devstate`` (Asterisk's device state arithmetic); ``sim_sync``
  (DeviceStateList, ExtensionStateList); ``sim_blast`` and ``sim_stream`` (benchmarks).
"""
