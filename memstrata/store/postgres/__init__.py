"""The PostgreSQL backend (needs the 'postgres' extra)."""
