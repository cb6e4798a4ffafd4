"""The `memstrata` command line."""
