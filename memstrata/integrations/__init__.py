"""memstrata behind the memory interfaces of agent frameworks, one module a
framework, each needing that framework's package (an optional extra)."""
