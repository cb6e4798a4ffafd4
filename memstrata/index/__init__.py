"""Side indexes kept in memory and rebuilt from the store of record."""
