"""Resolution: turn extraction drafts into a ChangeSet against what is stored."""
