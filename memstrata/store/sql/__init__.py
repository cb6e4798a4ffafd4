"""The record stores both SQL backends share, written against the connection
protocols of ``connection.py``: the SQLite backend runs them on its own
connections, the PostgreSQL backend through its dialect translation."""
