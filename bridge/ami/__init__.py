"""Asterisk Manager Interface: the bridge's link to each PBX, the wire format and the actions.

- ``protocol``: :class:`~bridge.ami.protocol.Message`, ``encode`` and the incremental parser.
- ``protocol_client`` (the client side of a socket), ``connection`` (connect, TLS, login),
  ``link`` (:class:`~bridge.ami.link.AmiLink`, one supervised link), ``links`` (one per core
  server), ``events`` (event name -> handler), ``commands`` (one function per AMI action).

The simulated PBX that tests, ``bridge demo`` and the benchmarks talk to is
:mod:`bridge.pbxsim`, a package of its own over this package's ``protocol``.
"""
