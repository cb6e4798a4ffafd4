"""The REST service (FastAPI): `memstrata serve`. Needs the 'server' extra."""
